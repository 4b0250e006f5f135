/** The extension's behaviour against a fake editor and a fake server. */
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { SECRET_NAME, validateKey } from '../src/apiKey';
import { App } from '../src/app';
import type { ReviewSummary } from '../src/protocol';
import { FakeHost, settle } from './fakeHost';

const KEY = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz';

const summary = (over: Partial<ReviewSummary> = {}): ReviewSummary => ({
  status: 'ok',
  kind: 'workspace',
  findings: 2,
  bySeverity: { critical: 1, medium: 1 },
  costUsd: 0.031,
  cacheReadShare: 0.9,
  requestId: 'req_1',
  message: '2 findings',
  error: null,
  ...over,
});

let host: FakeHost;
let app: App;

beforeEach(() => {
  host = new FakeHost();
  host.serverAnswers.set('bigpicture.estimate', () => ({
    costFirstUsd: 0.1,
    costRepeatUsd: 0.01,
    inputTokens: 20000,
    files: 12,
    model: 'claude-sonnet-4-6',
  }));
  host.serverAnswers.set('bigpicture.reviewWorkspace', () => summary());
  host.serverAnswers.set('bigpicture.reviewChanges', () => summary({ kind: 'changes' }));
  host.serverAnswers.set('bigpicture.reviewFile', () => summary({ kind: 'file' }));
  host.serverAnswers.set('bigpicture.cancel', () => ({ cancelled: true }));
  app = new App(host);
});

async function activate() {
  app.activate();
  await app.server.ensureStarted();
}

test('activation registers every palette command and starts the server once', async () => {
  await activate();
  assert.equal(host.commandsRegistered.size, 11);
  assert.equal(host.clients.length, 1);
  assert.equal(host.statusText, '$(eye) BigPicture');
  assert.equal(host.client.spec.launch.command, 'python3');
  assert.equal(host.client.spec.cwd, '/ws');
});

test('the server gets its settings as initializationOptions, never the key', async () => {
  host.settings = { model: 'claude-opus-4-1', confirmAbove: 1, serverCommand: ['bp', 'serve'] };
  await host.secrets.store(SECRET_NAME, KEY);
  await activate();
  assert.deepEqual(host.client.spec.initializationOptions, { model: 'claude-opus-4-1' });
  assert.deepEqual(host.client.spec.serverSettings(), { model: 'claude-opus-4-1' });
  assert.equal(host.client.spec.env.ANTHROPIC_API_KEY, KEY);
  assert.deepEqual([host.client.spec.launch.command, ...host.client.spec.launch.args], ['bp', 'serve']);
});

test('without a stored key the server inherits the editor environment unchanged', async () => {
  host.env = { PATH: '/usr/bin', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' };
  await activate();
  assert.deepEqual(host.client.spec.env, host.env);
});

test('Set API Key stores the key, restarts the server with it, and never logs it', async () => {
  await activate();
  host.secretAnswer = `  ${KEY} `;
  await host.commandsRegistered.get('bigpicture.setApiKey')!();
  await settle();
  assert.equal(host.store.get(SECRET_NAME), KEY);
  assert.equal(host.clients.length, 2, 'restarted once');
  assert.ok(host.clients[0].stopped);
  assert.equal(host.client.spec.env.ANTHROPIC_API_KEY, KEY);
  assert.match(host.shown.at(-1)!.message, /API key stored/);
  await host.commandsRegistered.get('bigpicture.review.workspace')!();
  for (const line of [...host.logLines, ...host.shown.map((s) => s.message), host.statusTooltip]) {
    assert.ok(!line.includes(KEY), line);
  }
  assert.ok(!JSON.stringify(host.client.spec.initializationOptions).includes(KEY));
});

test('Set API Key with an empty answer removes the key; dismissing changes nothing', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  await activate();
  host.secretAnswer = undefined;
  await app.setApiKey();
  assert.equal(host.store.get(SECRET_NAME), KEY);
  assert.equal(host.clients.length, 1);
  host.secretAnswer = '';
  await app.setApiKey();
  await settle();
  assert.equal(host.store.has(SECRET_NAME), false);
  assert.equal(host.clients.length, 2);
  assert.equal(host.client.spec.env.ANTHROPIC_API_KEY, undefined);
});

