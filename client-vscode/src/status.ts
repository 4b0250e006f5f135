/** The status bar item's text and tooltip for each state of the extension. */
import { summaryDetail, summaryLine } from './format';
import type { ProgressUpdate, StatusView } from './host';
import type { ReviewSummary } from './protocol';

export type StatusState =
  | { kind: 'starting' }
  | { kind: 'idle' }
  | { kind: 'stopped'; reason: string }
  | { kind: 'reviewing'; what: string; stage?: string }
  | { kind: 'finished'; summary: ReviewSummary };

const ICON: Record<string, string> = {
  ok: '$(pass)',
  incomplete: '$(warning)',
  failed: '$(error)',
  cancelled: '$(circle-slash)',
  'nothing-to-review': '$(pass)',
  'over-budget': '$(warning)',
};

export function render(state: StatusState): { text: string; tooltip: string } {
  switch (state.kind) {
    case 'starting':
      return { text: '$(loading~spin) BigPicture', tooltip: 'BigPicture: starting the server' };
    case 'idle':
      return {
        text: '$(eye) BigPicture',
        tooltip: 'BigPicture: no review yet. Click for the commands.',
      };
    case 'stopped':
      return {
        text: '$(debug-disconnect) BigPicture',
        tooltip: `BigPicture: the server is not running (${state.reason}). Click for the log.`,
      };
    case 'reviewing':
      return {
        text: `$(sync~spin) BigPicture: reviewing ${state.what}${state.stage ? `: ${state.stage}` : '…'}`,
        tooltip: `BigPicture: reviewing ${state.what}. Run "BigPicture: Cancel Review" to stop.`,
      };
    case 'finished': {
      const s = state.summary;
      const icon = s.status === 'ok' && s.findings > 0 ? '$(warning)' : (ICON[s.status] ?? '$(info)');
      return {
        text: `${icon} BigPicture: ${summaryLine(s)}`,
        tooltip: `${summaryDetail(s)}\n\nClick for the summary.`,
      };
    }
  }
}

/** Holds the current state and the last finished review; pushes changes to the view. */
export class StatusModel {
  private current: StatusState = { kind: 'starting' };
  private last: ReviewSummary | undefined;
  private reviewing = 0;

  constructor(private readonly view: StatusView) {
    this.show();
  }

  get state(): StatusState {
    return this.current;
  }

  get lastSummary(): ReviewSummary | undefined {
    return this.last;
  }

  set(state: StatusState): void {
    this.current = state;
    this.show();
  }

  /** The server is up: show the last review if there was one. */
  ready(): void {
    if (this.reviewing === 0) {
      this.set(this.last ? { kind: 'finished', summary: this.last } : { kind: 'idle' });
    }
  }

  reviewStarted(what: string): void {
    this.reviewing += 1;
    this.set({ kind: 'reviewing', what });
  }

  /**
   * The server's progress: a stage of the running review (also of one started by a save, which
   * this window did not ask for).
   */
  serverProgress(update: ProgressUpdate): void {
    if (update.kind === 'end') {
      return; // the summary (command result or bigpicture/reviewFinished) follows
    }
    const what =
      this.current.kind === 'reviewing'
        ? this.current.what
        : (/reviewing (?:the )?(.+)$/.exec(update.title ?? '')?.[1] ?? 'workspace');
    const stage = update.message ?? (this.current.kind === 'reviewing' ? this.current.stage : undefined);
    this.set({ kind: 'reviewing', what, stage });
  }

  /** A review request ended without a summary (error or the user declined). */
  reviewAbandoned(): void {
    this.reviewing = Math.max(0, this.reviewing - 1);
    this.ready();
  }

  /** A review finished (its command answered, or `bigpicture/reviewFinished` arrived). */
  finished(summary: ReviewSummary, fromCommand: boolean): void {
    if (fromCommand) {
      this.reviewing = Math.max(0, this.reviewing - 1);
    }
    this.last = summary;
    if (this.reviewing === 0 || !fromCommand) {
      this.set({ kind: 'finished', summary });
    }
  }

  private show(): void {
    const { text, tooltip } = render(this.current);
    this.view.update(text, tooltip);
  }
}
