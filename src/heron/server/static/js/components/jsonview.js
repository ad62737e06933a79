// A collapsible JSON tree for call inputs, outputs, attributes and summaries.
// Objects and arrays open a few levels deep; big ones show their first items
// with a "show more" button; strings that are refs, images or long text get
// their own small views. Every value is rendered as text.
import { html, useState } from "../../vendor/preact-htm.js";
import { API } from "../lib/api.js";
import { mediaUrl } from "../lib/media.js";

const FIRST_ITEMS = 100;
const SHORT_STRING = 300;

/** `weave:///entity/project/object/name:digest` (a versioned object or op). */
export function isRef(value) {
  return typeof value === "string" && value.startsWith("weave:///");
}

/** The dashboard page of an object or op version a ref names (null for other refs). */
export function refHref(value) {
  const path = value.slice("weave:///".length).split("/");
  if (path.length !== 4 || (path[2] !== "object" && path[2] !== "op")) return null;
  const [name, digest] = path[3].split(":");
  if (!name || !digest) return null;
  const enc = encodeURIComponent;
  const kind = path[2] === "op" ? "ops" : "objects";
  return `/${enc(path[0])}/${enc(path[1])}/weave/${kind}/${enc(name)}/versions/${enc(digest)}`;
}

export function RefChip({ value }) {
  const path = value.slice("weave:///".length).split("/");
  const last = path[path.length - 1] || value;
  const [name, digest] = last.split(":");
  const kind = path.length >= 4 ? path[2] : "ref";
  const href = refHref(value);
  const body = html`<span class="ref-kind">${kind}</span> ${name}${digest ? html`<span class="muted">:${digest.slice(0, 8)}</span>` : ""}`;
  if (href) return html`<a class="chip ref-chip" href=${href} title=${value} data-ref=${value}>${body}</a>`;
  return html`<span class="chip ref-chip" title=${value} data-ref=${value}>${body}</span>`;
}

const IMAGE_URI = /^data:image\/(png|jpe?g|gif|webp|bmp);base64,/i;

export function isImageUri(value) {
  return typeof value === "string" && IMAGE_URI.test(value);
}

export function isImageStub(value) {
  return (
    value && typeof value === "object" && (value._type === "image-file" || value._type === "image") && typeof value.sha256 === "string"
  );
}

const BLOB_TYPES = new Set(["audio", "blob", "file"]);

/** A call's audio, large-text or file stub (heron.weave.blobs): bytes in the blob store. */
export function isBlobStub(value) {
  return value && typeof value === "object" && BLOB_TYPES.has(value._type) && typeof value.sha256 === "string" && typeof value.ext === "string";
}

function stubUrl(stub) {
  return stub.ext ? `${API}/media/${encodeURIComponent(stub.sha256)}.${encodeURIComponent(stub.ext)}` : mediaUrl(stub);
}