test('the key box refuses what cannot be a key', () => {
  assert.equal(validateKey(''), undefined);
  assert.equal(validateKey(KEY), undefined);
  assert.match(validateKey('sk-ant two words here long enough')!, /no spaces/);
  assert.match(validateKey('sk-short')!, /too short/);
});

test('without a key a review explains how to set one and offers the plan instead', async () => {
  await activate();
  host.serverAnswers.set('bigpicture.showPlan', () => ({ uri: 'file:///tmp/plan.md', text: '# plan' }));
  host.answers.warn.push('Show Plan and Cost');
  const outcome = await app.handlers['bigpicture.review.changes']();
  assert.deepEqual(outcome, { ran: false, why: 'no-key' });
  const warning = host.shown.find((s) => s.level === 'warn')!;
  assert.match(warning.message, /Set API Key/);
  assert.deepEqual(warning.actions, ['Set API Key', 'Show Plan and Cost']);
  assert.deepEqual(host.sent.sort(), ['bigpicture.estimate', 'bigpicture.showPlan']);
  assert.deepEqual(host.client.commands.find((c) => c.command === 'bigpicture.showPlan')!.args, ['changes']);
  assert.deepEqual(host.opened, [{ uri: 'file:///tmp/plan.md', title: 'BigPicture plan.md' }]);
  assert.match(host.shown.at(-1)!.message, /would send 12 files \(~20,000 tokens\)/);
});

test('without a key, setting one from the warning goes on with the review', async () => {
  await activate();
  host.answers.warn.push('Set API Key');
  host.secretAnswer = KEY;
  const outcome = await app.handlers['bigpicture.review.workspace']();
  assert.equal((outcome as { ran: boolean }).ran, true);
  assert.equal(host.client.spec.env.ANTHROPIC_API_KEY, KEY);
  assert.deepEqual(host.client.commands.map((c) => c.command), ['bigpicture.estimate', 'bigpicture.reviewWorkspace']);
});

test('without a key, dismissing the key box stops there', async () => {
  await activate();
  host.answers.warn.push('Set API Key');
  const outcome = await app.handlers['bigpicture.review.workspace']();
  assert.deepEqual(outcome, { ran: false, why: 'no-key' });
  assert.deepEqual(host.sent, []);
});

test('a key in the editor environment is enough', async () => {
  host.env.ANTHROPIC_API_KEY = KEY;
  await activate();
  const outcome = await app.handlers['bigpicture.review.workspace']();
  assert.equal((outcome as { ran: boolean }).ran, true);
});

test('a review under confirmAbove runs without asking and lands in the status bar', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  await activate();
  const outcome = await app.handlers['bigpicture.review.workspace']();
  assert.deepEqual(outcome, { ran: true, summary: summary() });
  assert.deepEqual(host.sent, ['bigpicture.estimate', 'bigpicture.reviewWorkspace']);
  assert.deepEqual(host.client.commands[0].args, ['workspace']);
  assert.deepEqual(host.client.commands[1].args, []);
  assert.equal(host.confirms.length, 0);
  assert.equal(host.statusText, '$(warning) BigPicture: 2 findings · $0.031 · 90% cached');
  // The server shows the outcome; the extension adds no second message.
  assert.deepEqual(host.shown, []);
});

test('above confirmAbove the user sees the estimate and can decline', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  host.settings.confirmAbove = 0.05;
  host.confirmAnswer = false;
  await activate();
  const outcome = await app.handlers['bigpicture.review.workspace']();
  assert.deepEqual(outcome, { ran: false, why: 'declined' });
  assert.equal(host.confirms.length, 1);
  assert.equal(host.confirms[0].message, 'Review workspace for about $0.100?');
  assert.match(host.confirms[0].detail, /12 files .* about \$0\.100; \$0\.010 for a repeat/);
  assert.match(host.confirms[0].detail, /above bigpicture\.confirmAbove \(\$0\.050\)/);
  assert.deepEqual(host.sent, ['bigpicture.estimate']);
  assert.equal(host.statusText, '$(eye) BigPicture');
});

