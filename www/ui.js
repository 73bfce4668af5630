// Small DOM helpers: messages, progress, JSON and timings. No inference logic here.

export const $ = (id) => document.getElementById(id);

/** A readable sentence for anything thrown: YoloErrors by code, camera DOMExceptions by name. */
export function describeError(e) {
  if (!e) return "";
  const msg = e.message ?? String(e);
  // HubClient's messages already start with "HTTP <status>: …".
  const http = e.status && !msg.includes(`HTTP ${e.status}`) ? ` (HTTP ${e.status})` : "";
  // DOMExceptions have numeric legacy codes: only string codes are ours (YoloError, fetchModel).
  switch (typeof e.code === "string" ? e.code : undefined) {
    case "unauthorized":
      return `Unauthorized: the endpoint refused the API key; check it.${http} (${msg})`;
    case "forbidden":
      return `Forbidden: this key may not use this model.${http} (${msg})`;
    case "rate_limited": {
      const s = e.retryAfterSeconds;
      const wait = s == null ? "" : ` Retry in ${Math.ceil(s)} s${s >= 120 ? ` (about ${Math.round(s / 60)} min)` : ""}.`;
      return `Rate limited: too many requests for this key.${wait}${http} (${msg})`;
    }
    case "not_found":
      return `Not found${http}: ${msg}`;
    case "network":
      return `Network error: ${msg}`;
    case "timeout":
    case "request_timeout":
      return `Timed out: ${msg}`;
    case "internal":
      return `The inference engine hit a bug and was restarted; try again. (${msg})`;
    case "image_too_large":
      return `This image is too large: ${msg}`;
    case "server_busy":
    case "unavailable":
      return `The endpoint is busy; retry in a moment.${http} (${msg})`;
    case "model_forbidden":
      return `Forbidden: this key may not use this model.${http} (${msg})`;
    case "model_not_found":
      return `No such model on the endpoint${http}: ${msg}`;
    case "invalid_model":
    case "not_yolo_model":
    case "unsupported_model":
      return `This model cannot be used (${e.code}): ${msg}`;
    case "invalid_image":
      return `This image cannot be read: ${msg}`;
    case "webgpu_unavailable":
      return `WebGPU is not available in this browser; choose the CPU (or "auto"). (${msg})`;
    case "device_lost":
      return `The GPU was reset; the model is being loaded again. (${msg})`;
    case "invalid_argument":
      return `Invalid ${e.field ?? "argument"}: ${msg}`;
    case undefined:
      break;
    default:
      return `${e.code}${http}: ${msg}`;
  }
  switch (e.name) {
    case "NotAllowedError":
      return "Camera permission was refused (allow the camera for this site and try again).";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No camera was found on this device.";
    case "NotReadableError":
      return "The camera is in use by another application or cannot be opened.";
    case "SecurityError":
      return "The camera is blocked on this page (it needs https: or localhost).";
    default:
      return `${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${msg}`;
  }
}

export function showError(e) {
  $("error").textContent = describeError(e);
  if (e) console.warn(e); // a warning, not an error: expected failures are part of the demo
}

export function clearError() {
  $("error").textContent = "";
}

/** Progress bar: bytes / total (indeterminate when the total is unknown). */
export function showProgress(loaded, total) {
  const bar = $("model-progress");
  bar.hidden = false;
  if (total) {
    bar.max = total;
    bar.value = Math.min(loaded, total);
  } else {
    bar.removeAttribute("value");
  }
  $("model-bytes").textContent = total ? `${formatBytes(loaded)} / ${formatBytes(total)}` : formatBytes(loaded);
}

/** 10.1 MB, 1.8 kB… */
export const formatBytes = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} kB`);

/** Pretty JSON; `data-count` counts responses shown, so scripts can wait for a new one. */
export function showJSON(response) {
  const pre = $("json");
  pre.textContent = response ? JSON.stringify(response, null, 2) : "";
  pre.dataset.count = String(Number(pre.dataset.count ?? 0) + (response ? 1 : 0));
}

/**
 * pre / inference / post of one image (ms), the round trip seen by the page, FPS if looping, and
 * what ran it (local: the build and its threads).
 */
export function showTimings(speed, roundTripMs, fps, engine) {
  const f = (x) => (x == null ? "–" : x.toFixed(1));
  let s = `preprocess ${f(speed?.preprocess)} ms · inference ${f(speed?.inference)} ms · postprocess ${f(speed?.postprocess)} ms`;
  if (roundTripMs != null) s += ` · round trip ${f(roundTripMs)} ms`;
  if (fps != null) s += ` · ${fps.toFixed(1)} FPS`;
  if (engine) s += ` · ${engine}`;
  $("timing").textContent = s;
}

/** Frames per second over the last `n` completed frames. */
export class FpsMeter {
  constructor(n = 10) {
    this.n = n;
    this.t = [];
  }
  tick() {
    this.t.push(performance.now());
    if (this.t.length > this.n + 1) this.t.shift();
    const span = this.t.at(-1) - this.t[0];
    return this.t.length > 1 && span > 0 ? ((this.t.length - 1) * 1000) / span : null;
  }
  reset() {
    this.t = [];
  }
}
