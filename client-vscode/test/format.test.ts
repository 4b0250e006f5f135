import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cacheText,
  estimateLine,
  findingsText,
  percent,
  severities,
  summaryDetail,
  summaryLine,
  usd,
} from '../src/format';
import type { ReviewSummary } from '../src/protocol';
import { render } from '../src/status';

const ok: ReviewSummary = {
  status: 'ok',
  kind: 'workspace',
  findings: 3,
  bySeverity: { critical: 1, low: 0, medium: 2 },
  costUsd: 0.0421,
  cacheReadShare: 0.874,
  requestId: 'req_1',
  message: '3 findings in 2 files',
  error: null,
};

test('usd keeps the digits a small amount needs', () => {
  assert.equal(usd(1.234), '$1.23');
  assert.equal(usd(0.0421), '$0.042');
  assert.equal(usd(0.00312), '$0.0031');
  assert.equal(usd(0), '$0.00');
  assert.equal(usd(null), '—');
});

test('percent rounds a share', () => {
  assert.equal(percent(0.874), '87%');
  assert.equal(percent(1), '100%');
  assert.equal(percent(null), '—');
});

test('severities lists the non-zero ones, most severe first', () => {
  assert.equal(severities(ok.bySeverity), '1 critical, 2 medium');
  assert.equal(severities({}), '');
});

test('summaryLine shows findings, cost and what the cache did', () => {
  assert.equal(summaryLine(ok), '3 findings · $0.042 · 87% read from cache');
  assert.equal(summaryLine({ ...ok, findings: 1 }), '1 finding · $0.042 · 87% read from cache');
  assert.equal(summaryLine({ ...ok, findings: 0, costUsd: null, cacheReadShare: null }), 'no findings');
  assert.equal(summaryLine({ ...ok, status: 'incomplete' }), '3 findings · $0.042 · 87% read from cache · incomplete');
  assert.equal(summaryLine({ ...ok, status: 'failed', error: 'rate-limited' }), 'failed (rate-limited)');
  assert.equal(summaryLine({ ...ok, status: 'over-budget' }), 'over the cost limit');
  assert.equal(summaryLine({ ...ok, status: 'cancelled' }), 'cancelled');
});

test('a first review reads "cache written", not "0% cached"', () => {
  const first = { ...ok, cacheReadShare: 0, usage: { cache_creation_input_tokens: 48210, cache_read_input_tokens: 0 } };
  assert.equal(cacheText(first), 'cache written (48,210 tokens; later reviews read it)');
  assert.doesNotMatch(summaryLine(first), /0%/);
  assert.match(summaryDetail(first), /Cost: \$0\.042 · cache written/);
  assert.equal(cacheText({ ...ok, cacheReadShare: 0, usage: {} }), 'nothing read from cache');
  assert.equal(cacheText({ ...ok, fromCache: true }), 'answered from the local result cache (nothing sent)');
});

test('summaryDetail has the kind, time, model summary, severities, cost, files and request id', () => {
  const text = summaryDetail(ok);
  assert.match(text, /^Workspace review: ok\nFindings: 3 /);
  assert.match(summaryDetail({ ...ok, status: 'failed', message: 'the API refused the key' }), /^Workspace review: failed\nthe API refused the key\n/);
  assert.match(text, /Findings: 3 \(1 critical, 2 medium\)/);
  assert.match(text, /Cost: \$0\.042 · 87% read from cache/);
  assert.match(text, /Request: req_1/);
  const rich = summaryDetail({
    ...ok,
    trigger: 'save',
    kind: 'changes',
    reviewedAt: new Date(2026, 0, 2, 9, 5).toISOString(),
    summaryText: 'Two injection flaws.',
    filesSent: 12,
    filesLeftOut: 3,
  });
  assert.match(rich, /^Changes review on save: ok · (2026-01-02 )?09:05\nTwo injection flaws\.\n/);
  assert.match(rich, /Files sent: 12 · left out: 3 \(see the plan\)/);
});

test('the findings restored at the start say which review they come from, and no cost', () => {
  const restored = {
    ...ok,
    restored: true,
    costUsd: null,
    cacheReadShare: null,
    usage: null,
    requestId: null,
    message: '2 findings from the review of 2026-01-02 09:05',
    reviewedAt: '2026-01-02T09:05:00',
  };
  const text = summaryDetail(restored);
  assert.match(text, /^From the workspace review of (2026-01-02 )?09:05, kept across the restart\n/);
  assert.doesNotMatch(text, /Cost|cache/);
});