test('above confirmAbove, accepting runs the review', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  host.settings.confirmAbove = 0.05;
  await activate();
  await app.handlers['bigpicture.review.workspace']();
  assert.deepEqual(host.sent, ['bigpicture.estimate', 'bigpicture.reviewWorkspace']);
});

test('the cost given the cache as it is now decides, when the server knows it', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  host.settings.confirmAbove = 0.05;
  host.serverAnswers.set('bigpicture.estimate', () => ({
    costFirstUsd: 0.1,
    costRepeatUsd: 0.01,
    costNowUsd: 0.012,
    inputTokens: 20000,
    files: 12,
    model: 'claude-sonnet-4-6',
  }));
  await activate();
  await app.handlers['bigpicture.review.workspace']();
  assert.equal(host.confirms.length, 0);
  host.settings.confirmAbove = 0.011;
  await app.handlers['bigpicture.review.workspace']();
  assert.equal(host.confirms[0].message, 'Review workspace for about $0.012?');
  assert.match(host.confirms[0].detail, /\(\$0\.100 with a cold cache\)/);
});

test('when no plan can be made the review runs and the server reports why', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  host.settings.confirmAbove = 0;
  host.serverAnswers.set('bigpicture.estimate', () => ({
    error: 'nothing-to-review',
    message: 'no changes to review',
  }));
  host.serverAnswers.set('bigpicture.reviewChanges', () =>
    summary({ status: 'nothing-to-review', kind: 'changes', findings: 0, costUsd: null }),
  );
  await activate();
  await app.handlers['bigpicture.review.changes']();
  assert.equal(host.confirms.length, 0);
  assert.deepEqual(host.sent, ['bigpicture.estimate', 'bigpicture.reviewChanges']);
  assert.equal(host.statusText, '$(pass) BigPicture: nothing to review');
});

test('a negative confirmAbove never estimates', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  host.settings.confirmAbove = -1;
  await activate();
  await app.handlers['bigpicture.review.workspace']();
  assert.deepEqual(host.sent, ['bigpicture.reviewWorkspace']);
});

test('Review Current File sends the active file, or asks for one', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  await activate();
  assert.deepEqual(await app.handlers['bigpicture.review.file'](), { ran: false, why: 'no-file' });
  host.activeFile = 'file:///ws/app/db.py';
  await app.handlers['bigpicture.review.file']();
  const file = host.client.commands.filter((c) => c.command !== 'bigpicture.estimate');
  assert.deepEqual(file, [{ command: 'bigpicture.reviewFile', args: ['file:///ws/app/db.py'] }]);
  assert.deepEqual(host.client.commands[0].args, ['file', 'file:///ws/app/db.py']);
});

test("the server's progress shows in the status bar, also for a review started by a save", async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  await activate();
  let release: (s: ReviewSummary) => void = () => undefined;
  host.serverAnswers.set('bigpicture.reviewWorkspace', () => new Promise((r) => (release = r)));
  const review = app.handlers['bigpicture.review.workspace']();
  await settle();
  assert.equal(host.statusText, '$(sync~spin) BigPicture: reviewing workspace…');
  const progress = host.client.spec.onProgress;
  progress({ token: 't1', kind: 'begin', title: 'BigPicture: reviewing the workspace', message: 'gathering' });
  assert.equal(host.statusText, '$(sync~spin) BigPicture: reviewing workspace: gathering');
  progress({ token: 't1', kind: 'report', message: 'receiving: 1 findings so far' });
  assert.equal(host.statusText, '$(sync~spin) BigPicture: reviewing workspace: receiving: 1 findings so far');
  progress({ token: 't1', kind: 'end', message: '2 findings' });
  release(summary());
  await review;
  assert.equal(host.statusText, '$(warning) BigPicture: 2 findings · $0.031 · 90% cached');

  progress({ token: 't2', kind: 'begin', title: 'BigPicture: reviewing the changes', message: 'gathering' });
  assert.equal(host.statusText, '$(sync~spin) BigPicture: reviewing changes: gathering');
  host.client.spec.onReviewFinished(summary({ kind: 'changes', findings: 0 }));
  assert.equal(host.statusText, '$(pass) BigPicture: no findings · $0.031 · 90% cached');
});

