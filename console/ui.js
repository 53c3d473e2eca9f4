// Pieces of the console's pages shared by several views.
import {h, replace, errorText} from "./dom.js";

/// A state as a badge (CSS class by state).
export function stateBadge(state) {
  const s = state || "UNKNOWN";
  return h("span", {class: `state state-${s.toLowerCase()}`}, s);
}

/// Asks before doing something that cannot be undone.
export async function confirmThen(question, f) {
  if (!window.confirm(question)) return;
  try {
    await f();
  } catch (e) {
    toast(errorText(e), true);
  }
}

/// A message in the status area.
export function toast(text, isError = false) {
  const el = document.getElementById("toast");
  replace(el, text);
  el.classList.toggle("error", isError);
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 10000);
}

let toastTimer = null;

/// A secret shown once in a dismissable box above the page.
export function showOnce(text, secret, id) {
  const el = document.getElementById("once");
  replace(el, h("div", {class: "secret", id},
    h("p", {}, text), h("pre", {}, h("code", {class: "secret-value"}, secret)),
    h("button", {type: "button", onclick: () => { replace(el); el.hidden = true; }}, "I have saved it")));
  el.hidden = false;
}

/// Links of an organization's pages, the current one marked.
export function orgTabs(orgName, current) {
  const links = [["projects", "Projects"], ["apiKeys", "API keys"], ["roles", "Roles and bindings"],
                 ["members", "Members"], ["auditEvents", "Audit log"], ["operations", "Operations"]];
  return h("nav", {class: "tabs", "aria-label": "Organization"},
    links.map(([k, label]) => h("a", {href: `#/${orgName}/${k}`, "aria-current": k === current ? "page" : null}, label)));
}

