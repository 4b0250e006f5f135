import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimateLine, percent, severities, summaryDetail, summaryLine, usd } from '../src/format';
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

test('summaryLine shows findings, cost and cache share', () => {
  assert.equal(summaryLine(ok), '3 findings · $0.042 · 87% cached');
  assert.equal(summaryLine({ ...ok, findings: 1 }), '1 finding · $0.042 · 87% cached');
  assert.equal(summaryLine({ ...ok, findings: 0, costUsd: null, cacheReadShare: null }), 'no findings');
  assert.equal(summaryLine({ ...ok, status: 'incomplete' }), '3 findings · $0.042 · 87% cached · incomplete');
  assert.equal(summaryLine({ ...ok, status: 'failed', error: 'rate-limited' }), 'failed (rate-limited)');
  assert.equal(summaryLine({ ...ok, status: 'over-budget' }), 'over budget');
  assert.equal(summaryLine({ ...ok, status: 'cancelled' }), 'cancelled');
});

test('summaryDetail has the kind, message, severities, cost and request id', () => {
  const text = summaryDetail(ok);
  assert.match(text, /^Workspace review: ok\n3 findings in 2 files\n/);
  assert.match(text, /Findings: 3 \(1 critical, 2 medium\)/);
  assert.match(text, /Cost: \$0\.042 · read from cache: 87%/);
  assert.match(text, /Request: req_1/);
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

test('the status bar shows each state', () => {
  assert.equal(render({ kind: 'idle' }).text, '$(eye) BigPicture');
  assert.match(render({ kind: 'starting' }).text, /loading~spin/);
  assert.equal(render({ kind: 'reviewing', what: 'changes' }).text, '$(sync~spin) BigPicture: reviewing changes…');
  assert.equal(render({ kind: 'finished', summary: ok }).text, '$(warning) BigPicture: 3 findings · $0.042 · 87% cached');
  assert.equal(
    render({ kind: 'finished', summary: { ...ok, findings: 0 } }).text,
    '$(pass) BigPicture: no findings · $0.042 · 87% cached',
  );
  assert.match(render({ kind: 'finished', summary: { ...ok, status: 'failed', error: 'no-api-key' } }).text, /^\$\(error\)/);
  assert.match(render({ kind: 'stopped', reason: 'it exited' }).tooltip, /not running \(it exited\)/);
});
