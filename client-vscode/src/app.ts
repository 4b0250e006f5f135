/** Wires the extension together: the palette commands, settings, the key, the server, the status bar. */
import { ApiKeyStore } from './apiKey';
import { plural, summaryDetail, summaryLine, usd } from './format';
import type { Disposable, Host } from './host';
import { Interpreter } from './interpreter';
import { SaveReviews } from './onSave';
import { FindingsPanel } from './panel';
import {
  FINDINGS_CHANGED,
  isFindingsChanged,
  isReviewSummary,
  type ReviewKind,
  ServerCommand,
} from './protocol';
import { Reviewer } from './review';
import { errorText, ServerController } from './server';
import { reactionTo } from './settings';
import { StatusModel } from './status';

/** The palette commands (category "BigPicture"); package.json lists the same ids and titles. */
export const COMMANDS = {
  'bigpicture.review.workspace': 'Review Workspace',
  'bigpicture.review.changes': 'Review Changes',
  'bigpicture.review.file': 'Review Current File',
  'bigpicture.review.allShards': 'Review Whole Repository (all shards)',
  'bigpicture.plan': 'Show Plan and Cost',
  'bigpicture.cancelReview': 'Cancel Review',
  'bigpicture.clear': 'Clear Findings',
  'bigpicture.setApiKey': 'Set API Key',
  'bigpicture.showUsage': 'Show Usage',
  'bigpicture.restartServer': 'Restart Server',
  'bigpicture.showLog': 'Show Log',
  'bigpicture.showLastSummary': 'Show Last Review Summary',
  'bigpicture.selectInterpreter': 'Select Python Interpreter',
  // The BigPicture view's title bar and item menus.
  'bigpicture.view.filterSeverity': 'Filter by Severity...',
  'bigpicture.view.filterCategory': 'Filter by Category...',
  'bigpicture.view.clearFilters': 'Clear Filters',
  'bigpicture.view.showDismissed': 'Show Dismissed',
  'bigpicture.view.hideDismissed': 'Hide Dismissed',
  'bigpicture.view.restore': 'Restore Finding',
  'bigpicture.view.explain': 'Explain This Finding',
  'bigpicture.view.refresh': 'Refresh Findings',
} as const;

export type CommandId = keyof typeof COMMANDS;

/** The command the status bar item runs. */
export const STATUS_COMMAND: CommandId = 'bigpicture.showLastSummary';

export class App {
  readonly status: StatusModel;
  readonly keys: ApiKeyStore;
  readonly server: ServerController;
  readonly reviewer: Reviewer;
  readonly interpreter: Interpreter;
  readonly panel: FindingsPanel;

  constructor(private readonly host: Host) {
    this.status = new StatusModel(host.status);
    this.keys = new ApiKeyStore(host.secrets, () => host.processEnv());
    this.server = new ServerController(host, this.keys, this.status, {
      onReviewFinished: (s) => this.onReviewFinished(s),
      onProgress: (update) => this.status.serverProgress(update),
      interceptCommand: (command, args, forward) => this.intercept(command, args, forward),
      interceptShowDocument: (uri) => this.reviewer.interceptShowDocument(uri),
      onShowMessage: (level, message) => this.reviewer.holdServerMessage({ level, message }),
      onNotification: (method, params) => this.onNotification(method, params),
      onStartFailed: (tried, reason) => this.interpreter.startFailed(tried, reason),
      onRunning: (running) => (running ? void this.panel.refresh() : this.panel.serverStopped()),
    });
    this.panel = new FindingsPanel(host, this.server, this.status);
    this.reviewer = new Reviewer(host, this.server, this.keys, this.status, () => this.setApiKey());
    this.interpreter = new Interpreter(host, this.server);
  }

  /** The handler of each palette command. */
  readonly handlers: Record<CommandId, (...args: unknown[]) => Promise<unknown>> = {
    'bigpicture.review.workspace': () => this.reviewer.review('workspace'),
    'bigpicture.review.changes': () => this.reviewer.review('changes'),
    'bigpicture.review.file': (uri?: unknown) =>
      this.reviewer.review('file', uriArgument(uri)),
    'bigpicture.review.allShards': () => this.reviewer.review('full'),
    'bigpicture.plan': (kind?: unknown) => this.reviewer.showPlan(kindArgument(kind)),
    'bigpicture.cancelReview': () => this.reviewer.cancel(),
    'bigpicture.clear': () => this.clearFindings(),
    'bigpicture.setApiKey': () => this.setApiKey(),
    'bigpicture.showUsage': () => this.showUsage(),
    'bigpicture.restartServer': () => this.restartServer(),
    'bigpicture.showLog': async () => this.host.log.show(),
    'bigpicture.showLastSummary': () => this.showLastSummary(),
    'bigpicture.selectInterpreter': () => this.interpreter.select(),
    'bigpicture.view.filterSeverity': () => this.panel.filterSeverity(),
    'bigpicture.view.filterCategory': () => this.panel.filterCategory(),
    'bigpicture.view.clearFilters': async () => this.panel.clearFilters(),
    'bigpicture.view.showDismissed': async () => this.panel.showDismissed(true),
    'bigpicture.view.hideDismissed': async () => this.panel.showDismissed(false),
    'bigpicture.view.restore': (node?: unknown) => this.panel.restore(node),
    'bigpicture.view.explain': (node?: unknown) => {
      const id = typeof node === 'string' ? node : (node as { findingId?: string } | undefined)?.findingId;
      return id ? this.explain(id) : Promise.resolve(undefined);
    },
    'bigpicture.view.refresh': () => this.panel.refresh(),
  };

