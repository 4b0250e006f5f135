/** The BigPicture view: the tree built from the server's findings, and the panel's behaviour. */
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { App } from '../src/app';
import { buildTree, NO_FILTERS, type ViewNode } from '../src/findingsView';
import type { Finding, FindingsList, ReviewSummary } from '../src/protocol';
import { FakeHost, settle } from './fakeHost';

const WS = 'file:///ws/';

const finding = (id: string, path: string, line: number, severity: string, over: Partial<Finding> = {}): Finding => ({
  id,
  path,
  uri: `${WS}${path}`,
  range: { start: { line, character: 4 }, end: { line, character: 20 } },
  severity,
  category: 'security',
  confidence: 0.9,
  title: `${severity} in ${path}:${line}`,
  message: `message ${id}`,
  cwe: null,
  fix: null,
  related: [],
  approximate: false,
  ...over,
});

const summary: ReviewSummary = {
  status: 'ok',
  kind: 'workspace',
  findings: 4,
  bySeverity: { critical: 1, high: 2, low: 1 },
  costUsd: 0.042,
  cacheReadShare: 0,
  usage: { cache_creation_input_tokens: 50000 },
  requestId: 'req_1',
  message: '4 findings',
  error: null,
  reviewedAt: '2026-12-07T14:02:00Z',
  summaryText: 'Two injection flaws and a layering problem.',
  filesSent: 12,
  filesLeftOut: 3,
};

const list: FindingsList = {
  summary,
  findings: [
    finding('a', 'app/db.py', 9, 'critical', { fix: { replacement: 'cur.execute("?", (name,))' } }),
    finding('b', 'app/web.py', 4, 'high'),
    finding('c', 'app/db.py', 2, 'high', {
      category: 'architecture',
      related: [
        { uri: `${WS}app/web.py`, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 5 } }, message: 'imports db directly' },
      ],
    }),
    finding('d', 'README.md', 0, 'low', { category: 'docs', confidence: null }),
  ],
  dismissed: [{ id: 'z', path: 'app/old.py', title: 'Old finding', category: 'security', reason: 'wont-fix', dismissedAt: '2026-12-07T13:00:00Z' }],
};

const labels = (nodes: ViewNode[]) => nodes.map((n) => `${n.label}${n.description ? ` (${n.description})` : ''}`);

test('findings are grouped by severity, most severe first, then by file, with counts', () => {
  const tree = buildTree(list, NO_FILTERS);
  const [top, ...groups] = tree.nodes;
  assert.equal(top.id, 'summary');
  assert.deepEqual(labels(groups), ['Critical (1)', 'High (2)', 'Low (1)']);
  const high = groups[1];
  assert.deepEqual(labels(high.children!), ['db.py (app · 1)', 'web.py (app · 1)']);
  assert.deepEqual(labels(high.children![0].children!), ['high in app/db.py:2 (Ln 3 · architecture · 90% confident)']);
  assert.equal(tree.total, 4);
  assert.equal(tree.shown, 4);
  assert.equal(tree.message, undefined);
});

test('a finding opens at its range; an architecture finding has its related places as children', () => {
  const high = buildTree(list, NO_FILTERS).nodes[2];
  const layering = high.children![0].children![0];
  assert.deepEqual(layering.open, { uri: `${WS}app/db.py`, range: list.findings[2].range });
  assert.equal(layering.findingId, 'c');
  assert.equal(layering.contextValue, 'finding');
  assert.equal(layering.state, 'expanded');
  assert.deepEqual(labels(layering.children!), ['app/web.py:1 (imports db directly)']);
  assert.deepEqual(layering.children![0].open, { uri: `${WS}app/web.py`, range: list.findings[2].related![0].range });
  // A finding without related places is a leaf.
  assert.equal(high.children![1].children![0].state, undefined);
});

test("the summary on top: kind and time, the model's summary, findings, cost with the cache, files left out", () => {
  const top = buildTree(list, NO_FILTERS).nodes[0];
  assert.equal(top.label, 'Workspace review');
  assert.match(top.description!, /^\d\d:\d\d$|^2026-12-07 \d\d:\d\d$/);
  assert.deepEqual(
    top.children!.map((n) => n.label),
    [
      'Two injection flaws and a layering problem.',
      'Findings: 4 (1 critical, 2 high, 1 low)',
      'Cost $0.042 · cache written (50,000 tokens; later reviews read it)',
      '12 files sent · 3 left out',
    ],
  );
  // The files line opens the plan of that kind of review.
  assert.deepEqual(top.children![3].command?.args, ['workspace']);
  // After a fix or a dismissal the view says how many are shown now.
  const fewer = buildTree({ ...list, findings: list.findings.slice(1) }, NO_FILTERS).nodes[0];
  assert.equal(fewer.children![1].label, 'Findings: 4 (1 critical, 2 high, 1 low) · 3 shown now');
  // Without a list (an older server) nothing is said about what is shown now.
  assert.equal(buildTree(null, NO_FILTERS, summary).nodes[0].children![1].label, 'Findings: 4 (1 critical, 2 high, 1 low)');
});

