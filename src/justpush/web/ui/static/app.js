// Entry point: with a live session cookie start the page named by <body data-page>; otherwise ask for an API token,
// exchange it for a session (POST /session) and start then. Sign-out ends the session on the server.

import { api, setUnauthorizedHandler } from "./api.js";
import { $, show, showError } from "./dom.js";

const pages = {
  uploads: () => import("./uploads.js"),
  upload: () => import("./upload.js"),
};

let started = false;

function askForToken(error) {
  show($("#content"), false);
  show($("#session"), false);
  show($("#signin"));
  showError($("#signin-error"), error);
  $("#token").focus();
}

async function enter(me) {
  $("#who").textContent = me.name;
  show($("#session"));
  show($("#signin"), false);
  show($("#content"));
  if (started) {
    // Signed in again after a refused session: reload so nothing of the previous session stays on screen.
    window.location.reload();
    return;
  }
  started = true;
  const page = await pages[document.body.dataset.page]();
  await page.start();
}

async function init() {
  $("#signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = $("#token").value.trim();
    if (!value) return;
    $("#token").value = "";
    try {
      await enter(await api("POST", "/session", { headers: { Authorization: `Bearer ${value}` } }));
    } catch (error) {
      if (error.status !== 401) askForToken(error);
    }
  });
  $("#sign-out").addEventListener("click", async () => {
    try {
      await api("DELETE", "/session");
    } finally {
      window.location.reload();
    }
  });
  let me = null;
  try {
    me = await api("GET", "/users/me");
  } catch (error) {
    // No session yet is the normal first visit, not an error to show.
    if (error.status !== 401) {
      askForToken(error);
      return;
    }
  }
  setUnauthorizedHandler((error) => askForToken(error));
  if (!me) {
    askForToken(null);
    return;
  }
  try {
    await enter(me);
  } catch (error) {
    if (error.status !== 401) askForToken(error);
  }
}

init();
