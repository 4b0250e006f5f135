/**
 * A review as the user sees it: check for a key, estimate the cost and ask above
 * `bigpicture.confirmAbove`, run the server's review command, and report the summary.
 */
import type { ApiKeyStore } from './apiKey';
import { estimateLine, usd } from './format';
import type { Host } from './host';
import {
  costNow,
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
import { confirmAbove } from './settings';
import type { StatusModel } from './status';

export const NO_KEY_MESSAGE =
  'BigPicture needs an Anthropic API key to review. Run "BigPicture: Set API Key" to store one ' +
  'in VS Code\'s secret storage (or start VS Code with ANTHROPIC_API_KEY set). ' +
  '"Show Plan and Cost" works without a key.';

const WHAT: Record<ReviewKind, string> = {
  workspace: 'workspace',
  changes: 'changes',
  file: 'file',
};

export type ReviewOutcome =
  | { ran: true; summary: ReviewSummary }
  | { ran: false; why: 'no-file' | 'no-key' | 'declined' | 'error' };

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
    try {
      if (!(await this.confirmCost(kind, uri))) {
        return { ran: false, why: 'declined' };
      }
    } catch (err) {
      this.report(`BigPicture: could not estimate the review: ${errorText(err)}`);
      return { ran: false, why: 'error' };
    }

    // The server reports the review's stages as work-done progress: a cancellable notification
    // (shown by the client) and the status bar.
    this.status.reviewStarted(WHAT[kind]);
    let result: unknown;
    try {
      result = await this.server.executeCommand(REVIEW_COMMAND[kind], reviewArguments(kind, uri));
    } catch (err) {
      this.status.reviewAbandoned();
      this.report(`BigPicture: the review failed: ${errorText(err)}`);
      return { ran: false, why: 'error' };
    }
    if (!isReviewSummary(result)) {
      this.status.reviewAbandoned();
      this.report(`BigPicture: the server answered the review with ${JSON.stringify(result)}`);
      return { ran: false, why: 'error' };
    }
    this.status.finished(result, true);
    this.host.log.info(`Review finished: ${JSON.stringify(result)}`);
    void this.announce(result);
    return { ran: true, summary: result };
  }

  /** Asks before a review whose estimated cost is above `bigpicture.confirmAbove`. */
  private async confirmCost(kind: ReviewKind, uri?: string): Promise<boolean> {
    const limit = confirmAbove((k) => this.host.setting(k));
    if (limit < 0) {
      return true;
    }
    const estimate = await this.server.executeCommand(
      ServerCommand.estimate,
      planArguments(kind, uri),
    );
    if (isEstimateError(estimate)) {
      // No plan (e.g. nothing to review): the review itself reports why, like any other outcome.
      this.host.log.info(`No estimate for a ${kind} review: ${estimate.message}`);
      return true;
    }
    if (!isEstimate(estimate)) {
      throw new Error(`unexpected estimate ${JSON.stringify(estimate)}`);
    }
    this.host.log.info(`Estimate for a ${kind} review: ${JSON.stringify(estimate)}`);
    const now = costNow(estimate);
    if (now <= limit) {
      return true;
    }
    return this.host.confirm(
      `Review ${WHAT[kind]} for about ${usd(now)}?`,
      `${estimateLine(WHAT[kind], estimate)}\nThis is above bigpicture.confirmAbove (${usd(limit)}).`,
      'Review',
    );
  }

  /**
   * The server shows one message for every outcome; the extension adds only what the user
   * can act on.
   */
  private async announce(s: ReviewSummary): Promise<void> {
    if (s.status === 'failed' && (s.error === 'bad-api-key' || s.error === 'no-api-key')) {
      const choice = await this.host.warn(
        s.error === 'bad-api-key'
          ? 'BigPicture: the API key was refused. Set a new one?'
          : 'BigPicture: the server has no API key. Set one?',
        'Set API Key',
      );
      if (choice === 'Set API Key') {
        await this.setKey();
      }
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
      const [plan, estimate] = await Promise.all([
        this.server.executeCommand(ServerCommand.showPlan, args),
        this.server.executeCommand(ServerCommand.estimate, args),
      ]);
      const p = plan as Partial<Plan> | null;
      if (!p || p.error) {
        return; // the server has shown why there is no plan
      }
      if (typeof p.uri === 'string' && p.uri) {
        await this.host.openDocument(p.uri, 'BigPicture plan.md', p.text ?? '');
      } else if (p && typeof p.text === 'string') {
        await this.host.showText('BigPicture plan.md', p.text);
      }
      if (isEstimate(estimate)) {
        void this.host.info(`BigPicture: ${estimateLine(WHAT[kind], estimate)}`);
      }
    } catch (err) {
      this.report(`BigPicture: could not make the plan: ${errorText(err)}`);
    }
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

  private report(message: string): void {
    this.host.log.error(message);
    void this.host
      .error(message, 'Show Log')
      .then((choice) => choice === 'Show Log' && this.host.log.show());
  }
}
