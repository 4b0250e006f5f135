/** package.json against the code and the server's contract. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { COMMANDS } from '../src/app';
import { CLIENT_KEYS, SERVER_KEYS, START_KEYS } from '../src/settings';

const root = resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(resolve(root, 'package-lock.json'), 'utf8'));
const properties: Record<string, Record<string, unknown>> = pkg.contributes.configuration.properties;

test('every palette command is contributed with its title in the BigPicture category', () => {
  const contributed = new Map<string, { title: string; category: string }>(
    pkg.contributes.commands.map((c: { command: string; title: string; category: string }) => [c.command, c]),
  );
  assert.deepEqual([...contributed.keys()].sort(), Object.keys(COMMANDS).sort());
  for (const [id, title] of Object.entries(COMMANDS)) {
    assert.equal(contributed.get(id)?.title, title, id);
    assert.equal(contributed.get(id)?.category, 'BigPicture', id);
  }
});

test('the brief\'s palette commands are all there', () => {
  const titles = Object.values(COMMANDS);
  for (const t of [
    'Review Workspace',
    'Review Changes',
    'Review Current File',
    'Show Plan and Cost',
    'Cancel Review',
    'Clear Findings',
    'Set API Key',
    'Show Usage',
    'Restart Server',
    'Show Log',
  ]) {
    assert.ok(titles.includes(t as never), t);
  }
});

test('palette command ids do not collide with the server commands vscode-languageclient registers', () => {
  const serverCommands = [
    'bigpicture.reviewWorkspace',
    'bigpicture.reviewChanges',
    'bigpicture.reviewFile',
    'bigpicture.showPlan',
    'bigpicture.estimate',
    'bigpicture.cancel',
    'bigpicture.clearFindings',
    'bigpicture.dismissFinding',
    'bigpicture.explainFinding',
    'bigpicture.usage',
    'bigpicture.findings',
    'bigpicture.restoreFinding',
  ];
  for (const id of Object.keys(COMMANDS)) {
    assert.ok(!serverCommands.includes(id), id);
  }
});

test('the settings are exactly the server keys, the start keys and the client keys', () => {
  const declared = Object.keys(properties).map((k) => k.replace(/^bigpicture\./, '')).sort();
  assert.deepEqual(declared, [...SERVER_KEYS, ...START_KEYS, ...CLIENT_KEYS].sort());
  for (const [key, schema] of Object.entries(properties)) {
    const text = String(schema.markdownDescription ?? schema.description ?? '');
    assert.ok(text.length > 20, `${key} needs a description`);
  }
});

test('server settings come from package.json, which tests/test_vscode_settings.py checks against the server', () => {
  // (Their types, defaults and descriptions are the server's; pytest fails when they differ.)
  for (const key of SERVER_KEYS) {
    assert.ok(properties[`bigpicture.${key}`], key);
  }
});

test('no setting can hold the API key', () => {
  for (const key of Object.keys(properties)) {
    assert.doesNotMatch(key, /apiKey|secret|authToken|password|credential/i);
  }
});

test('settings that choose the executable are not folder-scoped', () => {
  for (const key of START_KEYS) {
    assert.equal(properties[`bigpicture.${key}`].scope, 'machine-overridable', key);
  }
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, false);
  // It runs where the files and the server are (the remote side of a remote window).
  assert.deepEqual(pkg.extensionKind, ['workspace']);
  assert.equal(pkg.capabilities.virtualWorkspaces.supported, false);
});

test('engines.vscode runs on code-server 4.139.1 and @types/vscode is no newer', () => {
  const engine = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(pkg.engines.vscode);
  assert.ok(engine, pkg.engines.vscode);
  const [, major, minor] = engine.map(Number);
  assert.ok(major === 1 && minor <= 139);
  const types = pkg.devDependencies['@types/vscode'];
  assert.match(types, /^\d+\.\d+\.\d+$/, '@types/vscode is pinned');
  assert.ok(Number(types.split('.')[1]) <= minor, '@types/vscode is no newer than engines');
  assert.ok(minor >= 91, 'vscode-languageclient 11 needs ^1.91.0');
  assert.match(lock.packages['node_modules/vscode-languageclient'].version, /^11\./);
  assert.match(lock.packages['node_modules/@vscode/vsce'].version, /^3\./);
});

test('the README documents every setting and every palette command', () => {
  const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
  for (const key of Object.keys(properties)) {
    assert.ok(readme.includes(`\`${key}\``), key);
  }
  const hidden = new Set(
    pkg.contributes.menus.commandPalette
      .filter((m: { when: string }) => m.when === 'false')
      .map((m: { command: string }) => m.command),
  );
  for (const [id, title] of Object.entries(COMMANDS)) {
    if (!hidden.has(id)) {
      assert.ok(readme.includes(`| ${title} |`), title);
    }
  }
  for (const image of readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) {
    assert.ok(existsSync(resolve(root, image[1])), image[1]);
  }
});

test('Review Changes is on the Source Control title bar, with an icon', () => {
  const scm = pkg.contributes.menus['scm/title'];
  assert.deepEqual(scm, [{ command: 'bigpicture.review.changes', group: 'navigation', when: 'scmProvider == git' }]);
  const changes = pkg.contributes.commands.find((c: { command: string }) => c.command === 'bigpicture.review.changes');
  assert.match(changes.icon, /^\$\([a-z-]+\)$/);
});

test('the display name and the settings title read BigPicture', () => {
  assert.equal(pkg.displayName, 'BigPicture');
  assert.equal(pkg.contributes.configuration.title, 'BigPicture');
});
