/** The extension's behaviour against a fake editor and a fake server. */
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { SECRET_NAME, validateKey } from '../src/apiKey';
import { App, COMMANDS } from '../src/app';
import type { ReviewSummary } from '../src/protocol';
import { FakeHost, FakePython, settle } from './fakeHost';

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
  assert.equal(host.commandsRegistered.size, Object.keys(COMMANDS).length);
  assert.equal(host.clients.length, 1);
  assert.equal(host.statusText, '$(eye) BigPicture');
  assert.equal(host.client.spec.launch.command, 'python3');
  assert.equal(host.client.spec.cwd, '/ws');
});

test('the server gets its settings as initializationOptions, never the key', async () => {
  host.settings = { model: 'claude-opus-4-1', confirmAbove: 1, serverCommand: ['bp', 'serve'] };
  await host.secrets.store(SECRET_NAME, KEY);
  await activate();
  const sent = { model: 'claude-opus-4-1', reviewOnSave: 'off' };
  assert.deepEqual(host.client.spec.initializationOptions, sent);
  assert.deepEqual(host.client.spec.serverSettings(), sent);
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
  // The plan's text opens as a read-only document (not the server's editable plan.md file).
  assert.deepEqual(host.client.sentCommands.find((c) => c.command === 'bigpicture.showPlan')!.args, [
    'changes',
    { open: false },
  ]);
  assert.deepEqual(host.opened, []);
  assert.deepEqual(host.plans, [{ title: 'BigPicture plan (changes review).md', text: '# plan' }]);
  assert.match(host.shown.at(-1)!.message, /would send 12 files \(~20,000 tokens\)/);
});

test('without a key, setting one from the warning goes on with the review', async () => {
  await activate();
  host.answers.warn.push('Set API Key');
  host.secretAnswer = KEY;
  const outcome = await app.handlers['bigpicture.review.workspace']();
  assert.equal((outcome as { ran: boolean }).ran, true);
  assert.equal(host.client.spec.env.ANTHROPIC_API_KEY, KEY);
  assert.deepEqual(host.client.sentCommands.map((c) => c.command), ['bigpicture.estimate', 'bigpicture.reviewWorkspace']);
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
  assert.deepEqual(host.client.sentCommands[0].args, ['workspace']);
  assert.equal(host.confirms.length, 0);
  assert.equal(host.statusText, '$(warning) 2 · $0.031');
  assert.match(host.statusTooltip, /Findings: 2 \(1 critical, 1 medium\)\nCost: \$0\.031 · 90% read from cache/);
  // The server shows the outcome; the extension adds no second message.
  assert.deepEqual(host.client.sentCommands[1].args, [{ ifRunning: 'ask' }]);
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
  assert.equal(host.statusText, '$(pass) BigPicture');
  assert.match(host.statusTooltip, /Changes review: nothing-to-review/);
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
  const file = host.client.sentCommands.filter((c) => c.command !== 'bigpicture.estimate');
  assert.deepEqual(file.map((c) => [c.command, c.args]), [
    ['bigpicture.reviewFile', ['file:///ws/app/db.py', { ifRunning: 'ask' }]],
  ]);
  assert.deepEqual(host.client.sentCommands[0].args, ['file', 'file:///ws/app/db.py']);
});

test("the server's progress shows in the status bar, also for a review started by a save", async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  await activate();
  let release: (s: ReviewSummary) => void = () => undefined;
  host.serverAnswers.set('bigpicture.reviewWorkspace', () => new Promise((r) => (release = r)));
  const review = app.handlers['bigpicture.review.workspace']();
  await settle();
  assert.equal(host.statusText, '$(sync~spin) BigPicture: reviewing workspace');
  const progress = host.client.spec.onProgress;
  // The stage is in the progress notification and the tooltip; the item itself stays short.
  progress({ token: 't1', kind: 'begin', title: 'BigPicture: reviewing the workspace', message: 'gathering' });
  assert.equal(host.statusText, '$(sync~spin) BigPicture: reviewing workspace');
  assert.match(host.statusTooltip, /^BigPicture: reviewing workspace: gathering\n/);
  progress({ token: 't1', kind: 'report', message: 'receiving: 1 findings so far' });
  assert.match(host.statusTooltip, /^BigPicture: reviewing workspace: receiving: 1 findings so far/);
  progress({ token: 't1', kind: 'end', message: '2 findings' });
  release(summary());
  await review;
  assert.equal(host.statusText, '$(warning) 2 · $0.031');

  progress({ token: 't2', kind: 'begin', title: 'BigPicture: reviewing the changes', message: 'gathering' });
  assert.equal(host.statusText, '$(sync~spin) BigPicture: reviewing changes');
  host.client.spec.onReviewFinished(summary({ kind: 'changes', findings: 0, bySeverity: {} }));
  assert.equal(host.statusText, '$(pass) BigPicture · $0.031');
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
  assert.equal(host.statusText, '$(error) BigPicture · failed');
});

