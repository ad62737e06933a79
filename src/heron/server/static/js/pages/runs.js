// The runs table, a project's home: filter, search, sort, group, choose columns,
// select runs to compare or tag or delete; paged on the server, so a project of
// 10,000 runs loads one page at a time. The table's state is the project's
// "runset" view on the server, which the workspace reads to pick its runs.
import { html, render, useEffect, useMemo, useRef, useState } from "../../vendor/preact-htm.js";
import { api, runPath } from "../lib/api.js";
import { createStore, useStore } from "../lib/store.js";
import { usePoll } from "../lib/poll.js";
import { ErrorBox, Empty, SearchBox, pageParams } from "../components/common.js";
import { FilterBar, chipsToFilters, filterFields, filtersToChips } from "../components/filter-bar.js";
import { ColumnPicker, allColumns, columnLabel, defaultColumns } from "../components/column-picker.js";
import { RunsTable } from "../components/runs-table.js";
import { GroupedRuns } from "../components/group-rows.js";
import { BulkActions } from "../components/bulk-actions.js";
import { Pager, PAGE_SIZES } from "../components/pager.js";

const LIVE_MS = 5000;
const SEARCH_DEBOUNCE_MS = 300;
const SAVE_DEBOUNCE_MS = 500;
const PERSISTED = ["filters", "search", "order", "selected", "group_by", "columns", "hidden", "page_size"];
const GROUP_FIELDS = ["group", "job_type", "state", "user", "host"];

const { root, entity, project } = pageParams();
const projectPath = `/projects/${encodeURIComponent(entity)}/${encodeURIComponent(project)}`;
const viewPath = `${projectPath}/views/runset`;

const store = createStore({
  loaded: false,
  filters: {},
  search: "",
  order: "-created_at",
  selected: [],
  group_by: null,
  columns: null, // null until someone chooses: then the project's defaults are shown
  hidden: [],
  page_size: 50,
  page: 0,
});

function persisted(state) {
  return Object.fromEntries(PERSISTED.map((k) => [k, state[k]]));
}

/** Saves the runset view a moment after the last change; flush() saves now. */
function createSaver(onError) {
  let timer = null;
  let last = null;
  const save = async () => {
    timer = null;
    const spec = persisted(store.get());
    const text = JSON.stringify(spec);
    if (text === last) return;
    last = text;
    try {
      await api.put(viewPath, { spec });
      onError(null);
    } catch (error) {
      last = null;
      onError(error);
    }
  };
  return {
    seen: (spec) => (last = JSON.stringify(spec)),
    schedule() {
      clearTimeout(timer);
      timer = setTimeout(save, SAVE_DEBOUNCE_MS);
    },
    flush() {
      clearTimeout(timer);
      return save();
    },
  };
}

// The benchmark (benchmarks/bench_ui.py) reads this mark: the first rows on screen.
let rowsMarked = false;
function markFirstRows() {
  if (rowsMarked) return;
  rowsMarked = true;
  requestAnimationFrame(() => performance.mark("heron:runs-rows"));
}

