// /ui/uploads/{id}: the upload's analysis and deployment.

import { analysisPanel } from "./analysis.js";
import { api } from "./api.js";
import { $, formatBytes, formatDate, showError } from "./dom.js";
import { deploymentPanel } from "./deploy.js";
import { exportsPanel } from "./exports.js";

export async function start() {
  const uploadId = document.body.dataset.uploadId;
  try {
    const upload = await api("GET", `/uploads/${encodeURIComponent(uploadId)}`);
    const from = upload.source_kind === "git" ? `${upload.git_url}${upload.git_ref ? `@${upload.git_ref}` : ""}` : upload.filename;
    $("#upload-meta").textContent =
      `${from || upload.source_kind} · ${upload.files} files · ${formatBytes(upload.bytes)} · ${formatDate(upload.created_at)}`;
  } catch (error) {
    $("#upload-meta").textContent = "";
    showError($("#page-error"), error);
    return;
  }
  let analysis = null;
  const exports = exportsPanel(uploadId);
  const deployment = deploymentPanel(uploadId, (status) => {
    exports.update(status);
    // The pipeline analyses an upload that never was; show that result once it has moved on.
    if (status === "BUILDING" && analysis && analysis.status !== "succeeded") analysis.refresh();
  });
  analysis = analysisPanel(uploadId, (result) => deployment.prefill(result));
  await Promise.all([deployment.start(), analysis.refresh(), exports.start()]);
}
