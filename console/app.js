// The Cove console: a single page over the REST/JSON API of cove-cloud.
// Plain ES modules, no build step. The page is drawn with DOM nodes only
// (dom.js), routes live in the URL fragment (#/organizations/o/projects/p),
// and the API key is in sessionStorage (api.js).
import {h, replace, table, field, form, errorText, idOf, when} from "./dom.js";
import * as api from "./api.js";
import {clusterView} from "./cluster.js";
import {stateBadge, confirmThen, showOnce, orgTabs} from "./ui.js";
import {orgKeysView, orgRolesView, orgMembersView, orgAuditView, orgOperationsView} from "./org.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
const signOutButton = document.getElementById("sign-out");
const opsPanel = document.getElementById("operations");

// The signed-in key (GET /console/session): actor, admin, keyName, scope,
// role, controlPlaneAddress.
let session = null;
// Timers and other things to stop when the page changes.
let cleanups = [];
// Bumped on every route: an older view's late reply draws nothing.
let generation = 0;

export const ctx = {
  get session() { return session; },
  /// Runs `f` when the current view goes away (timers, pollers).
  onLeave(f) { cleanups.push(f); },
  /// True while the view started at generation `g` is still shown.
  current(g) { return g === generation; },
  generation() { return generation; },
  rerender() { route(); },
  track,
};

function leave() {
  for (const f of cleanups) {
    try { f(); } catch (e) { /* nothing to do */ }
  }
  cleanups = [];
  generation++;
}

signOutButton.addEventListener("click", () => {
  api.signOut();
  session = null;
  replace(opsPanel);
  opsPanel.hidden = true;
  // Nothing of the session stays on screen (a secret shown once, a message).
  for (const id of ["once", "toast"]) {
    const el = document.getElementById(id);
    replace(el);
    el.hidden = true;
  }
  location.hash = "#/";
  route();
});

window.addEventListener("hashchange", route);
route();

async function route() {
  leave();
  const g = generation;
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (!api.apiKey()) {
    session = null;
    return signInView();
  }
  if (!session) {
    try {
      session = await api.get("/console/session");
    } catch (e) {
      api.signOut();
      return signInView(e);
    }
  }
  if (!ctx.current(g)) return;
  drawChrome(parts);
  try {
    await dispatch(parts, g);
  } catch (e) {
    if (!ctx.current(g)) return;
    if (e.status === "UNAUTHENTICATED") {
      api.signOut();
      session = null;
      return signInView(e);
    }
    replace(main, h("h1", {}, "Error"), h("p", {class: "error", role: "alert"}, errorText(e)));
  }
  if (ctx.current(g)) main.focus({preventScroll: true});
}

async function dispatch(parts, g) {
  const [o, org, kind, p, sub, c, tab] = parts;
  if (parts.length === 0) return homeView(g);
  if (o !== "organizations" || !org) return notFound();
  const orgName = `organizations/${org}`;
  if (!kind || kind === "projects" && !p) return orgProjectsView(orgName, g);
  if (kind === "apiKeys") return orgKeysView(main, ctx, orgName, g);
  if (kind === "roles") return orgRolesView(main, ctx, orgName, g);
  if (kind === "members") return orgMembersView(main, ctx, orgName, g);
  if (kind === "auditEvents") return orgAuditView(main, ctx, orgName, g);
  if (kind === "operations") return orgOperationsView(main, ctx, orgName, g);
  if (kind !== "projects") return notFound();
  const projectName = `${orgName}/projects/${p}`;
  if (!sub) return projectView(projectName, g);
  if (sub === "clusters" && c) return clusterView(main, ctx, `${projectName}/clusters/${c}`, tab || "overview", g);
  return notFound();
}

function notFound() {
  replace(main, h("h1", {}, "Not found"), h("p", {}, "This page does not exist. "),
          h("a", {href: "#/"}, "Back to the start"));
}

// ---- chrome: breadcrumbs, who is signed in ----------------------------------

