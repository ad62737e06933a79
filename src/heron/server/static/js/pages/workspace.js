// /{entity}/{project}/workspace: charts comparing the runs the runs table chose.
//
// The runs shown follow the project's "runset" view (saved by the runs table):
// its selected runs if any, else the first 100 runs matching its filters, search
// and order; hidden runs are left out. Without a runset: the latest 100 runs.
import { html, render, useState } from "../../vendor/preact-htm.js";
import { api, ApiError } from "../lib/api.js";
import { usePoll } from "../lib/poll.js";
import { ErrorBox, pageParams } from "../components/common.js";
import { Workspace } from "../components/workspace.js";

const MAX_RUNS = 100;
const REFRESH_MS = 10000;

async function loadRunset(entity, project) {
  try {
    const view = await api.get(`/projects/${encodeURIComponent(entity)}/${encodeURIComponent(project)}/views/runset`);
    return (view && view.spec) || null;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null; // never saved, or an older server
    throw error;
  }
}

async function visibleRuns(entity, project) {
  const runset = (await loadRunset(entity, project)) || {};
  const hidden = new Set(runset.hidden || []);
  const selected = (runset.selected || []).filter((id) => !hidden.has(id));
  const path = `/runs/${encodeURIComponent(entity)}/${encodeURIComponent(project)}`;
  const order = runset.order || "-created_at";
  let runs;
  if (selected.length) {
    const page = await api.get(path, { filters: { run_id: { $in: selected } }, order, limit: selected.length, lite: true });
    runs = page.runs;
  } else {
    const filters = runset.filters && Object.keys(runset.filters).length ? runset.filters : null;
    const page = await api.get(path, { filters, search: runset.search || null, order, limit: MAX_RUNS + hidden.size, lite: true });
    runs = page.runs.filter((r) => !hidden.has(r.run_id)).slice(0, MAX_RUNS);
  }
  return { runs, selection: selected.length ? "selected" : runset.filters || runset.search ? "filtered" : "latest" };
}

const SOURCES = {
  selected: "the runs selected in the runs table",
  filtered: "the first runs matching the runs table's filters",
  latest: "the latest runs",
};

function WorkspacePage({ entity, project }) {
  const [state, setState] = useState(null);
  const [error, setError] = useState(null);
  usePoll(
    async () => {
      try {
        const next = await visibleRuns(entity, project);
        // Keep the same array while nothing changed, so panels do not refetch.
        setState((old) => (old && JSON.stringify(old) === JSON.stringify(next) ? old : next));
        setError(null);
      } catch (e) {
        setError(e);
      }
    },
    REFRESH_MS,
  );
  return html`<section class="page workspace-page">
    <div class="page-head">
      <h1>Workspace</h1>
      ${state && html`<span class="muted runs-source">${state.runs.length} runs: ${SOURCES[state.selection]}</span>`}
    </div>
    <${ErrorBox} error=${error} />
    <${Workspace} entity=${entity} project=${project} runs=${state && state.runs} stream="history" viewName="workspace" />
  </section>`;
}

const { root, entity, project } = pageParams();
render(html`<${WorkspacePage} entity=${entity} project=${project} />`, root);
