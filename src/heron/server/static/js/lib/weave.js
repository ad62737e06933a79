// Weave objects, ops and row tables as the object pages see them: their API
// paths, dashboard URLs, canonical JSON for diffs and short cell previews.
import { api } from "./api.js";

const enc = encodeURIComponent;
const META_KEYS = new Set(["_type", "_class_name", "_bases"]);

/** The API paths of a project's objects, ops and row tables. */
export function objectsApi(entity, project) {
  const base = `/projects/${enc(entity)}/${enc(project)}`;
  return {
    list: (params) => api.get(base + "/objects", params).then((d) => d.objects),
    versions: (kind, name) => api.get(`${base}/objects/${enc(kind)}/${enc(name)}/versions`).then((d) => d.versions),
    get: (kind, name, version) => api.get(`${base}/objects/${enc(kind)}/${enc(name)}/versions/${enc(version)}`),
    table: (digest) => api.get(`${base}/weave-tables/${enc(digest)}`),
    rows: (digest, offset, limit) => api.get(`${base}/weave-tables/${enc(digest)}/rows`, { offset, limit }).then((d) => d.rows),
  };
}

/** Which list a version belongs to: ops, datasets, models or objects. */
export function sectionOf(obj) {
  if (obj.kind === "op") return "ops";
  if (obj.base_object_class === "Dataset") return "datasets";
  if (obj.base_object_class === "Model") return "models";
  return "objects";
}

export function weaveHref(entity, project, section) {
  return `/${enc(entity)}/${enc(project)}/weave/${section}`;
}

export function versionHref(entity, project, section, name, digest) {
  return `${weaveHref(entity, project, section)}/${enc(name)}/versions/${enc(digest)}`;
}

/** `weave:///e/p/object/name:digest` (or `op/`) of a stored version. */
export function refUri(entity, project, obj) {
  return `weave:///${entity}/${project}/${obj.kind === "op" ? "op" : "object"}/${obj.object_id}:${obj.digest}`;
}

/** The digest a table ref names (`weave:///e/p/table/<digest>`), else null. */
export function tableDigest(value) {
  if (typeof value !== "string" || !value.startsWith("weave:///")) return null;
  const parts = value.slice("weave:///".length).split("/");
  return parts.length === 4 && parts[2] === "table" ? parts[3] : null;
}

/** The class a version reads as: its `_class_name`, else its base class, else the kind. */
export function classOf(obj) {
  const val = obj.val;
  if (val && typeof val === "object" && typeof val._class_name === "string") return val._class_name;
  return obj.base_object_class || (obj.kind === "op" ? "Op" : "object");
}

/** A value's attributes without the `_type`/`_class_name`/`_bases` bookkeeping. */
export function attributesOf(val) {
  if (!val || typeof val !== "object" || Array.isArray(val)) return {};
  return Object.fromEntries(Object.entries(val).filter(([k]) => !META_KEYS.has(k)));
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

/** Pretty canonical JSON (sorted keys, two-space indent): the text a version diff compares. */
export function canonicalText(value) {
  return JSON.stringify(sortKeys(value), null, 2) ?? "null";
}

/** The text compared between two versions: an op's source, else the value's canonical JSON. */
export function diffText(obj) {
  if (obj.kind === "op" && obj.val && typeof obj.val.code === "string") return obj.val.code;
  return canonicalText(obj.val);
}
