// "Call the API": the ways in (gateway with its key, or JustPush's pass-through and kubectl port-forward),
// a curl line per operation, and a console that sends one request through the pass-through.

import { sessionHeaders } from "./api.js";
import { $, clear, copyButton, h, show, showError } from "./dom.js";

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];
const LOCAL_PORT = 8080;

/** A header with a shell variable in it, double-quoted so the shell expands the variable. */
function headerWithVariable(text) {
  return `"${text}"`;
}

/** Shell-quote a word for a copyable command line. */
function sh(word) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${String(word).replace(/'/g, "'\\''")}'`;
}

/** Every operation of the spec, in path order: {method, path, operation, parameters}. */
function operationsOf(spec) {
  const result = [];
  for (const path of Object.keys((spec && spec.paths) || {}).sort()) {
    const item = spec.paths[path] || {};
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const parameters = [...(item.parameters || []), ...(operation.parameters || [])].filter((p) => p && p.name);
      result.push({ method: method.toUpperCase(), path, operation, parameters });
    }
  }
  return result;
}

/** The header Kong's key-auth reads: the spec's apiKey-in-header scheme, else Kong's default. */
function keyHeader(spec) {
  const schemes = (spec && spec.components && spec.components.securitySchemes) || {};
  const scheme = Object.values(schemes).find((s) => s && s.type === "apiKey" && s.in === "header");
  return scheme ? scheme.name : "apikey";
}

function example(op) {
  const body = op.operation.requestBody;
  if (!body) return null;
  const media = (body.content && body.content["application/json"]) || null;
  if (media && media.example !== undefined) return JSON.stringify(media.example, null, 2);
  return "{}";
}

