/**
 * A review as the user sees it: check for a key, estimate the cost and ask above
 * `bigpicture.confirmAbove`, run the server's review command, and report the summary.
 */
import type { ApiKeyStore } from './apiKey';
import { estimateLine, usd } from './format';
import type { Host } from './host';
import {
  costNow,
  type Estimate,
  type IfRunning,
  isBusy,
  isEstimate,
  isEstimateError,
  isReviewSummary,
  type Plan,
  planArguments,
  REVIEW_COMMAND,
  type ReviewKind,
  type ReviewSummary,
  reviewArguments,
  ServerCommand,
} from './protocol';
import { errorText, type ServerController } from './server';
import { confirmAbove, maxCostPerReview } from './settings';
import type { StatusModel } from './status';

export const NO_KEY_MESSAGE =
  'BigPicture needs an Anthropic API key to review. Run "BigPicture: Set API Key" to store one ' +
  'in VS Code\'s secret storage (or start VS Code with ANTHROPIC_API_KEY set). ' +
  '"Show Plan and Cost" works without a key.';

const WHAT: Record<ReviewKind, string> = {
  workspace: 'workspace',
  changes: 'changes',
  file: 'file',
  full: 'whole repository (all shards)',
};

export type ReviewOutcome =
  | { ran: true; summary: ReviewSummary }
  | { ran: false; why: 'no-file' | 'no-key' | 'declined' | 'over-limit' | 'error' | 'busy' };

/** Errors where trying the same review again may work. */
const RETRYABLE = new Set(['rate-limited', 'overloaded', 'connection-failed', 'stream-broken', 'api-error', 'internal']);

/** The server's messages shown while a review this window asked for runs. */
interface HeldMessage {
  level: 'error' | 'warn' | 'info';
  message: string;
}

export class Reviewer {
  constructor(
    private readonly host: Host,
    private readonly server: ServerController,
    private readonly keys: ApiKeyStore,
    private readonly status: StatusModel,
    /** Runs "Set API Key" (offered when there is none). */
    private readonly setKey: () => Promise<unknown>,
  ) {}

  async review(kind: ReviewKind, uri?: string): Promise<ReviewOutcome> {
    if (kind === 'file') {
      uri = uri ?? this.host.activeFileUri();
      if (!uri) {
        void this.host.warn('BigPicture: open a file to review it.');
        return { ran: false, why: 'no-file' };
      }
    }
    if (!(await this.keys.available())) {
      const choice = await this.host.warn(NO_KEY_MESSAGE, 'Set API Key', 'Show Plan and Cost');
      if (choice === 'Set API Key') {
        await this.setKey();
        if (await this.keys.available()) {
          return this.review(kind, uri); // the review the user asked for, now with a key
        }
      } else if (choice === 'Show Plan and Cost') {
        await this.showPlan(kind, uri);
      }
      return { ran: false, why: 'no-key' };
    }
    let decision: 'go' | 'declined' | 'over-limit';
    try {
      decision = await this.confirmCost(kind, uri);
    } catch (err) {
      this.report(`BigPicture: could not estimate the review: ${errorText(err)}`);
      return { ran: false, why: 'error' };
    }
    if (decision !== 'go') {
      return { ran: false, why: decision };
    }
    return this.run(kind, uri, 'ask');
  }