function drawChrome(parts) {
  who.hidden = false;
  signOutButton.hidden = false;
  replace(who, "Signed in as ", h("span", {class: "actor"}, session.actor || ""),
          session.admin ? " (admin)" : "");
  const crumbs = [h("a", {href: "#/"}, "Home")];
  let path = "";
  for (let i = 0; i + 1 < parts.length; i += 2) {
    path += `/${parts[i]}/${parts[i + 1]}`;
    if (i + 1 >= parts.length) break;
    crumbs.push(" / ", h("a", {href: `#${path}`}, parts[i + 1]));
  }
  replace(nav, h("nav", {"aria-label": "Breadcrumbs"}, crumbs));
}

// ---- sign in ----------------------------------------------------------------

function signInView(error) {
  who.hidden = true;
  signOutButton.hidden = true;
  replace(nav);
  const key = field("API key", "apiKey", "password", {required: true, autocomplete: "off"});
  const f = form([key], "Sign in", async (v, status) => {
    api.setApiKey(v.apiKey);
    try {
      session = await api.get("/console/session");
    } catch (e) {
      api.signOut();
      session = null;
      throw e;
    }
    replace(status);
    route();
  }, {id: "sign-in", class: "card narrow"});
  replace(main, h("h1", {}, "Sign in to Cove"),
    h("p", {}, "Sign in with an API key of the control plane (cove-cloud prints the admin key on its first start; ",
      "keys are created under an organization's API keys). The key stays in this tab only and is sent with each request; ",
      "signing out forgets it."),
    error ? h("p", {class: "error", role: "alert"}, errorText(error)) : null, f);
  key.input.focus();
}

// ---- home: organizations, or the key's scope -----------------------------------

async function homeView(g) {
  // A key scoped below an organization goes straight to its scope.
  if (!session.admin && session.scope && session.scope.includes("/projects/")) {
    location.hash = `#/${session.scope}`;
    return;
  }
  const orgs = await api.listAll("/v1/organizations", "organizations");
  if (!ctx.current(g)) return;
  if (!session.admin && orgs.length === 0 && session.scope) {
    location.hash = `#/${session.scope}`;
    return;
  }
  const content = [h("h1", {}, "Organizations"),
    table([["Organization", (o) => h("a", {href: `#/${o.name}`}, o.displayName || idOf(o.name))],
           ["Id", (o) => idOf(o.name)], ["Created", (o) => when(o.createTime)]],
          orgs, "No organization you can see.", {id: "organizations"})];
  if (session.admin) {
    const id = field("Organization id", "organizationId", "text", {required: true, placeholder: "acme"});
    const dn = field("Display name", "displayName");
    const owner = field("Owner e-mail (optional)", "ownerEmail", "email");
    content.push(h("h2", {}, "New organization"), form([id, dn, owner], "Create organization", async (v) => {
      await api.post("/v1/organizations", {organizationId: v.organizationId,
        organization: {displayName: v.displayName}, ownerEmail: v.ownerEmail || undefined},
        {idempotent: true});
      route();
    }, {id: "create-organization", class: "card"}));
  }
  replace(main, ...content);
}

// ---- an organization's projects ----------------------------------------------

async function orgProjectsView(orgName, g) {
  const [org, projects, perms] = await Promise.all([
    api.get(`/v1/${orgName}`).catch(() => ({name: orgName})),
    api.listAll(`/v1/${orgName}/projects`, "projects"),
    api.allowed(orgName, ["projects.create", "projects.delete", "organizations.update"]),
  ]);
  if (!ctx.current(g)) return;
  const content = [h("h1", {}, org.displayName || idOf(orgName)), orgTabs(orgName, "projects"),
    h("h2", {}, "Projects"),
    table([["Project", (p) => h("a", {href: `#/${p.name}`}, p.displayName || idOf(p.name))],
           ["Id", (p) => idOf(p.name)], ["Plan", (p) => p.plan || ""], ["Region", (p) => p.region || ""],
           ["Created", (p) => when(p.createTime)],
           ["", (p) => perms.has("projects.delete") ? h("button", {type: "button", class: "danger",
              onclick: () => confirmThen(`Delete project ${idOf(p.name)}?`, async () => {
                await api.del(`/v1/${p.name}`, {etag: p.etag}); route(); })}, "Delete") : ""]],
          projects, "No projects yet.", {id: "projects"})];
  if (perms.has("projects.create")) {
    const id = field("Project id", "projectId", "text", {required: true, placeholder: "search-prod"});
    const dn = field("Display name", "displayName");
    const plan = field("Plan", "plan", "select", {options: [["standard", "standard"], ["free", "free"], ["enterprise", "enterprise"]]});
    const region = field("Region", "region", "text", {value: "us-east-1"});
    content.push(h("h2", {}, "New project"), form([id, dn, plan, region], "Create project", async (v) => {
      await api.post(`/v1/${orgName}/projects`, {projectId: v.projectId,
        project: {displayName: v.displayName, plan: v.plan, region: v.region}}, {idempotent: true});
      route();
    }, {id: "create-project", class: "card"}));
  }
  if (org.externalId) {
    content.push(h("p", {class: "hint"}, "External id of this organization (cross-account environments present it): ",
                   h("code", {}, org.externalId)));
  }
  replace(main, ...content);
}

