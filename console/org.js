// The organization's pages: API keys, roles and role bindings, members and
// invitations, the audit log, operations.
import {h, replace, table, field, form, errorText, idOf, when} from "./dom.js";
import * as api from "./api.js";
import {stateBadge, confirmThen, showOnce, orgTabs, toast} from "./ui.js";

const BUILT_IN_ROLES = ["roles/organization.owner", "roles/organization.billing_admin", "roles/organization.member",
                        "roles/project.admin", "roles/project.read_write", "roles/project.read_only"];

async function heading(orgName, current, title) {
  return [h("h1", {}, idOf(orgName)), orgTabs(orgName, current), h("h2", {}, title)];
}

// ---- API keys ----------------------------------------------------------------------

export async function orgKeysView(main, ctx, orgName, g) {
  const [keys, perms] = await Promise.all([
    api.listAll(`/v1/${orgName}/apiKeys`, "apiKeys"),
    api.allowed(orgName, ["apiKeys.create", "apiKeys.update", "apiKeys.delete"]),
  ]);
  if (!ctx.current(g)) return;
  const content = await heading(orgName, "apiKeys", "API keys");
  content.push(table([
    ["Key", (k) => k.displayName || idOf(k.name)], ["Id", (k) => idOf(k.name)],
    ["Scope", (k) => k.scope || ""], ["Role", (k) => k.role || ""],
    ["Enabled", (k) => k.enabled ? "yes" : "no"], ["Last used", (k) => when(k.lastUsedTime)],
    ["Expires", (k) => when(k.expireTime) || "never"],
    ["", (k) => [
      perms.has("apiKeys.update") ? h("button", {type: "button", onclick: () => confirmThen(
        `${k.enabled ? "Disable" : "Enable"} key ${idOf(k.name)}?`, async () => {
          await api.patch(`/v1/${k.name}`, {apiKey: {enabled: !k.enabled, etag: k.etag}, updateMask: "enabled"});
          ctx.rerender();
        })}, k.enabled ? "Disable" : "Enable") : null,
      perms.has("apiKeys.delete") ? h("button", {type: "button", class: "danger", onclick: () => confirmThen(
        `Delete key ${idOf(k.name)}?`, async () => { await api.del(`/v1/${k.name}`, {etag: k.etag}); ctx.rerender(); })}, "Delete") : null]]],
    keys, "No API keys yet.", {id: "api-keys"}));
  if (perms.has("apiKeys.create")) {
    const dn = field("Display name", "displayName", "text", {required: true});
    const scope = field("Scope (organization, project or cluster name)", "scope", "text", {value: orgName, size: 60});
    const role = field("Role", "role", "select", {options: BUILT_IN_ROLES.map((r) => [r, r])});
    content.push(h("h2", {}, "New API key"), form([dn, scope, role], "Create key", async (v) => {
      const k = await api.post(`/v1/${orgName}/apiKeys`, {apiKey: {displayName: v.displayName, scope: v.scope, role: v.role}},
                               {idempotent: true});
      showOnce(`Key ${idOf(k.name)} created. Its secret is shown this once; store it now:`, k.secret, "new-key-secret");
      ctx.rerender();
    }, {id: "create-key", class: "card"}));
  }
  replace(main, ...content);
}

// ---- roles and role bindings --------------------------------------------------------

function statements(role) {
  return (role.statements || []).map((s) =>
    h("div", {class: s.effect === "DENY" ? "deny" : "allow"},
      `${s.effect || "ALLOW"} ${(s.actions || []).join(", ")}${(s.resources || []).length ? ` on ${s.resources.join(", ")}` : ""}`));
}

