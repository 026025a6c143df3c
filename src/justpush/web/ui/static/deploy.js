// The deployment panel: deploy form, live pipeline (SSE), the deployment record, actions and logs.

import { api, followEvents, readLines, request } from "./api.js";
import { apiConsole } from "./console.js";
import {
  $,
  $$,
  badge,
  clear,
  confirmDialog,
  copyButton,
  fillFacts,
  formatDate,
  formatTime,
  h,
  labelCells,
  setBadge,
  show,
  showError,
  sparkline,
  statusLabel,
  statusTone,
} from "./dom.js";

const SEQUENCES = {
  deploy: ["PENDING", "SCANNING", "BUILDING", "PUSHING", "DEPLOYING", "CONFIGURING", "VERIFYING", "DEPLOYED"],
  rollback: ["PENDING", "ROLLING_BACK", "ROLLED_BACK"],
  delete: ["PENDING", "DELETING", "DELETED"],
  // What Kong owes, synced once it answers again (a gateway job).
  gateway: ["PENDING", "CONFIGURING", "VERIFYING", "DEPLOYED"],
};
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_EVENTS = 3000;
const MAX_LOG_LINES = 5000;
// How often a settled deployment's pods are read again.
const LIVE_REFRESH_MS = 15000;
// CPU / memory: read every USAGE_EVERY_MS, charted over the last USAGE_SAMPLES readings (5 minutes).
const USAGE_EVERY_MS = 10000;
const USAGE_SAMPLES = 30;

/** The stage strip for one job, from the statuses it went through (status events, oldest first). */
function renderStages(statuses) {
  const strip = clear($("#stages"));
  const names = statuses.map((s) => s.status);
  const sequence = names.some((n) => n.startsWith("ROLL"))
    ? SEQUENCES.rollback
    : names.some((n) => n.startsWith("DELET"))
      ? SEQUENCES.delete
      : names.includes("CONFIGURING") && !names.includes("DEPLOYING")
        ? SEQUENCES.gateway
        : SEQUENCES.deploy;
  const end = names[names.length - 1];
  // A failed deploy whose previous revision serves on goes to DEPLOYED_WITH_WARNINGS straight from the
  // stage that failed: that stage is shown failed, not the deployment.
  const servedOn = end === "DEPLOYED_WITH_WARNINGS" && names.length > 1 && !["CONFIGURING", "VERIFYING", "ROLLING_BACK"].includes(names[names.length - 2]);
  const failed = end === "FAILED" || servedOn;
  const last = names.filter((n) => n !== "FAILED").slice(0, servedOn ? -1 : undefined).pop();
  // With warnings, the sequence's end was reached (a rollback or gateway sync Kong owes ends so too).
  const position = (name) => sequence.indexOf(name === "DEPLOYED_WITH_WARNINGS" ? sequence[sequence.length - 1] : name);
  const reached = last ? position(last) : -1;
  strip.dataset.status = names[names.length - 1] || "";
  sequence.forEach((stage, index) => {
    const visit = statuses.findIndex((s) => position(s.status) === index);
    let state = "todo";
    if (index < reached) state = visit >= 0 ? "done" : "skipped";
    else if (index === reached) state = failed ? "failed" : index === sequence.length - 1 ? "done" : "active";
    const warned = index === sequence.length - 1 && last === "DEPLOYED_WITH_WARNINGS";
    let seconds = null;
    if (visit >= 0 && visit + 1 < statuses.length) {
      seconds = (new Date(statuses[visit + 1].at) - new Date(statuses[visit].at)) / 1000;
    }
    const label = warned ? `${stage.replace("_", " ")} · WARNINGS` : stage.replace("_", " ");
    strip.append(
      h(
        "li",
        {
          class: `stage stage-${warned ? "warn" : state}`,
          "data-stage": stage,
          "data-state": state,
          "aria-current": state === "active" || state === "failed" ? "step" : null,
        },
        h("span", { class: "stage-dot", "aria-hidden": "true" }),
        h("span", { class: "stage-name" }, label),
        h("span", { class: "visually-hidden" }, ` (${state})`),
        seconds !== null && seconds >= 0
          ? h("span", { class: "stage-time" }, formatSeconds(seconds))
          : state === "active" && visit >= 0
            ? h("span", { class: "stage-time stage-timer", "data-since": statuses[visit].at }, formatSeconds(elapsedSince(statuses[visit].at)))
            : null,
      ),
    );
  });
}