  /**
   * A review started by a save (onSave.ts): never a dialog. Without a key, or estimated above
   * `bigpicture.confirmAbove` or `maxCostPerReview`, it is skipped with a status message;
   * otherwise it runs after any running review (`ifRunning: "wait"`).
   */
  async reviewOnSave(kind: ReviewKind, uri: string): Promise<ReviewOutcome> {
    const what = kind === 'changes' ? 'the changes' : 'the saved file';
    const command = kind === 'changes' ? 'Review Changes' : 'Review Current File';
    if (!(await this.keys.available())) {
      this.status.saveSkipped(`review on save skipped: no API key (run "BigPicture: Set API Key").`);
      return { ran: false, why: 'no-key' };
    }
    const read = (k: string) => this.host.setting(k);
    const limit = confirmAbove(read);
    if (limit >= 0 || maxCostPerReview(read) !== undefined) {
      let estimate: unknown;
      try {
        estimate = await this.server.executeCommand(ServerCommand.estimate, planArguments(kind, uri));
      } catch (err) {
        this.host.log.error(`Estimating a review on save: ${errorText(err)}`);
        this.status.saveSkipped(`review on save skipped: the estimate failed (${errorText(err)}).`);
        return { ran: false, why: 'error' };
      }
      if (isEstimate(estimate)) {
        const now = costNow(estimate);
        const max = estimate.maxCostUsd ?? maxCostPerReview(read);
        const over =
          max !== undefined && now > max
            ? `bigpicture.maxCostPerReview (${usd(max)})`
            : limit >= 0 && now > limit
              ? `bigpicture.confirmAbove (${usd(limit)})`
              : undefined;
        if (over) {
          const why =
            `review on save skipped: reviewing ${what} would cost about ${usd(now)}, over ${over}. ` +
            `Run "BigPicture: ${command}" to review (with the estimate first).`;
          this.host.log.info(why);
          this.status.saveSkipped(why);
          return { ran: false, why: 'over-limit' };
        }
      }
      // (No plan, e.g. nothing changed: the review itself says so.)
    }
    return this.run(kind, uri, 'wait', 'save');
  }

  /** Sends the review command; a busy answer asks what to do with the running review. */
  private async run(
    kind: ReviewKind,
    uri: string | undefined,
    ifRunning: IfRunning,
    trigger: 'command' | 'save' = 'command',
  ): Promise<ReviewOutcome> {
    // The server reports the review's stages as work-done progress: a cancellable notification
    // (shown by the client), and the status bar.
    this.status.reviewStarted(trigger === 'save' ? `${WHAT[kind]} (on save)` : WHAT[kind]);
    this.holding += 1;
    let result: unknown;
    try {
      result = await this.server.executeCommand(REVIEW_COMMAND[kind], reviewArguments(kind, uri, ifRunning));
    } catch (err) {
      this.status.reviewAbandoned();
      this.release(undefined);
      this.report(`BigPicture: the review failed: ${errorText(err)}`);
      return { ran: false, why: 'error' };
    } finally {
      this.holding -= 1;
    }
    if (isBusy(result)) {
      this.status.reviewAbandoned();
      this.release(undefined);
      return this.whenBusy(kind, uri, result.running);
    }
    if (!isReviewSummary(result)) {
      this.status.reviewAbandoned();
      this.release(undefined);
      this.report(`BigPicture: the server answered the review with ${JSON.stringify(result)}`);
      return { ran: false, why: 'error' };
    }
    if (trigger === 'save' && !result.trigger) {
      result.trigger = 'save';
    }
    this.status.finished(result, true);
    this.host.log.info(`Review finished: ${JSON.stringify(result)}`);
    const announced = this.announce(result, () => this.run(kind, uri, 'ask'));
    this.release(announced ? result : undefined);
    return { ran: true, summary: result };
  }

  /** Another review runs: cancel it and start this one, or run this one after it. */
  private async whenBusy(
    kind: ReviewKind,
    uri: string | undefined,
    running: { kind: string; trigger: string },
  ): Promise<ReviewOutcome> {
    const what = running.trigger === 'save' ? `A review on save (${running.kind})` : `A ${running.kind} review`;
    const choice = await this.host.ask(
      `${what} is running.`,
      'Cancelling it stops its request; what it has already sent may be billed.',
      ['Cancel It and Start', 'Wait, Then Start'],
    );
    if (choice === 'Cancel It and Start') {
      return this.run(kind, uri, 'cancel');
    }
    if (choice === 'Wait, Then Start') {
      return this.run(kind, uri, 'wait');
    }
    return { ran: false, why: 'busy' };
  }

