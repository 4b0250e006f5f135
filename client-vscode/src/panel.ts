/**
 * The BigPicture view's behaviour: fetches the server's findings (`bigpicture.findings`) when
 * they change, applies the filters, restores dismissed findings, and hands the tree to the host.
 */
import { buildTree, categoriesOf, type Filters, isFiltered, NO_FILTERS, SEVERITIES, type ViewNode } from './findingsView';
import { plural } from './format';
import type { Host } from './host';
import { type FindingsList, ServerCommand } from './protocol';
import { errorText, type ServerController } from './server';
import type { StatusModel } from './status';

/** Said in the view when the server cannot list its findings (an older server). */
export const NO_LISTING =
  'This BigPicture server cannot list its findings (it is older than the extension): they are in the Problems panel. Update the bigpicture package to see them here.';

export class FindingsPanel {
  private list: FindingsList | null = null;
  private filters: Filters = { ...NO_FILTERS };
  /** A fetch is running; `again` asks for one more after it (changes coalesce). */
  private fetching: Promise<void> | undefined;
  private again = false;
  private problem: string | undefined;
  /** Finding titles by id, for messages about a finding before the server answers. */
  readonly titles = new Map<string, string>();

  constructor(
    private readonly host: Host,
    private readonly server: ServerController,
    private readonly status: StatusModel,
  ) {}

  /** Fetches the findings again (at most one fetch at a time; calls meanwhile make one more). */
  refresh(): Promise<void> {
    if (this.fetching) {
      this.again = true;
      return this.fetching;
    }
    this.fetching = (async () => {
      do {
        this.again = false;
        await this.fetch();
      } while (this.again);
    })().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async fetch(): Promise<void> {
    if (!this.server.running) {
      this.render();
      return;
    }
    if (!this.server.supports(ServerCommand.findings)) {
      // (The diagnostics still show every finding; nothing to retry until the server changes.)
      if (this.problem !== NO_LISTING) {
        this.host.log.info('The server has no bigpicture.findings: the view lists nothing.');
      }
      this.list = null;
      this.problem = NO_LISTING;
      this.render();
      return;
    }
    try {
      const result = await this.server.executeCommand(ServerCommand.findings, []);
      if (!isFindingsList(result)) {
        throw new Error(`unexpected answer ${JSON.stringify(result).slice(0, 200)}`);
      }
      this.list = { summary: result.summary ?? null, findings: result.findings, dismissed: result.dismissed ?? [] };
      this.problem = undefined;
      for (const f of result.findings) {
        this.titles.set(f.id, f.title);
      }
    } catch (err) {
      this.problem = `Could not list the findings: ${errorText(err)}. They are in the Problems panel.`;
      this.host.log.warn(this.problem);
    }
    this.render();
  }

  /** The server stopped: its findings are gone with it. */
  serverStopped(): void {
    this.list = null;
    this.render();
  }

  render(): void {
    const tree = buildTree(this.list, this.filters, this.status.lastSummary);
    const message = this.problem ?? tree.message;
    this.host.findingsView.show(tree.nodes, {
      badge: tree.total,
      badgeTooltip: plural(tree.total, 'BigPicture finding'),
      message,
    });
    this.host.setContext('bigpicture.filtered', isFiltered(this.filters));
    this.host.setContext('bigpicture.showDismissed', this.filters.showDismissed);
  }

  async filterSeverity(): Promise<void> {
    const present = new Map<string, number>();
    for (const f of this.list?.findings ?? []) {
      present.set(f.severity, (present.get(f.severity) ?? 0) + 1);
    }
    const chosen = await this.host.pickMany(
      SEVERITIES.map((s) => ({
        label: s,
        description: plural(present.get(s) ?? 0, 'finding'),
        value: s as string,
        picked: this.filters.severities.includes(s),
      })),
      'Show findings of these severities (none checked: all)',
    );
    if (chosen) {
      this.filters = { ...this.filters, severities: chosen.length === SEVERITIES.length ? [] : chosen };
      this.render();
    }
  }

  async filterCategory(): Promise<void> {
    const categories = [...new Set([...categoriesOf(this.list), ...this.filters.categories])].sort();
    if (categories.length === 0) {
      void this.host.info('BigPicture: no findings to filter.');
      return;
    }
    const chosen = await this.host.pickMany(
      categories.map((c) => ({
        label: c,
        description: plural((this.list?.findings ?? []).filter((f) => (f.category || 'other') === c).length, 'finding'),
        value: c,
        picked: this.filters.categories.includes(c),
      })),
      'Show findings of these categories (none checked: all)',
    );
    if (chosen) {
      this.filters = { ...this.filters, categories: chosen.length === categories.length ? [] : chosen };
      this.render();
    }
  }

  clearFilters(): void {
    this.filters = { ...this.filters, severities: [], categories: [] };
    this.render();
  }

  showDismissed(show: boolean): void {
    this.filters = { ...this.filters, showDismissed: show };
    this.render();
    if (show) {
      void this.refresh();
    }
  }

  /** Restores a dismissed finding (the node from the view, or an id). */
  async restore(target: unknown): Promise<void> {
    const id = typeof target === 'string' ? target : (target as ViewNode | undefined)?.findingId;
    if (!id) {
      return;
    }
    if (!this.server.supports(ServerCommand.restoreFinding)) {
      void this.host.warn(
        'BigPicture: this server cannot restore dismissed findings (it is older than the extension). Remove the entry from .bigpicture/dismissed.json instead.',
      );
      return;
    }
    try {
      await this.server.executeCommand(ServerCommand.restoreFinding, [id]);
    } catch (err) {
      void this.host.error(`BigPicture: could not restore the finding: ${errorText(err)}`);
      return;
    }
    await this.refresh();
  }
}

function isFindingsList(value: unknown): value is FindingsList {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as Record<string, unknown>).findings) &&
    Array.isArray((value as Record<string, unknown>).dismissed ?? [])
  );
}