test('the findings restored at the start: "restored", when that review ran, and no cost', () => {
  const restored: ReviewSummary = {
    ...summary,
    restored: true,
    costUsd: null,
    cacheReadShare: null,
    usage: null,
    requestId: null,
    filesSent: undefined,
    filesLeftOut: undefined,
    message: '4 findings from the review of 2026-12-07 14:02',
  };
  const top = buildTree({ ...list, summary: restored }, NO_FILTERS).nodes[0];
  assert.match(top.description!, /restored$/);
  assert.match(top.tooltip!, /kept across the restart/);
  assert.deepEqual(
    top.children!.map((n) => n.label),
    ['Two injection flaws and a layering problem.', 'Findings: 4 (1 critical, 2 high, 1 low)'],
  );
});

test('a failed review says why and that the earlier findings are kept', () => {
  const failed: ReviewSummary = { ...summary, status: 'failed', error: 'rate-limited', findings: 0, kept: 4, message: 'rate limited after 3 attempts' };
  const top = buildTree({ ...list, summary: failed }, NO_FILTERS).nodes[0];
  assert.equal(top.description?.endsWith('failed'), true);
  assert.deepEqual(
    top.children!.map((n) => n.label),
    ['Two injection flaws and a layering problem.', 'rate limited after 3 attempts', 'No new findings; the 4 findings from the previous review are kept', '12 files sent · 3 left out'],
  );
});

test('the hover of a finding has the severity, category, confidence, message and the fix', () => {
  const critical = buildTree(list, NO_FILTERS).nodes[1].children![0].children![0];
  assert.match(critical.tooltip!, /\*\*critical\*\* · security · confidence 90%/);
  assert.match(critical.tooltip!, /message a/);
  assert.match(critical.tooltip!, /Suggested fix:\n\n```\ncur\.execute\("\?", \(name,\)\)\n```/);
});

test('filters by severity and by category; the message says how many are hidden', () => {
  const bySeverity = buildTree(list, { ...NO_FILTERS, severities: ['critical', 'low'] });
  assert.deepEqual(labels(bySeverity.nodes.slice(1)), ['Critical (1)', 'Low (1)']);
  assert.equal(bySeverity.message, 'Filtered (critical, low): 2 of 4 findings shown.');
  const byCategory = buildTree(list, { ...NO_FILTERS, categories: ['architecture'] });
  assert.deepEqual(labels(byCategory.nodes.slice(1)), ['High (1)']);
  assert.equal(byCategory.shown, 1);
  assert.equal(byCategory.total, 4);
  const none = buildTree(list, { ...NO_FILTERS, categories: ['performance'] });
  assert.deepEqual(labels(none.nodes.slice(1)), ['No findings match the filters']);
});

test('"Show dismissed" adds the dismissed findings, each restorable', () => {
  assert.ok(!buildTree(list, NO_FILTERS).nodes.some((n) => n.id === 'dismissed'));
  const group = buildTree(list, { ...NO_FILTERS, showDismissed: true }).nodes.at(-1)!;
  assert.deepEqual(labels([group]), ['Dismissed (1)']);
  assert.deepEqual(labels(group.children!), ["Old finding (app/old.py · won't fix)"]);
  assert.equal(group.children![0].contextValue, 'dismissed');
  assert.equal(group.children![0].findingId, 'z');
});

test('before any review the tree is empty (the welcome text shows)', () => {
  assert.deepEqual(buildTree(null, NO_FILTERS).nodes, []);
  assert.deepEqual(buildTree({ summary: null, findings: [], dismissed: [] }, NO_FILTERS).nodes, []);
  const clean = buildTree({ summary: { ...summary, findings: 0, bySeverity: {} }, findings: [], dismissed: [] }, NO_FILTERS);
  assert.deepEqual(labels(clean.nodes.slice(1)), ['No findings']);
});

// --------------------------------------------------------------------------- the panel in the app

let host: FakeHost;
let app: App;
let current: FindingsList;

beforeEach(() => {
  host = new FakeHost();
  current = structuredClone(list);
  host.serverAnswers.set('bigpicture.findings', () => structuredClone(current));
  host.serverAnswers.set('bigpicture.restoreFinding', (args) => {
    const d = current.dismissed.find((x) => x.id === args[0]);
    current.dismissed = current.dismissed.filter((x) => x.id !== args[0]);
    if (d) {
      current.findings.push(finding(d.id, d.path, 0, 'medium', { title: d.title }));
    }
    return { restored: args[0] };
  });
  app = new App(host);
});