test('a failed review says the earlier findings are kept, never "Findings: 0"', () => {
  const failed = { ...ok, status: 'failed' as const, findings: 0, bySeverity: {}, error: 'rate-limited', kept: 3 };
  assert.equal(findingsText(failed), 'No new findings; the 3 findings from the previous review are kept');
  assert.doesNotMatch(summaryDetail(failed), /Findings: 0/);
  assert.equal(findingsText({ ...failed, kept: undefined }, 1), 'No new findings; the 1 finding from the previous review is kept');
  assert.equal(findingsText({ ...failed, kept: 0 }), 'No new findings');
  assert.equal(
    findingsText({ ...ok, status: 'incomplete', findings: 1, bySeverity: { high: 1 }, kept: 2 }),
    'Findings recovered: 1 (1 high); the 2 from the previous review are kept',
  );
});

test('estimateLine states files, tokens, model and the costs', () => {
  const estimate = {
    costFirstUsd: 0.62,
    costRepeatUsd: 0.071,
    inputTokens: 183456,
    files: 41,
    model: 'claude-sonnet-4-6',
  };
  assert.equal(
    estimateLine('workspace', estimate),
    'This workspace review would send 41 files (~183,456 tokens) to claude-sonnet-4-6: ' +
      'about $0.620; $0.071 for a repeat while cached.',
  );
  assert.equal(
    estimateLine('changes', { ...estimate, files: 1, costNowUsd: 0.09 }),
    'This changes review would send 1 file (~183,456 tokens) to claude-sonnet-4-6: ' +
      'about $0.090 ($0.620 with a cold cache); $0.071 for a repeat while cached.',
  );
});

test('the status bar is short (icon, count, cost); the detail is in the tooltip', () => {
  assert.equal(render({ kind: 'idle' }).text, '$(eye) BigPicture');
  assert.match(render({ kind: 'starting' }).text, /loading~spin/);
  assert.equal(render({ kind: 'reviewing', what: 'changes' }).text, '$(sync~spin) BigPicture: reviewing changes');
  assert.equal(render({ kind: 'reviewing', what: 'changes', stage: 'sending 1,000 tokens' }).text, '$(sync~spin) BigPicture: reviewing changes');
  assert.match(render({ kind: 'reviewing', what: 'changes', stage: 'sending 1,000 tokens' }).tooltip, /reviewing changes: sending 1,000 tokens/);
  const done = render({ kind: 'finished', summary: ok });
  assert.equal(done.text, '$(warning) 3 · $0.042');
  assert.match(done.tooltip, /^BigPicture: Workspace review: ok\nFindings: 3 \(1 critical, 2 medium\)\nCost: \$0\.042 · 87% read from cache/);
  assert.equal(render({ kind: 'finished', summary: { ...ok, findings: 0, bySeverity: {} } }).text, '$(pass) BigPicture · $0.042');
  assert.equal(render({ kind: 'finished', summary: { ...ok, status: 'failed', error: 'no-api-key' } }).text, '$(error) BigPicture · failed');
  // A review on save not sent is the extension's own state, not a review status.
  const skipped = render({ kind: 'skipped', why: 'review on save skipped: over bigpicture.confirmAbove ($0.00)', last: ok }, 3);
  assert.equal(skipped.text, '$(debug-pause) 3 · save review skipped');
  assert.match(skipped.tooltip, /^BigPicture: review on save skipped: over bigpicture\.confirmAbove \(\$0\.00\)\n\nLast review:\nWorkspace review: ok/);
  assert.equal(render({ kind: 'stopped', reason: 'it exited' }).text, '$(debug-disconnect) BigPicture: server not running');
  assert.match(render({ kind: 'stopped', reason: 'it exited' }).tooltip, /not running \(it exited\)/);
});

test('the count follows the findings shown now (a fix, a dismissal), the failed review keeps them', () => {
  assert.equal(render({ kind: 'finished', summary: ok }, 1).text, '$(warning) 1 · $0.042');
  assert.match(render({ kind: 'finished', summary: ok }, 1).tooltip, /Shown now: 1 finding/);
  const failed = { ...ok, status: 'failed' as const, findings: 0, error: 'rate-limited' };
  assert.equal(render({ kind: 'finished', summary: failed }, 3).text, '$(error) 3 · failed');
  assert.match(render({ kind: 'finished', summary: failed }, 3).tooltip, /No new findings; the 3 findings from the previous review are kept/);
});
