/** Human text for costs, shares and review summaries (status bar, tooltips, messages). */
import { costNow, type Estimate, type ReviewSummary } from './protocol';

/** US dollars with as many decimals as a small amount needs: $1.25, $0.042, $0.0031. */
export function usd(amount: number | null | undefined): string {
  if (amount === null || amount === undefined || !Number.isFinite(amount)) {
    return '—';
  }
  if (amount >= 1 || amount === 0) {
    return `$${amount.toFixed(2)}`;
  }
  if (amount >= 0.01) {
    return `$${amount.toFixed(3)}`;
  }
  return `$${amount.toFixed(4)}`;
}

export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) {
    return '—';
  }
  return `${Math.round(share * 100)}%`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'info'];

/** "2 critical, 1 medium" — the non-zero severities, most severe first. */
export function severities(bySeverity: Record<string, number> | undefined): string {
  if (!bySeverity) {
    return '';
  }
  const known = SEVERITY_ORDER.filter((s) => (bySeverity[s] ?? 0) > 0);
  const other = Object.keys(bySeverity).filter(
    (s) => !SEVERITY_ORDER.includes(s) && bySeverity[s] > 0,
  );
  return [...known, ...other].map((s) => `${bySeverity[s]} ${s}`).join(', ');
}

/** What the prompt cache did for a review: "90% read from cache", or "cache written" on a first one. */
export function cacheText(s: ReviewSummary): string {
  if (s.fromCache) {
    return 'answered from the local result cache (nothing sent)';
  }
  const share = s.cacheReadShare;
  if (share === null || share === undefined || !Number.isFinite(share)) {
    return 'cache: —';
  }
  if (Math.round(share * 100) === 0) {
    const written = s.usage?.cache_creation_input_tokens ?? 0;
    return written > 0
      ? `cache written (${written.toLocaleString('en-US')} tokens; later reviews read it)`
      : 'nothing read from cache';
  }
  return `${percent(share)} read from cache`;
}

/** A word for an outcome that is not a list of findings. */
const OUTCOME: Record<string, string> = {
  failed: 'failed',
  cancelled: 'cancelled',
  'nothing-to-review': 'nothing to review',
  'over-budget': 'over the cost limit',
};

/** One line for messages after a review: findings, cost and what the cache did. */
export function summaryLine(s: ReviewSummary): string {
  switch (s.status) {
    case 'ok':
    case 'incomplete': {
      const parts = [s.findings === 0 ? 'no findings' : plural(s.findings, 'finding')];
      if (s.costUsd !== null && s.costUsd !== undefined) {
        parts.push(usd(s.costUsd));
      }
      if (s.cacheReadShare !== null && s.cacheReadShare !== undefined) {
        parts.push(cacheText(s));
      }
      if (s.status === 'incomplete') {
        parts.push('incomplete');
      }
      return parts.join(' · ');
    }
    case 'failed':
      return `failed${s.error ? ` (${s.error})` : ''}`;
    default:
      return OUTCOME[s.status] ?? String(s.status);
  }
}

/**
 * What the findings count means after a review: a failed or incomplete one keeps the earlier
 * findings, and says so instead of "Findings: 0".
 */
export function findingsText(s: ReviewSummary, shown?: number): string {
  const sev = severities(s.bySeverity);
  const kept = s.kept ?? 0;
  if (s.status === 'ok') {
    return `Findings: ${s.findings}${sev ? ` (${sev})` : ''}`;
  }
  if (s.status === 'incomplete') {
    return (
      `Findings recovered: ${s.findings}${sev ? ` (${sev})` : ''}` +
      (kept > 0 ? `; the ${kept} from the previous review are kept` : '')
    );
  }
  const earlier = kept || shown || 0;
  return earlier > 0
    ? `No new findings; the ${plural(earlier, 'finding')} from the previous review ${earlier === 1 ? 'is' : 'are'} kept`
    : 'No new findings';
}

/** A multi-line description of a review for tooltips and the "last summary" message. */
export function summaryDetail(s: ReviewSummary, shown?: number): string {
  if (s.restored) {
    // The last review's findings, shown again when the server started (a reload, a restart).
    const of = s.reviewedAt ? ` of ${when(s.reviewedAt)}` : '';
    const lines = [`From the ${String(s.kind)} review${of}, kept across the restart`];
    if (s.summaryText) {
      lines.push(s.summaryText);
    }
    lines.push(findingsText(s, shown));
    return lines.join('\n');
  }
  const lines = [`${capitalize(String(s.kind))} review${s.trigger === 'save' ? ' on save' : ''}: ${s.status}`];
  if (s.reviewedAt) {
    lines[0] += ` · ${when(s.reviewedAt)}`;
  }
  if (s.summaryText) {
    lines.push(s.summaryText);
  }
  if (s.message && s.status !== 'ok') {
    lines.push(s.message); // (an ok review's message repeats the lines below)
  }
  lines.push(findingsText(s, shown));
  if (s.status === 'ok' || s.status === 'incomplete') {
    lines.push(`Cost: ${usd(s.costUsd)} · ${cacheText(s)}`);
  }
  if (typeof s.filesSent === 'number') {
    lines.push(
      `Files sent: ${s.filesSent}` + (s.filesLeftOut ? ` · left out: ${s.filesLeftOut} (see the plan)` : ''),
    );
  }
  if (s.requestId) {
    lines.push(`Request: ${s.requestId}`);
  }
  return lines.join('\n');
}

/** An ISO time as the local time of day (or date and time when not today). */
export function when(iso: string, now: Date = new Date()): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) {
    return iso;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(t.getHours())}:${pad(t.getMinutes())}`;
  return t.toDateString() === now.toDateString()
    ? time
    : `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${time}`;
}

/** The estimate in words: files, tokens, model and what it would cost now, cold and cached. */
export function estimateLine(kind: string, e: Estimate): string {
  const now = costNow(e);
  const cold = Math.abs(now - e.costFirstUsd) > 1e-9 ? ` (${usd(e.costFirstUsd)} with a cold cache)` : '';
  return (
    `This ${kind} review would send ${plural(e.files, 'file')} ` +
    `(~${e.inputTokens.toLocaleString('en-US')} tokens) to ${e.model}: ` +
    `about ${usd(now)}${cold}; ${usd(e.costRepeatUsd)} for a repeat while cached.`
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
