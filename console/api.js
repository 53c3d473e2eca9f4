// The console's client of the REST/JSON API (/v1/...). The API key lives in
// sessionStorage (this tab only, gone when it closes) and travels only in the
// Authorization header: never in a URL, never in a cookie, so a request from
// another site cannot carry it (no CSRF).

const KEY = "cove.apiKey";
const DB_AUTH = "cove.databaseAuth.";

export class ApiError extends Error {
  constructor(code, status, message) {
    super(message);
    this.code = code;      // HTTP status
    this.status = status;  // canonical code name, e.g. PERMISSION_DENIED
  }
}

export function apiKey() { return sessionStorage.getItem(KEY) || ""; }
export function setApiKey(secret) { sessionStorage.setItem(KEY, secret); }

/// Forgets the API key and every database credential of this tab.
export function signOut() {
  const drop = [];
  for (let i = 0; i < sessionStorage.length; i++) drop.push(sessionStorage.key(i));
  for (const k of drop) {
    if (k === KEY || k.startsWith(DB_AUTH)) sessionStorage.removeItem(k);
  }
}

/// The database credentials the user entered for a cluster's explorer, as
/// the X-Cove-Database-Auth value (base64 of "user:password"), or "".
export function databaseAuth(cluster) { return sessionStorage.getItem(DB_AUTH + cluster) || ""; }
export function setDatabaseAuth(cluster, user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  sessionStorage.setItem(DB_AUTH + cluster, btoa(bin));
}
export function clearDatabaseAuth(cluster) { sessionStorage.removeItem(DB_AUTH + cluster); }

let requestCounter = 0;

/// Calls the API: `path` is "/v1/..." (resource names are not escaped:
/// they only hold [a-z0-9-/] and the ids the API checks). Options:
/// body (JSON), query ({k: v}), etag (If-Match), idempotent (sends an
/// Idempotency-Key so a retried create is not done twice), headers.
export async function call(method, path, opts = {}) {
  const headers = {"Accept": "application/json"};
  const key = apiKey();
  if (key) headers["Authorization"] = `Bearer ${key}`;
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  if (opts.etag) headers["If-Match"] = opts.etag;
  if (opts.idempotent) {
    headers["Idempotency-Key"] = `console-${Date.now().toString(36)}-${(++requestCounter).toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  }
  Object.assign(headers, opts.headers || {});
  let url = path;
  if (opts.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) {
      if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
    }
    const s = q.toString();
    if (s) url += `?${s}`;
  }
  let resp;
  try {
    resp = await fetch(url, {
      method, headers, credentials: "omit", cache: "no-store",
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch (e) {
    throw new ApiError(0, "UNAVAILABLE", `the console cannot reach cove-cloud (${e.message})`);
  }
  const text = await resp.text();
  let data = {};
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new ApiError(resp.status, "INTERNAL", `reply of ${method} ${path} is not JSON`);
    }
  }
  if (!resp.ok) {
    const err = data.error || {};
    throw new ApiError(err.code || resp.status, err.status || `HTTP ${resp.status}`,
                       err.message || resp.statusText);
  }
  return data;
}

export const get = (path, query) => call("GET", path, {query});
export const post = (path, body, opts = {}) => call("POST", path, {...opts, body: body ?? {}});
export const patch = (path, body, opts = {}) => call("PATCH", path, {...opts, body});
export const del = (path, opts = {}) => call("DELETE", path, opts);

/// Every page of a list: `field` names the repeated field of the reply.
export async function listAll(path, field, query = {}, max = 1000) {
  const out = [];
  let token = "";
  do {
    const page = await get(path, {...query, pageSize: 200, pageToken: token});
    out.push(...(page[field] || []));
    token = page.nextPageToken || "";
  } while (token && out.length < max);
  return out;
}

/// The subset of `actions` the signed-in key may do on `resource`
/// (TestPermissions). The API still refuses what is not allowed: this only
/// hides buttons.
export async function allowed(resource, actions) {
  const org = resource.split("/").slice(0, 2).join("/");
  try {
    const r = await post(`/v1/${org}:testPermissions`, {resource, actions});
    return new Set(r.allowedActions || []);
  } catch (e) {
    return new Set();
  }
}
