/** The language server's side of the contract: command names and the shapes of their results. */

export type ReviewKind = 'workspace' | 'changes' | 'file';

export type ReviewStatus =
  | 'ok'
  | 'incomplete'
  | 'failed'
  | 'cancelled'
  | 'nothing-to-review'
  | 'over-budget';

export interface ReviewSummary {
  status: ReviewStatus;
  kind: ReviewKind | string;
  findings: number;
  bySeverity: Record<string, number>;
  costUsd: number | null;
  cacheReadShare: number | null;
  requestId: string | null;
  message: string;
  error: string | null;
}

export interface Estimate {
  costFirstUsd: number;
  costRepeatUsd: number;
  /** The cost given what the prompt cache holds now, when the server knows it. */
  costNowUsd?: number;
  inputTokens: number;
  files: number;
  model: string;
}

export interface Plan {
  uri: string | null;
  text: string;
  /** Set when no plan could be made (the server has shown why). */
  error?: string;
}

/** What estimate answers when no plan could be made. */
export interface EstimateError {
  error: string;
  message: string;
}

export const ServerCommand = {
  reviewWorkspace: 'bigpicture.reviewWorkspace',
  reviewChanges: 'bigpicture.reviewChanges',
  reviewFile: 'bigpicture.reviewFile',
  showPlan: 'bigpicture.showPlan',
  estimate: 'bigpicture.estimate',
  cancel: 'bigpicture.cancel',
  clearFindings: 'bigpicture.clearFindings',
  dismissFinding: 'bigpicture.dismissFinding',
  explainFinding: 'bigpicture.explainFinding',
  usage: 'bigpicture.usage',
} as const;

/** The server command that runs a review of each kind. */
export const REVIEW_COMMAND: Record<ReviewKind, string> = {
  workspace: ServerCommand.reviewWorkspace,
  changes: ServerCommand.reviewChanges,
  file: ServerCommand.reviewFile,
};

/** Server → client notification carrying a ReviewSummary after every review. */
export const REVIEW_FINISHED = 'bigpicture/reviewFinished';

/** Arguments of estimate/showPlan for a review of this kind. */
export function planArguments(kind: ReviewKind, uri?: string): unknown[] {
  return kind === 'file' && uri ? [kind, uri] : [kind];
}

/** Arguments of the review command itself. */
export function reviewArguments(kind: ReviewKind, uri?: string): unknown[] {
  return kind === 'file' && uri ? [uri] : [];
}

/** Checks that a value received from the server looks like a ReviewSummary. */
export function isReviewSummary(value: unknown): value is ReviewSummary {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const v = value as Record<string, unknown>;
  return typeof v.status === 'string' && typeof v.findings === 'number';
}

export function isEstimateError(value: unknown): value is EstimateError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).error === 'string'
  );
}

/** The best estimate of what the review would cost now. */
export function costNow(e: Estimate): number {
  return typeof e.costNowUsd === 'number' ? e.costNowUsd : e.costFirstUsd;
}

export function isEstimate(value: unknown): value is Estimate {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const v = value as Record<string, unknown>;
  return typeof v.costFirstUsd === 'number' && typeof v.files === 'number';
}
