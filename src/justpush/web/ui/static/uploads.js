// /ui: the user's uploads and a new upload from an archive or a git URL.

import { api } from "./api.js";
import { $, $$, clear, formatBytes, formatDate, h, show, showError } from "./dom.js";

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
      body.append(
        h(
          "tr",
          {},
          h("td", {}, h("a", { href: `/ui/uploads/${encodeURIComponent(upload.id)}`, class: "mono" }, upload.id)),
          h("td", { class: "wrap" }, source(upload)),
          h("td", { class: "num" }, upload.files),
          h("td", { class: "num" }, formatBytes(upload.bytes)),
          h("td", {}, formatDate(upload.created_at)),
        ),
      );
    }
    show($("#uploads-empty"), uploads.length === 0);
    show($("#uploads-table"), uploads.length > 0);
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
