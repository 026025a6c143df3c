// The analysis panel: run it, follow its status, show the profile, env vars, routes and warnings.

import { api, download } from "./api.js";
import { $, clear, fillFacts, h, labelCells, setBadge, show, showError } from "./dom.js";

const METHODS = ["get", "post", "put", "patch", "delete", "options", "head", "trace"];
const POLL_MS = 700;

/** "name (apiKey in header X-API-Key)" etc. for one security scheme. */
function describeScheme(name, scheme, scopes) {
  let kind = "";
  if (scheme) {
    if (scheme.type === "apiKey") kind = `apiKey in ${scheme.in} ${scheme.name}`;
    else if (scheme.type === "http") kind = `http ${scheme.scheme}`;
    else kind = scheme.type;
  }
  const scoped = scopes && scopes.length ? ` [${scopes.join(", ")}]` : "";
  return { name: name + scoped, kind };
}

function securityCell(requirements, schemes) {
  if (!requirements || requirements.length === 0) return h("span", { class: "tag tag-public" }, "public");
  const cell = h("div", { class: "security" });
  requirements.forEach((requirement, index) => {
    if (index > 0) cell.append(h("span", { class: "muted" }, " or "));
    const names = Object.keys(requirement);
    if (names.length === 0) {
      cell.append(h("span", { class: "tag tag-public" }, "public"));
      return;
    }
    names.forEach((name, i) => {
      if (i > 0) cell.append(h("span", { class: "muted" }, " + "));
      const { name: label, kind } = describeScheme(name, schemes[name], requirement[name]);
      cell.append(h("span", { class: "tag tag-lock", title: kind || null }, label));
    });
  });
  return cell;
}

function paramsCell(parameters, requestBody) {
  const cell = h("div", { class: "params" });
  for (const param of parameters) {
    if (param.$ref) {
      cell.append(h("span", { class: "param" }, param.$ref.split("/").pop()));
      continue;
    }
    cell.append(
      h(
        "span",
        { class: "param", title: `${param.in} parameter${param.required ? ", required" : ""}` },
        h("span", { class: "param-in" }, param.in),
        ` ${param.name}${param.required ? "*" : ""}`,
      ),
    );
  }
  if (requestBody) {
    const types = Object.keys(requestBody.content || {}).join(", ") || "body";
    cell.append(h("span", { class: "param" }, h("span", { class: "param-in" }, "body"), ` ${types}`));
  }
  return cell.childNodes.length ? cell : h("span", { class: "muted" }, "—");
}

function renderRoutes(spec) {
  const body = clear($("#routes-table tbody"));
  const schemes = (spec.components && spec.components.securitySchemes) || {};
  let count = 0;
  for (const path of Object.keys(spec.paths || {}).sort()) {
    const item = spec.paths[path] || {};
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      count += 1;
      const parameters = [...(item.parameters || []), ...(operation.parameters || [])];
      const security = operation.security !== undefined ? operation.security : spec.security;
      body.append(
        h(
          "tr",
          {},
          h("td", {}, h("span", { class: `method method-${method}` }, method.toUpperCase())),
          h("td", { class: "mono path" }, path, operation.deprecated ? h("span", { class: "tag" }, "deprecated") : null),
          h("td", {}, paramsCell(parameters, operation.requestBody)),
          h("td", {}, securityCell(security, schemes)),
          h("td", { class: "mono muted small" }, operation["x-justpush-source"] || ""),
        ),
      );
    }
  }
  labelCells($("#routes-table"));
  $("#routes-count").textContent = `(${count})`;
}

// A documented example (.env.example) is a hint for the user, never a value JustPush deploys.
function exampleHint(env) {
  if (env.example === null || env.example === undefined) return "—";
  return h("span", { class: "muted", title: "example from the project's .env template" }, `e.g. ${env.example}`);
}

function renderEnv(envVars) {
  const body = clear($("#env-table tbody"));
  for (const env of envVars) {
    const flags = h("div", { class: "flags" });
    if (env.secret) flags.append(h("span", { class: "tag tag-secret" }, "secret"));
    if (env.required) flags.append(h("span", { class: "tag tag-required" }, "required"));
    const where = (env.evidence || []).map((e) => `${e.file}${e.line ? `:${e.line}` : ""}`).join(", ");
    body.append(
      h(
        "tr",
        {},
        h("td", { class: "mono", title: env.description }, env.name),
        h("td", { class: "mono" }, env.default === null || env.default === undefined ? exampleHint(env) : env.default),
        h("td", {}, flags),
        h("td", { class: "mono muted small" }, where),
      ),
    );
  }
  labelCells($("#env-table"));
  show($("#env-table"), envVars.length > 0);
  show($("#env-empty"), envVars.length === 0);
}

