// DOM helpers of the console. Every value reaches the page as a text node or
// an attribute set through the DOM (never innerHTML), so names and labels,
// which are user input, are always shown as text.

/// h("button", {class: "x", onclick: f}, "text", child...): an element.
/// Attributes starting with "on" are event listeners; `hidden`, `disabled`,
/// `checked`, `selected` and `value` are properties; others go through
/// setAttribute. Children are nodes, strings (text nodes), arrays or null.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2), v);
    } else if (k === "hidden" || k === "disabled" || k === "checked" ||
               k === "selected" || k === "value" || k === "required") {
      el[k] = v;
    } else {
      el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) {
      append(el, c);
    } else if (c instanceof Node) {
      el.appendChild(c);
    } else {
      el.appendChild(document.createTextNode(String(c)));
    }
  }
}

/// Removes every child of `el`, then appends `children`.
export function replace(el, ...children) {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, children);
  return el;
}

/// A table with a header row and one row per item; `columns` are
/// [header, item => cell content] pairs. An empty list shows `empty`.
export function table(columns, items, empty = "None yet.", attrs = {}) {
  if (!items || items.length === 0) return h("p", {class: "empty"}, empty);
  return h("table", attrs,
    h("thead", {}, h("tr", {}, columns.map(([title]) => h("th", {scope: "col"}, title)))),
    h("tbody", {}, items.map((item) =>
      h("tr", {}, columns.map(([, cell]) => h("td", {}, cell(item)))))));
}

let fieldCounter = 0;

/// A labelled input: returns {row, input}. `kind` is an input type, or
/// "select" with `options` [[value, label]...].
export function field(label, name, kind = "text", opts = {}) {
  const id = `f-${name}-${++fieldCounter}`;
  let input;
  if (kind === "select") {
    input = h("select", {id, name},
      (opts.options || []).map(([v, l]) => h("option", {value: v, selected: v === opts.value}, l)));
  } else if (kind === "checkbox") {
    input = h("input", {id, name, type: "checkbox", checked: !!opts.value});
  } else {
    input = h("input", {id, name, type: kind, value: opts.value ?? "",
                        placeholder: opts.placeholder, required: opts.required,
                        autocomplete: opts.autocomplete || "off",
                        min: opts.min, max: opts.max, size: opts.size});
  }
  const row = h("div", {class: "field"}, h("label", {for: id}, label), input);
  return {row, input};
}

/// A form with the given fields and a submit button; `onsubmit` gets the
/// values by name (checkboxes as booleans) and may return a promise.
export function form(fields, submitLabel, onsubmit, attrs = {}) {
  const status = h("p", {class: "form-status", role: "status"});
  const button = h("button", {type: "submit"}, submitLabel);
  const el = h("form", attrs, fields.map((f) => f.row), h("div", {class: "actions"}, button), status);
  el.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const values = {};
    for (const f of fields) {
      values[f.input.name] = f.input.type === "checkbox" ? f.input.checked : f.input.value.trim();
    }
    button.disabled = true;
    replace(status);
    status.classList.remove("error");
    try {
      await onsubmit(values, status);
    } catch (e) {
      status.classList.add("error");
      replace(status, errorText(e));
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

/// The text of an error for people.
export function errorText(e) {
  if (e && e.status) return `${e.status}: ${e.message}`;
  return String(e && e.message ? e.message : e);
}

/// The last segment of a resource name.
export function idOf(name) {
  const parts = String(name || "").split("/");
  return parts[parts.length - 1];
}

/// A timestamp (RFC 3339) for people, or "" when unset.
export function when(ts) {
  if (!ts) return "";
  const d = new Date(ts);
  return isNaN(d.getTime()) ? String(ts) : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/// A byte count for people.
export function bytes(n) {
  let v = Number(n || 0);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
