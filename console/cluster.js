// A cluster's pages: overview and actions, the health dashboard, backups and
// the backup policy, the data explorer.
import {h, replace, table, field, form, errorText, idOf, when, bytes} from "./dom.js";
import * as api from "./api.js";
import {stateBadge, confirmThen, showOnce, toast} from "./ui.js";

const ACTIONS = ["clusters.update", "clusters.scale", "clusters.suspend", "clusters.resume", "clusters.delete",
                 "clusters.restore", "clusters.purge", "clusters.resetPassword", "clusters.getMetrics",
                 "backups.create", "backups.delete", "backups.restore", "backups.updatePolicy", "clusters.get"];

export async function clusterView(main, ctx, name, tab, g) {
  const [cluster, perms] = await Promise.all([api.get(`/v1/${name}`), api.allowed(name, ACTIONS)]);
  if (!ctx.current(g)) return;
  const tabs = [["overview", "Overview"], ["dashboard", "Dashboard"], ["backups", "Backups"], ["explorer", "Data explorer"]];
  const body = h("div", {id: "cluster-body"});
  replace(main,
    h("h1", {}, cluster.displayName || idOf(name), " ", stateBadge(cluster.state)),
    h("p", {class: "subtitle"}, name),
    h("nav", {class: "tabs", "aria-label": "Cluster"},
      tabs.map(([k, label]) => h("a", {href: `#/${name}/${k}`, "aria-current": k === tab ? "page" : null}, label))),
    body);
  if (tab === "dashboard") return dashboard(body, ctx, cluster, g);
  if (tab === "backups") return backups(body, ctx, cluster, perms, g);
  if (tab === "explorer") return explorer(body, ctx, cluster, g);
  return overview(body, ctx, cluster, perms, g);
}

// ---- overview and actions ----------------------------------------------------------

function overview(body, ctx, c, perms, g) {
  // Live: a change of state or size made elsewhere redraws the page.
  const timer = setInterval(async () => {
    try {
      const now = await api.get(`/v1/${c.name}`);
      const same = ["state", "cuSize", "replicas", "endpoint", "privateEndpoint"].every((k) => now[k] === c[k]);
      if (ctx.current(g) && !same) ctx.rerender();
    } catch (e) {
      // The next tick tries again.
    }
  }, 3000);
  ctx.onLeave(() => clearInterval(timer));
  const dl = h("dl", {class: "facts", id: "cluster-facts"},
    fact("State", stateBadge(c.state)), c.stateMessage ? fact("Message", c.stateMessage) : null,
    fact("Size", `${c.cuSize || 0} CU (${c.cuType || ""})`), fact("Replicas", String(c.replicas || 0)),
    fact("Endpoint", c.endpoint ? h("code", {id: "cluster-endpoint"}, c.endpoint)
      : c.publicEndpointDisabled ? "off (private endpoint only)" : "not yet"),
    c.privateEndpoint ? fact("Private endpoint", h("code", {id: "cluster-private-endpoint"}, c.privateEndpoint)) : null,
    fact("Administrator", c.adminUser || ""),
    fact("Vectors", `${Number(c.usedVectors || 0).toLocaleString("en")} of ${Number(c.capacityVectors || 0).toLocaleString("en")}`),
    fact("Storage", `${bytes(c.usedBytes)} of ${bytes(c.capacityBytes)}`),
    fact("Environment", h("a", {href: `#/${(c.environment || "").split("/").slice(0, 4).join("/")}`}, idOf(c.environment))),
    c.autoscaling && c.autoscaling.enabled ? fact("Autoscaling", `${c.autoscaling.minCuSize}..${c.autoscaling.maxCuSize} CU`) : null,
    fact("Created", when(c.createTime)),
    c.state === "DELETED" ? fact("Restorable until", when(c.purgeTime)) : null);
  replace(body, dl, clusterActions(ctx, c, perms));
}

function fact(term, value) {
  return [h("dt", {}, term), h("dd", {}, value)];
}

