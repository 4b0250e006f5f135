import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeLaunch, resolveServerLaunch } from '../src/serverCommand';
import {
  confirmAbove,
  NULLABLE_KEYS,
  reactionTo,
  SERVER_KEYS,
  serverSettings,
  startSettings,
} from '../src/settings';

test('the server receives only its own keys, and only those the user set', () => {
  const values: Record<string, unknown> = {
    model: 'claude-opus-4-1',
    minSeverity: 'high',
    serverCommand: ['x'],
    pythonPath: '/p',
    confirmAbove: 2,
    'trace.server': 'verbose',
    reviewOnSave: 'changes',
  };
  // VS Code reads a default for every key; only set ones are sent, so that the workspace's
  // [tool.bigpicture] or the server's default applies to the rest.
  const read = (k: string) => values[k] ?? (k === 'maxCostPerReview' ? 1 : undefined);
  const s = serverSettings(read, (k) => k in values);
  // reviewOnSave is always "off" for the server: the extension reviews on save (onSave.ts).
  assert.deepEqual(s, { model: 'claude-opus-4-1', minSeverity: 'high', reviewOnSave: 'off' });
});

test('nullable settings: their empty value in the Settings editor is sent as null', () => {
  assert.deepEqual([...NULLABLE_KEYS].sort(), ['baseBranch', 'baseUrl', 'language', 'thinkingBudget']);
  const values: Record<string, unknown> = { baseBranch: '', thinkingBudget: 0, baseUrl: 'http://x', debounceMs: 0 };
  assert.deepEqual(
    serverSettings((k) => values[k], (k) => k in values),
    { baseBranch: null, thinkingBudget: null, baseUrl: 'http://x', debounceMs: 0, reviewOnSave: 'off' },
  );
});

test('every server setting of package.json is sent, start and client settings are not', () => {
  for (const key of ['model', 'provider', 'baseUrl', 'maxFileSize', 'maxOutputTokens', 'models', 'keepWarm']) {
    assert.ok(SERVER_KEYS.includes(key), key);
  }
  for (const key of ['serverCommand', 'pythonPath', 'trace.server']) {
    assert.ok(!SERVER_KEYS.includes(key), key);
  }
});

test('start settings are read defensively', () => {
  assert.deepEqual(startSettings(() => undefined), { serverCommand: [], pythonPath: '' });
  assert.deepEqual(
    startSettings((k) => (k === 'serverCommand' ? ['py', 3, '-m'] : '  /usr/bin/python3 ')),
    { serverCommand: ['py', '-m'], pythonPath: '/usr/bin/python3' },
  );
});

test('confirmAbove: a number, else never ask', () => {
  assert.equal(confirmAbove(() => 0.5), 0.5);
  assert.equal(confirmAbove(() => 'cheap'), -1);
  assert.equal(confirmAbove(() => undefined), -1);
});

test('a start setting restarts, a server setting is pushed, others do nothing', () => {
  const affects = (...names: string[]) => (s: string) => names.includes(s);
  assert.equal(reactionTo(affects('bigpicture.serverCommand')), 'restart');
  assert.equal(reactionTo(affects('bigpicture.pythonPath', 'bigpicture.model')), 'restart');
  assert.equal(reactionTo(affects('bigpicture.minSeverity')), 'push');
  assert.equal(reactionTo(affects('bigpicture.confirmAbove')), 'none');
  assert.equal(reactionTo(affects('editor.fontSize')), 'none');
});

const env = (found: string[] = [], platform: NodeJS.Platform = 'linux', path = '/a:/b') => ({
  pathVariable: path,
  platform,
  isExecutable: (f: string) => found.includes(f),
});

test('serverCommand is used verbatim', () => {
  const launch = resolveServerLaunch(
    { serverCommand: ['/venv/bin/python', '-m', 'bigpicture', 'serve'], pythonPath: '/ignored' },
    env(['/b/bigpicture']),
  );
  assert.deepEqual(launch, {
    command: '/venv/bin/python',
    args: ['-m', 'bigpicture', 'serve'],
    origin: 'bigpicture.serverCommand',
  });
});

test('pythonPath runs the module', () => {
  const launch = resolveServerLaunch({ serverCommand: [], pythonPath: '/venv/bin/python' }, env());
  assert.deepEqual([launch.command, ...launch.args], ['/venv/bin/python', '-m', 'bigpicture', 'serve']);
});

test('the console script on PATH comes next, then python3', () => {
  const found = resolveServerLaunch({ serverCommand: [], pythonPath: '' }, env(['/b/bigpicture']));
  assert.deepEqual([found.command, ...found.args, found.origin], ['/b/bigpicture', 'serve', 'PATH']);
  const fallback = resolveServerLaunch({ serverCommand: [], pythonPath: '' }, env());
  assert.deepEqual([fallback.command, ...fallback.args], ['python3', '-m', 'bigpicture', 'serve']);
});

test('on Windows the PATH search knows .exe and the fallback is python', () => {
  const found = resolveServerLaunch(
    { serverCommand: [], pythonPath: '' },
    env(['C:\\tools\\bigpicture.exe'], 'win32', 'C:\\x;C:\\tools'),
  );
  assert.equal(found.command, 'C:\\tools\\bigpicture.exe');
  const fallback = resolveServerLaunch({ serverCommand: [], pythonPath: '' }, env([], 'win32'));
  assert.equal(fallback.command, 'python');
});

test('describeLaunch quotes arguments with spaces', () => {
  assert.equal(
    describeLaunch({ command: '/my venv/python', args: ['-m', 'bigpicture'], origin: 'PATH' }),
    '"/my venv/python" -m bigpicture',
  );
});