test('bigpicture/reviewFinished (e.g. after a save) updates the status bar', async () => {
  await activate();
  host.client.spec.onReviewFinished(
    summary({ kind: 'changes', findings: 0, bySeverity: {}, costUsd: 0.002, cacheReadShare: 0.97 }),
  );
  assert.equal(host.statusText, '$(pass) BigPicture · $0.0020');
  assert.match(host.statusTooltip, /97% read from cache/);
  host.client.spec.onReviewFinished({ nonsense: true });
  assert.match(host.logLines.at(-1)!, /malformed/);
  assert.equal(host.statusText, '$(pass) BigPicture · $0.0020');
});

test('clicking the status bar shows the last summary', async () => {
  await activate();
  await app.handlers['bigpicture.showLastSummary']();
  assert.match(host.shown.at(-1)!.message, /no review yet/);
  host.client.spec.onReviewFinished(summary());
  host.answers.info.push('Show Problems');
  await app.handlers['bigpicture.showLastSummary']();
  assert.match(host.shown.at(-1)!.message, /2 findings · \$0\.031 · 90% read from cache/);
  assert.equal(host.problemsShown, 1);
});

test('changing a start setting restarts the server; a server setting is pushed', async () => {
  await activate();
  host.changeSettings({ minSeverity: 'high' });
  await settle();
  assert.deepEqual(host.client.pushed, [{ minSeverity: 'high', reviewOnSave: 'off' }]);
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

test('a server that does not start: one message with what to do, and "server not running"', async () => {
  host.failStart = new Error('spawn python3 ENOENT\n    at ChildProcess._handle.onexit (node:internal/child_process:286:19)');
  await assert.rejects(app.server.ensureStarted());
  await settle();
  const errors = host.shown.filter((s) => s.level === 'error');
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /did not start \("python3 -m bigpicture serve": spawn python3 ENOENT\)/);
  assert.doesNotMatch(errors[0].message, /onexit|child_process/, 'no stack in the toast');
  assert.match(errors[0].message, /bigpicture\.pythonPath/);
  assert.deepEqual(errors[0].actions, ['Select Interpreter', 'Open Settings', 'Show Log']);
  assert.equal(host.statusText, '$(debug-disconnect) BigPicture: server not running');
  host.failStart = undefined;
  await app.handlers['bigpicture.restartServer']();
  assert.equal(host.statusText, '$(eye) BigPicture');
});

test('Open Settings from the failure opens the setting that chose the command line', async () => {
  host.failStart = new Error('spawn ENOENT');
  host.answers.error.push('Open Settings');
  await assert.rejects(app.server.ensureStarted());
  await settle();
  assert.deepEqual(host.settingsOpened, ['pythonPath']);
  host.settings.serverCommand = ['/opt/bp/bin/bigpicture', 'serve'];
  host.answers.error.push('Open Settings');
  await assert.rejects(app.server.restart());
  await settle();
  const last = host.shown.filter((s) => s.level === 'error').at(-1)!;
  assert.deepEqual(last.actions, ['Open Settings', 'Show Log']);
  assert.match(last.message, /Check bigpicture\.serverCommand/);
  assert.deepEqual(host.settingsOpened, ['pythonPath', 'serverCommand']);
});

test('after a failed start, changing pythonPath or serverCommand starts the server', async () => {
  host.failStart = (launch) => (launch.command === '/good/python' ? undefined : new Error('spawn ENOENT'));
  app.activate();
  await settle();
  await assert.rejects(app.server.ensureStarted());
  assert.equal(host.clients.length, 0);
  host.changeSettings({ pythonPath: '/good/python' });
  await settle();
  await app.server.ensureStarted();
  assert.equal(host.clients.length, 1);
  assert.deepEqual([host.client.spec.launch.command, ...host.client.spec.launch.args], ['/good/python', '-m', 'bigpicture', 'serve']);
  assert.equal(host.statusText, '$(eye) BigPicture');
  // The same value written again (a settings file rewritten) restarts nothing.
  host.changeSettings({ pythonPath: '/good/python' });
  await settle();
  await app.server.ensureStarted();
  assert.equal(host.clients.length, 1);
});

test('Select Interpreter without the Python extension: a file picker writes bigpicture.pythonPath', async () => {
  host.failStart = (launch) => (launch.command === '/venv/bin/python' ? undefined : new Error('spawn ENOENT'));
  host.answers.error.push('Select Interpreter');
  host.fileAnswer = '/venv/bin/python';
  app.activate(); // starts, fails, shows the message, whose answer is Select Interpreter
  for (let i = 0; i < 5; i++) {
    await settle();
  }
  await app.server.ensureStarted();
  assert.equal(host.shown.filter((s) => s.level === 'error').length, 1);
  assert.equal(host.settings.pythonPath, '/venv/bin/python');
  assert.equal(host.clients.length, 1);
  assert.equal(host.client.spec.launch.origin, 'bigpicture.pythonPath');
  // Dismissing the picker changes nothing.
  host.fileAnswer = undefined;
  await app.handlers['bigpicture.selectInterpreter']();
  assert.equal(host.settings.pythonPath, '/venv/bin/python');
});

test("the Python extension's selected interpreter runs the server, and selecting another restarts it", async () => {
  const python = new FakePython();
  python.interpreter = '/proj/.venv/bin/python';
  host.pythonExtension = python;
  await activate();
  assert.deepEqual(
    [host.client.spec.launch.command, ...host.client.spec.launch.args, host.client.spec.launch.origin],
    ['/proj/.venv/bin/python', '-m', 'bigpicture', 'serve', 'Python extension'],
  );
  python.picks = '/other/bin/python';
  await app.handlers['bigpicture.selectInterpreter']();
  await settle();
  await app.server.ensureStarted();
  assert.equal(python.selects, 1);
  assert.equal(host.clients.length, 2);
  assert.ok(host.clients[0].stopped);
  assert.equal(host.client.spec.launch.command, '/other/bin/python');
  assert.equal(host.settings.pythonPath, undefined, 'no setting written');
});

test('an interpreter without bigpicture falls back to the console script on PATH', async () => {
  const python = new FakePython();
  python.interpreter = '/proj/.venv/bin/python';
  host.pythonExtension = python;
  host.executables = ['/usr/bin/bigpicture'];
  host.failStart = (launch) => (launch.origin === 'Python extension' ? new Error('No module named bigpicture') : undefined);
  await activate();
  assert.deepEqual(host.starts.map((l) => l.origin), ['Python extension', 'PATH']);
  assert.equal(host.client.spec.launch.command, '/usr/bin/bigpicture');
  assert.deepEqual(host.shown, [], 'no failure shown');
});

test('an explicit pythonPath wins over the Python extension and does not fall back', async () => {
  const python = new FakePython();
  python.interpreter = '/proj/.venv/bin/python';
  host.pythonExtension = python;
  host.executables = ['/usr/bin/bigpicture'];
  host.settings.pythonPath = '/broken/python';
  host.failStart = new Error('spawn ENOENT');
  await assert.rejects(app.server.ensureStarted());
  assert.deepEqual(host.starts.map((l) => l.command), ['/broken/python']);
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

test('Explain shows progress, then the answer rendered as Markdown titled with the finding', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  await activate();
  const forwarded: unknown[][] = [];
  const forward = async (args: unknown[]) => {
    forwarded.push(args);
    return null;
  };
  host.serverAnswers.set('bigpicture.explainFinding', () => ({
    answer: '## Why\nUser input reaches the query.',
    costUsd: 0.004,
    title: 'SQL injection in find_user',
  }));
  await host.client.spec.interceptCommand('bigpicture.explainFinding', ['f1'], forward);
  assert.deepEqual(forwarded, [], 'sent by the extension, with a cancellation signal');
  const sent = host.client.sentCommands.find((c) => c.command === 'bigpicture.explainFinding')!;
  assert.deepEqual(sent.args, ['f1']);
  assert.ok(sent.cancel, 'cancellable');
  assert.equal(host.progress.length, 1);
  assert.match(host.progress[0].title, /explaining/);
  assert.equal(host.markdown.length, 1);
  assert.equal(host.markdown[0].title, 'SQL injection in find_user');
  assert.match(host.markdown[0].markdown, /^# SQL injection in find_user\n\n## Why\nUser input reaches the query[\s\S]*\$0\.0040/);
  assert.deepEqual(host.texts, []);
});

test('Explain cancelled from its progress shows nothing; a failure offers Retry', async () => {
  await activate();
  host.cancelProgress = true;
  host.serverAnswers.set('bigpicture.explainFinding', () => {
    throw new Error('cancelled');
  });
  await host.client.spec.interceptCommand('bigpicture.explainFinding', ['f1'], async () => null);
  assert.equal(host.shown.length, 0);
  assert.equal(host.markdown.length, 0);
  host.cancelProgress = false;
  await host.client.spec.interceptCommand('bigpicture.explainFinding', ['f1'], async () => null);
  assert.deepEqual(host.shown.at(-1)!.actions, ['Retry']);
});

test('reviews from code actions go through the review path', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  await activate();
  const forwarded: unknown[][] = [];
  const forward = async (args: unknown[]) => {
    forwarded.push(args);
    return null;
  };
  const result = await host.client.spec.interceptCommand('bigpicture.reviewFile', ['file:///ws/a.py'], forward);
  assert.deepEqual(forwarded.length, 0, 'not forwarded directly');
  assert.deepEqual((result as ReviewSummary).kind, 'file');
  assert.ok(host.client.sentCommands.some((c) => c.command === 'bigpicture.reviewFile' && c.args[0] === 'file:///ws/a.py'));
});

test('Dismiss says what it dismissed, with Undo, which restores the finding', async () => {
  // The server answers the dismissal with the id and reason only: the title is the view's.
  host.serverAnswers.set('bigpicture.findings', () => ({
    summary: null,
    findings: [{ id: 'f1', path: 'a.py', uri: 'file:///ws/a.py', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, severity: 'low', category: 'security', title: 'Debug mode left on', message: 'm' }],
    dismissed: [],
  }));
  host.serverAnswers.set('bigpicture.restoreFinding', (args) => ({ restored: args[0] }));
  await activate();
  await settle();
  host.answers.info.push('Undo');
  const dismissed = await host.client.spec.interceptCommand('bigpicture.dismissFinding', ['f1', 'wont-fix'], async (a) => ({
    dismissed: a[0],
    reason: a[1],
  }));
  assert.deepEqual(dismissed, { dismissed: 'f1', reason: 'wont-fix' });
  await settle();
  assert.equal(host.shown[0].message, 'BigPicture: dismissed "Debug mode left on" (won\'t fix).');
  assert.deepEqual(host.shown[0].actions, ['Undo']);
  assert.deepEqual(host.client.sentCommands.map((c) => [c.command, c.args]), [['bigpicture.restoreFinding', ['f1']]]);
  // Nothing dismissed (the server said why): no toast.
  await host.client.spec.interceptCommand('bigpicture.dismissFinding', ['gone'], async () => ({ dismissed: null, error: 'not-found' }));
  await settle();
  assert.equal(host.shown.length, 1);
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
  assert.deepEqual(host.client.sentCommands.map((c) => c.args), [['workspace', { open: false }], ['workspace']]);
});

test("the server's showDocument of its plan file is taken over while a plan is asked for", async () => {
  await activate();
  let showDocument: boolean | undefined;
  host.serverAnswers.set('bigpicture.showPlan', () => {
    showDocument = host.client.spec.interceptShowDocument('file:///home/u/.local/share/bigpicture/ws/plan.md');
    return { uri: 'file:///home/u/.local/share/bigpicture/ws/plan.md', text: '# BigPicture plan' };
  });
  await app.handlers['bigpicture.plan']('workspace');
  assert.equal(showDocument, true);
  assert.equal(host.client.spec.interceptShowDocument('file:///home/u/.local/share/bigpicture/ws/plan.md'), false);
  assert.equal(host.client.spec.interceptShowDocument('file:///ws/app/db.py'), false);
  assert.deepEqual(host.plans, [{ title: 'BigPicture plan (workspace review).md', text: '# BigPicture plan' }]);
});

// --------------------------------------------------------------------------- review on save

test('a review on save over confirmAbove is skipped with a status message, never a dialog', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  host.settings = { ...host.settings, reviewOnSave: 'changes', confirmAbove: 0.05, debounceMs: 300 };
  await activate();
  host.save('file:///ws/app/db.py');
  host.save('file:///ws/app/db.py');
  assert.deepEqual(host.runTimers(), [300], 'one quiet period for both saves');
  await settle();
  assert.deepEqual(host.sent, ['bigpicture.estimate'], 'estimated, not sent');
  assert.equal(host.confirms.length + host.asked.length + host.shown.length, 0, 'no dialog, no toast');
  assert.match(host.statusText, /save review skipped/);
  assert.match(
    host.statusTooltip,
    /review on save skipped: reviewing the changes would cost about \$0\.100, over bigpicture\.confirmAbove \(\$0\.050\)\. Run "BigPicture: Review Changes"/,
  );
  assert.doesNotMatch(host.statusTooltip, /--/);
});

test('a review on save under confirmAbove runs after the running review (ifRunning: wait)', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  host.settings = { ...host.settings, reviewOnSave: 'file', confirmAbove: 1 };
  await activate();
  host.save('file:///ws/app/db.py');
  assert.deepEqual(host.runTimers(), [1500], 'the default quiet period');
  await settle();
  assert.deepEqual(host.sent, ['bigpicture.estimate', 'bigpicture.reviewFile']);
  assert.deepEqual(host.client.sentCommands[1].args, ['file:///ws/app/db.py', { ifRunning: 'wait' }]);
  assert.equal(host.confirms.length, 0);
  assert.match(host.statusTooltip, /File review on save: ok/);
});