export async function orgRolesView(main, ctx, orgName, g) {
  const [roles, bindings, perms] = await Promise.all([
    api.listAll(`/v1/${orgName}/roles`, "roles"),
    api.listAll(`/v1/${orgName}/roleBindings`, "roleBindings").catch(() => null),
    api.allowed(orgName, ["roles.create", "roles.delete", "roleBindings.create", "roleBindings.delete"]),
  ]);
  if (!ctx.current(g)) return;
  const content = await heading(orgName, "roles", "Roles");
  content.push(table([
    ["Role", (r) => r.displayName || idOf(r.name)], ["Name", (r) => r.name],
    ["Level", (r) => (r.level || "").toLowerCase()], ["Built in", (r) => r.builtIn ? "yes" : "no"],
    ["Statements", statements],
    ["", (r) => !r.builtIn && perms.has("roles.delete") ? h("button", {type: "button", class: "danger", onclick: () => confirmThen(
      `Delete role ${idOf(r.name)}?`, async () => { await api.del(`/v1/${r.name}`, {etag: r.etag}); ctx.rerender(); })}, "Delete") : ""]],
    roles, "No roles.", {id: "roles"}));
  if (perms.has("roles.create")) {
    const id = field("Role id", "roleId", "text", {required: true});
    const dn = field("Display name", "displayName");
    const level = field("Level", "level", "select", {options: [["PROJECT", "project"], ["ORGANIZATION", "organization"]]});
    const allow = field("Allowed actions (comma separated, e.g. clusters.get, clusters.scale)", "allow", "text", {required: true, size: 60});
    const deny = field("Denied actions (optional)", "deny", "text", {size: 60});
    content.push(h("h2", {}, "New custom role"), form([id, dn, level, allow, deny], "Create role", async (v) => {
      const split = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);
      const st = [{effect: "ALLOW", actions: split(v.allow)}];
      if (split(v.deny).length) st.push({effect: "DENY", actions: split(v.deny)});
      await api.post(`/v1/${orgName}/roles`, {roleId: v.roleId, role: {displayName: v.displayName, level: v.level, statements: st}},
                     {idempotent: true});
      ctx.rerender();
    }, {id: "create-role", class: "card"}));
  }
  content.push(h("h2", {}, "Role bindings"));
  if (bindings === null) {
    content.push(h("p", {class: "hint"}, "This key may not list role bindings."));
  } else {
    content.push(table([
      ["Principal", (b) => b.principal], ["Role", (b) => b.role], ["Scope", (b) => b.scope],
      ["Created", (b) => when(b.createTime)],
      ["", (b) => perms.has("roleBindings.delete") ? h("button", {type: "button", class: "danger", onclick: () => confirmThen(
        `Remove the binding of ${b.principal}?`, async () => { await api.del(`/v1/${b.name}`); ctx.rerender(); })}, "Remove") : ""]],
      bindings, "No role bindings.", {id: "role-bindings"}));
  }
  if (perms.has("roleBindings.create")) {
    const principal = field("Principal (users/EMAIL or an API key name)", "principal", "text", {required: true, size: 50});
    const role = field("Role", "role", "select", {options: roles.map((r) => [r.name, r.name])});
    const scope = field("Scope", "scope", "text", {value: orgName, size: 60});
    content.push(h("h2", {}, "New role binding"), form([principal, role, scope], "Bind role", async (v) => {
      await api.post(`/v1/${orgName}/roleBindings`, {roleBinding: v}, {idempotent: true});
      ctx.rerender();
    }, {id: "create-binding", class: "card"}));
  }
  replace(main, ...content);
}

// ---- members and invitations --------------------------------------------------------

export async function orgMembersView(main, ctx, orgName, g) {
  const [members, invitations, perms] = await Promise.all([
    api.listAll(`/v1/${orgName}/members`, "members"),
    api.listAll(`/v1/${orgName}/invitations`, "invitations").catch(() => null),
    api.allowed(orgName, ["members.update", "members.delete", "invitations.create", "invitations.revoke"]),
  ]);
  if (!ctx.current(g)) return;
  const orgRoles = BUILT_IN_ROLES.filter((r) => r.startsWith("roles/organization."));
  const content = await heading(orgName, "members", "Members");
  content.push(table([
    ["User", (m) => m.user], ["Role", (m) => perms.has("members.update") ? roleSelect(m, orgRoles, ctx) : m.role],
    ["Since", (m) => when(m.createTime)],
    ["", (m) => perms.has("members.delete") ? h("button", {type: "button", class: "danger", onclick: () => confirmThen(
      `Remove ${m.user} from the organization?`, async () => { await api.del(`/v1/${m.name}`); ctx.rerender(); })}, "Remove") : ""]],
    members, "No members.", {id: "members"}));
  content.push(h("h2", {}, "Invitations"));
  if (invitations === null) {
    content.push(h("p", {class: "hint"}, "This key may not list invitations."));
  } else {
    content.push(table([
      ["E-mail", (i) => i.email], ["Role", (i) => i.role], ["State", (i) => stateBadge(i.state)],
      ["Expires", (i) => when(i.expireTime)],
      ["", (i) => i.state === "PENDING" && perms.has("invitations.revoke") ? h("button", {type: "button", class: "danger",
        onclick: () => confirmThen(`Revoke the invitation of ${i.email}?`, async () => {
          await api.post(`/v1/${i.name}:revoke`, {etag: i.etag}); ctx.rerender(); })}, "Revoke") : ""]],
      invitations, "No invitations.", {id: "invitations"}));
  }
  if (perms.has("invitations.create")) {
    const email = field("E-mail", "email", "email", {required: true});
    const role = field("Role", "role", "select", {options: orgRoles.map((r) => [r, r]), value: "roles/organization.member"});
    content.push(h("h2", {}, "Invite someone"), form([email, role], "Invite", async (v) => {
      const inv = await api.post(`/v1/${orgName}/invitations`, {invitation: v}, {idempotent: true});
      showOnce(`Invitation for ${inv.email} created. Send its token (shown once) to the person; they accept with POST /v1/invitations:accept:`,
               inv.token, "invitation-token");
      ctx.rerender();
    }, {id: "create-invitation", class: "card"}));
  }
  replace(main, ...content);
}

