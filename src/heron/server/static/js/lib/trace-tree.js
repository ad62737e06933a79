// The call tree of one trace, loaded lazily: a node's children are fetched only
// when it is expanded, a page of PAGE at a time, and only the pages that scroll
// into view. So a call with 100,000 children costs one count and one page to
// open, and the list can jump anywhere in it (rows not loaded yet are
// placeholders until their page arrives).
//
// The tree lives outside Preact state (maps mutated in place); `version` goes up
// on every change and `onChange` tells the page to re-render.

export const PAGE = 500;

export class TraceTree {
  constructor(calls, onChange) {
    this.api = calls;
    this.onChange = onChange;
    this.calls = new Map(); // id -> call
    this.children = new Map(); // id -> {total, pages: Map(page -> ids), loading: Set(page)}
    this.childCounts = new Map(); // id -> how many children it has (0 when none)
    this.expanded = new Set();
    this.rootId = null;
    this.version = 0;
    this.rowsCache = null;
  }

  changed() {
    this.version += 1;
    this.rowsCache = null;
    this.onChange();
  }

  add(call) {
    this.calls.set(call.id, call);
  }

  /** Learn how many children each of `ids` has (one query for a page of calls). */
  async countChildren(ids) {
    const unknown = ids.filter((id) => !this.childCounts.has(id));
    if (!unknown.length) return;
    const counts = await this.api.countBy("parent_id", { parent_ids: unknown });
    unknown.forEach((id) => this.childCounts.set(id, counts[id] || 0));
  }

  /** Fetch page `page` of `parentId`'s children (no-op when loaded or loading). */
  async loadPage(parentId, page) {
    const entry = this.children.get(parentId);
    if (!entry || entry.pages.has(page) || entry.loading.has(page)) return;
    entry.loading.add(page);
    try {
      const { calls } = await this.api.query({
        filter: { parent_ids: [parentId] },
        sort_by: [["started_at", "asc"]],
        limit: PAGE,
        offset: page * PAGE,
        include_costs: true,
      });
      calls.forEach((c) => this.add(c));
      entry.pages.set(page, calls.map((c) => c.id));
      await this.countChildren(calls.map((c) => c.id));
    } finally {
      entry.loading.delete(page);
    }
    this.changed();
  }

  /** Open a node: count its children (if not known) and load the page holding `index`. */
  async expand(id, index = 0) {
    this.expanded.add(id);
    if (!this.children.has(id)) {
      const total = this.childCounts.has(id) ? this.childCounts.get(id) : await this.api.count({ parent_ids: [id] });
      if (!this.children.has(id)) this.children.set(id, { total, pages: new Map(), loading: new Set() });
    }
    this.changed();
    if (this.children.get(id).total > 0) await this.loadPage(id, Math.floor(index / PAGE));
  }

  collapse(id) {
    this.expanded.delete(id);
    this.changed();
  }

  hasChildren(id) {
    const n = this.childCounts.get(id);
    return n === undefined ? null : n > 0;
  }

  /**
   * The visible rows, depth first: {id, depth} for a loaded call,
   * {parent, index, depth} for a child whose page is not loaded yet.
   */
  rows() {
    if (this.rowsCache) return this.rowsCache;
    const rows = [];
    const visit = (id, depth) => {
      rows.push({ id, depth });
      if (!this.expanded.has(id)) return;
      const entry = this.children.get(id);
      if (!entry) {
        rows.push({ parent: id, index: 0, depth: depth + 1 });
        return;
      }
      for (let page = 0; page * PAGE < entry.total; page += 1) {
        const ids = entry.pages.get(page);
        const end = Math.min(entry.total, (page + 1) * PAGE);
        if (ids) {
          ids.forEach((child) => visit(child, depth + 1));
          // A page may come back short when calls were deleted meanwhile.
          for (let i = page * PAGE + ids.length; i < end; i += 1) rows.push({ parent: id, index: i, depth: depth + 1, gone: true });
        } else {
          for (let i = page * PAGE; i < end; i += 1) rows.push({ parent: id, index: i, depth: depth + 1 });
        }
      }
    };
    if (this.rootId) visit(this.rootId, 0);
    this.rowsCache = rows;
    return rows;
  }

  /** Load the pages of the placeholder rows among `rows` (those on screen). */
  loadVisible(rows) {
    const wanted = new Set();
    for (const row of rows) {
      if (row.id === undefined && !row.gone) wanted.add(`${row.parent}\u0000${Math.floor(row.index / PAGE)}`);
    }
    for (const key of wanted) {
      const [parent, page] = key.split("\u0000");
      this.loadPage(parent, Number(page));
    }
  }

  /**
   * Open the tree down to `call` (already fetched with its ancestors in `path`,
   * root first): each ancestor is expanded at the page that holds the next one.
   */
  async openPath(path) {
    path.forEach((c) => this.add(c));
    this.rootId = path[0].id;
    await this.countChildren(path.map((c) => c.id));
    for (let i = 0; i < path.length - 1; i += 1) {
      const parent = path[i];
      const child = path[i + 1];
      const before = await this.api.count({ parent_ids: [parent.id], started_before: child.started_at });
      await this.expand(parent.id, before);
    }
    const last = path[path.length - 1];
    if (path.length === 1 && this.hasChildren(last.id)) await this.expand(last.id);
    this.changed();
  }
}
