// One call in its trace: the call tree with a timing waterfall on the left
// (opened down to the call; children load lazily, a page at a time), the
// selected call's detail on the right. Choosing a call updates the URL.
import { html, render, useEffect, useState } from "../../vendor/preact-htm.js";
import { createStore, useStore } from "../lib/store.js";
import { TraceTree } from "../lib/trace-tree.js";
import { callHref, callLabel, callsApi, fmtCount, fmtLatency, latencyOf, tracesHref } from "../lib/calls.js";
import { ErrorBox, pageParams } from "../components/common.js";
import { CallTree } from "../components/calltree.js";
import { CallDetail } from "../components/call-detail.js";
import { traceSpan } from "../components/waterfall.js";

const { root, entity, project, callId } = pageParams();
const calls = callsApi(entity, project);
const store = createStore({ version: 0, selected: callId, reveal: callId, ready: false, total: null, error: null });
const tree = new TraceTree(calls, () => store.set({ version: tree.version }));

// The benchmark (benchmarks/bench_traces_ui.py) reads this mark: the trace's first level on screen.
function markTree() {
  requestAnimationFrame(() => performance.mark("heron:trace-tree"));
}

async function open(id) {
  try {
    const path = [await calls.get(id)];
    while (path[0].parent_id) {
      try {
        path.unshift(await calls.get(path[0].parent_id));
      } catch (error) {
        if (error.status === 404) break; // an orphan: its parent was deleted; show from here
        throw error;
      }
    }
    await tree.openPath(path);
    store.set({ ready: true });
    markTree();
    const total = await calls.count({ trace_ids: [path[0].trace_id] });
    store.set({ total });
  } catch (error) {
    store.set({ error });
  }
}

function select(id, reveal = false) {
  store.set({ selected: id, reveal: reveal ? id : store.get().reveal });
  window.history.replaceState(null, "", callHref(entity, project, id));
}

/** Reload one call after its feedback changed (nothing in the tree depends on it). */
function Detail({ id }) {
  const [fetched, setFetched] = useState(null);
  const known = tree.calls.get(id);
  useEffect(() => {
    if (!known) calls.get(id).then((c) => (tree.add(c), setFetched(c)), (error) => store.set({ error }));
  }, [id]);
  const call = known || fetched;
  if (!call) return html`<p class="muted">Loading…</p>`;
  return html`<${CallDetail} call=${call} calls=${calls} onSelect=${select} />`;
}

function TracePage() {
  const { version, selected, reveal, ready, total, error } = useStore(store);
  useEffect(() => {
    open(callId);
  }, []);
  const rootCall = tree.rootId ? tree.calls.get(tree.rootId) : null;
  return html`<section class="page trace-page">
    <div class="page-head">
      <a href=${tracesHref(entity, project)}>← Traces</a>
      ${rootCall && html`<h1 class="trace-title">${callLabel(rootCall)}</h1>
        <span class="muted trace-stats">${total !== null ? `${fmtCount(total)} ${total === 1 ? "call" : "calls"} · ` : ""}${fmtLatency(latencyOf(rootCall)) || "running"}</span>`}
    </div>
    <${ErrorBox} error=${error} />
    ${!ready
      ? !error && html`<p class="muted">Loading the trace…</p>`
      : html`<div class="trace-layout">
          <div class="trace-tree-pane panel">
            <${CallTree} tree=${tree} version=${version} axis=${traceSpan(rootCall)} selected=${selected}
              onSelect=${select} revealId=${reveal} />
          </div>
          <div class="call-detail-pane panel"><${Detail} key=${selected} id=${selected} /></div>
        </div>`}
  </section>`;
}

render(html`<${TracePage} />`, root);