/// The action buttons and the scale form a key may use on cluster `c`.
export function clusterActions(ctx, c, perms) {
  const state = c.state;
  const run = (verb, label, path, body = {}) => h("button", {type: "button", id: `action-${verb}`,
    class: verb === "delete" || verb === "purge" ? "danger" : null,
    onclick: () => confirmThen(`${label} cluster ${idOf(c.name)}?`, async () => {
      const op = await api.post(path, {etag: c.etag, ...body}, {idempotent: true});
      ctx.track(op, (done) => {
        const cl = done.cluster;
        if (verb === "resetPassword" && cl && cl.adminPassword) {
          showOnce(`The new password of "${cl.adminUser}", shown once:`, cl.adminPassword, "cluster-password");
        }
      });
    })}, label);
  const buttons = [];
  if (perms.has("clusters.suspend") && state === "RUNNING") buttons.push(run("suspend", "Suspend", `/v1/${c.name}:suspend`));
  if (perms.has("clusters.resume") && state === "SUSPENDED") buttons.push(run("resume", "Resume", `/v1/${c.name}:resume`));
  if (perms.has("clusters.resetPassword") && (state === "RUNNING" || state === "SUSPENDED")) {
    buttons.push(run("resetPassword", "Reset password", `/v1/${c.name}:resetPassword`));
  }
  if (perms.has("clusters.restore") && state === "DELETED") buttons.push(run("restore", "Restore", `/v1/${c.name}:restore`));
  if (perms.has("clusters.purge") && state === "DELETED") buttons.push(run("purge", "Purge now", `/v1/${c.name}:purge`));
  if (perms.has("clusters.delete") && state !== "DELETED" && state !== "DELETING") {
    buttons.push(h("button", {type: "button", id: "action-delete", class: "danger", onclick: () =>
      confirmThen(`Delete cluster ${idOf(c.name)}? It can be restored until the end of the restore window.`, async () => {
        const op = await api.del(`/v1/${c.name}`, {etag: c.etag});
        ctx.track(op);
      })}, "Delete"));
  }
  const out = [h("h2", {}, "Actions"), buttons.length ? h("div", {class: "actions", id: "cluster-actions"}, buttons)
                                                       : h("p", {class: "hint", id: "no-actions"}, "No action this key may take now.")];
  if (perms.has("clusters.scale") && state === "RUNNING") {
    const size = field("CU size", "cuSize", "number", {value: String(c.cuSize || 1), min: 1, max: 256});
    const replicas = field("Replicas", "replicas", "number", {value: String(c.replicas || 1), min: 1, max: 8});
    out.push(h("h2", {}, "Scale"), form([size, replicas], "Scale", async (v) => {
      const op = await api.post(`/v1/${c.name}:scale`, {cuSize: Number(v.cuSize), replicas: Number(v.replicas), etag: c.etag},
                                {idempotent: true});
      ctx.track(op);
    }, {id: "scale-form", class: "card inline"}));
  }
  return out;
}

// ---- health dashboard ----------------------------------------------------------------

// The series of each cluster's dashboard, kept while the page lives (a redraw
// of the view does not lose them).
const seriesByCluster = new Map();
const MAX_POINTS = 120;
const POLL_MS = 1000;

const CHARTS = [
  ["qps", "Requests per second", [["qps", "QPS"]]],
  ["latency", "Latency (ms)", [["p50", "p50"], ["p99", "p99"]]],
  ["cu", "CU usage (%)", [["cu", "CU usage"]]],
  ["vectors", "Vectors", [["vectors", "vectors"]]],
  ["storage", "Storage (MiB)", [["storage", "MiB"]]],
];
const COLORS = ["#2563eb", "#dc2626", "#059669", "#7c3aed", "#d97706"];