export function apiConsole(uploadId) {
  const base = `/deploy/${encodeURIComponent(uploadId)}`;
  let spec = null;
  let record = null;
  let operations = [];

  function proxyBase() {
    return `${window.location.origin}${base}/proxy`;
  }

  function curlLine(op, via) {
    const path = op.path;
    const parts = ["curl", "-sS"];
    if (op.method !== "GET") parts.push("-X", op.method);
    if (via === "gateway") {
      parts.push("-H", headerWithVariable(`${keyHeader(spec)}: $API_KEY`), sh(`${record.gateway_url.replace(/\/$/, "")}${path}`));
    } else {
      parts.push("-H", headerWithVariable("Authorization: Bearer $JUSTPUSH_TOKEN"), sh(`${proxyBase()}${path}`));
    }
    if (op.operation.requestBody) parts.push("-H", sh("Content-Type: application/json"), "--data", sh(example(op) || "{}"));
    return parts.join(" ");
  }

  function renderWays() {
    const box = clear($("#call-ways"));
    const k8s = record.kubernetes || {};
    const gateway = record.gateway_url && /^https?:\/\//.test(record.gateway_url) ? record.gateway_url : null;
    if (gateway) {
      box.append(
        h("p", {}, "Through the gateway (Kong). Send the API key in the ", h("code", {}, keyHeader(spec)), " header; it is shown once, above, right after the first deploy."),
        h("div", { class: "with-copy" }, h("code", { class: "break", id: "call-gateway" }, gateway), copyButton(gateway)),
      );
    }
    const portForward = k8s.service
      ? `kubectl port-forward -n ${k8s.namespace} service/${k8s.service} ${LOCAL_PORT}:${k8s.port || 80}`
      : null;
    box.append(
      h("p", {}, gateway ? "Or, without the gateway, " : "The app has no gateway (Kong is not configured): it is only reachable inside the cluster. ",
        "Through JustPush's pass-through (your JustPush token in ", h("code", {}, "Authorization: Bearer"), "; the app's own ", h("code", {}, "Authorization"), " goes in ", h("code", {}, "X-Upstream-Authorization"), "):"),
      h("div", { class: "with-copy" }, h("code", { class: "break", id: "call-proxy" }, proxyBase()), copyButton(proxyBase())),
    );
    if (portForward) {
      box.append(
        h("p", {}, "Or from your machine with kubectl, then ", h("code", {}, `http://127.0.0.1:${LOCAL_PORT}`), ":"),
        h("div", { class: "with-copy" }, h("code", { class: "break", id: "call-port-forward" }, portForward), copyButton(portForward)),
      );
    }
  }

  function renderCurls() {
    const via = record.gateway_url ? "gateway" : "proxy";
    const body = clear($("#call-table tbody"));
    for (const op of operations) {
      const line = curlLine(op, via);
      body.append(
        h(
          "tr",
          { "data-operation": `${op.method} ${op.path}` },
          h("td", {}, h("span", { class: `method method-${op.method.toLowerCase()}` }, op.method)),
          h("td", { class: "mono" }, op.path),
          h("td", { class: "wrap" }, h("div", { class: "with-copy" }, h("code", { class: "break curl" }, line), copyButton(line))),
        ),
      );
    }
    show($("#call-table-wrap"), operations.length > 0);
  }

  function renderForm() {
    const select = $("#try-operation");
    const chosen = select.value;
    clear(select);
    operations.forEach((op, index) => select.append(h("option", { value: String(index) }, `${op.method} ${op.path}`)));
    if (chosen && Number(chosen) < operations.length) select.value = chosen;
    renderFields();
  }

  function renderFields() {
    const op = operations[Number($("#try-operation").value)];
    const fields = clear($("#try-fields"));
    if (!op) return;
    for (const p of op.parameters.filter((p) => p.in === "path" || p.in === "query")) {
      const id = `try-${p.in}-${p.name}`;
      fields.append(
        h(
          "div",
          { class: "stack try-field" },
          h("label", { for: id }, `${p.name} `, h("span", { class: "muted small" }, `${p.in}${p.required ? ", required" : ""}`)),
          h("input", { id, "data-in": p.in, "data-name": p.name, required: p.in === "path" || Boolean(p.required) }),
        ),
      );
    }
    const sample = example(op);
    show($("#try-body-wrap"), sample !== null);
    $("#try-body").value = sample || "";
  }

  async function send(event) {
    event.preventDefault();
    const op = operations[Number($("#try-operation").value)];
    if (!op) return;
    showError($("#try-error"), null);
    let path = op.path;
    const query = new URLSearchParams();
    for (const input of $("#try-fields").querySelectorAll("input")) {
      const value = input.value;
      if (input.dataset.in === "path") path = path.replace(`{${input.dataset.name}}`, encodeURIComponent(value));
      else if (value !== "") query.append(input.dataset.name, value);
    }
    const hasBody = op.operation.requestBody && op.method !== "GET" && op.method !== "HEAD";
    const headers = { Accept: "application/json, */*" };
    if (hasBody) headers["Content-Type"] = "application/json";
    const url = `${base}/proxy${path}${query.toString() ? `?${query}` : ""}`;
    Object.assign(headers, sessionHeaders(op.method));
    const button = $("#try-send");
    button.disabled = true;
    const started = performance.now();
    try {
      // fetch() itself: the app's own 4xx and 5xx are answers to show, with their headers and body.
      const response = await fetch(url, { method: op.method, headers, body: hasBody ? $("#try-body").value : undefined, cache: "no-store" });
      const text = await response.text();
      const millis = Math.round(performance.now() - started);
      renderAnswer(response.status, [...response.headers.entries()], text, millis, response.headers.get("X-JustPush-Upstream-Seconds"));
    } catch (exc) {
      showError($("#try-error"), new Error(`The request could not be sent (${exc.message}).`));
    } finally {
      button.disabled = false;
    }
  }

  function renderAnswer(status, headers, text, millis, upstream) {
    const tone = status < 300 ? "ok" : status < 500 ? "warn" : "bad";
    const statusEl = $("#try-status");
    statusEl.textContent = String(status);
    statusEl.className = `badge badge-${tone}`;
    $("#try-timing").textContent = `${millis} ms${upstream ? ` (app ${Math.round(Number(upstream) * 1000)} ms)` : ""}`;
    const list = clear($("#try-headers"));
    for (const [name, value] of headers) list.append(h("div", {}, h("span", { class: "mono" }, `${name}: `), value));
    let shown = text;
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // Not JSON: shown as it came.
    }
    $("#try-response-body").textContent = shown;
    show($("#try-answer"));
  }

  $("#try-operation").addEventListener("change", renderFields);
  $("#try-form").addEventListener("submit", send);

  function render() {
    const ready = Boolean(record && record.kubernetes && record.kubernetes.service && record.status !== "DELETED" && record.revision !== null);
    show($("#call"), ready);
    if (!ready) return;
    renderWays();
    renderCurls();
    show($("#try-form"), operations.length > 0);
  }

  return {
    setSpec(value) {
      if (!value || value === spec) return;
      spec = value;
      operations = operationsOf(spec);
      renderForm();
      if (record) render();
    },
    setRecord(value) {
      record = value;
      render();
    },
  };
}