test('with reviewOnSave off a save does nothing; without a key a save review is skipped', async () => {
  await activate();
  host.save('file:///ws/app/db.py');
  assert.deepEqual(host.runTimers(), []);
  host.changeSettings({ reviewOnSave: 'changes' });
  host.save('file:///ws/app/db.py');
  host.runTimers();
  await settle();
  assert.deepEqual(host.sent, []);
  assert.match(host.statusTooltip, /review on save skipped: no API key/);
  assert.equal(host.shown.length, 0);
});

// --------------------------------------------------------------------------- a running review

test('a review started while one runs asks: cancel it and start, or wait', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  host.settings.confirmAbove = -1;
  const answers: unknown[] = [
    { status: 'busy', running: { kind: 'workspace', trigger: 'command', startedAt: '2026-12-07T14:00:00Z' } },
    summary({ replaced: { kind: 'workspace', trigger: 'command' } }),
  ];
  host.serverAnswers.set('bigpicture.reviewWorkspace', () => answers.shift());
  host.askAnswers.push('Cancel It and Start');
  await activate();
  const outcome = await app.handlers['bigpicture.review.workspace']();
  assert.equal((outcome as { ran: boolean }).ran, true);
  assert.equal(host.asked.length, 1);
  assert.equal(host.asked[0].message, 'A workspace review is running.');
  assert.deepEqual(host.asked[0].actions, ['Cancel It and Start', 'Wait, Then Start']);
  assert.match(host.asked[0].detail, /billed/);
  assert.deepEqual(
    host.client.sentCommands.map((c) => c.args),
    [[{ ifRunning: 'ask' }], [{ ifRunning: 'cancel' }]],
  );
  // Wait, Then Start sends ifRunning: wait; dismissing the question sends nothing more.
  answers.push({ status: 'busy', running: { kind: 'changes', trigger: 'save' } }, summary());
  host.askAnswers.push('Wait, Then Start');
  await app.handlers['bigpicture.review.workspace']();
  assert.equal(host.asked[1].message, 'A review on save (changes) is running.');
  assert.deepEqual(host.client.sentCommands.at(-1)!.args, [{ ifRunning: 'wait' }]);
  answers.push({ status: 'busy', running: { kind: 'changes', trigger: 'save' } });
  const count = host.client.sentCommands.length;
  const dismissed = await app.handlers['bigpicture.review.workspace']();
  assert.deepEqual(dismissed, { ran: false, why: 'busy' });
  assert.equal(host.client.sentCommands.length, count + 1);
});