async function dashboard(body, ctx, cluster, g) {
  let series = seriesByCluster.get(cluster.name);
  if (!series) {
    series = {labels: [], qps: [], p50: [], p99: [], cu: [], vectors: [], storage: []};
    seriesByCluster.set(cluster.name, series);
  }
  const latest = h("dl", {class: "facts", id: "dashboard-latest"});
  const status = h("p", {class: "hint", id: "dashboard-status", role: "status"});
  const grid = h("div", {class: "charts"});
  const charts = [];
  for (const [id, title, lines] of CHARTS) {
    const canvas = h("canvas", {id: `chart-${id}`, role: "img", "aria-label": title});
    grid.appendChild(h("figure", {class: "chart"}, h("figcaption", {}, title), h("div", {class: "chart-box"}, canvas)));
    if (window.Chart) {
      charts.push(new window.Chart(canvas, {
        type: "line",
        data: {labels: series.labels, datasets: lines.map(([key, label], i) => ({
          label, data: series[key], borderColor: COLORS[(charts.length + i) % COLORS.length],
          backgroundColor: COLORS[(charts.length + i) % COLORS.length], pointRadius: 0, borderWidth: 2, tension: 0.2}))},
        options: {animation: false, responsive: true, maintainAspectRatio: false,
                  scales: {y: {beginAtZero: true}}, plugins: {legend: {display: lines.length > 1}}},
      }));
    }
  }
  replace(body, h("h2", {}, "Health"), status, latest,
          window.Chart ? grid : h("p", {class: "hint"}, "Charts need Chart.js (Debian libjs-chart.js); the numbers above refresh."));
  let timer = null;
  let stopped = false;
  ctx.onLeave(() => {
    stopped = true;
    clearTimeout(timer);
    for (const c of charts) c.destroy();
  });
  const tick = async () => {
    try {
      const m = await api.get(`/v1/${cluster.name}/metrics`, {windowSeconds: 10});
      if (stopped) return;
      series.labels.push(new Date().toLocaleTimeString("en-GB"));
      series.qps.push(Number(m.qps || 0));
      series.p50.push(Number(m.latencyP50Ms || 0));
      series.p99.push(Number(m.latencyP99Ms || 0));
      series.cu.push(Number(m.cuUsage || 0) * 100);
      series.vectors.push(Number(m.vectorCount || 0));
      series.storage.push(Number(m.storageBytes || 0) / (1 << 20));
      for (const k of Object.keys(series)) {
        if (series[k].length > MAX_POINTS) series[k].splice(0, series[k].length - MAX_POINTS);
      }
      for (const c of charts) c.update("none");
      replace(latest,
        fact("Serving", m.serving ? "yes" : "no"), fact("QPS", Number(m.qps || 0).toFixed(2)),
        fact("Requests", String(m.requests || 0)), fact("Errors", String(m.errors || 0)),
        fact("Latency p50", `${Number(m.latencyP50Ms || 0).toFixed(2)} ms`),
        fact("Latency p99", `${Number(m.latencyP99Ms || 0).toFixed(2)} ms`),
        fact("CU usage", `${(Number(m.cuUsage || 0) * 100).toFixed(1)} %`),
        fact("Vectors", String(m.vectorCount || 0)), fact("Storage", bytes(m.storageBytes)));
      replace(status, `Refreshed ${new Date().toLocaleTimeString("en-GB")}; ${series.labels.length} samples.`);
    } catch (e) {
      if (stopped) return;
      replace(status, h("span", {class: "error"}, errorText(e)));
    }
    if (!stopped) timer = setTimeout(tick, POLL_MS);
  };
  await tick();
}

// ---- backups and the backup policy ------------------------------------------------------

