// The one way pages talk to the server: JSON over /api/v1, the API the SDK uses.
//
// Non-finite floats travel as {"$f": "nan" | "inf" | "-inf"}; they come back
// here as NaN/±Infinity. Errors carry the server's {"error": {code, message}}.

export const API = "/api/v1";

const NONFINITE = { nan: NaN, inf: Infinity, "-inf": -Infinity };

function revive(_key, value) {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$f" && value.$f in NONFINITE) return NONFINITE[value.$f];
  }
  return value;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** "/runs/e/p" + {limit: 50, filters: {...}} -> "/api/v1/runs/e/p?limit=50&filters=..." */
export function apiUrl(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) value.forEach((v) => query.append(name, String(v)));
    else query.set(name, typeof value === "object" ? JSON.stringify(value) : String(value));
  }
  const qs = query.toString();
  return API + path + (qs ? "?" + qs : "");
}

async function request(method, path, { params, body, signal } = {}) {
  const init = { method, signal, headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(apiUrl(path, params), init);
  if (response.status === 204) return null;
  const text = await response.text();
  const data = text && text.includes('"$f"') ? JSON.parse(text, revive) : text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || "http_error", error.message || response.statusText);
  }
  return data;
}

export const api = {
  get: (path, params, signal) => request("GET", path, { params, signal }),
  post: (path, body, params) => request("POST", path, { body, params }),
  patch: (path, body) => request("PATCH", path, { body }),
  put: (path, body) => request("PUT", path, { body }),
  del: (path) => request("DELETE", path),
};

/** The path segment of a project or run, escaped for a URL. */
export function runPath(entity, project, runId) {
  const parts = [entity, project, runId].filter((p) => p !== undefined);
  return "/runs/" + parts.map(encodeURIComponent).join("/");
}
