/** The language server's side of the contract: command names and the shapes of their results. */

/** `full`: every file whole, in shards that each fit the window (one request per shard). */
export type ReviewKind = 'workspace' | 'changes' | 'file' | 'full';

export type ReviewStatus =
  | 'ok'
  | 'incomplete'
  | 'failed'
  | 'cancelled'
  | 'nothing-to-review'
  | 'over-budget';

/** The API's usage fields of a review's request (snake_case, as the API names them). */
export interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

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
  // The rest are newer parts of the contract (LSP_CONTRACT.md); older servers leave them out.
  usage?: Usage | null;
  fromCache?: boolean;
  /** What started it: a command, or a save. */
  trigger?: string;
  reviewedAt?: string;
  /** The model's own summary of the review. */
  summaryText?: string | null;
  filesSent?: number;
  filesLeftOut?: number;
  /** Findings kept from earlier reviews because this one failed or was incomplete. */
  kept?: number;
  /** Seconds to wait before trying again (rate-limited). */
  retryAfter?: number | null;
  /** Attempts made (the first and the retries). */
  attempts?: number;
  retryable?: boolean;
  /** This summary describes the last review, restored at server start. */
  restored?: boolean;
  /** The review this one cancelled to start. */
  replaced?: { kind: string; trigger: string } | null;
  /** A full-coverage review (kind `full`): each shard's status. */
  shards?: ShardInfo[] | null;
  /** A full-coverage review: the files of the shards that did not complete. */
  notReviewed?: string[] | null;
}

export interface ShardInfo {
  index: number;
  files: number;
  status: string;
  findings: number;
  reason: string | null;
}

/** What a review command answers with `ifRunning: "ask"` while another review runs. */
export interface Busy {
  status: 'busy';
  running: { kind: string; trigger: string; startedAt?: string };
}

export type IfRunning = 'cancel' | 'wait' | 'ask';

/** The server's findings as `bigpicture.findings` returns them (LSP_CONTRACT.md, item 3). */
export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}
export interface Related {
  uri: string;
  range: Range;
  message: string;
}
export interface Finding {
  id: string;
  path: string;
  uri: string;
  range: Range;
  severity: string;
  category: string;
  confidence?: number | null;
  title: string;
  message: string;
  cwe?: string | null;
  fix?: { replacement: string } | null;
  related?: Related[];
  approximate?: boolean;
}
export interface Dismissed {
  id: string;
  path: string;
  title: string;
  category?: string;
  reason: string;
  dismissedAt?: string;
}
export interface FindingsList {
  summary: ReviewSummary | null;
  findings: Finding[];
  dismissed: Dismissed[];
}
export interface FindingsChanged {
  counts: Record<string, number>;
  total: number;
}

export interface Estimate {
  costFirstUsd: number;
  costRepeatUsd: number;
  /** The cost given what the prompt cache holds now, when the server knows it. */
  costNowUsd?: number;
  inputTokens: number;
  files: number;
  model: string;
  /** The server's effective maxCostPerReview (it may come from pyproject.toml). */
  maxCostUsd?: number;
  /** Kind `full`: the number of shards (the costs are the total of every shard). */
  shards?: number;
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
  // Older servers lack these two: they are sent only when the server lists them in its
  // executeCommandProvider (ServerController.supports); without them the view says the
  // findings are in the Problems panel and Dismiss offers no Undo.
  findings: 'bigpicture.findings',
  restoreFinding: 'bigpicture.restoreFinding',
  reviewAllShards: 'bigpicture.reviewAllShards',
} as const;

/** The server command that runs a review of each kind. */
export const REVIEW_COMMAND: Record<ReviewKind, string> = {
  workspace: ServerCommand.reviewWorkspace,
  changes: ServerCommand.reviewChanges,
  file: ServerCommand.reviewFile,
  full: ServerCommand.reviewAllShards,
};

/** Server → client notification carrying a ReviewSummary after every review. */
export const REVIEW_FINISHED = 'bigpicture/reviewFinished';

/** Server → client notification: the shown findings changed (FindingsChanged). */
export const FINDINGS_CHANGED = 'bigpicture/findingsChanged';

/** Arguments of estimate/showPlan for a review of this kind. */
export function planArguments(kind: ReviewKind, uri?: string): unknown[] {
  return kind === 'file' && uri ? [kind, uri] : [kind];
}

/** Arguments of the review command itself (the options object last). */
export function reviewArguments(kind: ReviewKind, uri?: string, ifRunning?: IfRunning): unknown[] {
  const args: unknown[] = kind === 'file' && uri ? [uri] : [];
  if (ifRunning) {
    args.push({ ifRunning });
  }
  return args;
}

export function isBusy(value: unknown): value is Busy {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<string, unknown>).status === 'busy' &&
    typeof (value as Record<string, unknown>).running === 'object'
  );
}

export function isFindingsChanged(value: unknown): value is FindingsChanged {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).total === 'number' &&
    typeof (value as Record<string, unknown>).counts === 'object'
  );
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