async function backups(body, ctx, c, perms, g) {
  const list = await api.listAll(`/v1/${c.name}/backups`, "backups");
  if (!ctx.current(g)) return;
  const out = [h("h2", {}, "Backups"), table([
    ["Backup", (b) => idOf(b.name)], ["State", (b) => stateBadge(b.state)],
    ["Rows", (b) => String(b.rowCount || 0)], ["Size", (b) => bytes(b.sizeBytes)],
    ["Collections", (b) => (b.collections || []).join(", ") || "all"],
    ["Scheduled", (b) => b.scheduled ? "yes" : "no"], ["Created", (b) => when(b.createTime)],
    ["", (b) => [
      perms.has("backups.restore") && b.state === "READY" && c.state === "RUNNING" ? h("button", {type: "button",
        onclick: () => confirmThen(`Restore backup ${idOf(b.name)} into ${idOf(c.name)}, replacing its collections of the same name?`, async () => {
          const op = await api.post(`/v1/${b.name}:restore`, {targetCluster: c.name, overwrite: true}, {idempotent: true});
          ctx.track(op);
        })}, "Restore here") : null,
      perms.has("backups.delete") ? h("button", {type: "button", class: "danger",
        onclick: () => confirmThen(`Delete backup ${idOf(b.name)}?`, async () => {
          const op = await api.del(`/v1/${b.name}`, {etag: b.etag});
          ctx.track(op);
        })}, "Delete") : null]]],
    list, "No backups yet.", {id: "backups"})];
  if (perms.has("backups.create") && c.state === "RUNNING") {
    out.push(h("div", {class: "actions"}, h("button", {type: "button", id: "action-backup", onclick: async () => {
      try {
        const op = await api.post(`/v1/${c.name}/backups`, {backup: {}}, {idempotent: true});
        ctx.track(op);
      } catch (e) { toast(errorText(e), true); }
    }}, "Back up now")));
  }
  const p = c.backupPolicy || {};
  out.push(h("h2", {}, "Backup policy"), h("p", {id: "backup-policy"},
    p.enabled ? `Every ${durationMinutes(p.interval)} min, keeping ${p.retentionCount || "all"}; next at ${when(p.nextBackupTime)}.`
              : "No scheduled backups."));
  if (perms.has("backups.updatePolicy")) {
    const enabled = field("Scheduled backups", "enabled", "checkbox", {value: !!p.enabled});
    const interval = field("Every (minutes)", "interval", "number", {value: String(durationMinutes(p.interval) || 60), min: 1});
    const keep = field("Keep (newest, 0: all)", "retentionCount", "number", {value: String(p.retentionCount || 7), min: 0});
    out.push(form([enabled, interval, keep], "Save policy", async (v) => {
      await api.post(`/v1/${c.name}:setBackupPolicy`, {policy: {enabled: v.enabled,
        interval: `${Number(v.interval) * 60}s`, retentionCount: Number(v.retentionCount)}, etag: c.etag});
      ctx.rerender();
    }, {id: "policy-form", class: "card inline"}));
  }
  replace(body, ...out);
}

function durationMinutes(d) {
  if (!d) return 0;
  return Math.round(parseFloat(String(d)) / 60);
}

// ---- data explorer -----------------------------------------------------------------------

async function explorer(body, ctx, c, g) {
  const out = h("div", {id: "explorer"});
  replace(body, h("h2", {}, "Data explorer"), out);
  if (!api.databaseAuth(c.name)) return credentials(out, ctx, c, g);
  const auth = {"X-Cove-Database-Auth": api.databaseAuth(c.name)};
  const call = (method, path, b) => api.call(method, `/v1/${c.name}/collections${path}`, {body: b, headers: auth});
  let names;
  try {
    names = (await call("GET", "")).collections || [];
  } catch (e) {
    if (e.status === "UNAUTHENTICATED" || e.status === "PERMISSION_DENIED") {
      api.clearDatabaseAuth(c.name);
      return credentials(out, ctx, c, g, e);
    }
    throw e;
  }
  if (!ctx.current(g)) return;
  const detail = h("div", {id: "collection-detail"});
  const forget = h("button", {type: "button", id: "forget-db", onclick: () => { api.clearDatabaseAuth(c.name); ctx.rerender(); }},
                   "Forget the database credentials");
  replace(out, h("p", {class: "hint"}, "Reading the cluster's data plane at ", h("code", {}, c.endpoint || ""), ". ", forget),
    h("h3", {}, "Collections"),
    names.length ? h("ul", {class: "collections", id: "collections"}, names.map((col) =>
      h("li", {}, h("button", {type: "button", class: "link", "data-collection": col.name,
                               onclick: () => showCollection(detail, call, col.name)}, col.name))))
      : h("p", {class: "empty"}, "No collections."),
    detail);
}

function credentials(out, ctx, c, g, error) {
  const user = field("Database user", "user", "text", {value: c.adminUser || "root", required: true, autocomplete: "username"});
  const password = field("Password", "password", "password", {required: true, autocomplete: "current-password"});
  replace(out, h("p", {}, "The explorer reads the cluster through its data plane with the database's own credentials. ",
                 "They stay in this tab (sessionStorage) and are sent with each explorer request; cove-cloud neither stores nor logs them."),
    error ? h("p", {class: "error", role: "alert"}, errorText(error)) : null,
    form([user, password], "Open", async (v) => {
      api.setDatabaseAuth(c.name, v.user, v.password);
      ctx.rerender();
    }, {id: "db-credentials", class: "card narrow"}));
}