  /** Registers the commands and listeners and starts the server (without waiting for it). */
  activate(): Disposable[] {
    const disposables: Disposable[] = [];
    for (const [id, handler] of Object.entries(this.handlers)) {
      disposables.push(this.host.registerCommand(id, handler));
    }
    disposables.push(
      this.host.onSettingsChanged((affects) => {
        const reaction = reactionTo(affects);
        if (reaction === 'restart') {
          this.server.restartIfLaunchChanged().catch(() => undefined);
        } else if (reaction === 'push') {
          this.server.pushSettings().catch((err) => {
            this.host.log.warn(`Sending settings: ${errorText(err)}`);
          });
        }
      }),
      this.keys.onDidChange(() => {
        this.server.restartIfKeyChanged().catch(() => undefined);
      }),
    );
    const python = this.host.python();
    if (python) {
      disposables.push(
        python.onDidChange(() => {
          this.server.restartIfLaunchChanged().catch(() => undefined);
        }),
      );
    }
    disposables.push(new SaveReviews(this.host, (kind, uri) => this.reviewer.reviewOnSave(kind, uri)));
    this.panel.render();
    this.server.ensureStarted().catch(() => undefined);
    return disposables;
  }

  deactivate(): Promise<void> {
    return this.server.stop();
  }

  async setApiKey(): Promise<void> {
    const outcome = await this.keys.ask(this.host);
    if (outcome === 'dismissed') {
      return;
    }
    this.host.log.info(outcome === 'stored' ? 'API key stored' : 'API key removed');
    try {
      await this.server.restartIfKeyChanged();
    } catch {
      return; // the failed start was reported
    }
    void this.host.info(
      outcome === 'stored'
        ? 'BigPicture: API key stored in VS Code secret storage.'
        : 'BigPicture: API key removed from VS Code secret storage.',
    );
  }

  private async restartServer(): Promise<void> {
    try {
      await this.server.restart();
      void this.host.info('BigPicture: server restarted.');
    } catch {
      // reported by the controller
    }
  }

  private async clearFindings(): Promise<void> {
    try {
      const result = (await this.server.executeCommand(ServerCommand.clearFindings, [])) as {
        cleared?: number;
      } | null;
      void this.host.info(`BigPicture: cleared ${plural(result?.cleared ?? 0, 'finding')}.`);
      void this.panel.refresh();
    } catch (err) {
      void this.host.error(`BigPicture: could not clear the findings: ${errorText(err)}`);
    }
  }

  private async showUsage(): Promise<void> {
    try {
      const result = (await this.server.executeCommand(ServerCommand.usage, [])) as {
        text?: string;
      } | null;
      await this.host.showText('BigPicture usage.txt', result?.text ?? JSON.stringify(result, null, 2));
    } catch (err) {
      void this.host.error(`BigPicture: could not read the usage: ${errorText(err)}`);
    }
  }

  private async showLastSummary(): Promise<void> {
    const state = this.status.state;
    if (state.kind === 'stopped') {
      const choice = await this.host.warn(
        'BigPicture: the language server is not running.',
        'Select Interpreter',
        'Restart Server',
        'Show Log',
      );
      if (choice === 'Select Interpreter') {
        await this.interpreter.select();
      } else if (choice === 'Restart Server') {
        await this.restartServer();
      } else if (choice === 'Show Log') {
        this.host.log.show();
      }
      return;
    }
    const last = this.status.lastSummary;
    if (!last) {
      const choice = await this.host.info(
        'BigPicture: no review yet in this window.',
        'Review Workspace',
        'Show Plan and Cost',
      );
      if (choice === 'Review Workspace') {
        await this.reviewer.review('workspace');
      } else if (choice === 'Show Plan and Cost') {
        await this.reviewer.showPlan('workspace');
      }
      return;
    }
    const choice = await this.host.info(
      `BigPicture: ${summaryLine(last)}. ${summaryDetail(last, this.status.shownFindings).split('\n').slice(1).join(' · ')}`,
      'Show Problems',
      'Show Log',
    );
    if (choice === 'Show Problems') {
      await this.host.showProblems();
    } else if (choice === 'Show Log') {
      this.host.log.show();
    }
  }

