/**
 * The BigPicture view's tree, as plain data: the last review's summary on top, then the findings
 * grouped by severity and file (with counts), each finding's related places as its children,
 * and the dismissed findings when asked for. `vscodeapi.ts` renders these nodes as a TreeView;
 * nothing here imports `vscode`.
 */
import { cacheText, findingsText, plural, usd, when } from './format';
import type { Dismissed, Finding, FindingsList, Range, ReviewSummary } from './protocol';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

/** A codicon and its theme colour for each severity (the Problems panel's colours). */
const SEVERITY_ICON: Record<string, { id: string; color: string }> = {
  critical: { id: 'error', color: 'errorForeground' },
  high: { id: 'error', color: 'list.errorForeground' },
  medium: { id: 'warning', color: 'list.warningForeground' },
  low: { id: 'info', color: 'editorInfo.foreground' },
  info: { id: 'info', color: 'descriptionForeground' },
};

export interface ViewNode {
  /** Unique in the tree and stable across refreshes (VS Code keeps expansion by id). */
  id: string;
  label: string;
  description?: string;
  /** Markdown. */
  tooltip?: string;
  icon?: { id: string; color?: string };
  /** `finding`, `dismissed`, `related`, `summary`, ... (menus' `viewItem`). */
  contextValue?: string;
  /** Absent: a leaf. */
  state?: 'expanded' | 'collapsed';
  /** Clicking opens this place. */
  open?: { uri: string; range: Range };
  /** Clicking runs this extension command instead. */
  command?: { id: string; title: string; args: unknown[] };
  /** The finding this node stands for (restore, explain). */
  findingId?: string;
  children?: ViewNode[];
}

export interface Filters {
  /** Severities shown; empty: all. */
  severities: string[];
  /** Categories shown; empty: all. */
  categories: string[];
  showDismissed: boolean;
}

export const NO_FILTERS: Filters = { severities: [], categories: [], showDismissed: false };

export interface Tree {
  nodes: ViewNode[];
  /** Findings the server shows now (all of them, whatever the filters). */
  total: number;
  /** Findings in the tree after the filters. */
  shown: number;
  /** A line above the tree (what the filters hide), or undefined. */
  message?: string;
}

export function isFiltered(f: Filters): boolean {
  return f.severities.length > 0 || f.categories.length > 0;
}

/** The categories of the findings and dismissed findings (sorted), for the category filter. */
export function categoriesOf(list: FindingsList | null): string[] {
  const all = new Set<string>();
  for (const f of list?.findings ?? []) {
    all.add(f.category || 'other');
  }
  for (const d of list?.dismissed ?? []) {
    if (d.category) {
      all.add(d.category);
    }
  }
  return [...all].sort();
}

/** The tree for `list` (null: the server has not answered yet) with `filters` applied. */
export function buildTree(list: FindingsList | null, filters: Filters, fallback?: ReviewSummary): Tree {
  const summary = list?.summary ?? fallback;
  const findings = list?.findings ?? [];
  const keep = (f: Finding) =>
    (filters.severities.length === 0 || filters.severities.includes(f.severity)) &&
    (filters.categories.length === 0 || filters.categories.includes(f.category || 'other'));
  const visible = findings.filter(keep);
  const nodes: ViewNode[] = [];
  if (summary) {
    nodes.push(summaryNode(summary, list ? findings.length : undefined));
  }
  for (const severity of severityOrder(visible)) {
    const ofSeverity = visible.filter((f) => f.severity === severity);
    nodes.push({
      id: `sev:${severity}`,
      label: capitalize(severity),
      description: String(ofSeverity.length),
      tooltip: `${plural(ofSeverity.length, `${severity} finding`)} in ${plural(new Set(ofSeverity.map((f) => f.path)).size, 'file')}`,
      icon: SEVERITY_ICON[severity] ?? { id: 'circle-outline' },
      contextValue: 'severity',
      state: 'expanded',
      children: fileNodes(`sev:${severity}`, ofSeverity),
    });
  }
  if (summary && visible.length === 0) {
    nodes.push({
      id: 'none',
      label: findings.length === 0 ? 'No findings' : 'No findings match the filters',
      icon: { id: findings.length === 0 ? 'pass' : 'filter' },
      contextValue: 'none',
    });
  }
  const dismissed = list?.dismissed ?? [];
  if (filters.showDismissed) {
    nodes.push({
      id: 'dismissed',
      label: 'Dismissed',
      description: String(dismissed.length),
      tooltip: 'Findings dismissed in this workspace (.bigpicture/dismissed.json). Restore one to show it again.',
      icon: { id: 'eye-closed' },
      contextValue: 'dismissedGroup',
      state: dismissed.length > 0 ? 'expanded' : undefined,
      children: dismissed.map(dismissedNode),
    });
  }
  let message: string | undefined;
  if (isFiltered(filters)) {
    const parts = [
      filters.severities.length ? filters.severities.join(', ') : '',
      filters.categories.length ? filters.categories.join(', ') : '',
    ].filter(Boolean);
    message = `Filtered (${parts.join('; ')}): ${visible.length} of ${plural(findings.length, 'finding')} shown.`;
  }
  return { nodes, total: findings.length, shown: visible.length, message };
}