test('Cancel Review asks the server, and says so when nothing runs', async () => {
  await activate();
  await app.handlers['bigpicture.cancelReview']();
  assert.deepEqual(host.sent, ['bigpicture.cancel']);
  assert.equal(host.shown.length, 0);
  host.serverAnswers.set('bigpicture.cancel', () => ({ cancelled: false }));
  await app.handlers['bigpicture.cancelReview']();
  assert.match(host.shown.at(-1)!.message, /no review is running/);
});

test('a failed review request shows one error and resets the status', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  await activate();
  host.serverAnswers.set('bigpicture.reviewWorkspace', () => {
    throw new Error('Request bigpicture.reviewWorkspace failed.');
  });
  const outcome = await app.handlers['bigpicture.review.workspace']();
  assert.deepEqual(outcome, { ran: false, why: 'error' });
  assert.equal(host.shown.filter((s) => s.level === 'error').length, 1);
  assert.equal(host.statusText, '$(eye) BigPicture');
});

test('a refused key offers to set a new one', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  await activate();
  host.serverAnswers.set('bigpicture.reviewWorkspace', () =>
    summary({ status: 'failed', error: 'bad-api-key', findings: 0, costUsd: null }),
  );
  await app.handlers['bigpicture.review.workspace']();
  await settle();
  const offer = host.shown.find((s) => s.actions.includes('Set API Key'));
  assert.ok(offer);
  assert.equal(host.statusText, '$(error) BigPicture: failed (bad-api-key)');
});

test('bigpicture/reviewFinished (e.g. after a save) updates the status bar', async () => {
  await activate();
  host.client.spec.onReviewFinished(summary({ kind: 'changes', findings: 0, costUsd: 0.002, cacheReadShare: 0.97 }));
  assert.equal(host.statusText, '$(pass) BigPicture: no findings · $0.0020 · 97% cached');
  host.client.spec.onReviewFinished({ nonsense: true });
  assert.match(host.logLines.at(-1)!, /malformed/);
  assert.equal(host.statusText, '$(pass) BigPicture: no findings · $0.0020 · 97% cached');
});

test('clicking the status bar shows the last summary', async () => {
  await activate();
  await app.handlers['bigpicture.showLastSummary']();
  assert.match(host.shown.at(-1)!.message, /no review yet/);
  host.client.spec.onReviewFinished(summary());
  host.answers.info.push('Show Problems');
  await app.handlers['bigpicture.showLastSummary']();
  assert.match(host.shown.at(-1)!.message, /2 findings · \$0\.031 · 90% cached/);
  assert.equal(host.problemsShown, 1);
});

test('changing a start setting restarts the server; a server setting is pushed', async () => {
  await activate();
  host.changeSettings({ minSeverity: 'high' });
  await settle();
  assert.deepEqual(host.client.pushed, [{ minSeverity: 'high' }]);
  assert.equal(host.clients.length, 1);
  host.changeSettings({ pythonPath: '/venv/bin/python' });
  await settle();
  await app.server.ensureStarted();
  assert.equal(host.clients.length, 2);
  // A settings file rewritten with the same values is reported as a change too: no restart.
  host.changeSettings({ pythonPath: '/venv/bin/python' });
  await settle();
  await app.server.ensureStarted();
  assert.ok(host.clients[0].stopped);
  assert.equal(host.client.spec.launch.command, '/venv/bin/python');
  host.changeSettings({ confirmAbove: 3 });
  await settle();
  assert.equal(host.clients.length, 2);
  assert.deepEqual(host.client.pushed, []);
});