async function loadView() {
  try {
    const view = await api.get(viewPath);
    return view && view.spec ? view.spec : null;
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

function restore(spec) {
  const s = spec || {};
  const size = PAGE_SIZES.includes(s.page_size) ? s.page_size : 50;
  return {
    filters: s.filters && typeof s.filters === "object" ? s.filters : {},
    search: typeof s.search === "string" ? s.search : "",
    order: typeof s.order === "string" ? s.order : "-created_at",
    selected: Array.isArray(s.selected) ? s.selected : [],
    group_by: typeof s.group_by === "string" && s.group_by ? s.group_by : null,
    columns: Array.isArray(s.columns) ? s.columns : null,
    hidden: Array.isArray(s.hidden) ? s.hidden : [],
    page_size: size,
  };
}

function isEmpty(filters) {
  return !filters || Object.keys(filters).length === 0;
}

function RunsPage() {
  const state = useStore(store);
  const [keys, setKeys] = useState({ config: [], summary: [] });
  const [data, setData] = useState(null); // {runs, total} or {groups}
  const [error, setError] = useState(null);
  const [saveError, setSaveError] = useState(null);
  const [picking, setPicking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [searchText, setSearchText] = useState("");
  const [refresh, setRefresh] = useState(0);
  const saver = useMemo(() => createSaver(setSaveError), []);
  const generation = useRef(0);

  useEffect(() => {
    loadView()
      .then((spec) => {
        const restored = restore(spec);
        if (spec) saver.seen(persisted({ ...store.get(), ...restored }));
        setSearchText(restored.search);
        store.set({ ...restored, loaded: true });
      })
      .catch((e) => {
        setError(e);
        store.set({ loaded: true });
      });
    let previous = null;
    return store.subscribe((s) => {
      if (!s.loaded) return;
      const text = JSON.stringify(persisted(s));
      if (previous !== null && text !== previous) saver.schedule();
      previous = text;
    });
  }, []);

  // Search goes to the server a moment after the last keystroke.
  useEffect(() => {
    if (!state.loaded || searchText === state.search) return;
    const timer = setTimeout(() => store.set({ search: searchText, page: 0 }), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [searchText, state.loaded]);

  usePoll(
    async () => {
      const data = await api.get(`${projectPath}/columns`);
      setKeys({ config: data.config || [], summary: data.summary || [] });
    },
    30000,
    [],
  );

  const columns = state.columns || defaultColumns(keys);
  const filtersText = JSON.stringify(state.filters);
  const summaryColumns = columns.filter((c) => c.startsWith("summary."));

  usePoll(
    async () => {
      if (!state.loaded) return;
      const ticket = ++generation.current;
      const query = {
        filters: isEmpty(state.filters) ? undefined : state.filters,
        search: state.search || undefined,
      };
      try {
        let next;
        if (state.group_by) {
          const answer = await api.get(`${projectPath}/groups`, {
            ...query, by: state.group_by, metrics: summaryColumns,
          });
          next = { groups: answer.groups };
        } else {
          next = await api.get(runPath(entity, project), {
            ...query, order: state.order, limit: state.page_size, offset: state.page * state.page_size, lite: true,
          });
          if (next.runs.length === 0 && state.page > 0 && next.total > 0) {
            store.set({ page: Math.floor((next.total - 1) / state.page_size) });
          }
        }
        if (ticket === generation.current) {
          setData(next);
          setError(null);
          markFirstRows();
        }
      } catch (e) {
        if (ticket === generation.current) setError(e);
      }
    },
    LIVE_MS,
    [refresh, state.loaded, filtersText, state.search, state.order, state.page, state.page_size, state.group_by,
      summaryColumns.join("\n")],
  );

  const selected = useMemo(() => new Set(state.selected), [state.selected]);
  const hidden = useMemo(() => new Set(state.hidden), [state.hidden]);
  const ctx = {
    entity, project, runsPath: runPath(entity, project), selected, hidden,
    onSelect(ids, on) {
      const next = new Set(store.get().selected);
      ids.forEach((id) => (on ? next.add(id) : next.delete(id)));
      store.set({ selected: [...next] });
    },
    onToggleHidden(id) {
      const next = new Set(store.get().hidden);
      next.has(id) ? next.delete(id) : next.add(id);
      store.set({ hidden: [...next] });
    },
  };

  const chips = filtersToChips(state.filters);
  const setChips = (next) => store.set({ filters: chipsToFilters(next), page: 0 });
  const onSort = (order) => store.set({ order, page: 0 });

  const bulk = async (body) => {
    setBusy(true);
    try {
      const result = await api.post(`${projectPath}/runs/bulk`, { run_ids: store.get().selected, ...body });
      setError(null);
      return result;
    } catch (e) {
      setError(e);
      return null;
    } finally {
      setBusy(false);
      generation.current++; // drop any answer that started before the change
      setRefresh((n) => n + 1);
    }
  };
  const onTag = async (action, tag) =>
    (await bulk(action === "add" ? { add_tags: [tag] } : { remove_tags: [tag] })) !== null;
  const onDelete = async () => {
    const gone = store.get().selected;
    if ((await bulk({ delete: true })) !== null) {
      const goneSet = new Set(gone);
      store.set({ selected: [], hidden: store.get().hidden.filter((id) => !goneSet.has(id)) });
    }
  };
  const onCompare = async () => {
    await saver.flush();
    window.location.href = `/${encodeURIComponent(entity)}/${encodeURIComponent(project)}/workspace`;
  };

  const groupOptions = [...GROUP_FIELDS, ...keys.config.map((k) => "config." + k)];
  const total = data && "total" in data ? data.total : null;
  return html`
    <section class="page runs-page">
      <div class="page-head">
        <h1>Runs</h1>
        <span class="muted run-total">${total === null ? "" : `${total.toLocaleString()} run${total === 1 ? "" : "s"}`}</span>
        <${SearchBox} value=${searchText} onInput=${setSearchText} placeholder="Search runs by name, id or tag" />
        <label class="group-pick">Group by
          <select aria-label="Group by" value=${state.group_by || ""}
            onChange=${(e) => store.set({ group_by: e.currentTarget.value || null, page: 0 })}>
            <option value="">None</option>
            ${groupOptions.map((f) => html`<option value=${f}>${columnLabel(f)}</option>`)}
          </select>
        </label>
        <div class="picker-anchor">
          <button type="button" aria-expanded=${picking} onClick=${() => setPicking(!picking)}>Columns</button>
          ${picking && html`<${ColumnPicker} columns=${columns} available=${allColumns(keys)}
            onChange=${(next) => store.set({ columns: next })} onClose=${() => setPicking(false)} />`}
        </div>
      </div>
      ${chips === null
        ? html`<div class="filter-bar"><span class="chip">custom filter ${filtersText}
            <button type="button" class="chip-x" aria-label="Remove custom filter" onClick=${() => setChips([])}>×</button></span></div>`
        : html`<${FilterBar} chips=${chips} fields=${filterFields(keys)} onChange=${setChips} />`}
      <${BulkActions} count=${state.selected.length} busy=${busy} onCompare=${onCompare} onTag=${onTag}
        onDelete=${onDelete} onClear=${() => store.set({ selected: [] })} />
      <${ErrorBox} error=${error} />
      ${saveError && html`<${ErrorBox} error=${{ message: `The table layout was not saved: ${saveError.message}` }} />`}
      ${data === null || Boolean(data.groups) !== Boolean(state.group_by)
        ? html`<p class="muted">Loading…</p>`
        : data.groups
          ? data.groups.length === 0
            ? html`<${Empty}>No runs match.<//>`
            : html`<${GroupedRuns} groups=${data.groups} by=${state.group_by} columns=${columns}
                query=${{ filters: state.filters, search: state.search, order: state.order }} onSort=${onSort} ctx=${ctx} />`
          : data.runs.length === 0
            ? html`<${Empty}>${isEmpty(state.filters) && !state.search
                ? "No runs in this project yet: log one with heron.init(project=...)."
                : "No runs match these filters."}<//>`
            : html`
                <${RunsTable} runs=${data.runs} columns=${columns} order=${state.order} onSort=${onSort} ctx=${ctx} />
                <${Pager} page=${state.page} pageSize=${state.page_size} total=${data.total}
                  onPage=${(page) => store.set({ page })}
                  onPageSize=${(size) => store.set({ page_size: size, page: 0 })} />`}
    </section>
  `;
}

render(html`<${RunsPage} />`, root);