/** Known severities most severe first, then any others the server sent. */
function severityOrder(findings: Finding[]): string[] {
  const present = new Set(findings.map((f) => f.severity));
  const known = SEVERITIES.filter((s) => present.has(s));
  const other = [...present].filter((s) => !(SEVERITIES as readonly string[]).includes(s)).sort();
  return [...known, ...other];
}

function fileNodes(parent: string, findings: Finding[]): ViewNode[] {
  const byPath = new Map<string, Finding[]>();
  for (const f of findings) {
    byPath.set(f.path, [...(byPath.get(f.path) ?? []), f]);
  }
  return [...byPath.keys()].sort().map((path) => {
    const here = (byPath.get(path) ?? []).sort((a, b) => a.range.start.line - b.range.start.line);
    const slash = path.lastIndexOf('/');
    return {
      id: `${parent}/file:${path}`,
      label: slash >= 0 ? path.slice(slash + 1) : path,
      description: `${slash >= 0 ? `${path.slice(0, slash)} · ` : ''}${here.length}`,
      tooltip: `${path}: ${plural(here.length, 'finding')}`,
      icon: { id: 'file' },
      contextValue: 'file',
      state: 'expanded' as const,
      open: { uri: here[0].uri, range: here[0].range },
      children: here.map((f) => findingNode(f)),
    };
  });
}

function findingNode(f: Finding): ViewNode {
  const related = f.related ?? [];
  const parts = [`Ln ${f.range.start.line + 1}`, f.category || 'other'];
  if (typeof f.confidence === 'number') {
    parts.push(`${Math.round(f.confidence * 100)}% confident`);
  }
  if (f.approximate) {
    parts.push('place approximate');
  }
  return {
    id: `finding:${f.id}`,
    label: f.title,
    description: parts.join(' · '),
    tooltip: findingTooltip(f),
    icon: SEVERITY_ICON[f.severity] ?? { id: 'circle-outline' },
    contextValue: 'finding',
    state: related.length > 0 ? 'expanded' : undefined,
    open: { uri: f.uri, range: f.range },
    findingId: f.id,
    children: related.map((r, i) => ({
      id: `finding:${f.id}/related:${i}`,
      label: `${relativeLabel(r.uri, f)}:${r.range.start.line + 1}`,
      description: r.message,
      tooltip: r.message,
      icon: { id: 'references' },
      contextValue: 'related',
      open: { uri: r.uri, range: r.range },
    })),
  };
}

