import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeLaunch, resolveServerLaunch } from '../src/serverCommand';
import { confirmAbove, reactionTo, serverSettings, startSettings } from '../src/settings';

test('the server receives only its own keys', () => {
  const values: Record<string, unknown> = {
    model: 'claude-opus-4-1',
    minSeverity: 'high',
    baseBranch: null,
    serverCommand: ['x'],
    pythonPath: '/p',
    confirmAbove: 2,
    'trace.server': 'verbose',
  };
  const s = serverSettings((k) => values[k]);
  assert.deepEqual(s, { model: 'claude-opus-4-1', minSeverity: 'high', baseBranch: null });
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
