// The Charts and System tabs: the project workspace's panels, on this run alone.
// The workspace module is loaded when a chart tab is first opened, so the
// overview, logs and files of a run never wait for (or break with) the charts.
import { html, useEffect, useMemo, useState } from "../../vendor/preact-htm.js";
import { ErrorBox } from "./common.js";

let loading = null;

function loadWorkspace() {
  loading = loading || import("./workspace.js").then((module) => module.Workspace);
  return loading;
}

export function RunCharts({ run, stream }) {
  const [Workspace, setWorkspace] = useState(null);
  const [error, setError] = useState(null);
  // The same array while the run's name holds, so the live refresh does not reload the charts.
  const runs = useMemo(() => [{ run_id: run.run_id, name: run.name }], [run.run_id, run.name]);
  useEffect(() => {
    let live = true;
    loadWorkspace().then(
      (component) => live && setWorkspace(() => component),
      (e) => live && setError(new Error(`The charts could not be loaded: ${e.message}`)),
    );
    return () => {
      live = false;
    };
  }, []);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!Workspace) return html`<p class="muted">Loading charts…</p>`;
  return html`<div class="run-charts" data-stream=${stream}>
    <${Workspace}
      key=${stream}
      entity=${run.entity}
      project=${run.project}
      runs=${runs}
      stream=${stream}
      viewName=${null}
    />
  </div>`;
}
