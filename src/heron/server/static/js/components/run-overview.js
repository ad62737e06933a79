// The Overview tab: what the run is (state, times, machine, command, git),
// its tags and notes (editable in place), and its config and summary.
import { html } from "../../vendor/preact-htm.js";
import { fmtDuration, fmtTime } from "../lib/format.js";
import { StateBadge } from "./common.js";
import { TagsEditor } from "./tags-editor.js";
import { NotesEditor } from "./notes-editor.js";
import { KeyValueTable } from "./kv-table.js";

function runtime(run) {
  const end = run.ended_at || (run.state === "running" ? Date.now() / 1000 : run.heartbeat_at);
  return Math.max(0, (end || run.created_at) - run.created_at);
}

function command(meta) {
  if (!meta.program) return null;
  const args = (meta.args || []).map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a));
  return ["python", meta.program, ...args].join(" ");
}

function gpu(meta) {
  if (!meta.gpu) return null;
  return meta.gpu_count > 1 ? `${meta.gpu_count} × ${meta.gpu}` : meta.gpu;
}

function GitCommit({ git }) {
  if (!git || !git.commit) return null;
  return html`<span class="git">
    <code class="mono" title=${git.commit}>${git.commit.slice(0, 10)}</code>
    ${git.branch && html` on <code class="mono">${git.branch}</code>`}
    ${git.dirty
      ? html` <span class="dirty" data-dirty="true" title="uncommitted changes: see diff.patch in Files">dirty</span>`
      : html` <span class="clean" data-dirty="false">clean</span>`}
    ${git.remote && html`<div class="muted mono">${git.remote}</div>`}
  </span>`;
}

function Field({ name, children }) {
  if (children === null || children === undefined || children === "" || children === false) return null;
  return html`<tr data-field=${name}><th>${name}</th><td>${children}</td></tr>`;
}

export function RunOverview({ run, onSave }) {
  const meta = run.metadata || {};
  return html`
    <div class="run-overview">
      <div class="overview-grid">
        <table class="grid fields">
          <tbody>
            <${Field} name="State"><${StateBadge} state=${run.state} />${run.exit_code !== null && run.exit_code !== undefined ? html` <span class="muted">exit code ${run.exit_code}</span>` : null}<//>
            <${Field} name="Started">${fmtTime(run.created_at)}<//>
            <${Field} name="Duration">${fmtDuration(runtime(run))}<//>
            <${Field} name="Host">${run.host || meta.host}<//>
            <${Field} name="User">${run.user || meta.username}<//>
            <${Field} name="OS">${meta.os}<//>
            <${Field} name="Python">${meta.python && `${meta.python_implementation || "Python"} ${meta.python}`}<//>
            <${Field} name="GPU">${gpu(meta)}<//>
            <${Field} name="Command">${command(meta) && html`<code class="mono command">${command(meta)}</code>`}<//>
            <${Field} name="Working dir">${meta.cwd && html`<code class="mono">${meta.cwd}</code>`}<//>
            <${Field} name="Git commit">${meta.git && meta.git.commit ? html`<${GitCommit} git=${meta.git} />` : null}<//>
            <${Field} name="Group">${run.group}<//>
            <${Field} name="Job type">${run.job_type}<//>
            <${Field} name="Last step">${run.last_step >= 0 ? String(run.last_step) : null}<//>
          </tbody>
        </table>
        <div class="panel editable">
          <h2>Tags</h2>
          <${TagsEditor} tags=${run.tags || []} onSave=${(tags) => onSave({ tags })} />
          <h2>Notes</h2>
          <${NotesEditor} notes=${run.notes || ""} onSave=${(notes) => onSave({ notes })} />
        </div>
      </div>
      <div class="overview-tables">
        <${KeyValueTable} title="Config" name="config" data=${run.config} />
        <${KeyValueTable} title="Summary" name="summary" data=${run.summary} />
      </div>
    </div>
  `;
}