  /**
   * Asks before a review whose estimated cost is above `bigpicture.confirmAbove`; a review over
   * `bigpicture.maxCostPerReview` cannot be sent, and the dialog says so instead of offering it.
   */
  private async confirmCost(kind: ReviewKind, uri?: string): Promise<'go' | 'declined' | 'over-limit'> {
    const read = (k: string) => this.host.setting(k);
    const limit = confirmAbove(read);
    if (limit < 0 && maxCostPerReview(read) === undefined) {
      return 'go';
    }
    const estimate = await this.server.executeCommand(ServerCommand.estimate, planArguments(kind, uri));
    if (isEstimateError(estimate)) {
      // No plan (e.g. nothing to review): the review itself reports why, like any other outcome.
      this.host.log.info(`No estimate for a ${kind} review: ${estimate.message}`);
      return 'go';
    }
    if (!isEstimate(estimate)) {
      throw new Error(`unexpected estimate ${JSON.stringify(estimate)}`);
    }
    this.host.log.info(`Estimate for a ${kind} review: ${JSON.stringify(estimate)}`);
    const now = costNow(estimate);
    const max = estimate.maxCostUsd ?? maxCostPerReview(read);
    if (max !== undefined && now > max) {
      await this.overLimit(kind, estimate, max);
      return 'over-limit';
    }
    if (limit < 0 || now <= limit) {
      return 'go';
    }
    const go = await this.host.confirm(
      `Review ${WHAT[kind]} for about ${usd(now)}?`,
      `${estimateLine(WHAT[kind], estimate)}\nThis is above bigpicture.confirmAbove (${usd(limit)}).`,
      'Review',
    );
    return go ? 'go' : 'declined';
  }

  /** The review cannot be sent: say which setting blocks it and offer what can be done. */
  private async overLimit(kind: ReviewKind, estimate: Estimate, max: number): Promise<void> {
    const actions = ['Open Settings'];
    if (kind !== 'changes') {
      actions.push('Review Changes instead');
    }
    const choice = await this.host.ask(
      `This ${WHAT[kind]} review would cost about ${usd(costNow(estimate))}, over bigpicture.maxCostPerReview (${usd(max)}): it will not be sent.`,
      `${estimateLine(WHAT[kind], estimate)}\nRaise bigpicture.maxCostPerReview, review less (the changes, ` +
        'or one file), or leave files out with bigpicture.exclude.',
      actions,
    );
    if (choice === 'Open Settings') {
      await this.host.openSettings('maxCostPerReview');
    } else if (choice === 'Review Changes instead') {
      await this.review('changes');
    }
  }

  /**
   * What the user can act on after a review: a key to set, or a retry. Returns true when it
   * showed a message about the outcome (the server's own message is then not shown too).
   */
  private announce(s: ReviewSummary, retry: () => Promise<unknown>): boolean {
    if (s.status === 'failed' && (s.error === 'bad-api-key' || s.error === 'no-api-key')) {
      void this.host
        .warn(
          s.error === 'bad-api-key'
            ? 'BigPicture: the API key was refused. Set a new one?'
            : 'BigPicture: the server has no API key. Set one?',
          'Set API Key',
        )
        .then((choice) => choice === 'Set API Key' && this.setKey());
      return true;
    }
    if (s.status === 'failed' && (s.retryable || RETRYABLE.has(s.error ?? ''))) {
      void this.host
        .error(`BigPicture: ${failureText(s)}`, 'Retry', 'Show Log')
        .then((choice) => {
          if (choice === 'Retry') {
            return retry();
          }
          if (choice === 'Show Log') {
            this.host.log.show();
          }
          return undefined;
        });
      return true;
    }
    return false;
  }

  /** Messages the server shows while a review this window asked for runs. */
  private holding = 0;
  private held: HeldMessage[] = [];

  /**
   * The server's window/showMessage: held while a review this window asked for runs, so that
   * its outcome gets one message (with the action it needs) instead of the server's and ours.
   * Returns true when held.
   */
  holdServerMessage(message: HeldMessage): boolean {
    if (this.holding === 0 || message.level === 'info') {
      return false;
    }
    this.held.push(message);
    return true;
  }