  private onNotification(method: string, params: unknown): void {
    if (method === FINDINGS_CHANGED && isFindingsChanged(params)) {
      this.status.findingsChanged(params);
      void this.panel.refresh();
    }
  }

  private onReviewFinished(summary: unknown): void {
    if (isReviewSummary(summary)) {
      this.status.finished(summary, false);
      void this.panel.refresh();
    } else {
      this.host.log.warn(`Ignored a malformed bigpicture/reviewFinished: ${JSON.stringify(summary)}`);
    }
  }

  /** A dismissal done: say so, with Undo (bigpicture.restoreFinding). */
  private offerUndo(result: unknown, reason: string): void {
    const r = result as { dismissed?: string | null; title?: string } | null;
    if (!r || typeof r.dismissed !== 'string') {
      return; // the server said why not
    }
    const id = r.dismissed;
    const why = reason === 'wont-fix' ? "won't fix" : 'false positive';
    const message = `BigPicture: dismissed "${titleOf(r.title ?? this.panel.titles.get(id))}" (${why}).`;
    if (!this.server.supports(ServerCommand.restoreFinding)) {
      void this.host.info(message); // (an older server cannot undo it)
      return;
    }
    void this.host
      .info(message, 'Undo')
      .then(async (choice) => {
        if (choice !== 'Undo') {
          return;
        }
        try {
          await this.server.executeCommand(ServerCommand.restoreFinding, [id]);
          await this.panel.refresh();
        } catch (err) {
          void this.host.error(`BigPicture: could not restore the finding: ${errorText(err)}`);
        }
      });
  }

  /** "Explain this finding": progress while the model answers, then the answer rendered. */
  private async explain(id: string): Promise<unknown> {
    // Sent here rather than forwarded, with the cancellation of the progress notification.
    const title = titleOf(this.panel.titles.get(id), 'this finding');
    const result = await this.host.withProgress(`BigPicture: explaining "${title}"`, async (report, cancel) => {
      report('asking the model (the repository is read from the prompt cache)');
      try {
        return await this.server.executeCommand(ServerCommand.explainFinding, [id], cancel);
      } catch (err) {
        if (!cancel.cancelled) {
          void this.host.error(`BigPicture: could not explain the finding: ${errorText(err)}`, 'Retry').then(
            (choice) => choice === 'Retry' && this.explain(id),
          );
        }
        return null;
      }
    });
    const r = result as { answer?: string | null; costUsd?: number; title?: string } | null;
    if (r && typeof r.answer === 'string' && r.answer) {
      const heading = titleOf(r.title ?? this.panel.titles.get(id), 'Finding');
      await this.host.showMarkdown(
        heading,
        `# ${heading}\n\n${r.answer}\n\n---\n*Cost of this answer: ${usd(r.costUsd)}*\n`,
      );
    }
    return result;
  }

  /** Server commands run from the editor (code actions) go through here. */
  private async intercept(
    command: string,
    args: unknown[],
    forward: (args: unknown[]) => Promise<unknown>,
  ): Promise<unknown> {
    const review: Record<string, ReviewKind> = {
      [ServerCommand.reviewWorkspace]: 'workspace',
      [ServerCommand.reviewChanges]: 'changes',
      [ServerCommand.reviewFile]: 'file',
      [ServerCommand.reviewAllShards]: 'full',
    };
    if (command in review) {
      // Same path as the palette: key check, cost confirmation, progress, status bar.
      const outcome = await this.reviewer.review(review[command], uriArgument(args[0]));
      return outcome.ran ? outcome.summary : null;
    }
    if (command === ServerCommand.explainFinding) {
      return this.explain(String(args[0] ?? ''));
    }
    const result = await forward(args);
    if (command === ServerCommand.dismissFinding) {
      this.offerUndo(result, String(args[1] ?? 'false-positive'));
    }
    if (command === ServerCommand.dismissFinding || command === ServerCommand.clearFindings) {
      void this.panel.refresh(); // (a newer server also says so with bigpicture/findingsChanged)
    }
    return result;
  }
}

/** A finding's title for messages and tab titles (the server's text, kept to one short line). */
export function titleOf(title: unknown, fallback = 'finding'): string {
  const t = typeof title === 'string' ? title.replace(/\s+/g, ' ').trim() : '';
  if (!t) {
    return fallback;
  }
  return t.length > 80 ? `${t.slice(0, 79)}…` : t;
}

/** A URI argument as a string (VS Code passes a Uri from explorer menus; the server a string). */
function uriArgument(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value;
  }
  if (value && typeof value === 'object' && typeof (value as object).toString === 'function') {
    const text = String(value);
    return text.includes(':') ? text : undefined;
  }
  return undefined;
}

function kindArgument(value: unknown): ReviewKind | undefined {
  return value === 'workspace' || value === 'changes' || value === 'file' || value === 'full' ? value : undefined;
}