function roleSelect(member, roles, ctx) {
  const id = `role-${idOf(member.name)}`;
  const sel = h("select", {id, "aria-label": `Role of ${member.user}`},
    roles.map((r) => h("option", {value: r, selected: r === member.role}, r)));
  sel.addEventListener("change", async () => {
    if (!window.confirm(`Give ${member.user} the role ${sel.value}?`)) {
      sel.value = member.role;
      return;
    }
    try {
      await api.patch(`/v1/${member.name}`, {member: {role: sel.value}, updateMask: "role"});
      ctx.rerender();
    } catch (e) {
      sel.value = member.role;
      toast(errorText(e), true);
    }
  });
  return sel;
}

// ---- audit log ------------------------------------------------------------------------

export async function orgAuditView(main, ctx, orgName, g) {
  const content = await heading(orgName, "auditEvents", "Audit log");
  const actor = field("Actor", "actor");
  const action = field("Action", "action", "text", {placeholder: "clusters.create"});
  const resource = field("Resource (prefix)", "resource");
  const outcome = field("Outcome", "outcome", "select", {options: [["", "any"], ["SUCCEEDED", "succeeded"], ["FAILED", "failed"], ["DENIED", "denied"]]});
  const results = h("div", {id: "audit-results"});
  let token = "";
  let filter = "";
  const load = async (append) => {
    const page = await api.get(`/v1/${orgName}/auditEvents`, {filter, pageSize: 50, pageToken: append ? token : ""});
    if (!ctx.current(g)) return;
    token = page.nextPageToken || "";
    const events = page.auditEvents || [];
    const t = table([["Time", (e) => when(e.time)], ["Actor", (e) => e.actor], ["Action", (e) => e.action],
                     ["Resource", (e) => e.resource], ["Outcome", (e) => stateBadge(e.outcome)],
                     ["Message", (e) => e.message || ""], ["Client", (e) => e.clientAddress || ""]],
                    events, "No events match.", {id: "audit-events"});
    const more = token ? h("button", {type: "button", id: "audit-more", onclick: () => load(true)}, "Next page") : null;
    replace(results, t, more);
  };
  const f = form([actor, action, resource, outcome], "Filter", async (v) => {
    const terms = [];
    for (const k of ["actor", "action", "resource", "outcome"]) {
      if (v[k]) terms.push(`${k}=${v[k]}`);
    }
    filter = terms.join(" AND ");
    await load(false);
  }, {id: "audit-filter", class: "card inline"});
  content.push(f, results);
  replace(main, ...content);
  await load(false);
}

// ---- operations ------------------------------------------------------------------------

export async function orgOperationsView(main, ctx, orgName, g) {
  const page = await api.get(`/v1/${orgName}/operations`, {pageSize: 100});
  if (!ctx.current(g)) return;
  const content = await heading(orgName, "operations", "Operations");
  content.push(table([
    ["Operation", (o) => idOf(o.name)], ["Verb", (o) => o.verb], ["Target", (o) => o.target],
    ["Progress", (o) => h("progress", {max: "100", value: String(o.done ? 100 : o.progressPercent || 0)})],
    ["State", (o) => o.done ? (o.errorCode ? `failed: ${o.errorMessage || o.errorCode}` : "done") : "running"],
    ["Started", (o) => when(o.createTime)]],
    page.operations || [], "No operations.", {id: "operations-list"}));
  replace(main, ...content);
}
