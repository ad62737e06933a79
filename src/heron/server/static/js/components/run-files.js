// The Files tab: the run's files with size and age, a preview of the chosen one
// (text, pretty JSON, images) and a download link for each.
import { html, useState } from "../../vendor/preact-htm.js";
import { api, runPath } from "../lib/api.js";
import { fmtAgo, fmtTime } from "../lib/format.js";
import { usePoll } from "../lib/poll.js";
import { Empty, ErrorBox } from "./common.js";
import { FilePreview, fileUrl } from "./file-preview.js";

const LIVE_MS = 10000;

export function fmtBytes(size) {
  if (size < 1024) return `${size} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function RunFiles({ entity, project, runId, running }) {
  const base = runPath(entity, project, runId);
  const [files, setFiles] = useState(null);
  const [error, setError] = useState(null);
  const [chosen, setChosen] = useState(null);
  usePoll(
    async () => {
      try {
        setFiles((await api.get(base + "/files")).files);
        setError(null);
      } catch (e) {
        setError(e);
      }
    },
    running ? LIVE_MS : 0,
    [running],
  );
  if (files === null) return html`<${ErrorBox} error=${error} />${!error && html`<p class="muted">Loading…</p>`}`;
  if (files.length === 0) return html`<${Empty}>This run has no files yet.<//>`;
  const current = files.find((f) => f.name === chosen);
  return html`<div class="run-files">
    <${ErrorBox} error=${error} />
    <table class="grid files">
      <thead><tr><th>Name</th><th class="num">Size</th><th>Updated</th><th></th></tr></thead>
      <tbody>
        ${files.map(
          (f) => html`<tr key=${f.name} data-file=${f.name} class=${f.name === chosen ? "chosen" : ""}>
            <td><button class="link" onClick=${() => setChosen(f.name)}>${f.name}</button></td>
            <td class="num">${fmtBytes(f.size)}</td>
            <td title=${fmtTime(f.updated_at)}>${fmtAgo(f.updated_at)}</td>
            <td><a class="download" href=${fileUrl(base, f.name)} download=${f.name.split("/").pop()}>Download</a></td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${current ? html`<${FilePreview} key=${current.name + current.sha256} base=${base} file=${current} />` : html`<p class="muted">Choose a file to preview it.</p>`}
  </div>`;
}