// ---- a project: environments and clusters --------------------------------------

async function projectView(projectName, g) {
  const orgName = projectName.split("/").slice(0, 2).join("/");
  const [project, envs, clusters, perms, org] = await Promise.all([
    api.get(`/v1/${projectName}`),
    api.listAll(`/v1/${projectName}/environments`, "environments"),
    api.listAll(`/v1/${projectName}/clusters`, "clusters"),
    api.allowed(projectName, ["environments.create", "environments.delete", "environments.validate",
                              "environments.rotateToken", "clusters.create"]),
    api.get(`/v1/${orgName}`).catch(() => ({})),
  ]);
  if (!ctx.current(g)) return;
  const clustersTable = (list) => table(
    [["Cluster", (c) => h("a", {href: `#/${c.name}`}, c.displayName || idOf(c.name))],
     ["State", (c) => stateBadge(c.state)],
     ["Size", (c) => `${c.cuSize || 0} CU ${c.cuType || ""}`],
     ["Replicas", (c) => String(c.replicas || 0)],
     ["Endpoint", (c) => c.endpoint ? h("code", {}, c.endpoint)
       : c.privateEndpoint ? h("span", {}, h("code", {}, c.privateEndpoint), " (private)") : ""],
     ["Environment", (c) => idOf(c.environment)]],
    list, "No clusters yet.", {id: "clusters"});
  const envsTable = (list) => table(
    [["Environment", (e) => idOf(e.name)], ["Mode", (e) => e.mode === "AGENT" ? "agent" : "cross-account"],
     ["State", (e) => stateBadge(e.state)], ["Region", (e) => e.region || ""],
     ["Details", (e) => environmentDetails(e)],
     ["", (e) => environmentButtons(e, perms)]],
    list, "No environments yet.", {id: "environments"});
  const clustersBox = h("div", {}, clustersTable(clusters));
  const envsBox = h("div", {}, envsTable(envs));
  const content = [h("h1", {}, project.displayName || idOf(projectName)),
    h("p", {class: "subtitle"}, projectName, project.region ? ` · ${project.region}` : "", project.plan ? ` · ${project.plan}` : ""),
    h("h2", {}, "Clusters"), clustersBox];
  if (perms.has("clusters.create")) content.push(createClusterForm(projectName, envs));
  content.push(h("h2", {}, "Environments"), envsBox);
  // Live: states change under the page (operations of others, agents
  // connecting, the autoscaler). Only the two tables are redrawn, so a form
  // being filled in is kept.
  const key = (cs, es) => JSON.stringify([cs, es.map((e) => ({...e, lastHeartbeatTime: undefined}))]);
  let last = key(clusters, envs);
  const timer = setInterval(async () => {
    try {
      const [cs, es] = await Promise.all([
        api.listAll(`/v1/${projectName}/clusters`, "clusters"),
        api.listAll(`/v1/${projectName}/environments`, "environments")]);
      if (!ctx.current(g) || key(cs, es) === last) return;
      last = key(cs, es);
      replace(clustersBox, clustersTable(cs));
      replace(envsBox, envsTable(es));
    } catch (e) {
      // The next tick tries again; errors of actions show where they happen.
    }
  }, 3000);
  ctx.onLeave(() => clearInterval(timer));
  if (perms.has("environments.create")) content.push(createEnvironmentForm(projectName, org));
  replace(main, ...content);
}

