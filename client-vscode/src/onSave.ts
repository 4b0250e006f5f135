/**
 * The review on save (`bigpicture.reviewOnSave`), run by the extension rather than the server so
 * that it follows `bigpicture.confirmAbove`: after a quiet period of `bigpicture.debounceMs`
 * the review is estimated, and one above `confirmAbove` (or `maxCostPerReview`) is skipped
 * with a status message instead of sent. Nothing asks: a save never opens a dialog.
 * The server is told `reviewOnSave: "off"` (settings.ts), so it does not review on save too.
 */
import type { Disposable, Host } from './host';
import type { ReviewKind } from './protocol';

/** The on-save kinds, as bigpicture.reviewOnSave names them. */
export function saveMode(value: unknown): ReviewKind | undefined {
  return value === 'changes' || value === 'file' ? value : undefined;
}

/** Runs a review started by a save (Reviewer.reviewOnSave). */
export type SaveReview = (kind: ReviewKind, uri: string) => Promise<unknown>;

export class SaveReviews implements Disposable {
  private timer: Disposable | undefined;
  private readonly subscription: Disposable;

  constructor(
    private readonly host: Host,
    private readonly review: SaveReview,
  ) {
    this.subscription = host.onFileSaved((uri) => this.saved(uri));
  }

  private saved(uri: string): void {
    const kind = saveMode(this.host.setting('reviewOnSave'));
    if (!kind) {
      return;
    }
    // A later save restarts the quiet period; the review covers every save before it.
    this.timer?.dispose();
    const wait = Number(this.host.setting('debounceMs'));
    this.timer = this.host.setTimer(Number.isFinite(wait) && wait >= 0 ? wait : 1500, () => {
      this.timer = undefined;
      void this.review(kind, uri);
    });
  }

  dispose(): void {
    this.timer?.dispose();
    this.subscription.dispose();
  }
}