/** A related place's file as the finding's path names files (relative to the workspace). */
function relativeLabel(uri: string, f: Finding): string {
  const base = f.uri.endsWith(f.path) ? f.uri.slice(0, f.uri.length - f.path.length) : '';
  const rel = base && uri.startsWith(base) ? uri.slice(base.length) : uri.replace(/^.*\//, '');
  try {
    return decodeURIComponent(rel);
  } catch {
    return rel;
  }
}

/** The finding in Markdown: title, severity, category, confidence, message, the fix's text. */
export function findingTooltip(f: Finding): string {
  const meta = [`**${f.severity}**`, f.category || 'other'];
  if (typeof f.confidence === 'number') {
    meta.push(`confidence ${Math.round(f.confidence * 100)}%`);
  }
  if (f.cwe) {
    meta.push(f.cwe);
  }
  const lines = [`**${escapeMarkdown(f.title)}**`, '', meta.join(' · '), '', escapeMarkdown(f.message)];
  if (f.fix?.replacement) {
    lines.push('', 'Suggested fix:', '', fence(f.fix.replacement));
  }
  return lines.join('\n');
}

function dismissedNode(d: Dismissed): ViewNode {
  const reason = d.reason === 'wont-fix' ? "won't fix" : d.reason === 'false-positive' ? 'false positive' : d.reason;
  return {
    id: `dismissed:${d.id}`,
    label: d.title,
    description: `${d.path} · ${reason}`,
    tooltip: `**${escapeMarkdown(d.title)}**\n\n${d.path} · ${d.category ?? ''} · dismissed as ${reason}${d.dismissedAt ? ` ${when(d.dismissedAt)}` : ''}\n\nRestore it to show it again.`,
    icon: { id: 'circle-slash', color: 'disabledForeground' },
    contextValue: 'dismissed',
    findingId: d.id,
  };
}

/** The last review: kind and time, then the model's summary, findings, cost and files. */
function summaryNode(s: ReviewSummary, shownNow: number | undefined): ViewNode {
  const kind = `${capitalize(String(s.kind))} review${s.trigger === 'save' ? ' on save' : ''}`;
  const time = s.reviewedAt ? when(s.reviewedAt) : '';
  const children: ViewNode[] = [];
  if (s.summaryText) {
    children.push({
      id: 'summary/text',
      label: oneLine(s.summaryText),
      tooltip: escapeMarkdown(s.summaryText),
      icon: { id: 'comment' },
      contextValue: 'summaryLine',
    });
  }
  if (s.status !== 'ok' && s.message) {
    children.push({
      id: 'summary/message',
      label: oneLine(s.message),
      tooltip: escapeMarkdown(s.message),
      icon: { id: s.status === 'failed' ? 'error' : 'info' },
      contextValue: 'summaryLine',
    });
  }
  children.push({
    id: 'summary/findings',
    // (A fix, a dismissal or an edit since the review changes what is shown.)
    label:
      findingsText(s, shownNow) +
      ((s.status === 'ok' || s.status === 'incomplete') && shownNow !== undefined && shownNow !== s.findings
        ? ` · ${shownNow} shown now`
        : ''),
    icon: { id: 'list-tree' },
    contextValue: 'summaryLine',
  });
  // (A restored summary has no cost: nothing was sent for it, and the review's own cost is in
  // Show Usage.)
  if ((s.status === 'ok' || s.status === 'incomplete') && !s.restored) {
    children.push({
      id: 'summary/cost',
      label: `Cost ${usd(s.costUsd)} · ${cacheText(s)}`,
      icon: { id: 'credit-card' },
      contextValue: 'summaryLine',
    });
  }
  if (typeof s.filesSent === 'number') {
    const leftOut = s.filesLeftOut ?? 0;
    children.push({
      id: 'summary/files',
      label: `${plural(s.filesSent, 'file')} sent · ${leftOut} left out`,
      tooltip: 'Show the plan: every file that is sent, with its tokens, and what is left out and why.',
      icon: { id: 'files' },
      contextValue: 'summaryLine',
      command: { id: 'bigpicture.plan', title: 'Show Plan and Cost', args: [kindForPlan(s.kind)] },
    });
  }
  return {
    id: 'summary',
    label: kind,
    description: [time, s.restored ? 'restored' : '', s.status === 'ok' ? '' : s.status].filter(Boolean).join(' · '),
    tooltip: s.restored
      ? `The findings of the review of ${time || 'an earlier session'}, kept across the restart.`
      : `The last review${time ? ` (${time})` : ''}.`,
    icon: { id: s.status === 'failed' ? 'error' : 'checklist' },
    contextValue: 'summary',
    state: 'expanded',
    children,
  };
}

function kindForPlan(kind: string): string {
  return kind === 'changes' || kind === 'file' ? kind : 'workspace';
}

function oneLine(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 120 ? `${t.slice(0, 119)}…` : t;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_{}[\]<>#|])/g, '\\$1');
}

function fence(code: string): string {
  const ticks = '`'.repeat(Math.max(3, ...[...code.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return `${ticks}\n${code}\n${ticks}`;
}