async function showCollection(detail, call, name) {
  replace(detail, h("p", {}, "Loading..."));
  let d;
  try {
    d = await call("GET", `/${encodeURIComponent(name)}`);
  } catch (e) {
    replace(detail, h("p", {class: "error"}, errorText(e)));
    return;
  }
  const pk = (d.fields || []).find((f) => f.isPrimaryKey);
  const results = h("div", {id: "explorer-results", role: "region", "aria-label": "Results"});
  const qFilter = field("Filter", "filter", "text", {placeholder: "id > 10", size: 40});
  const qFields = field("Output fields (comma separated)", "outputFields", "text", {placeholder: "*", size: 30});
  const qLimit = field("Limit", "limit", "number", {value: "10", min: 1, max: 16384});
  const sKey = field(`Primary key of the row whose vector to search with (${pk ? pk.name : "id"})`, "primaryKey", "text", {required: true});
  const sLimit = field("Limit", "limit", "number", {value: "10", min: 1, max: 16384});
  const sFilter = field("Filter", "filter", "text", {size: 40});
  const sFields = field("Output fields", "outputFields", "text", {size: 30});
  const split = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);
  const body = (v) => {
    const b = {limit: Number(v.limit)};
    if (v.filter) b.filter = v.filter;
    if (v.outputFields) b.outputFields = split(v.outputFields);
    return b;
  };
  replace(detail,
    h("h3", {}, `Collection ${d.name}`),
    h("dl", {class: "facts", id: "collection-facts"},
      fact("Rows", String(d.rowCount ?? "")), fact("Load state", d.loadState || ""),
      fact("Dynamic fields", d.enableDynamicField ? "on (kept in $meta)" : "off"),
      d.description ? fact("Description", d.description) : null),
    h("h4", {}, "Schema"),
    table([["Field", (f) => f.name], ["Type", (f) => f.dataType + (f.elementType ? `<${f.elementType}>` : "")],
           ["Dim / max length", (f) => String(f.dim || f.maxLength || "")],
           ["Primary key", (f) => f.isPrimaryKey ? (f.autoId ? "yes (auto id)" : "yes") : ""],
           ["Nullable", (f) => f.nullable ? "yes" : ""], ["Description", (f) => f.description || ""]],
          d.fields || [], "No fields.", {id: "collection-schema"}),
    h("h4", {}, "Indexes"),
    table([["Index", (i) => i.indexName], ["Field", (i) => i.fieldName], ["Type", (i) => i.indexType],
           ["Metric", (i) => i.metricType || ""], ["Parameters", (i) => JSON.stringify(i.params || {})],
           ["Indexed rows", (i) => i.indexedRows === undefined ? "" : String(i.indexedRows)]],
          d.indexes || [], "No indexes.", {id: "collection-indexes"}),
    h("div", {class: "two"},
      h("section", {}, h("h4", {}, "Query"), form([qFilter, qFields, qLimit], "Run query", async (v) => {
        const r = await call("POST", `/${encodeURIComponent(name)}:query`, body(v));
        showRows(results, `${(r.rows || []).length} rows`, r.rows || [], null);
      }, {id: "query-form", class: "card"})),
      h("section", {}, h("h4", {}, "Search with a row's vector"), form([sKey, sLimit, sFilter, sFields], "Search", async (v) => {
        const b = body(v);
        b.primaryKey = v.primaryKey;  // the gateway reads it as the key's type
        const r = await call("POST", `/${encodeURIComponent(name)}:search`, b);
        showRows(results, `${(r.hits || []).length} hits`, (r.hits || []).map((x) => ({...x.fields, "(id)": x.id, "(distance)": x.distance})),
                 ["(id)", "(distance)"]);
      }, {id: "search-form", class: "card"}))),
    results);
}

/// Rows of a query or search as a table: one column per key.
function showRows(el, title, rows, first) {
  const keys = [];
  for (const k of first || []) keys.push(k);
  for (const r of rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  const cell = (v) => {
    if (v === undefined || v === null) return "";
    if (typeof v === "object") {
      const s = JSON.stringify(v);
      return s.length > 120 ? `${s.slice(0, 117)}...` : s;
    }
    return String(v);
  };
  replace(el, h("h4", {}, title), table(keys.map((k) => [k, (r) => cell(r[k])]), rows, "Nothing matched.", {id: "result-rows"}));
}