test("a rate-limited review gets one message: the server's own error is not shown beside it", async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  host.settings.confirmAbove = -1;
  const error = 'rate limited after 3 attempts (429): try again in 1 s';
  host.serverAnswers.set('bigpicture.reviewWorkspace', () => {
    // The server's window/showMessage while the review runs, then its summary, which adds
    // what is kept to the same text.
    const shownByServer = host.client.spec.onShowMessage('error', `BigPicture: ${error}`);
    assert.equal(shownByServer, true, 'held while the review runs');
    return summary({
      status: 'failed',
      error: 'rate-limited',
      findings: 0,
      costUsd: null,
      attempts: 3,
      retryAfter: 1,
      retryable: true,
      kept: 1,
      message: `${error}; no new findings; the 1 from the previous review is kept`,
    });
  });
  await activate();
  await app.handlers['bigpicture.review.workspace']();
  await settle();
  const errors = host.shown.filter((s) => s.level === 'error');
  assert.deepEqual(
    errors.map((s) => s.message),
    ['BigPicture: the workspace review was rate limited after 3 attempts; try again in 1 s. Earlier findings are kept.'],
  );
});

test('a rate-limited review says what happened with Retry, which runs it again', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  host.settings.confirmAbove = -1;
  const answers: unknown[] = [
    summary({ status: 'failed', error: 'rate-limited', findings: 0, costUsd: null, attempts: 3, retryAfter: 41.2, retryable: true, kept: 2, message: 'rate limited' }),
    summary(),
  ];
  host.serverAnswers.set('bigpicture.reviewWorkspace', () => answers.shift());
  host.answers.error.push('Retry');
  await activate();
  await app.handlers['bigpicture.review.workspace']();
  await settle();
  const message = host.shown.find((s) => s.level === 'error')!;
  assert.equal(
    message.message,
    'BigPicture: the workspace review was rate limited after 3 attempts; try again in 42 s. Earlier findings are kept.',
  );
  assert.deepEqual(message.actions, ['Retry', 'Show Log']);
  assert.doesNotMatch(message.message, /--/);
  assert.equal(host.sent.filter((c) => c === 'bigpicture.reviewWorkspace').length, 2, 'Retry ran it again');
  assert.equal(host.statusText, '$(warning) 2 · $0.031');
});