function sizeText(bytes) {
  if (typeof bytes !== "number") return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Audio as a player, large text as its preview, a file as a download link. */
export function BlobStub({ value }) {
  const url = stubUrl(value);
  if (value._type === "audio") return html`<audio class="call-audio" controls preload="none" src=${url}></audio>`;
  const name = value.name || `${value.sha256.slice(0, 12)}.${value.ext}`;
  const link = html`<a class="blob-download" href=${url} download=${name}>download ${value._type === "blob" ? "all" : name} (${sizeText(value.size)})</a>`;
  if (value._type === "blob") {
    return html`<div class="blob-value"><pre class="raw-text blob-preview">${value.preview || ""}…</pre>${link}</div>`;
  }
  return html`<span class="file-value">${link}</span>`;
}

export function InlineImage({ value }) {
  const src = isImageUri(value) ? value : stubUrl(value);
  const alt = isImageUri(value) ? "image" : value.caption || value.path || "image";
  return html`<img class="call-image" src=${src} alt=${alt} loading="lazy" />`;
}

function LongString({ value }) {
  const [open, setOpen] = useState(false);
  if (value.length <= SHORT_STRING) return html`<span class="json-string">"${value}"</span>`;
  return html`<span class="json-string">"${open ? value : value.slice(0, SHORT_STRING) + "…"}"</span>
    <button type="button" class="link-button" onClick=${() => setOpen(!open)}>${open ? "less" : `all ${value.length.toLocaleString()} characters`}</button>`;
}

function Leaf({ value }) {
  if (value === null || value === undefined) return html`<span class="json-null">null</span>`;
  if (typeof value === "string") {
    if (isRef(value)) return html`<${RefChip} value=${value} />`;
    if (isImageUri(value)) return html`<${InlineImage} value=${value} />`;
    return html`<${LongString} value=${value} />`;
  }
  if (typeof value === "number") {
    const text = Number.isNaN(value) ? "NaN" : Number.isFinite(value) ? String(value) : value > 0 ? "Infinity" : "-Infinity";
    return html`<span class="json-number">${text}</span>`;
  }
  if (typeof value === "boolean") return html`<span class="json-bool">${String(value)}</span>`;
  return html`<span>${String(value)}</span>`;
}

function Branch({ name, value, depth, open: initiallyOpen }) {
  const [open, setOpen] = useState(initiallyOpen);
  const [shown, setShown] = useState(FIRST_ITEMS);
  const isArray = Array.isArray(value);
  const entries = isArray ? value.map((v, i) => [i, v]) : Object.entries(value);
  const typeName = !isArray && typeof value._type === "string" ? value._type : null;
  const summary = isArray ? `[${entries.length}]` : `{${entries.length}}`;
  return html`<div class="json-branch">
    <button type="button" class="json-toggle" aria-expanded=${open} onClick=${() => setOpen(!open)}>
      <span class="caret">${open ? "▾" : "▸"}</span>
      ${name !== undefined && html`<span class="json-key">${name}</span>`}
      ${typeName && html`<span class="json-type">${typeName}</span>`}
      <span class="muted">${summary}</span>
    </button>
    ${open &&
    html`<div class="json-children">
      ${entries.slice(0, shown).map(([k, v]) => html`<${JsonNode} key=${k} name=${k} value=${v} depth=${depth + 1} />`)}
      ${entries.length > shown &&
      html`<button type="button" class="link-button" onClick=${() => setShown(shown + FIRST_ITEMS * 10)}>
        show ${Math.min(FIRST_ITEMS * 10, entries.length - shown).toLocaleString()} more of ${(entries.length - shown).toLocaleString()}
      </button>`}
    </div>`}
  </div>`;
}

export function JsonNode({ name, value, depth = 0, openDepth = 2 }) {
  if (isBlobStub(value)) {
    return html`<div class="json-leaf">${name !== undefined && html`<span class="json-key">${name}</span>`}<${BlobStub} value=${value} /></div>`;
  }
  if (value !== null && typeof value === "object" && !isImageStub(value)) {
    const size = Array.isArray(value) ? value.length : Object.keys(value).length;
    if (size === 0) return html`<div class="json-leaf">${name !== undefined && html`<span class="json-key">${name}</span>`}<span class="muted">${Array.isArray(value) ? "[]" : "{}"}</span></div>`;
    return html`<${Branch} name=${name} value=${value} depth=${depth} open=${depth < openDepth && size <= 50} />`;
  }
  return html`<div class="json-leaf">
    ${name !== undefined && html`<span class="json-key">${name}</span>`}
    ${isImageStub(value) ? html`<${InlineImage} value=${value} />` : html`<${Leaf} value=${value} />`}
  </div>`;
}

/** A JSON value as a tree (a bare leaf for strings, numbers, null). */
export function JsonView({ value, openDepth = 2 }) {
  return html`<div class="json-view"><${JsonNode} value=${value} openDepth=${openDepth} /></div>`;
}