function formatSeconds(seconds) {
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m ${String(Math.floor(seconds % 60)).padStart(2, "0")}s`;
  return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
}

function elapsedSince(iso) {
  return Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
}

// The active stage's timer counts up while the page is open, as often as it shows tenths of a second.
setInterval(() => {
  for (const timer of $$(".stage-timer[data-since]")) timer.textContent = formatSeconds(elapsedSince(timer.dataset.since));
}, 100);

function statusBadge(status) {
  const el = badge(statusLabel(status), statusTone(status));
  el.dataset.status = status;
  return el;
}

/** A failure: the one-line reason, and the rest (e.g. a crash's last log lines) folded and preformatted. */
function reason(text, className = "") {
  const [first, ...rest] = String(text).split("\n");
  const line = h("span", { class: `reason-line ${className}` }, first.replace(/[;:]\s*(last log lines)?:?$/, ""));
  if (!rest.length) return line;
  return h(
    "span",
    { class: "reason" },
    line,
    h("details", { class: "reason-detail" }, h("summary", {}, `Details · ${rest.length} line${rest.length === 1 ? "" : "s"}`), h("pre", {}, rest.join("\n"))),
  );
}

// Build and push output: folded under their stage.
const FOLDED_STAGES = new Set(["BUILDING", "PUSHING"]);
const MAX_FOLDED_LINES = 2000;

// Measured before appending: a reader who scrolled up to read is left where they are.
function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function nearBottom(el) {
  return el.scrollHeight - el.scrollTop - el.clientHeight < 24;
}

function statusLine(event) {
  // A failure's detail is on its error event; the status line keeps to the reason.
  const message = (event.message || "").split("\n")[0];
  const note = message && message !== event.stage ? ` · ${message}` : "";
  return `→ ${event.stage}${note}`;
}

/** Rows of name/value inputs; secret rows use password fields. */
function kvRows(form) {
  const template = $("#kv-row");
  function add(kind, name = "") {
    const row = template.content.firstElementChild.cloneNode(true);
    const value = $(".kv-value", row);
    if (kind === "secret") {
      value.type = "password";
      value.autocomplete = "new-password";
      value.setAttribute("aria-label", "Secret value");
      $(".kv-name", row).setAttribute("aria-label", "Secret name");
    } else {
      value.setAttribute("aria-label", "Variable value");
      $(".kv-name", row).setAttribute("aria-label", "Variable name");
    }
    $(".kv-name", row).value = name;
    $("[data-remove]", row).addEventListener("click", () => row.remove());
    $(`.kv-rows[data-kind="${kind}"]`, form).append(row);
    return row;
  }
  for (const button of $$("[data-add]", form)) {
    button.addEventListener("click", () => $(".kv-name", add(button.dataset.add)).focus());
  }
  function collect() {
    const result = { env: {}, secrets: {} };
    for (const kind of ["env", "secret"]) {
      for (const row of $$(`.kv-rows[data-kind="${kind}"] .kv-row`, form)) {
        const name = $(".kv-name", row).value.trim();
        const value = $(".kv-value", row).value;
        // A row without a value sets nothing (a prefilled name may stay empty on purpose).
        if (!value) continue;
        if (!ENV_NAME.test(name)) throw new Error(`"${name}" is not a valid environment variable name`);
        if (name in result.env || name in result.secrets) throw new Error(`${name} is set twice`);
        result[kind === "env" ? "env" : "secrets"][name] = value;
      }
    }
    return result;
  }
  // A row the user typed into is theirs: a prefill arriving later neither drops nor overwrites it.
  form.addEventListener("input", (event) => {
    const row = event.target.closest(".kv-row");
    if (row) row.dataset.typed = "true";
  });
  /** After a submit the typed rows are no longer a draft: the next prefill may replace them. */
  function submitted() {
    $$(".kv-row[data-typed]", form).forEach((row) => delete row.dataset.typed);
  }
  function dropUntyped() {
    $$(".kv-row:not([data-typed])", form).forEach((row) => row.remove());
  }
  /** Rows the user has typed into survive a late prefill; only untouched empty rows go. */
  function dropBlank() {
    for (const row of $$(".kv-row", form)) {
      if (!$(".kv-name", row).value.trim() && !$(".kv-value", row).value) row.remove();
    }
  }
  function find(name) {
    return $$(".kv-row", form).find((row) => $(".kv-name", row).value.trim() === name);
  }
  return { add, collect, submitted, dropUntyped, dropBlank, find, isEmpty: () => $$(".kv-row", form).length === 0 };
}

function isActive(record) {
  return Boolean(record && record.job && ["queued", "running"].includes(record.job.status));
}

/** `onStatus(status)` hears each status the pipeline reaches (the analysis panel reloads after SCANNING). */
export function deploymentPanel(uploadId, onStatus = () => {}) {
  const base = `/deploy/${encodeURIComponent(uploadId)}`;
  const deployRows = kvRows($("#deploy-form"));
  const redeployRows = kvRows($("#redeploy-form"));
  const calls = apiConsole(uploadId);
  const jobs = new Map();
  // Per job: the stage group events go into, and its folded log.
  const groups = new Map();
  let currentJob = null;
  let record = null;
  let apiKey = null;
  let refreshTimer = 0;
  let stopLogs = null;
  let prefilled = false;
  // Variables the analysed code reads without a default: a deploy needs a value for each.
  let requiredEnv = [];
  let shownRevision;

  // --- the record --------------------------------------------------------------------------------------------

  function renderKey() {
    const box = clear($("#key-box"));
    if (apiKey) {
      box.className = "key-box key-once";
      box.append(
        h("div", { class: "key-head" }, h("strong", {}, "Your API key"), copyButton(apiKey, "Copy key")),
        h("code", { class: "key", id: "api-key" }, apiKey),
        h("p", { class: "key-note" }, "Copy it now: it will not be shown again. Reloading this page shows it masked."),
      );
    } else if (record && record.api_key_masked && record.status !== "DELETED") {
      box.className = "key-box";
      box.append(
        h("strong", {}, "API key "),
        h("code", { class: "key-masked", id: "api-key-masked" }, record.api_key_masked),
        h("span", { class: "muted" }, " — shown once when it was created; masked since."),
      );
    }
    show(box, box.childNodes.length > 0);
  }

  function renderSmoke(verification) {
    const results = (verification && verification.results) || [];
    const body = clear($("#smoke-table tbody"));
    for (const r of results) {
      body.append(
        h(
          "tr",
          { class: r.ok ? "" : "row-bad" },
          h("td", {}, r.via),
          h("td", { class: "mono" }, r.path),
          h("td", { class: "num" }, r.status === null ? "—" : r.status),
          h("td", {}, r.ok ? badge("passed", "ok") : badge("failed", "bad"), r.error ? h("span", { class: "small muted" }, ` ${r.error}`) : null),
          h("td", { class: "num" }, `${Math.round(r.seconds * 1000)} ms`),
        ),
      );
    }
    labelCells($("#smoke-table"));
    show($("#smoke"), results.length > 0);
  }

  // --- usage -------------------------------------------------------------------------------------------------

  const usage = new Map();
  let usageTimer = 0;

  function formatBytes(bytes) {
    const mib = bytes / (1024 * 1024);
    return mib >= 1024 ? `${(mib / 1024).toFixed(2)} GiB` : `${mib.toFixed(1)} MiB`;
  }

  function usageCell(pod, field, format, label) {
    const samples = usage.get(pod) || [];
    if (!samples.length) return h("td", { class: "num muted" }, "—");
    const values = samples.map((sample) => sample[field]);
    return h(
      "td",
      { class: "num usage", "data-usage": field },
      h("span", {}, format(values[values.length - 1])),
      sparkline(values, `${label} of ${pod} over the last ${samples.length} readings`),
    );
  }

  async function sampleUsage() {
    clearTimeout(usageTimer);
    usageTimer = 0;
    const live = record && record.live;
    if (!live || live.error || !live.pods.length || record.status === "DELETED") return;
    if (!document.hidden) {
      try {
        const measured = await api("GET", `${base}/usage`);
        const at = Date.now();
        const pods = new Set(measured.pods.map((p) => p.pod));
        for (const name of [...usage.keys()]) if (!pods.has(name)) usage.delete(name);
        for (const p of measured.pods) {
          const samples = usage.get(p.pod) || [];
          samples.push({ at, cpu: p.cpu_millicores, memory: p.memory_bytes });
          usage.set(p.pod, samples.slice(-USAGE_SAMPLES));
        }
        const note = $("#usage-note");
        note.textContent = `CPU and memory read every ${USAGE_EVERY_MS / 1000} s; charts cover the last ${(USAGE_SAMPLES * USAGE_EVERY_MS) / 60000} minutes.`;
        show(note);
        renderPods(record.live);
      } catch (error) {
        const note = $("#usage-note");
        note.textContent = `CPU and memory are not available: ${error.message}`;
        show(note);
      }
    }
    usageTimer = setTimeout(sampleUsage, USAGE_EVERY_MS);
  }

  function renderPods(live) {
    const body = clear($("#pods-table tbody"));
    showError($("#pods-error"), live && live.error ? new Error(`The cluster could not be read: ${live.error}`) : null);
    show($("#pods"), Boolean(live));
    if (!live) return;
    const current = live.pods.filter((p) => !p.terminating).length;
    const leaving = live.pods.length - current;
    $("#pods-summary").textContent =
      `${live.ready}/${live.desired} ready · ${live.updated} updated · ${current} current` +
      (leaving ? ` · ${leaving} terminating` : "") + ` · read ${formatTime(live.read_at)}`;
    for (const pod of live.pods) {
      const note = pod.terminating ? badge("terminating", "muted") : pod.reason ? h("span", { class: "small" }, pod.reason) : null;
      body.append(
        h(
          "tr",
          { class: pod.terminating ? "row-leaving" : "", "data-pod": pod.name, "data-terminating": String(pod.terminating) },
          h("td", { class: "mono break" }, pod.name),
          h("td", {}, pod.phase),
          h("td", {}, pod.ready ? badge("ready", "ok") : badge("not ready", pod.terminating ? "muted" : "warn")),
          h("td", { class: "num" }, pod.restarts),
          usageCell(pod.name, "cpu", (v) => `${v.toFixed(1)}m`, "CPU in millicores"),
          usageCell(pod.name, "memory", formatBytes, "Memory"),
          h("td", { title: pod.message || "" }, note),
        ),
      );
    }
    labelCells($("#pods-table"));
  }

  /** Pods still coming or going: the view is read again soon until the cluster settles. */
  function settling(live) {
    return Boolean(
      live && !live.error &&
        (live.ready !== live.desired || live.updated !== live.desired ||
          live.pods.some((p) => p.terminating) || live.pods.length !== live.desired),
    );
  }

  function revisionLabel() {
    if (record.serving_revision === null || record.serving_revision === undefined) return null;
    if (record.serving_revision === record.revision) return String(record.revision);
    return `${record.serving_revision} (restored by rollback, stored as revision ${record.revision})`;
  }

  function renderRecord() {
    const status = record.status;
    const active = isActive(record);
    // After a delete nothing of the old deployment is live: its key and smoke results are history.
    const gone = status === "DELETED";
    if (gone) apiKey = null;
    setBadge($("#deploy-status"), statusLabel(status));
    $("#deploy-status").className = `badge badge-${statusTone(status)}`;
    $("#deploy-status").dataset.status = status || "";
    const k8s = record.kubernetes || {};
    const gateway = record.gateway_url && /^https?:\/\//.test(record.gateway_url) ? record.gateway_url : null;
    const job = record.job;
    fillFacts($("#record-facts"), [
      ["Status", status && statusBadge(status)],
      ["Revision", revisionLabel()],
      ["Replicas", record.live && !record.live.error ? `${record.live.ready}/${record.live.desired} ready` : record.replicas],
      ["Gateway URL", gateway && h("span", { class: "with-copy" }, h("a", { href: gateway, rel: "noreferrer", target: "_blank" }, gateway), copyButton(gateway)), true],
      ["Image", record.image && h("span", { class: "with-copy" }, h("code", { class: "break" }, record.image), copyButton(record.image)), true],
      ["Namespace", k8s.namespace && h("code", {}, k8s.namespace)],
      ["Service", k8s.service && h("code", {}, `${k8s.service}${k8s.port ? `:${k8s.port}` : ""}`)],
      ["Kong", record.kong && `${(record.kong.routes || []).length} routes, consumer ${record.kong.consumer || "—"}`],
      ["Kong owes", record.gateway_owed && h("span", { class: "text-warn" }, record.gateway_owed), true],
      ["Last job", job && h("span", { class: "last-job" }, h("span", {}, `${job.kind} `, badge(job.status)), job.error ? reason(job.error, "text-bad") : null), Boolean(job && job.error)],
      ["Deployed", record.deployed_at && formatDate(record.deployed_at)],
    ]);
    renderKey();
    renderPods(gone ? null : record.live);
    calls.setRecord(record);
    renderSmoke(gone ? null : record.verification);
    // The count set by deploy or scale, unless the user is typing a new one.
    const scaleInput = $("#scale-replicas");
    if (record.replicas !== null && record.replicas !== undefined && document.activeElement !== scaleInput) {
      scaleInput.value = record.replicas;
    }
    show($("#record"), Boolean(status));
    show($("#pipeline"), Boolean(status) || jobs.size > 0);

    const canDeploy = !active && (!status || status === "DELETED" || status === "FAILED");
    show($("#deploy-form"), canDeploy);
    $("#deploy-submit").disabled = active;
    const manageable = Boolean(status) && status !== "DELETED" && record.revision !== null;
    show($("#actions"), manageable);
    show($("#logs"), manageable);
    $$("#actions button").forEach((button) => (button.disabled = active));
    renderJobControls(active ? job : null);
    renderStreamState();
    if (!currentJob && status) renderStages([{ status, at: record.updated_at }]);
    if (manageable && !usageTimer) usageTimer = setTimeout(sampleUsage, 0);
    if (manageable && record.revision !== shownRevision) {
      shownRevision = record.revision;
      loadRevisions();
    }
  }

  // A queued job of any kind can be cancelled; a running one only while it deploys (see the API).
  function renderJobControls(job) {
    const cancellable = job && (job.status === "queued" || ["deploy", "redeploy"].includes(job.kind));
    show($("#job-controls"), Boolean(cancellable));
    if (!cancellable) return;
    const requested = Boolean(job.cancel_requested_at);
    $("#cancel-job").disabled = requested;
    $("#cancel-note").textContent = requested
      ? `Cancelling… requested by ${job.cancel_requested_by}; the ${job.kind} stops at its next safe point and is undone.`
      : "";
  }

  async function refresh() {
    clearTimeout(refreshTimer);
    try {
      record = await api("GET", `${base}/status`);
      // The key is in one answer only: keep it for as long as this page lives.
      if (record.api_key) apiKey = record.api_key;
      showError($("#deploy-error"), null);
      renderRecord();
      // A job's own status is set just after its last event: look again until it has ended.
      if (isActive(record)) refreshTimer = setTimeout(refresh, 1500);
      else if (settling(record.live)) refreshTimer = setTimeout(refresh, 2000);
      else if (record.live) refreshTimer = setTimeout(refresh, LIVE_REFRESH_MS);
      return true;
    } catch (error) {
      if (error.code === "feature_disabled") {
        const notice = clear($("#deploy-disabled"));
        notice.append(h("strong", {}, "Deploying is not available here"), h("p", {}, error.message));
        show(notice);
        show($("#deploy-form"), false);
        return false;
      }
      showError($("#deploy-error"), error);
      return true;
    }
  }

  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 250);
  }

  // --- events ------------------------------------------------------------------------------------------------

  function onEvent(message) {
    if (message.event === "done" || !message.data) return;
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    const list = $("#events");
    const follow = nearBottom(list);
    const jobId = event.job_id || "";
    if (jobId && !jobs.has(jobId)) {
      jobs.set(jobId, []);
      list.append(h("li", { class: "ev ev-job" }, `Job ${jobId}`));
    }
    const line = h(
      "li",
      { class: `ev ev-${event.kind}` },
      h("time", { datetime: event.created_at }, formatTime(event.created_at)),
      h("span", { class: "ev-stage" }, event.stage),
      h(
        "span",
        { class: "ev-msg" },
        event.kind === "status" ? statusLine(event) : event.kind === "error" ? reason(event.message) : event.message,
      ),
    );
    const group = jobId ? groups.get(jobId) : null;
    if (event.kind === "status" && jobId) {
      // Each stage opens a group: what happens during it is listed under it.
      const items = h("ol", { class: "ev-items" });
      list.append(h("li", { class: "ev-group", "data-stage": event.stage }, h("ol", { class: "ev-items ev-head" }, line), items));
      groups.set(jobId, { stage: event.stage, items, fold: null });
    } else if (group && event.kind === "progress" && FOLDED_STAGES.has(event.stage)) {
      if (!group.fold || group.fold.stage !== event.stage) {
        const lines = h("ol", { class: "ev-items" });
        const summary = h("summary", {}, "");
        group.items.append(h("li", { class: "ev-fold" }, h("details", {}, summary, lines)));
        group.fold = { stage: event.stage, lines, summary, count: 0 };
      }
      group.fold.lines.append(line);
      group.fold.count += 1;
      while (group.fold.lines.childElementCount > MAX_FOLDED_LINES) group.fold.lines.firstElementChild.remove();
      const kind = event.stage === "BUILDING" ? "build" : "push";
      group.fold.summary.textContent = `${kind} log · ${group.fold.count} line${group.fold.count === 1 ? "" : "s"}`;
    } else if (group) {
      group.items.append(line);
    } else {
      list.append(line);
    }
    while (list.childElementCount > MAX_EVENTS) list.firstElementChild.remove();
    if (follow) list.scrollTop = list.scrollHeight;
    show($("#pipeline"));
    if (event.kind === "status" && jobId) {
      jobs.get(jobId).push({ status: event.stage, at: event.created_at });
      currentJob = jobId;
      renderStages(jobs.get(jobId));
      refreshSoon();
      onStatus(event.stage);
    }
  }

  let streamState = "stopped";

  /** The live dot is on while a job runs; between jobs the stream still listens, quietly. */
  function renderStreamState() {
    const state = streamState === "live" && !isActive(record) ? "idle" : streamState;
    const label = { live: "● live", idle: "○ idle · listening", reconnecting: "reconnecting…", stopped: "stopped" }[state];
    const el = $("#stream-state");
    el.textContent = label;
    el.className = `stream-${state}`;
  }

  function onStreamState(state, error) {
    streamState = state;
    renderStreamState();
    if (error) showError($("#deploy-error"), error);
  }

  // --- forms and actions -------------------------------------------------------------------------------------

  async function submit(form, errorBox, call) {
    showError(errorBox, null);
    const buttons = $$('button[type="submit"]', form);
    buttons.forEach((b) => (b.disabled = true));
    try {
      await call();
      await refresh();
      return true;
    } catch (error) {
      showError(errorBox, error);
      return false;
    } finally {
      buttons.forEach((b) => (b.disabled = isActive(record)));
    }
  }

  /** Flag the empty required fields (aria-invalid) so the user sees which ones to fill. */
  function markMissing(names) {
    for (const input of $$("#deploy-form .kv-value")) {
      const missing = names.includes(input.dataset.requiredName || "") && !input.value;
      input.setAttribute("aria-invalid", String(missing));
    }
  }

  $("#deploy-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submit(event.target, $("#deploy-error"), async () => {
      const { env, secrets } = deployRows.collect();
      const missing = requiredEnv.filter((name) => !(name in env) && !(name in secrets));
      if (missing.length) {
        markMissing(missing);
        throw new Error(`Required variables have no value: ${missing.join(", ")}. The code reads them without a default.`);
      }
      const replicas = Number($("#deploy-replicas").value);
      const dockerfile = $("#deploy-dockerfile").value;
      await api("POST", base, { json: { env, secrets, replicas, dockerfile } });
      apiKey = null;
      // Secret values leave the page with the request.
      $$('#deploy-form .kv-rows[data-kind="secret"] .kv-value').forEach((input) => (input.value = ""));
      $("#pipeline").scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });

  $("#scale-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submit(event.target, $("#actions-error"), () =>
      api("PUT", `${base}/scale`, { json: { replicas: Number($("#scale-replicas").value) } }),
    );
  });

  $("#redeploy-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submit(event.target, $("#actions-error"), async () => {
      const { env, secrets } = redeployRows.collect();
      const unset = $("#redeploy-unset").value.split(",").map((s) => s.trim()).filter(Boolean);
      await api("POST", `${base}/redeploy`, { json: { env, secrets, unset, rebuild: $("#redeploy-rebuild").checked } });
      redeployRows.submitted();
      $("#redeploy-unset").value = "";
    });
  });

  $("#rollback-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const value = $("#rollback-revision").value;
    const target = value ? `revision ${value}` : "the last good revision before the current one";
    const replicas = record && record.replicas !== null && record.replicas !== undefined ? record.replicas : null;
    const ok = await confirmDialog(
      `Roll back to ${target}? Its image, environment, secrets and gateway settings replace the current ones` +
        (replicas !== null ? `; the replica count stays at ${replicas}.` : ".") +
        " The smoke test runs again afterwards.",
      "Roll back",
    );
    if (!ok) return;
    await submit(form, $("#actions-error"), () =>
      api("POST", `${base}/rollback`, { json: value ? { revision: Number(value) } : {} }),
    );
  });

  $("#cancel-job").addEventListener("click", async () => {
    $("#cancel-job").disabled = true;
    try {
      await api("POST", `${base}/cancel`);
      await refresh();
    } catch (error) {
      showError($("#deploy-error"), error);
      $("#cancel-job").disabled = false;
    }
  });

  $("#delete-deployment").addEventListener("click", async () => {
    const ok = await confirmDialog(
      "Delete this deployment? Its Kubernetes objects, Kong routes, consumer and image tag are removed.",
      "Delete deployment",
    );
    if (!ok) return;
    await submit($("#actions"), $("#actions-error"), () => api("DELETE", base));
  });

  /** What runs now: the newest revision's settings with the replica count set since. */
  function renderConfig(revision) {
    show($("#config"), Boolean(revision));
    if (!revision) return;
    const restored = revision.rollback_of ? ` (restores revision ${revision.rollback_of})` : "";
    $("#config-revision").textContent = `revision ${revision.revision}${restored}`;
    const env = Object.entries(revision.env || {});
    const res = revision.resources || {};
    const resources = ["requests", "limits"]
      .filter((k) => res[k])
      .map((k) => `${k}: ${Object.entries(res[k]).map(([n, v]) => `${n} ${v}`).join(", ")}`)
      .join(" · ");
    const rate = revision.rate_limit
      ? Object.entries(revision.rate_limit).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${v}/${k}`).join(", ")
      : null;
    fillFacts($("#config-facts"), [
      ["Image", h("code", { class: "break" }, revision.image), true],
      ["Replicas", record && record.replicas !== null && record.replicas !== undefined ? record.replicas : revision.replicas],
      ["Size", revision.size],
      ["Resources", resources || "size defaults"],
      ["Rate limit", rate || "gateway default"],
      ["Environment", env.length ? h("ul", { class: "plain mono", id: "config-env" }, env.map(([k, v]) => h("li", {}, `${k}=${v}`))) : "none", true],
      ["Secrets", revision.secret_names.length ? h("ul", { class: "plain mono", id: "config-secrets" }, revision.secret_names.map((n) => h("li", {}, `${n} (value hidden)`))) : "none", true],
    ]);
  }

  /** The redeploy form starts from what runs: plain values filled in, secrets by name (empty keeps them).
   * The revisions may land after the user started typing: rows they typed into stay as typed. */
  function prefillRedeploy(revision) {
    redeployRows.dropUntyped();
    for (const [name, value] of Object.entries(revision.env || {})) {
      if (!redeployRows.find(name)) $(".kv-value", redeployRows.add("env", name)).value = value;
    }
    for (const name of revision.secret_names || []) {
      if (!redeployRows.find(name)) $(".kv-value", redeployRows.add("secret", name)).placeholder = "unchanged";
    }
    redeployRows.add("env");
    // Says which revision the form starts from (scripts and tests wait for it before typing).
    $("#redeploy-form").dataset.prefilled = String(revision.revision);
  }

  async function loadRevisions() {
    const select = clear($("#rollback-revision"));
    select.append(h("option", { value: "" }, "Last good revision before the current one"));
    try {
      const revisions = await api("GET", `${base}/revisions`);
      const current = revisions[revisions.length - 1];
      renderConfig(current);
      if (current) prefillRedeploy(current);
      for (const r of revisions.slice().reverse()) {
        const image = r.image.includes("@") ? r.image.split("@")[1].slice(0, 19) : r.image;
        const restored = r.rollback_of ? ` (revision ${r.rollback_of} restored)` : "";
        const label = `#${r.revision} · ${r.status}${restored} · ${image} · ${r.replicas} replica(s) · ${formatDate(r.created_at)}`;
        select.append(h("option", { value: r.revision }, label));
      }
      renderRevisions(revisions);
    } catch (error) {
      showError($("#actions-error"), error);
    }
  }

  /** Every stored revision, newest first, the one that runs marked; two of them picked for the diff. */
  function renderRevisions(revisions) {
    const current = revisions.length ? revisions[revisions.length - 1].revision : null;
    const body = clear($("#revisions-table tbody"));
    for (const r of revisions.slice().reverse()) {
      const image = r.image.includes("@") ? `${r.image.split("@")[1].slice(0, 19)}…` : r.image;
      body.append(
        h(
          "tr",
          { "data-revision": r.revision, class: r.revision === current ? "row-current" : "", "aria-current": r.revision === current ? "true" : null },
          h("td", { class: "num" }, `#${r.revision}`),
          h("td", {}, r.status, r.rollback_of ? ` (restores #${r.rollback_of})` : "", r.revision === current ? [" ", h("span", { class: "tag" }, "current")] : null),
          h("td", { class: "mono break", title: r.image }, image),
          h("td", { class: "num" }, r.replicas),
          h("td", {}, formatDate(r.created_at)),
        ),
      );
    }
    labelCells($("#revisions-table"));
    const from = clear($("#diff-from"));
    const to = clear($("#diff-to"));
    for (const r of revisions.slice().reverse()) {
      const label = `#${r.revision}${r.revision === current ? " (current)" : ""}`;
      from.append(h("option", { value: r.revision }, label));
      to.append(h("option", { value: r.revision }, label));
    }
    // By default: what the current revision changed from the one before it.
    if (revisions.length > 1) from.value = String(revisions[revisions.length - 2].revision);
    show($("#diff-form"), revisions.length > 1);
    show($("#diff"), false);
  }

  function shownValue(value) {
    if (value === null || value === undefined) return h("span", { class: "muted" }, "(not set)");
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  $("#diff-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const before = $("#diff-from").value;
    const after = $("#diff-to").value;
    showError($("#diff-error"), null);
    try {
      const diff = await api("GET", `${base}/revisions/diff?${new URLSearchParams({ from: before, to: after })}`);
      $("#diff-before-head").textContent = `#${diff.before}`;
      $("#diff-after-head").textContent = `#${diff.after}`;
      const body = clear($("#diff-table tbody"));
      for (const change of diff.changes) {
        const kind = change.before === null ? "added" : change.after === null ? "removed" : "changed";
        body.append(
          h(
            "tr",
            { class: `diff-${kind}`, "data-key": change.key },
            h("td", { class: "mono" }, change.key),
            h("td", { class: "mono break" }, shownValue(change.before)),
            h("td", { class: "mono break" }, shownValue(change.after)),
          ),
        );
      }
      labelCells($("#diff-table"));
      const count = diff.changes.length;
      $("#diff-summary").textContent = count
        ? `${count} setting${count === 1 ? "" : "s"} differ between revision ${diff.before} and revision ${diff.after} (secret values are not compared).`
        : `Revision ${diff.before} and revision ${diff.after} have the same settings (secret values are not compared).`;
      show($("#diff-table").parentElement, count > 0);
      show($("#diff"));
    } catch (error) {
      showError($("#diff-error"), error);
    }
  });

  // --- logs --------------------------------------------------------------------------------------------------
  // Every line is kept (up to MAX_LOG_LINES) and filtered in place, so changing a filter needs no new stream.

  const logLines = [];
  const logPods = new Set();
  let logPaused = false;
  let logHeld = [];

  /** A request of a Kubernetes probe: its user agent, or an access-log line for a probed path. */
  function isProbe(text) {
    if (text.includes("kube-probe/")) return true;
    const paths = (record && record.probe_paths) || [];
    return paths.some((path) => new RegExp(`\\b(GET|HEAD) ${escapeRegExp(path)}[?/]?(\\s|"|$)`).test(text));
  }

  function logVisible(entry) {
    const text = $("#logs-filter").value.trim().toLowerCase();
    const pod = $("#logs-pod").value;
    if (pod && entry.pod !== pod) return false;
    if ($("#logs-hide-probes").checked && entry.probe) return false;
    return !text || entry.search.includes(text);
  }

  let countFrame = 0;

  /** The count line, once per frame at most: lines can arrive by the thousand. */
  function renderLogCount() {
    if (countFrame) return;
    countFrame = requestAnimationFrame(() => {
      countFrame = 0;
      renderLogCountNow();
    });
  }

  function renderLogCountNow() {
    const shown = logLines.filter((entry) => !entry.el.hidden).length;
    const held = logPaused && logHeld.length ? ` · ${logHeld.length} new while paused` : "";
    $("#logs-count").textContent = `${shown} of ${logLines.length} lines${held}`;
  }

  function applyLogFilters() {
    for (const entry of logLines) entry.el.hidden = !logVisible(entry);
    renderLogCount();
  }

  function parseLogLine(raw, timestamps) {
    const space = raw.indexOf(" ");
    const pod = space < 0 ? raw : raw.slice(0, space);
    let text = space < 0 ? "" : raw.slice(space + 1);
    let at = null;
    if (timestamps) {
      const gap = text.indexOf(" ");
      const stamp = gap < 0 ? text : text.slice(0, gap);
      const parsed = new Date(stamp);
      if (!Number.isNaN(parsed.getTime())) {
        at = parsed;
        text = gap < 0 ? "" : text.slice(gap + 1);
      }
    }
    return { pod, text, at };
  }

  function appendLogLine(entry) {
    const output = $("#log-output");
    const follow = nearBottom(output);
    if (!logPods.has(entry.pod)) {
      logPods.add(entry.pod);
      $("#logs-pod").append(h("option", { value: entry.pod }, entry.pod));
    }
    const parts = [];
    if (entry.at) parts.push(h("time", { class: "log-time", datetime: entry.at.toISOString() }, `${formatTime(entry.at.toISOString())} `));
    parts.push(h("span", { class: "log-pod" }, `${entry.pod} `), entry.text, "\n");
    entry.el = h("span", { class: "log-line" }, ...parts);
    entry.el.hidden = !logVisible(entry);
    output.append(entry.el);
    logLines.push(entry);
    while (logLines.length > MAX_LOG_LINES) logLines.shift().el.remove();
    if (follow) output.scrollTop = output.scrollHeight;
  }

  function setLogPaused(paused) {
    logPaused = paused;
    const button = $("#logs-pause");
    button.textContent = paused ? "Resume" : "Pause";
    button.setAttribute("aria-pressed", String(paused));
    if (!paused) {
      const held = logHeld;
      logHeld = [];
      held.forEach(appendLogLine);
    }
    renderLogCount();
  }

  function stopLogStream() {
    if (stopLogs) stopLogs.abort();
    stopLogs = null;
    $("#logs-toggle").textContent = "Show logs";
  }

  for (const id of ["#logs-filter", "#logs-pod", "#logs-hide-probes"]) {
    $(id).addEventListener(id === "#logs-filter" ? "input" : "change", applyLogFilters);
  }
  $("#logs-pause").addEventListener("click", () => setLogPaused(!logPaused));

  $("#logs-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (stopLogs) {
      stopLogStream();
      return;
    }
    const output = clear($("#log-output"));
    logLines.length = 0;
    logHeld = [];
    show(output);
    show($("#log-filters"));
    setLogPaused(false);
    showError($("#logs-error"), null);
    const controller = new AbortController();
    stopLogs = controller;
    $("#logs-toggle").textContent = "Stop";
    const timestamps = $("#logs-timestamps").checked;
    const params = new URLSearchParams({ tail: $("#logs-tail").value || "100", follow: String($("#logs-follow").checked), timestamps: String(timestamps) });
    try {
      const response = await request("GET", `${base}/logs?${params}`, { headers: { Accept: "text/plain" }, signal: controller.signal });
      await readLines(response, (raw) => {
        const entry = parseLogLine(raw, timestamps);
        entry.search = `${entry.pod} ${entry.text}`.toLowerCase();
        entry.probe = isProbe(entry.text);
        if (logPaused) logHeld.push(entry);
        else appendLogLine(entry);
        renderLogCount();
      });
      if (logPaused) setLogPaused(false);
      output.append(h("span", { class: "muted" }, "— end of stream —\n"));
    } catch (error) {
      if (error.name !== "AbortError") showError($("#logs-error"), error);
    } finally {
      if (stopLogs === controller) stopLogStream();
    }
  });

  // --- start -------------------------------------------------------------------------------------------------

  return {
    /** Prefill the deploy form with the variables the code needs (once, when the analysis is known). */
    prefill(analysis) {
      if (analysis.status === "succeeded" && analysis.spec) calls.setSpec(analysis.spec);
      if (prefilled || analysis.status !== "succeeded" || !analysis.profile) return;
      prefilled = true;
      // The choice of Dockerfile only exists when the upload has its own.
      const own = analysis.profile.dockerfile;
      show($("#deploy-dockerfile-field"), Boolean(own));
      $("#deploy-dockerfile-path").textContent = own ? `(the upload has ${own})` : "";
      // The analysis may land after the user started typing: keep what they typed.
      deployRows.dropBlank();
      for (const env of analysis.profile.envVars || []) {
        if (!env.required) continue;
        const row = deployRows.find(env.name) || deployRows.add(env.secret ? "secret" : "env", env.name);
        if (env.default === null || env.default === undefined) {
          requiredEnv.push(env.name);
          $(".kv-value", row).setAttribute("aria-required", "true");
          $(".kv-value", row).dataset.requiredName = env.name;
        }
      }
      if (deployRows.isEmpty()) deployRows.add("env");
      // Says the form holds the analysis' variables (scripts and tests wait for it before typing).
      $("#deploy-form").dataset.prefilled = "true";
    },
    async start() {
      if (deployRows.isEmpty()) deployRows.add("env");
      redeployRows.add("env");
      if (await refresh()) followEvents(`${base}/events`, { onEvent, onState: onStreamState });
    },
  };
}