function renderProfile(profile) {
  const language = [profile.language, profile.languageVersion].filter(Boolean).join(" ");
  fillFacts($("#facts"), [
    ["Language", language],
    ["Framework", profile.framework || "none detected"],
    ["Port", profile.port],
    ["Start command", profile.startCommand && profile.startCommand.length ? h("code", {}, profile.startCommand.join(" ")) : "—"],
    ["Release command", profile.releaseCommand && profile.releaseCommand.length ? h("code", {}, profile.releaseCommand.join(" ")) : "none"],
    ["Entrypoint", profile.entrypoint && h("code", {}, profile.entrypoint)],
    ["Package manager", profile.packageManager],
    ["App directory", profile.appDir && profile.appDir !== "." ? profile.appDir : null],
    ["Dockerfile", profile.dockerfile ? `the project's own (${profile.dockerfile})` : "generated"],
    ["Backing services", renderServices(profile.backingServices || []), true],
  ]);
  renderEnv(profile.envVars || []);
}

/** Databases, caches and brokers the code needs; one without a usable address needs a value to deploy,
 * and one whose address the code writes out on localhost needs a change to the code. */
function renderServices(services) {
  if (services.length === 0) return null;
  return h(
    "ul",
    { class: "plain", id: "backing-services" },
    services.map((service) =>
      h(
        "li",
        { "data-kind": service.kind },
        h("strong", {}, service.kind),
        ` (${service.dependency}) `,
        service.variables.length
          ? h("span", { class: "mono small" }, `via ${service.variables.join(", ")} `)
          : h("span", { class: "muted" }, "no address variable found "),
        service.writtenAt
          ? h(
              "span",
              { class: "tag tag-required", title: service.writtenAt.note },
              `address written in ${service.writtenAt.file}:${service.writtenAt.line}: read it from a variable`,
            )
          : service.satisfied
            ? null
            : h("span", { class: "tag tag-required" }, "needs a value"),
      ),
    ),
  );
}

/** The folders that could hold the API (a monorepo); the chosen one is analysed on the next run. */
function renderRootPicker(profile) {
  const candidates = (profile && profile.appDirCandidates) || [];
  const select = $("#analysis-root");
  show($("#analysis-root-label"), candidates.length > 1);
  if (candidates.length < 2) return;
  const current = profile.appDir || ".";
  clear(select);
  for (const folder of candidates) {
    const label = folder === "." ? "(upload root)" : folder;
    select.append(h("option", { value: folder, selected: folder === current ? "" : null }, label));
  }
  select.value = current;
}

function render(result) {
  setBadge($("#analysis-status"), result.status.replace("_", " "));
  $("#run-analysis").textContent = result.status === "not_started" ? "Run analysis" : "Run again";
  $("#run-analysis").disabled = result.status === "running";
  showError($("#analysis-error"), result.error ? { message: result.error, code: "analysis_error" } : null);
  const done = result.status === "succeeded" && result.profile && result.spec;
  show($("#analysis-body"), Boolean(done));
  show($("#dl-json"), Boolean(result.spec));
  show($("#dl-yaml"), Boolean(result.spec));
  if (result.profile) renderRootPicker(result.profile);
  if (!done) return;
  renderProfile(result.profile);
  const source = $("#spec-source");
  const info = result.spec.info || {};
  clear(source).append(h("strong", {}, "OpenAPI spec"), ` ${result.spec.openapi || ""} · ${info.title || "untitled"} ${info.version || ""}`);
  if (result.spec_source) source.append(" · ", h("span", { class: "tag" }, result.spec_source));
  if (result.spec_reason) source.append(h("span", { class: "muted" }, ` ${result.spec_reason}`));
  const warnings = clear($("#analysis-warnings"));
  for (const warning of result.warnings || []) {
    warnings.append(h("li", {}, typeof warning === "string" ? warning : JSON.stringify(warning)));
  }
  show(warnings, warnings.childNodes.length > 0);
  renderRoutes(result.spec);
}

/** The analysis panel; `onResult(result)` hears every status read (the deploy form prefills from it). */
export function analysisPanel(uploadId, onResult) {
  const base = `/analyze/${encodeURIComponent(uploadId)}`;
  let timer = 0;
  let latest = null;

  async function refresh() {
    clearTimeout(timer);
    try {
      const result = await api("GET", base);
      latest = result.status;
      render(result);
      onResult(result);
      if (result.status === "running") timer = setTimeout(refresh, POLL_MS);
    } catch (error) {
      showError($("#analysis-error"), error);
    }
  }

  $("#run-analysis").addEventListener("click", async () => {
    $("#run-analysis").disabled = true;
    try {
      const picker = $("#analysis-root-label");
      const options = picker.hidden ? {} : { json: { root: $("#analysis-root").value } };
      await api("POST", base, options);
      setBadge($("#analysis-status"), "running");
    } catch (error) {
      // Already running (every upload starts one): its result is what the user asked for.
      if (error.status !== 409) showError($("#analysis-error"), error);
    }
    await refresh();
  });
  $("#dl-json").addEventListener("click", () =>
    download(`${base}/openapi.json`, `${uploadId}-openapi.json`).catch((e) => showError($("#analysis-error"), e)),
  );
  $("#dl-yaml").addEventListener("click", () =>
    download(`${base}/openapi.yaml`, `${uploadId}-openapi.yaml`).catch((e) => showError($("#analysis-error"), e)),
  );
  return {
    refresh,
    get status() {
      return latest;
    },
  };
}
