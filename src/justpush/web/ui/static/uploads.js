// /ui: the user's uploads and a new upload from an archive or a git URL.

import { api } from "./api.js";
import { $, $$, badge, clear, confirmDialog, formatBytes, formatDate, h, show, showError, statusLabel, statusTone, toast } from "./dom.js";

function source(upload) {
  if (upload.source_kind === "git") {
    const ref = upload.git_ref ? `@${upload.git_ref}` : "";
    const commit = upload.git_commit ? ` (${upload.git_commit.slice(0, 10)})` : "";
    return `${upload.git_url}${ref}${commit}`;
  }
  return upload.filename || upload.source_kind;
}

async function loadUploads() {
  const body = $("#uploads-table tbody");
  try {
    const uploads = await api("GET", "/uploads");
    showError($("#uploads-error"), null);
    clear(body);
    uploads.sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    for (const upload of uploads) {
      const link = `/ui/uploads/${encodeURIComponent(upload.id)}`;
      const name = upload.app_name || (upload.analysis_status === "running" ? "analysing…" : "—");
      const framework = [upload.language, upload.framework && upload.framework !== "none" ? upload.framework : null]
        .filter(Boolean)
        .join(" · ");
      const remove = h("button", { type: "button", class: "btn btn-ghost btn-small", "data-delete": upload.id }, "Delete");
      remove.addEventListener("click", () => deleteUpload(upload, name));
      body.append(
        h(
          "tr",
          { "data-upload": upload.id },
          h("td", {}, h("a", { href: link }, name), h("div", { class: "small mono muted" }, upload.id)),
          h("td", {}, framework || "—"),
          h("td", {}, upload.deployment_status ? badge(statusLabel(upload.deployment_status), statusTone(upload.deployment_status)) : h("span", { class: "muted" }, "not deployed")),
          h("td", { class: "wrap" }, upload.url ? h("a", { href: upload.url, rel: "noreferrer", target: "_blank", class: "mono" }, upload.url) : "—"),
          h("td", {}, upload.deployed_at ? formatDate(upload.deployed_at) : "—"),
          h("td", { class: "wrap" }, source(upload), h("div", { class: "small muted" }, `${upload.files} files · ${formatBytes(upload.bytes)}`)),
          h("td", {}, formatDate(upload.created_at)),
          h("td", {}, remove),
        ),
      );
    }
    show($("#uploads-empty"), uploads.length === 0);
    show($("#uploads-table"), uploads.length > 0);
  } catch (error) {
    showError($("#uploads-error"), error);
  }
}

async function deleteUpload(upload, name) {
  const ok = await confirmDialog(
    `Delete upload ${name} (${upload.id})? Its files, analysis, events and revisions are removed. A deployed app must be deleted first.`,
    "Delete upload",
  );
  if (!ok) return;
  try {
    await api("DELETE", `/uploads/${encodeURIComponent(upload.id)}`);
    toast(`Upload ${upload.id} deleted`);
    await loadUploads();
  } catch (error) {
    showError($("#uploads-error"), error);
  }
}

function selectTab(tab) {
  for (const other of $$('[role="tab"]')) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    show(document.getElementById(other.getAttribute("aria-controls")), selected);
  }
  showError($("#upload-error"), null);
}

async function submitUpload(form, body) {
  const button = $('button[type="submit"]', form);
  button.disabled = true;
  button.classList.add("is-busy");
  showError($("#upload-error"), null);
  try {
    const created = await api("POST", "/uploads", body);
    window.location.assign(`/ui/uploads/${encodeURIComponent(created.id)}`);
  } catch (error) {
    showError($("#upload-error"), error);
  } finally {
    button.disabled = false;
    button.classList.remove("is-busy");
  }
}

export async function start() {
  const tabs = $$('[role="tab"]');
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
      selectTab(next);
      next.focus();
    });
  }
  $("#upload-archive").addEventListener("submit", (event) => {
    event.preventDefault();
    const file = $("#archive-file").files[0];
    if (!file) return;
    const data = new FormData();
    data.append("file", file, file.name);
    submitUpload(event.target, { body: data });
  });
  $("#upload-git").addEventListener("submit", (event) => {
    event.preventDefault();
    const ref = $("#git-ref").value.trim();
    submitUpload(event.target, { json: { git_url: $("#git-url").value.trim(), ref: ref || null } });
  });
  $("#refresh-uploads").addEventListener("click", loadUploads);
  await loadUploads();
}