test('a server that does not start is reported once per attempt, with the log on offer', async () => {
  host.failStart = new Error('spawn python3 ENOENT');
  await assert.rejects(app.server.ensureStarted());
  await settle();
  const errors = host.shown.filter((s) => s.level === 'error');
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /did not start \(python3 -m bigpicture serve\)/);
  assert.deepEqual(errors[0].actions, ['Show Log']);
  assert.match(host.statusText, /debug-disconnect/);
  host.failStart = undefined;
  await app.handlers['bigpicture.restartServer']();
  assert.equal(host.statusText, '$(eye) BigPicture');
});

test('concurrent callers share one start; a crashed server is started again on demand', async () => {
  app.activate();
  await Promise.all([app.server.ensureStarted(), app.server.ensureStarted(), app.server.ensureStarted()]);
  assert.equal(host.clients.length, 1);
  host.client.spec.onStopped();
  assert.match(host.statusText, /debug-disconnect/);
  await app.server.ensureStarted();
  assert.equal(host.clients.length, 2);
});

test('a restart while a review waits for the server does not start two servers', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  app.activate();
  const restart = app.server.restart();
  const review = app.handlers['bigpicture.review.workspace']();
  await Promise.all([restart, review]);
  assert.equal(host.clients.filter((c) => !c.stopped).length, 1);
});

test('explanations from the light bulb open as a document; reviews go through the review path', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  await activate();
  const forwarded: unknown[][] = [];
  const forward = async (args: unknown[]) => {
    forwarded.push(args);
    return { answer: '## Why\nUser input reaches the query.', costUsd: 0.004 };
  };
  await host.client.spec.interceptCommand('bigpicture.explainFinding', ['f1'], forward);
  assert.deepEqual(forwarded, [['f1']]);
  assert.equal(host.texts.length, 1);
  assert.match(host.texts[0].text, /User input reaches the query[\s\S]*\$0\.0040/);
  const result = await host.client.spec.interceptCommand('bigpicture.reviewFile', ['file:///ws/a.py'], forward);
  assert.deepEqual(forwarded.length, 1, 'not forwarded directly');
  assert.deepEqual((result as ReviewSummary).kind, 'file');
  assert.ok(host.client.commands.some((c) => c.command === 'bigpicture.reviewFile' && c.args[0] === 'file:///ws/a.py'));
  const dismissed = await host.client.spec.interceptCommand('bigpicture.dismissFinding', ['f1', 'wont-fix'], async (a) => ({ dismissed: a[0] }));
  assert.deepEqual(dismissed, { dismissed: 'f1' });
});

test('Show Usage and Clear Findings show what the server answers', async () => {
  await activate();
  host.serverAnswers.set('bigpicture.usage', () => ({ text: 'Today: 2 reviews, $0.06' }));
  host.serverAnswers.set('bigpicture.clearFindings', () => ({ cleared: 3 }));
  await app.handlers['bigpicture.showUsage']();
  assert.deepEqual(host.texts, [{ title: 'BigPicture usage.txt', text: 'Today: 2 reviews, $0.06' }]);
  await app.handlers['bigpicture.clear']();
  assert.equal(host.shown.at(-1)!.message, 'BigPicture: cleared 3 findings.');
});

test('Show Plan and Cost opens nothing when the server could not make a plan', async () => {
  await activate();
  host.serverAnswers.set('bigpicture.showPlan', () => ({ uri: null, text: 'no changes', error: 'nothing-to-review' }));
  host.serverAnswers.set('bigpicture.estimate', () => ({ error: 'nothing-to-review', message: 'no changes' }));
  await app.handlers['bigpicture.plan']('changes');
  assert.deepEqual(host.opened, []);
  assert.deepEqual(host.texts, []);
  assert.deepEqual(host.shown, []);
});

test('Show Plan and Cost asks which review when not told', async () => {
  await activate();
  host.serverAnswers.set('bigpicture.showPlan', () => ({ uri: 'file:///tmp/p.md', text: 'x' }));
  host.pickAnswer = undefined;
  await app.handlers['bigpicture.plan']();
  assert.deepEqual(host.sent, []);
  host.pickAnswer = 'workspace';
  await app.handlers['bigpicture.plan']();
  assert.deepEqual(host.client.commands.map((c) => c.args), [['workspace'], ['workspace']]);
});
