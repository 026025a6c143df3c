// The REST API from the browser: the session cookie (HttpOnly, set by POST /session) authenticates, state-changing
// calls echo the CSRF cookie in X-CSRF-Token; errors as ApiError, streams read with fetch().

const CSRF_COOKIE = "justpush_csrf";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function csrfToken() {
  const entry = document.cookie.split("; ").find((part) => part.startsWith(`${CSRF_COOKIE}=`));
  return entry ? decodeURIComponent(entry.slice(CSRF_COOKIE.length + 1)) : null;
}

/** The headers a call with `method` needs besides its own: the CSRF token when it changes state. */
export function sessionHeaders(method) {
  const csrf = SAFE_METHODS.has(method.toUpperCase()) ? null : csrfToken();
  return csrf ? { "X-CSRF-Token": csrf } : {};
}

/** The API's {"error": {code, message, details}} (or a network failure) as an Error. */
export class ApiError extends Error {
  constructor(status, code, message, details = {}, requestId = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }
}

// Called with the error when the server refuses the token, so the app can ask for another one.
let onUnauthorized = () => {};
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page): the status line is all there is.
  }
  const error = body && body.error;
  return new ApiError(
    response.status,
    (error && error.code) || "http_error",
    (error && error.message) || `${response.status} ${response.statusText}`,
    (error && error.details) || {},
    response.headers.get("X-Request-ID"),
  );
}

/** fetch() with the session; throws ApiError unless the answer is 2xx. */
export async function request(method, path, { json, body, headers = {}, signal } = {}) {
  const allHeaders = { Accept: "application/json", ...sessionHeaders(method), ...headers };
  if (json !== undefined) {
    allHeaders["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(path, { method, headers: allHeaders, body, signal, cache: "no-store", credentials: "same-origin" });
  } catch (exc) {
    if (exc.name === "AbortError") throw exc;
    throw new ApiError(0, "network_error", `The server could not be reached (${exc.message}).`);
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401) onUnauthorized(error);
    throw error;
  }
  return response;
}

export async function api(method, path, options) {
  const response = await request(method, path, options);
  return response.status === 204 ? null : response.json();
}

/** Save a protected download (e.g. the OpenAPI document) under `filename`. */
export async function download(path, filename) {
  const blob = await (await request("GET", path, { headers: { Accept: "*/*" } })).blob();
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Read a text stream line by line until it ends or `signal` aborts. */
export async function readLines(response, onLine) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const lines = buffer.split(/\r?\n/);
    buffer = lines.pop();
    lines.forEach(onLine);
  }
  if (buffer) onLine(buffer);
}

/**
 * Follow a Server-Sent Events endpoint with fetch() rather than EventSource, which hides the API's error status.
 * Reconnects after a dropped connection, resuming with Last-Event-ID. Returns a stop() function.
 * onEvent({id, event, data}); onState("live" | "reconnecting" | "stopped", error?).
 */
export function followEvents(path, { onEvent, onState = () => {} }) {
  const controller = new AbortController();
  let lastId = null;
  let delay = 500;

  function dispatch(block) {
    const message = { id: null, event: "message", data: "" };
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") message.id = value;
      else if (field === "event") message.event = value;
      else if (field === "data") data.push(value);
    }
    if (!data.length && message.id === null) return;
    if (message.id !== null) lastId = message.id;
    message.data = data.join("\n");
    onEvent(message);
  }

  async function run() {
    while (!controller.signal.aborted) {
      try {
        const headers = { Accept: "text/event-stream" };
        if (lastId) headers["Last-Event-ID"] = lastId;
        const response = await request("GET", path, { headers, signal: controller.signal });
        onState("live");
        delay = 500;
        let buffer = "";
        await readLines(response, (line) => {
          if (line === "") {
            dispatch(buffer);
            buffer = "";
          } else {
            buffer += (buffer ? "\n" : "") + line;
          }
        });
      } catch (exc) {
        if (controller.signal.aborted) break;
        // A refused token or a missing upload will not get better by retrying.
        if (exc instanceof ApiError && exc.status >= 400 && exc.status < 500) {
          onState("stopped", exc);
          return;
        }
      }
      if (controller.signal.aborted) break;
      onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10000);
    }
    onState("stopped");
  }

  run();
  return () => controller.abort();
}