  /**
   * Shows the held messages, except the outcome's when `announced` replaced it: the server
   * shows the error alone, and its summary adds what is kept ("…; no new findings; the 2 from
   * the previous review are kept"), so either may hold the other.
   */
  private release(announced: ReviewSummary | undefined): void {
    const held = this.held;
    this.held = [];
    const said = announced ? bare(announced.message) : '';
    for (const m of held) {
      const text = bare(m.message);
      if (said && text && (said.includes(text) || text.includes(said))) {
        continue;
      }
      void this.host[m.level](m.message);
    }
  }

  async showPlan(kind?: ReviewKind, uri?: string): Promise<void> {
    kind =
      kind ??
      (await this.host.pick<ReviewKind>(
        [
          { label: 'Workspace', description: 'every file the review would send', value: 'workspace' },
          { label: 'Changes', description: 'the diff, with the workspace as context', value: 'changes' },
          { label: 'Current file', description: 'the active file', value: 'file' },
          { label: 'Whole repository (all shards)', description: 'every file whole, one request per shard', value: 'full' },
        ],
        'Plan and cost of which review?',
      ));
    if (!kind) {
      return;
    }
    if (kind === 'file') {
      uri = uri ?? this.host.activeFileUri();
      if (!uri) {
        void this.host.warn('BigPicture: open a file to see its plan.');
        return;
      }
    }
    try {
      const args = planArguments(kind, uri);
      this.planning += 1;
      let plan: unknown;
      let estimate: unknown;
      try {
        [plan, estimate] = await Promise.all([
          this.server.executeCommand(ServerCommand.showPlan, [...args, { open: false }]),
          this.server.executeCommand(ServerCommand.estimate, args),
        ]);
      } finally {
        this.planning -= 1;
      }
      const p = plan as Partial<Plan> | null;
      if (!p || p.error) {
        return; // the server has shown why there is no plan
      }
      if (typeof p.text === 'string') {
        await this.host.showPlan(`BigPicture plan (${WHAT[kind]} review).md`, p.text);
      }
      if (isEstimate(estimate)) {
        void this.host.info(`BigPicture: ${estimateLine(WHAT[kind], estimate)}`);
      }
    } catch (err) {
      this.report(`BigPicture: could not make the plan: ${errorText(err)}`);
    }
  }

  /** showPlan requests in flight: the server's showDocument of its plan file is not needed. */
  private planning = 0;

  /** The server asks to open a document: its plan file while a plan is asked for is shown read-only instead. */
  interceptShowDocument(uri: string): boolean {
    return this.planning > 0 && /\/plan\.md$/.test(uri);
  }

  async cancel(): Promise<void> {
    try {
      const result = (await this.server.executeCommand(ServerCommand.cancel, [])) as {
        cancelled?: boolean;
      } | null;
      if (!result?.cancelled) {
        void this.host.info('BigPicture: no review is running.');
      }
    } catch (err) {
      this.report(`BigPicture: could not cancel: ${errorText(err)}`);
    }
  }

  report(message: string): void {
    this.host.log.error(message);
    void this.host
      .error(message, 'Show Log')
      .then((choice) => choice === 'Show Log' && this.host.log.show());
  }
}

/** A message without its "BigPicture: " prefix. */
function bare(message: string): string {
  return message.replace(/^BigPicture:\s*/, '').trim();
}

/** A failed review in words, for the message with Retry. */
export function failureText(s: ReviewSummary): string {
  if (s.error === 'rate-limited') {
    const attempts = s.attempts && s.attempts > 1 ? ` after ${s.attempts} attempts` : '';
    const wait =
      typeof s.retryAfter === 'number' && s.retryAfter > 0
        ? `; try again in ${Math.ceil(s.retryAfter)} s`
        : '; try again in a minute';
    const what = s.kind && s.kind in WHAT ? `${WHAT[s.kind as ReviewKind]} review` : 'review';
    return `the ${what} was rate limited${attempts}${wait}. Earlier findings are kept.`;
  }
  const base = s.message.replace(/^BigPicture: /, '');
  return `${base}${/[.!?]$/.test(base) ? '' : '.'} Earlier findings are kept.`;
}
