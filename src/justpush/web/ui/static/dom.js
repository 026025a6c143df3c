// DOM helpers. Everything that comes from data is set as text (textContent / attributes), never as HTML.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** h("a", {href: url, class: "x"}, "text", child) — an element with attributes and text or element children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(el, ...children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export function show(el, visible = true) {
  el.hidden = !visible;
  return el;
}

/** Show an error (an ApiError from api.js or any Error) in a role="alert" element. */
export function showError(el, error) {
  if (!error) {
    clear(el).hidden = true;
    return;
  }
  const meta = [error.code, error.status ? `HTTP ${error.status}` : null, error.requestId && `request ${error.requestId}`]
    .filter(Boolean)
    .join(" · ");
  clear(el).append(h("strong", {}, error.message || String(error)));
  if (meta) el.append(h("span", { class: "error-meta" }, meta));
  el.hidden = false;
}

export function badge(text, tone = statusTone(text)) {
  return h("span", { class: `badge badge-${tone}` }, text);
}

export function statusTone(status) {
  switch (status) {
    case "DEPLOYED":
    case "ROLLED_BACK":
    case "succeeded":
      return "ok";
    case "DEPLOYED_WITH_WARNINGS":
      return "warn";
    case "FAILED":
    case "failed":
      return "bad";
    case "DELETED":
    case "not_started":
    case null:
    case undefined:
      return "muted";
    default:
      return "busy";
  }
}

/** Human labels for deployment states ("ROLLED_BACK" → "Rolled back"). */
export function statusLabel(status) {
  if (!status) return "";
  const text = String(status).replace(/_/g, " ").toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function setBadge(el, text) {
  el.textContent = text;
  el.className = `badge badge-${statusTone(text)}`;
  el.hidden = !text;
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDate(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

export function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString([], { hour12: false });
}

let toastTimer = 0;
export function toast(message) {
  const el = $("#toast");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 2500);
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Without the async clipboard (plain http on a non-local host): a selected, hidden textarea.
    const area = h("textarea", { class: "offscreen", readonly: true });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  toast("Copied to the clipboard");
}

export function copyButton(text, label = "Copy") {
  return h("button", { type: "button", class: "btn btn-small", onclick: () => copyText(text) }, label);
}

/** A <dl> from [term, value, wide?] triples; values may be nodes; empty ones are skipped. */
export function fillFacts(dl, facts) {
  clear(dl);
  for (const [term, value, wide] of facts) {
    if (value === undefined || value === null || value === "") continue;
    dl.append(h("div", { class: wide ? "fact fact-wide" : "fact" }, h("dt", {}, term), h("dd", {}, value)));
  }
}

/** A <dialog> confirmation; resolves true when the user confirms. */
export function confirmDialog(text, okLabel) {
  const dialog = $("#confirm");
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

/**
 * Each body cell gets its column's header as data-label: on a phone the rows stack and show it (app.css).
 * An empty cell gets none, and is left out of the stacked row.
 */
export function labelCells(table) {
  const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  for (const row of table.querySelectorAll("tbody tr")) {
    [...row.cells].forEach((cell, index) => {
      const empty = !cell.children.length && !cell.textContent.trim();
      if (headers[index] && !empty) cell.dataset.label = headers[index];
      else delete cell.dataset.label;
    });
  }
}

const SVG = "http://www.w3.org/2000/svg";

/** A small line chart of `values` (oldest first), scaled to its own maximum. */
export function sparkline(values, label) {
  const width = 90;
  const height = 22;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.setAttribute("class", "spark");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  const top = Math.max(...values, 0) || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = values.map((value, index) => `${(index * step).toFixed(1)},${(height - 1 - (value / top) * (height - 2)).toFixed(1)}`);
  if (points.length === 1) points.push(`${width},${points[0].split(",")[1]}`);
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "currentColor");
  line.setAttribute("stroke-width", "1.5");
  svg.append(line);
  return svg;
}
