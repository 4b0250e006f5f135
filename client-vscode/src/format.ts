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

/** One line for the status bar after a review: findings, cost and cache-read share. */
export function summaryLine(s: ReviewSummary): string {
  switch (s.status) {
    case 'ok':
    case 'incomplete': {
      const parts = [s.findings === 0 ? 'no findings' : plural(s.findings, 'finding')];
      if (s.costUsd !== null && s.costUsd !== undefined) {
        parts.push(usd(s.costUsd));
      }
      if (s.cacheReadShare !== null && s.cacheReadShare !== undefined) {
        parts.push(`${percent(s.cacheReadShare)} cached`);
      }
      if (s.status === 'incomplete') {
        parts.push('incomplete');
      }
      return parts.join(' · ');
    }
    case 'failed':
      return `failed${s.error ? ` (${s.error})` : ''}`;
    case 'cancelled':
      return 'cancelled';
    case 'nothing-to-review':
      return 'nothing to review';
    case 'over-budget':
      return 'over budget';
    default:
      return String(s.status);
  }
}

/** A multi-line description of a review for tooltips and the "last summary" message. */
export function summaryDetail(s: ReviewSummary): string {
  const lines = [`${capitalize(String(s.kind))} review: ${s.status}`];
  if (s.message) {
    lines.push(s.message);
  }
  const sev = severities(s.bySeverity);
  lines.push(`Findings: ${s.findings}${sev ? ` (${sev})` : ''}`);
  lines.push(`Cost: ${usd(s.costUsd)} · read from cache: ${percent(s.cacheReadShare)}`);
  if (s.requestId) {
    lines.push(`Request: ${s.requestId}`);
  }
  return lines.join('\n');
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
