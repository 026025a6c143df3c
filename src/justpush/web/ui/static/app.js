// Entry point: ask for a token until the API accepts it, then start the page named by <body data-page>.

import { api, setUnauthorizedHandler, token } from "./api.js";
import { $, show, showError } from "./dom.js";

const pages = {
  uploads: () => import("./uploads.js"),
  upload: () => import("./upload.js"),
};

let started = false;

function askForToken(error) {
  token.clear();
  show($("#content"), false);
  show($("#session"), false);
  show($("#signin"));
  showError($("#signin-error"), error);
  $("#token").focus();
}

async function signIn() {
  const me = await api("GET", "/users/me");
  $("#who").textContent = me.name;
  show($("#session"));
  show($("#signin"), false);
  show($("#content"));
  if (started) {
    // Signed in again after a refused token: reload so nothing of the previous session stays on screen.
    window.location.reload();
    return;
  }
  started = true;
  const page = await pages[document.body.dataset.page]();
  await page.start();
}

function init() {
  setUnauthorizedHandler((error) => askForToken(error));
  $("#signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = $("#token").value.trim();
    if (!value) return;
    token.set(value);
    $("#token").value = "";
    try {
      await signIn();
    } catch (error) {
      if (error.status !== 401) askForToken(error);
    }
  });
  $("#sign-out").addEventListener("click", () => {
    token.clear();
    window.location.reload();
  });
  if (token.get()) {
    signIn().catch((error) => {
      if (error.status !== 401) askForToken(error);
    });
  } else {
    askForToken(null);
  }
}

init();
