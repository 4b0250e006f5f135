/**
 * The status bar item: short text (an icon, the number of findings, the cost) and the detail
 * in its tooltip, for each state of the extension.
 */
import { plural, summaryDetail, usd } from './format';
import type { ProgressUpdate, StatusView } from './host';
import type { FindingsChanged, ReviewSummary } from './protocol';

export type StatusState =
  | { kind: 'starting' }
  | { kind: 'idle' }
  | { kind: 'stopped'; reason: string }
  | { kind: 'reviewing'; what: string; stage?: string }
  | { kind: 'finished'; summary: ReviewSummary }
  /** A review on save not sent (over confirmAbove, no key, ...): why, over the last review. */
  | { kind: 'skipped'; why: string; last?: ReviewSummary };

const ICON: Record<string, string> = {
  ok: '$(pass)',
  incomplete: '$(warning)',
  failed: '$(error)',
  cancelled: '$(circle-slash)',
  'nothing-to-review': '$(pass)',
  'over-budget': '$(warning)',
};

const WORD: Record<string, string> = {
  failed: 'failed',
  cancelled: 'cancelled',
  'over-budget': 'over limit',
  incomplete: 'incomplete',
};

/**
 * `shown` is the number of findings shown now (from bigpicture/findingsChanged), which a fix,
 * a dismissal or an edit changes after the review.
 */
export function render(state: StatusState, shown?: number): { text: string; tooltip: string } {
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
        text: '$(debug-disconnect) BigPicture: server not running',
        tooltip: `BigPicture: the language server is not running (${state.reason}). Click to select an interpreter, restart it or see the log.`,
      };
    case 'reviewing':
      return {
        text: `$(sync~spin) BigPicture: reviewing ${state.what}`,
        tooltip:
          `BigPicture: reviewing ${state.what}${state.stage ? `: ${state.stage}` : '…'}\n` +
          'Cancel it from its notification or with "BigPicture: Cancel Review".',
      };
    case 'skipped': {
      const before = state.last ? render({ kind: 'finished', summary: state.last }, shown) : undefined;
      const count = shown ?? 0;
      return {
        text: `$(debug-pause) ${count > 0 ? `${count} · ` : 'BigPicture · '}save review skipped`,
        tooltip: `BigPicture: ${state.why}${before ? `\n\nLast review:\n${before.tooltip.replace(/^BigPicture: /, '')}` : ''}`,
      };
    }
    case 'finished': {
      const s = state.summary;
      const count = shown ?? (s.status === 'ok' || s.status === 'incomplete' ? s.findings : undefined);
      const icon = (count ?? 0) > 0 && (s.status === 'ok' || s.status === 'nothing-to-review') ? '$(warning)' : (ICON[s.status] ?? '$(info)');
      const parts: string[] = [count !== undefined && count > 0 ? `${icon} ${count}` : `${icon} BigPicture`];
      if ((s.status === 'ok' || s.status === 'incomplete') && typeof s.costUsd === 'number') {
        parts.push(usd(s.costUsd));
      }
      if (WORD[s.status]) {
        parts.push(WORD[s.status]);
      }
      const now = shown !== undefined && shown !== s.findings ? `\nShown now: ${plural(shown, 'finding')}` : '';
      return {
        text: parts.join(' · '),
        tooltip: `BigPicture: ${summaryDetail(s, shown)}${now}\n\nClick for the summary.`,
      };
    }
  }
}

/** Holds the current state and the last finished review; pushes changes to the view. */
export class StatusModel {
  private current: StatusState = { kind: 'starting' };
  private last: ReviewSummary | undefined;
  private reviewing = 0;
  /** The findings shown now, when the server reports them (bigpicture/findingsChanged). */
  private shown: number | undefined;

  constructor(private readonly view: StatusView) {
    this.show();
  }

  get state(): StatusState {
    return this.current;
  }

  get lastSummary(): ReviewSummary | undefined {
    return this.last;
  }

  get shownFindings(): number | undefined {
    return this.shown;
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
   * this window did not ask for). The stage goes to the tooltip; the progress notification is
   * the one place that shows it as it happens.
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

  /** A review on save was not sent: say why in the status bar (no dialog, no toast). */
  saveSkipped(why: string): void {
    if (this.reviewing === 0) {
      this.set({ kind: 'skipped', why, last: this.last });
    }
  }

  /** The shown findings changed (a review, a fix, a dismissal, an edit). */
  findingsChanged(change: FindingsChanged): void {
    this.shown = change.total;
    this.show();
  }

  private show(): void {
    const { text, tooltip } = render(this.current, this.shown);
    this.view.update(text, tooltip);
  }
}