function environmentDetails(e) {
  if (e.mode === "AGENT") {
    const lines = [h("div", {}, "Agent: ", e.state === "AWAITING_AGENT" ? "never connected" :
                     e.state === "DISCONNECTED" ? "disconnected" : "connected")];
    if (e.lastHeartbeatTime) lines.push(h("div", {}, `Last heartbeat ${when(e.lastHeartbeatTime)}`));
    if (e.stateMessage) lines.push(h("div", {class: "hint"}, e.stateMessage));
    return lines;
  }
  return [h("div", {}, `Account ${e.cloudAccountId || ""} · ${e.vpcId || ""}`),
          h("div", {class: "hint"}, e.roleArn || ""),
          h("div", {class: "hint"}, `Bucket ${e.bucket || ""}`)];
}

function environmentButtons(e, perms) {
  const out = [];
  const result = h("div", {class: "env-result", role: "status"});
  if (perms.has("environments.validate")) {
    out.push(h("button", {type: "button", onclick: async () => {
      try {
        const v = await api.post(`/v1/${e.name}:validate`, {});
        replace(result, v.valid ? "Valid." : (v.problems || []).map((p) => h("div", {class: "error"}, `${p.field}: ${p.message}`)));
      } catch (err) { replace(result, h("span", {class: "error"}, errorText(err))); }
    }}, "Validate"));
  }
  if (e.mode === "AGENT" && perms.has("environments.rotateToken")) {
    out.push(h("button", {type: "button", onclick: async () => {
      try {
        const env = await api.post(`/v1/${e.name}:rotateAgentToken`, {etag: e.etag});
        replace(result, agentCommand(env));
      } catch (err) { replace(result, h("span", {class: "error"}, errorText(err))); }
    }}, "New agent token"));
  }
  if (perms.has("environments.delete")) {
    out.push(h("button", {type: "button", class: "danger", onclick: () =>
      confirmThen(`Delete environment ${idOf(e.name)}?`, async () => { await api.del(`/v1/${e.name}`, {etag: e.etag}); route(); })}, "Delete"));
  }
  out.push(result);
  return out;
}

/// The one-time agent token and the command that starts cove-agent with it.
function agentCommand(env) {
  const cp = (session && session.controlPlaneAddress) || "HOST:PORT";
  // Every value single-quoted for the shell (a bucket path may hold spaces
  // or quotes: the command must stay one command).
  const q = (v) => `'${String(v).replace(/'/g, "'\\''")}'`;
  const cmd = `printf '%s' ${q(env.agentToken)} > agent.token && cove-agent --control-plane ${q(cp)} ` +
              `--token-file agent.token --bucket ${q(env.bucket || "BUCKET")} --environment ${q(env.name)} ` +
              "--state-dir agent-state";
  return h("div", {class: "secret", id: "agent-command"},
    h("p", {}, "Start the agent in the customer network with this command. The token is shown once",
      env.agentTokenExpireTime ? ` and expires at ${when(env.agentTokenExpireTime)}` : "", ":"),
    h("pre", {}, h("code", {}, cmd)));
}

function createEnvironmentForm(projectName, org) {
  const box = h("div", {});
  const id = field("Environment id", "environmentId", "text", {required: true, placeholder: "aws-prod"});
  const mode = field("Mode", "mode", "select", {options: [["CROSS_ACCOUNT", "cross-account (role)"], ["AGENT", "agent (outbound)"]]});
  const region = field("Region", "region", "text", {value: "us-east-1"});
  const account = field("Cloud account id", "cloudAccountId", "text", {placeholder: "123456789012"});
  const vpc = field("VPC id", "vpcId", "text", {placeholder: "vpc-0abc12345"});
  const bucket = field("Bucket (a local directory in the emulator)", "bucket", "text", {required: true});
  const role = field("Role ARN", "roleArn", "text", {placeholder: "arn:aws:iam::123456789012:role/cove"});
  const ext = field("External id", "externalId", "text", {value: org.externalId || ""});
  const crossOnly = [role, ext];
  const sync = () => { for (const f of crossOnly) f.row.hidden = mode.input.value === "AGENT"; };
  mode.input.addEventListener("change", sync);
  sync();
  const f = form([id, mode, region, account, vpc, bucket, role, ext], "Create environment", async (v) => {
    const env = {mode: v.mode, region: v.region, cloudAccountId: v.cloudAccountId, vpcId: v.vpcId, bucket: v.bucket};
    if (v.mode !== "AGENT") { env.roleArn = v.roleArn; env.externalId = v.externalId; }
    const created = await api.post(`/v1/${projectName}/environments`, {environmentId: v.environmentId, environment: env}, {idempotent: true});
    await route();
    if (created.agentToken) {
      const table = document.getElementById("environments");
      if (table) table.after(agentCommand(created));
    }
  }, {id: "create-environment", class: "card"});
  replace(box, h("h2", {}, "New environment"), f);
  return box;
}

