// The export panel of a deployed upload: the Terraform module (a zip) and a commit of the GitOps tree.

import { api, download } from "./api.js";
import { $, clear, h, show, showError } from "./dom.js";

// Statuses in which a stored revision serves: there is something to export.
const SERVING = new Set(["DEPLOYED", "DEPLOYED_WITH_WARNINGS", "ROLLED_BACK"]);
const GONE = new Set(["DELETING", "DELETED"]);

function commitResult(result) {
  const where = `${result.repo_url} ${result.branch}:${result.path || "/"}`;
  if (!result.changed) {
    return [h("strong", {}, "Already up to date"), ` ${where} holds revision ${result.revision} at `, h("code", {}, result.commit)];
  }
  return [
    h("strong", {}, `Committed revision ${result.revision}`),
    " as ",
    h("code", { id: "gitops-commit" }, result.commit),
    ` to ${where}`,
    h("p", {}, `${result.files.length} file(s) changed`),
  ];
}

/** `update(status)` shows the panel while a revision serves; `start()` reads the current status once. */
export function exportsPanel(uploadId) {
  const base = `/deploy/${encodeURIComponent(uploadId)}/export`;

  function update(status) {
    if (SERVING.has(status)) show($("#exports"));
    if (GONE.has(status)) show($("#exports"), false);
  }

  $("#export-terraform").addEventListener("click", async (event) => {
    // The endpoint wants the API token, which a plain link cannot send.
    event.preventDefault();
    showError($("#terraform-error"), null);
    try {
      await download(`${base}/terraform`, `justpush-${uploadId}-terraform.zip`);
    } catch (error) {
      showError($("#terraform-error"), error);
    }
  });

  $("#gitops-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (id) => $(id).value.trim() || null;
    const body = {
      repo_url: value("#gitops-repo"),
      branch: value("#gitops-branch"),
      path: value("#gitops-path"),
      tool: $("#gitops-tool").value,
      username: value("#gitops-username"),
      token: $("#gitops-token").value || null,
    };
    const submit = $("#gitops-submit");
    submit.disabled = true;
    showError($("#gitops-error"), null);
    show($("#gitops-result"), false);
    try {
      const result = await api("POST", `${base}/gitops`, { json: body });
      $("#gitops-token").value = "";
      clear($("#gitops-result")).append(...commitResult(result));
      show($("#gitops-result"));
    } catch (error) {
      showError($("#gitops-error"), error);
    } finally {
      submit.disabled = false;
    }
  });

  async function start() {
    try {
      update((await api("GET", `/deploy/${encodeURIComponent(uploadId)}/status`)).status);
    } catch {
      // Never deployed: the panel stays hidden until a deployment reaches a serving status.
    }
  }

  return { start, update };
}
