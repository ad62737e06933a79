// The files of an artifact version as a folder tree (folders fold), each file with
// its size and download link, and a preview of the chosen one beside the tree.
import { html, useMemo, useState } from "../../vendor/preact-htm.js";
import { Empty } from "./common.js";
import { ArtifactPreview, baseName, blobUrl } from "./artifact-preview.js";
import { fmtBytes } from "./run-files.js";

const OPEN_ALL_UNDER = 200; // files: smaller versions show every folder open

/** {folders: Map(name -> tree), files: [entry]} from the manifest's "/"-separated paths. */
export function fileTree(entries) {
  const root = { folders: new Map(), files: [] };
  for (const entry of entries) {
    const parts = entry.path.split("/");
    let node = root;
    for (const part of parts.slice(0, -1)) {
      if (!node.folders.has(part)) node.folders.set(part, { folders: new Map(), files: [] });
      node = node.folders.get(part);
    }
    node.files.push(entry);
  }
  return root;
}

function Folder({ name, path, tree, depth, chosen, onChoose, openAll }) {
  const [open, setOpen] = useState(openAll || depth === 0);
  return html`<li class="tree-folder" data-folder=${path}>
    <button type="button" class="tree-toggle" aria-expanded=${open ? "true" : "false"} onClick=${() => setOpen(!open)}>
      <span class="caret">${open ? "▾" : "▸"}</span>${name}/
    </button>
    ${open && html`<${TreeLevel} tree=${tree} prefix=${path + "/"} depth=${depth + 1} chosen=${chosen} onChoose=${onChoose} openAll=${openAll} />`}
  </li>`;
}

function TreeLevel({ tree, prefix, depth, chosen, onChoose, openAll }) {
  const folders = [...tree.folders.entries()].sort(([a], [b]) => a.localeCompare(b));
  return html`<ul class="tree-level">
    ${folders.map(
      ([name, sub]) =>
        html`<${Folder} key=${name} name=${name} path=${prefix + name} tree=${sub} depth=${depth} chosen=${chosen} onChoose=${onChoose} openAll=${openAll} />`,
    )}
    ${tree.files.map(
      (entry) => html`<li key=${entry.path} class=${"tree-file" + (entry.path === chosen ? " chosen" : "")} data-file=${entry.path}>
        <button type="button" class="link" onClick=${() => onChoose(entry.path)}>${baseName(entry.path)}</button>
        ${entry.ref && html`<span class="ref-tag" title=${entry.ref}>reference</span>`}
        <span class="muted size">${entry.size == null ? "" : fmtBytes(entry.size)}</span>
        ${!entry.ref && html`<a class="download" href=${blobUrl(entry)} download=${baseName(entry.path)} aria-label=${"Download " + entry.path}>⤓</a>`}
      </li>`,
    )}
  </ul>`;
}

export function ArtifactFiles({ entries, name }) {
  const tree = useMemo(() => fileTree(entries), [entries]);
  const [chosen, setChosen] = useState(entries.length ? entries[0].path : null);
  if (entries.length === 0) return html`<${Empty}>This version has no files.<//>`;
  const current = entries.find((e) => e.path === chosen);
  return html`<div class="artifact-files">
    <div class="panel file-tree">
      <${TreeLevel} tree=${tree} prefix="" depth=${0} chosen=${chosen} onChoose=${setChosen} openAll=${entries.length < OPEN_ALL_UNDER} />
    </div>
    ${current ? html`<${ArtifactPreview} key=${current.path} entry=${current} name=${name} />` : html`<p class="muted">Choose a file to preview it.</p>`}
  </div>`;
}