test('Review Whole Repository (all shards) estimates the total, then runs every shard', async () => {
  await host.secrets.store(SECRET_NAME, KEY);
  host.settings = { confirmAbove: 0.05 };
  host.serverAnswers.set('bigpicture.estimate', () => ({
    costFirstUsd: 0.4,
    costRepeatUsd: 0.1,
    costNowUsd: 0.3,
    inputTokens: 800000,
    files: 5000,
    shards: 4,
    model: 'claude-sonnet-4-6',
  }));
  const full = summary({
    kind: 'full',
    shards: [{ index: 1, files: 2500, status: 'complete', findings: 2, reason: null }],
    notReviewed: [],
  });
  host.serverAnswers.set('bigpicture.reviewAllShards', () => full);
  await activate();
  const outcome = await app.handlers['bigpicture.review.allShards']();
  assert.deepEqual(outcome, { ran: true, summary: full });
  assert.deepEqual(host.sent, ['bigpicture.estimate', 'bigpicture.reviewAllShards']);
  assert.deepEqual(host.client.sentCommands[0].args, ['full']);
  assert.deepEqual(host.client.sentCommands[1].args, [{ ifRunning: 'ask' }]);
  assert.match(host.confirms[0].message, /Review whole repository \(all shards\) for about \$0\.300\?/);
});
