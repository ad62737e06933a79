// A preview of one run file: images inline, JSON pretty-printed, other text as
// is; large or binary files only get their download link.
import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { API } from "../lib/api.js";
import { ErrorBox } from "./common.js";

const MAX_PREVIEW_BYTES = 2 << 20;
const IMAGE = /\.(png|jpe?g|gif|webp|svg|bmp|ico)$/i;
const JSON_FILE = /\.json$/i;

/** The download URL of a run file; the name's "/" separate path segments. */
export function fileUrl(base, name) {
  return `${API}${base}/files/${name.split("/").map(encodeURIComponent).join("/")}`;
}

export function FilePreview({ base, file }) {
  const url = fileUrl(base, file.name);
  const image = IMAGE.test(file.name);
  const [text, setText] = useState(null);
  const [error, setError] = useState(null);
  const tooBig = file.size > MAX_PREVIEW_BYTES;
  useEffect(() => {
    if (image || tooBig) return;
    let live = true;
    (async () => {
      try {
        const response = await fetch(url);
        if (!response.ok) throw new Error(`Could not read ${file.name}: HTTP ${response.status}`);
        const body = await response.text();
        if (!live) return;
        if (body.includes("\u0000")) return setText({ binary: true });
        if (JSON_FILE.test(file.name)) {
          try {
            return setText({ json: JSON.stringify(JSON.parse(body), null, 2) });
          } catch {
            return setText({ plain: body, note: "not valid JSON: shown as text" });
          }
        }
        setText({ plain: body });
      } catch (e) {
        if (live) setError(e);
      }
    })();
    return () => {
      live = false;
    };
  }, [url]);

  let body;
  if (image) body = html`<img class="file-image" src=${url} alt=${file.name} />`;
  else if (tooBig) body = html`<p class="muted">Too large to preview (over 2 MB): download it instead.</p>`;
  else if (error) body = html`<${ErrorBox} error=${error} />`;
  else if (text === null) body = html`<p class="muted">Loading…</p>`;
  else if (text.binary) body = html`<p class="muted">A binary file: download it to open it.</p>`;
  else if (text.json !== undefined) body = html`<pre class="file-text json">${text.json}</pre>`;
  else
    body = html`${text.note && html`<p class="muted">${text.note}</p>`}<pre class="file-text">${text.plain || " "}</pre>`;
  return html`<div class="panel file-preview" data-preview=${file.name}>
    <div class="preview-head"><strong class="mono">${file.name}</strong> <a href=${url} download=${file.name.split("/").pop()}>Download</a></div>
    ${body}
  </div>`;
}