async function started() {
  app.activate();
  await app.server.ensureStarted();
  await settle();
}

test('the view shows the server findings once it starts, with the count as its badge', async () => {
  await started();
  assert.deepEqual(labels(host.view.nodes.slice(1)), ['Critical (1)', 'High (2)', 'Low (1)']);
  assert.equal(host.view.badge, 4);
  assert.equal(host.findingsReads, 1);
});

test('bigpicture/findingsChanged refetches; changes arriving during a fetch make one more fetch', async () => {
  await started();
  current.findings = current.findings.slice(0, 1);
  const notify = () => host.client.spec.onNotification('bigpicture/findingsChanged', { counts: { critical: 1 }, total: 1 });
  notify();
  notify();
  notify();
  await settle();
  assert.equal(host.findingsReads, 3, 'the first, one, and one more');
  assert.deepEqual(labels(host.view.nodes.slice(1)), ['Critical (1)']);
  assert.equal(host.view.badge, 1);
});

test('the severity filter: a checked list with the counts, applied without asking the server', async () => {
  await started();
  host.pickManyAnswer = ['high'];
  await host.commandsRegistered.get('bigpicture.view.filterSeverity')!();
  assert.deepEqual(
    host.pickManyItems.map((i) => `${i.label} ${i.description} ${i.picked}`),
    ['critical 1 finding false', 'high 2 findings false', 'medium 0 findings false', 'low 1 finding false', 'info 0 findings false'],
  );
  assert.deepEqual(labels(host.view.nodes.slice(1)), ['High (2)']);
  assert.equal(host.contextKeys.get('bigpicture.filtered'), true);
  assert.equal(host.findingsReads, 1);
  // The category filter offers the categories present.
  host.pickManyAnswer = ['architecture'];
  await host.commandsRegistered.get('bigpicture.view.filterCategory')!();
  assert.deepEqual(host.pickManyItems.map((i) => i.label), ['architecture', 'docs', 'security']);
  assert.deepEqual(labels(host.view.nodes.slice(1)), ['High (1)']);
  await host.commandsRegistered.get('bigpicture.view.clearFilters')!();
  assert.equal(host.contextKeys.get('bigpicture.filtered'), false);
  assert.deepEqual(labels(host.view.nodes.slice(1)), ['Critical (1)', 'High (2)', 'Low (1)']);
});

test('Show dismissed, then Restore on a dismissed finding brings it back', async () => {
  await started();
  await host.commandsRegistered.get('bigpicture.view.showDismissed')!();
  await settle();
  assert.equal(host.contextKeys.get('bigpicture.showDismissed'), true);
  const group = host.view.nodes.at(-1)!;
  assert.equal(group.id, 'dismissed');
  await host.commandsRegistered.get('bigpicture.view.restore')!(group.children![0]);
  await settle();
  const restoreCall = host.client.sentCommands.find((c) => c.command === 'bigpicture.restoreFinding');
  assert.deepEqual(restoreCall?.args, ['z']);
  assert.deepEqual(labels([host.view.nodes.at(-1)!]), ['Dismissed (0)']);
  assert.ok(labels(host.view.nodes).includes('Medium (1)'));
  await host.commandsRegistered.get('bigpicture.view.hideDismissed')!();
  assert.ok(!host.view.nodes.some((n) => n.id === 'dismissed'));
});

test('a server without bigpicture.findings: the view says so and points to the Problems panel', async () => {
  host.serverAnswers.delete('bigpicture.findings');
  host.serverAnswers.delete('bigpicture.restoreFinding');
  await started();
  // Never asked (no error in the server's log), one clear line, no toast.
  assert.equal(host.findingsReads, 0);
  assert.match(host.view.message ?? '', /cannot list its findings .*older than the extension.*Problems panel/);
  assert.deepEqual(host.shown, []);
  // A review's summary still tops the view.
  host.client.spec.onReviewFinished(summary);
  await settle();
  assert.equal(host.view.nodes[0].id, 'summary');
  assert.equal(host.findingsReads, 0);
  assert.deepEqual(host.shown, []);
});

test('a failing bigpicture.findings: the view says why, no toast', async () => {
  host.serverAnswers.set('bigpicture.findings', () => {
    throw new Error('boom');
  });
  await started();
  assert.match(host.view.message ?? '', /Could not list the findings: boom\. They are in the Problems panel/);
  assert.deepEqual(host.shown, []);
});
