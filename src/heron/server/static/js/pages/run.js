// One run: overview (metadata, tags, notes, config, summary), its charts and
// system metrics (the workspace, on this run alone), console logs tailed live,
// and files with previews. The tab is the URL hash (#overview, #charts, ...),
// so a tab can be linked and survives a reload.
import { html, render, useEffect, useState } from "../../vendor/preact-htm.js";
import { api, runPath } from "../lib/api.js";
import { createStore, useStore } from "../lib/store.js";
import { usePoll } from "../lib/poll.js";
import { ErrorBox, StateBadge, Swatch, pageParams } from "../components/common.js";
import { RunOverview } from "../components/run-overview.js";
import { RunLogs } from "../components/run-logs.js";
import { RunFiles } from "../components/run-files.js";
import { RunCharts } from "../components/run-charts.js";

const LIVE_MS = 5000;
const TABS = [
  ["overview", "Overview"],
  ["charts", "Charts"],
  ["system", "System"],
  ["logs", "Logs"],
  ["files", "Files"],
];

const { root, entity, project, runId } = pageParams();
const path = runPath(entity, project, runId);
const store = createStore({ run: null, error: null });

function tabFromHash() {
  const name = window.location.hash.replace(/^#/, "");
  return TABS.some(([id]) => id === name) ? name : "overview";
}

function useHashTab() {
  const [tab, setTab] = useState(tabFromHash);
  useEffect(() => {
    const onChange = () => setTab(tabFromHash());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return tab;
}

async function refresh() {
  try {
    store.set({ run: await api.get(path), error: null });
  } catch (error) {
    store.set({ error });
  }
}

async function saveRun(changes) {
  const run = await api.patch(path, changes);
  store.set({ run, error: null });
  return run;
}

function RunPage() {
  const { run, error } = useStore(store);
  const tab = useHashTab();
  const running = run ? run.state === "running" : true;
  // Live while running: state badge, summary and heartbeat every 5 s; once it ends, one last read.
  usePoll(refresh, running ? LIVE_MS : 0, [running]);

  if (!run) {
    return html`<section class="page run-page">
      <${ErrorBox} error=${error} />
      ${!error && html`<p class="muted">Loading…</p>`}
    </section>`;
  }
  return html`
    <section class="page run-page">
      <div class="page-head">
        <h1 class="run-title"><${Swatch} runId=${run.run_id} />${run.name || run.run_id}</h1>
        <${StateBadge} state=${run.state} />
        <span class="muted mono">${run.run_id}</span>
      </div>
      <${ErrorBox} error=${error} />
      <nav class="tabs" role="tablist">
        ${TABS.map(
          ([id, label]) => html`<a
            key=${id}
            role="tab"
            href=${"#" + id}
            class=${"tab" + (tab === id ? " active" : "")}
            aria-selected=${tab === id ? "true" : "false"}
            >${label}</a
          >`,
        )}
      </nav>
      <div class="tab-body" data-tab=${tab}>
        ${tab === "overview" && html`<${RunOverview} run=${run} onSave=${saveRun} />`}
        ${tab === "charts" && html`<${RunCharts} run=${run} stream="history" />`}
        ${tab === "system" && html`<${RunCharts} run=${run} stream="system" />`}
        ${tab === "logs" && html`<${RunLogs} entity=${entity} project=${project} runId=${runId} running=${running} />`}
        ${tab === "files" && html`<${RunFiles} entity=${entity} project=${project} runId=${runId} running=${running} />`}
      </div>
    </section>
  `;
}

render(html`<${RunPage} />`, root);