function createClusterForm(projectName, envs) {
  const id = field("Cluster id", "clusterId", "text", {required: true, placeholder: "search"});
  const dn = field("Display name", "displayName");
  const env = field("Environment", "environment", "select", {options: envs.map((e) => [e.name, `${idOf(e.name)} (${e.state || ""})`])});
  const type = field("CU type", "cuType", "select", {options: [["performance", "performance"], ["capacity", "capacity"]]});
  const size = field("CU size", "cuSize", "number", {value: "1", min: 1, max: 256});
  const replicas = field("Replicas", "replicas", "number", {value: "1", min: 1, max: 8});
  const f = form([id, dn, env, type, size, replicas], "Create cluster", async (v) => {
    const op = await api.post(`/v1/${projectName}/clusters`, {clusterId: v.clusterId, cluster: {
      displayName: v.displayName, environment: v.environment, cuType: v.cuType,
      cuSize: Number(v.cuSize), replicas: Number(v.replicas)}}, {idempotent: true});
    track(op, (done) => {
      const c = done.cluster;
      if (c && c.adminPassword) {
        showOnce(`Cluster ${idOf(c.name)} is ${c.state}. Its administrator is "${c.adminUser}" with this password, shown once:`,
                 c.adminPassword, "cluster-password");
      }
    });
    route();
  }, {id: "create-cluster", class: "card"});
  return h("div", {}, h("h2", {}, "New cluster"), envs.length ? f : h("p", {class: "hint"}, "Create an environment first."));
}

// ---- operations: progress shown live -------------------------------------------

/// Shows `op` (an Operation) in the operations panel and polls it until it is
/// done (GET /v1/operations/{id}); then calls `onDone(op)` and redraws the
/// page.
export function track(op, onDone) {
  opsPanel.hidden = false;
  const progress = h("progress", {max: "100", value: String(op.progressPercent || 0)});
  const state = h("span", {class: "op-state"}, "running");
  const row = h("li", {class: "op", "data-operation": op.name},
    h("span", {class: "op-verb"}, op.verb || "Operation"), " ", h("span", {class: "op-target"}, idOf(op.target)), " ",
    progress, " ", state);
  const list = opsPanel.querySelector("ul") || opsPanel.appendChild(h("ul", {}));
  list.prepend(row);
  const finish = (o) => {
    progress.value = 100;
    if (o.errorCode) {
      row.classList.add("failed");
      replace(state, `failed: ${o.errorMessage || o.errorCode}`);
    } else {
      row.classList.add("done");
      replace(state, "done");
    }
    if (onDone) onDone(o);
    route();
    // Finished operations leave the panel after a while (the organization's
    // Operations page lists them all).
    setTimeout(() => {
      row.remove();
      if (!opsPanel.querySelector("li")) opsPanel.hidden = true;
    }, 15000);
  };
  if (op.done) { finish(op); return; }
  const poll = async () => {
    let o;
    try {
      o = await api.get(`/v1/${op.name}`);
    } catch (e) {
      replace(state, errorText(e));
      setTimeout(poll, 2000);
      return;
    }
    progress.value = o.progressPercent || 0;
    if (o.done) return finish(o);
    replace(state, `running (${o.progressPercent || 0}%)`);
    setTimeout(poll, 400);
  };
  setTimeout(poll, 200);
}

