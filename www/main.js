// The demo page: wires the controls to the local worker or the remote endpoint, and draws every
// answer with the package's own `draw`.
import init, * as yolo from "../pkg/yolo_wasm.js";
import { LocalRunner } from "./local.js";
import { clearModelCache, fetchModel } from "./model-cache.js";
import { predictRemote, rememberKey, rememberedKey } from "./remote.js";
import { $, FpsMeter, clearError, formatBytes, showError, showJSON, showProgress, showTimings } from "./ui.js";
import { liveLoop, openVideoFile, openWebcam, processVideo, seekTo, stopWebcam } from "./video.js";

const SAMPLES = "../tests/fixtures/images/";
// Decode like the package decodes Blobs: EXIF orientation, no colour conversion, no premultiply.
const BITMAP_OPTIONS = { imageOrientation: "from-image", colorSpaceConversion: "none", premultiplyAlpha: "none" };

const state = {
  mode: "local", // "local" | "remote"
  source: "image", // "image" | "video" | "webcam"
  image: null, // still image: {blob, bitmap}
  video: null, // processed video file: {response, frames}
  loop: null, // AbortController of the running video / webcam loop
  modelGen: 0, // latest local model load (older ones are ignored when they finish)
};
const local = new LocalRunner();
const video = $("video");

// ---- options and endpoints ------------------------------------------------------------------

function predictOptions() {
  return { imgsz: Number($("imgsz").value), conf: Number($("conf").value), iou: Number($("iou").value) };
}

function endpoint() {
  return { url: $("endpoint").value.trim(), apiKey: $("api-key").value, model: $("remote-model").value.trim() };
}

/**
 * Predicts one frame with the current mode; video and webcam frames are tracked instead when the
 * tracking toggle is on (local: the model's own tracker in the worker; remote: a `Tracker` on the
 * page over the endpoint's answers). `bitmap` stays the page's; `blob` (still images) is what
 * remote mode uploads instead of re-encoding the pixels.
 * Resolves to {response, bitmap}; a failure keeps the bitmap usable (`error.bitmap`).
 */
async function predictFrame(bitmap, blob) {
  const options = predictOptions();
  const track = tracking();
  if (state.mode === "local") {
    if (!local.info) throw Object.assign(new Error("no local model is loaded"), { bitmap });
    return local.predict(bitmap, options, { track });
  }
  try {
    const response = await predictRemote(endpoint(), blob ?? bitmap, options);
    return { response: track ? remoteTracker().update(response) : response, bitmap };
  } catch (e) {
    throw Object.assign(e, { bitmap });
  }
}

// ---- tracking -------------------------------------------------------------------------------

/** Whether this frame is tracked: the toggle is on and the source is a video or the webcam. */
const tracking = () => $("track").checked && state.source !== "image";

let tracker = null;
/** The page's tracker for remote answers (the package's `Tracker`, made on first use). */
function remoteTracker() {
  if (!tracker) {
    if (typeof yolo.Tracker !== "function") throw Object.assign(new Error("this build of the package has no Tracker"), { name: "YoloError", code: "internal" });
    tracker = new yolo.Tracker();
  }
  return tracker;
}

/** New IDs from the next frame on: a new video or run, the webcam started, the toggle switched. */
async function resetTracking() {
  tracker?.reset();
  await local.resetTracker().catch(() => {}); // no model yet, or one that failed: nothing to reset
}

// ---- drawing --------------------------------------------------------------------------------

/** Paints `image` (bitmap or video) at its own size and, with a response, its results via `draw`. */
function paint(image, response = null, frame = 0) {
  const canvas = $("canvas");
  const [h, w] = response?.images[frame]?.shape ?? [image.videoHeight ?? image.height, image.videoWidth ?? image.width];
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  if (!response) {
    canvas.getContext("2d").drawImage(image, 0, 0, w, h);
    return;
  }
  // Lines and labels keep their CSS size on screen however much the canvas is scaled down.
  const pixelRatio = Math.min(16, Math.max(1, w / (canvas.clientWidth || w)));
  yolo.draw(canvas, image, response, { frame, pixelRatio });
}

/** Dims the last results when the newest attempt failed, so they are not read as its answer. */
function markStale(stale) {
  for (const id of ["canvas", "json", "timing"]) $(id).classList.toggle("stale", stale);
}

function showResponse(response, startedAt, fps = null, tracked = false) {
  showJSON(response);
  $("json").dataset.tracked = String(tracked);
  showTimings(response.images.at(-1)?.speed, performance.now() - startedAt, fps, state.mode === "local" ? engineText() : null);
}

/**
 * The local engine, e.g. "threads build, 2 threads" (what the worker's module runs), and why it
 * runs fewer threads than it could (a pool that did not start, a threaded build that could not load).
 */
function engineText() {
  const { build, threads, warning, fallbackReason } = local.runtime ?? {};
  if (!build) return null;
  const why = warning?.message ?? fallbackReason;
  return `${build} build, ${threads} thread${threads === 1 ? "" : "s"}${why ? ` (${why})` : ""}`;
}

// ---- still images ---------------------------------------------------------------------------

let running = false;
let again = false;

/** Predicts the current still image; calls made while one runs collapse into one more run. */
async function requestRun() {
  if (running) {
    again = true;
    return;
  }
  running = true;
  document.body.dataset.busy = "true";
  try {
    do {
      again = false;
      await runStill();
    } while (again);
  } finally {
    running = false;
    delete document.body.dataset.busy;
  }
}

async function runStill() {
  const img = state.image;
  if (!img || state.source !== "image") return;
  const t0 = performance.now();
  try {
    const { response, bitmap } = await predictFrame(img.bitmap, img.blob);
    img.bitmap = bitmap;
    if (state.image !== img) return; // a new image arrived meanwhile
    paint(bitmap, response);
    showResponse(response, t0);
    clearError();
    markStale(false);
  } catch (e) {
    if (e.bitmap) img.bitmap = e.bitmap;
    if (e.code === "aborted") return; // its model was replaced by a newer load
    showError(e);
    markStale(true);
  }
}

async function setImage(blob) {
  stopLoop();
  const bitmap = await createImageBitmap(blob, BITMAP_OPTIONS);
  state.image?.bitmap?.close();
  state.image = { blob, bitmap };
  markStale(false);
  paint(bitmap);
  showJSON(null);
  $("timing").textContent = "";
}

async function loadSample() {
  const name = $("sample").value;
  const resp = await fetch(SAMPLES + name);
  if (!resp.ok) throw new Error(`could not load the sample ${name}: HTTP ${resp.status}`);
  await setImage(await resp.blob());
}

/** OBB and classify models have their own sample images; switch to one when the task changes. */
function suggestSample(task) {
  const current = $("sample").value;
  const want = task === "obb" ? "obb-" : task === "classify" ? "cls-" : null;
  if (want && !current.startsWith(want)) $("sample").value = `${want === "obb-" ? "obb-640x480" : "cls-160x160"}.png`;
  else if (!want && /^(obb|cls)-/.test(current)) $("sample").value = "square-640x640.png";
  else return false;
  return true;
}

// ---- local models ---------------------------------------------------------------------------

/** Loads a model (URL through the download cache, or a picked File) into the worker. */
async function loadLocalModel(source, name) {
  const gen = ++state.modelGen;
  $("run").disabled = true;
  $("model-status").textContent = `Loading ${name}…`;
  delete $("model-status").dataset.from;
  try {
    let bytes;
    let from;
    if (typeof source === "string") {
      ({ bytes, fromCache: from } = await fetchModel(source, (loaded, total) => gen === state.modelGen && showProgress(loaded, total)));
      from = from ? "cache" : "network";
    } else {
      bytes = await source.arrayBuffer();
      from = "file";
      showProgress(bytes.byteLength, bytes.byteLength);
    }
    if (gen !== state.modelGen) return;
    const size = bytes.byteLength;
    const info = await local.load(bytes, name);
    if (gen !== state.modelGen) return;
    const shape = `${info.imgsz.join("×")}${info.dynamic ? " dynamic" : ""}${info.end2end ? ", end2end" : ""}`;
    const origin = { cache: "from cache", network: "downloaded", file: "local file" }[from];
    $("model-status").textContent = `${name}: ${info.task}, ${Object.keys(info.names).length} classes, ${shape} · ${formatBytes(size)} ${origin} · ${engineText()}`;
    $("model-status").dataset.from = from;
    $("model-status").dataset.build = local.runtime?.build ?? "";
    $("model-status").dataset.threads = String(local.runtime?.threads ?? "");
    clearError();
    const switched = state.source === "image" && suggestSample(info.task);
    if (switched) await loadSample().catch(showError);
    if (state.mode === "local") requestRun();
  } catch (e) {
    if (gen !== state.modelGen) return;
    $("model-status").textContent = `${name}: not loaded.`;
    showError(e);
    // The worker dropped the previous model: do not leave its results on screen.
    if (state.source === "image" && state.image?.bitmap?.width) paint(state.image.bitmap);
    showJSON(null);
    $("timing").textContent = "";
  } finally {
    if (gen === state.modelGen) updateRunButton();
  }
}

const fileName = (url) => decodeURIComponent(new URL(url, location.href).pathname.split("/").pop() || "model.onnx");

// ---- video file and webcam ------------------------------------------------------------------

function stopLoop() {
  state.loop?.abort();
  state.loop = null;
  stopWebcam(video);
  $("webcam-start").disabled = false;
  $("webcam-stop").disabled = true;
  $("video-stop").disabled = true;
  $("video-start").disabled = !video.src || state.source !== "video";
}

async function setVideoFile(file) {
  stopLoop();
  state.video = null;
  await resetTracking();
  $("frames").hidden = true;
  try {
    const duration = await openVideoFile(video, file);
    paint(video);
    $("video-start").disabled = false;
    showJSON(null);
    $("timing").textContent = `${file.name}: ${duration.toFixed(2)} s, ${video.videoWidth}×${video.videoHeight}`;
    clearError();
  } catch (e) {
    $("video-start").disabled = true;
    showError(e);
  }
}

async function runVideo() {
  stopLoop();
  const loop = (state.loop = new AbortController());
  $("video-start").disabled = true;
  $("video-stop").disabled = false;
  $("frame").disabled = true;
  const fps = Number($("video-fps").value) || 30;
  const stride = Math.max(1, Math.round(Number($("video-stride").value) || 1));
  const meter = new FpsMeter();
  let t0 = performance.now();
  let tracked = false;
  try {
    await resetTracking(); // each run goes through the video from its first frame
    const result = await processVideo({
      video,
      fps,
      stride,
      signal: loop.signal,
      predict: async (bitmap) => {
        t0 = performance.now();
        tracked = tracking();
        return predictFrame(bitmap);
      },
      onFrame: (response, bitmap, k, frame) => {
        paint(bitmap, response, k);
        showResponse(response, t0, meter.tick(), tracked);
        state.video = { response, frames: [] };
        showFrameSlider(k, k, frame);
      },
    });
    state.video = result;
    if (result.frames.length) showFrameSlider(result.frames.length - 1, result.frames.length - 1, result.frames.at(-1));
    clearError();
  } catch (e) {
    e.bitmap?.close?.();
    showError(e);
  } finally {
    if (state.loop === loop) stopLoop();
    $("frame").disabled = false;
  }
}

function showFrameSlider(max, value, frame) {
  $("frames").hidden = false;
  $("frame").max = String(max);
  $("frame").value = String(value);
  $("frame-out").textContent = `#${value} of ${max + 1} (video frame ${frame.index}, ${frame.time.toFixed(3)} s)`;
}

/** Shows processed frame `k` again: seek the video there and draw its `images[k]`. */
async function showFrame(k) {
  const v = state.video;
  if (!v?.frames?.[k]) return;
  await seekTo(video, v.frames[k].time);
  paint(video, v.response, k);
  $("frame-out").textContent = `#${k} of ${v.frames.length} (video frame ${v.frames[k].index}, ${v.frames[k].time.toFixed(3)} s)`;
  showTimings(v.response.images[k].speed);
}

async function runWebcam() {
  stopLoop();
  const loop = (state.loop = new AbortController());
  $("webcam-start").disabled = true;
  $("webcam-stop").disabled = false;
  try {
    await openWebcam(video);
    video.hidden = false;
    await resetTracking();
    const meter = new FpsMeter();
    let t0 = performance.now();
    let tracked = false;
    await liveLoop({
      video,
      signal: loop.signal,
      predict: (bitmap) => {
        t0 = performance.now();
        tracked = tracking();
        return predictFrame(bitmap);
      },
      onFrame: (response, bitmap) => {
        paint(bitmap, response);
        showResponse(response, t0, meter.tick(), tracked);
        clearError();
      },
    });
  } catch (e) {
    e.bitmap?.close?.();
    if (!loop.signal.aborted) showError(e);
  } finally {
    if (state.loop === loop) stopLoop();
  }
}

// ---- mode, source, buttons ------------------------------------------------------------------

function updateRunButton() {
  const ready = state.mode === "remote" || Boolean(local.info);
  $("run").disabled = !(ready && state.image && state.source === "image");
}

function setMode(mode) {
  state.mode = mode;
  $("local-panel").hidden = mode !== "local";
  $("remote-panel").hidden = mode !== "remote";
  updateRunButton();
  clearError();
  if (state.source === "image" && (mode === "local" ? local.info : $("api-key").value)) requestRun();
}

function setSource(source) {
  stopLoop();
  state.source = source;
  for (const s of ["image", "video", "webcam"]) $(`${s}-panel`).hidden = s !== source;
  $("track-panel").hidden = source === "image";
  // The video element is a preview for the webcam only; a file's frames show on the canvas.
  video.hidden = source !== "webcam";
  $("frames").hidden = source !== "video" || !state.video;
  $("video-start").disabled = source !== "video" || !video.src;
  updateRunButton();
  clearError();
  if (source === "image" && state.image) {
    paint(state.image.bitmap);
    requestRun();
  }
}

function onFile(file) {
  if (!file) return;
  if (/\.onnx$/i.test(file.name)) {
    if (state.mode !== "local") $("mode").querySelector("[value=local]").click();
    loadLocalModel(file, file.name);
  } else if (file.type.startsWith("video/")) {
    $("source").querySelector("[value=video]").click();
    setVideoFile(file);
  } else if (file.type.startsWith("image/")) {
    $("source").querySelector("[value=image]").click();
    setImage(file).then(requestRun, showError);
  } else {
    showError(new Error(`${file.name}: drop an image, a video or an .onnx model`));
  }
}

function wire() {
  for (const r of document.querySelectorAll("input[name=mode]")) r.addEventListener("change", () => setMode(r.value));
  for (const r of document.querySelectorAll("input[name=source]")) r.addEventListener("change", () => setSource(r.value));
  for (const id of ["imgsz", "conf", "iou"]) {
    $(id).addEventListener("input", () => ($(`${id}-out`).textContent = $(id).value));
    $(id).addEventListener("change", () => state.source === "image" && !$("run").disabled && requestRun());
  }
  $("run").addEventListener("click", requestRun);

  $("model").addEventListener("change", () => loadLocalModel($("model").value, fileName($("model").value)));
  $("model-file").addEventListener("change", (ev) => onFile(ev.target.files[0]));
  $("model-url-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const url = $("model-url").value.trim();
    if (url) loadLocalModel(url, fileName(url));
  });
  $("clear-cache").addEventListener("click", async () => {
    await clearModelCache();
    $("model-status").textContent += " · cache cleared";
  });

  $("endpoint").value = location.origin;
  const saved = rememberedKey();
  $("api-key").value = saved;
  $("remember").checked = Boolean(saved);
  $("remember").addEventListener("change", () => rememberKey($("api-key").value, $("remember").checked));
  $("api-key").addEventListener("input", () => $("remember").checked && rememberKey($("api-key").value, true));

  $("sample").addEventListener("change", () => loadSample().then(requestRun, showError));
  $("image-file").addEventListener("change", (ev) => onFile(ev.target.files[0]));
  $("video-file").addEventListener("change", (ev) => onFile(ev.target.files[0]));
  $("video-start").addEventListener("click", runVideo);
  $("video-stop").addEventListener("click", stopLoop);
  $("frame").addEventListener("input", () => showFrame(Number($("frame").value)).catch(showError));
  $("webcam-start").addEventListener("click", runWebcam);
  $("track").addEventListener("change", () => resetTracking().catch(showError));
  $("webcam-stop").addEventListener("click", stopLoop);

  document.addEventListener("dragover", (ev) => {
    ev.preventDefault();
    document.body.classList.add("dropping");
  });
  document.addEventListener("dragleave", () => document.body.classList.remove("dropping"));
  document.addEventListener("drop", (ev) => {
    ev.preventDefault();
    document.body.classList.remove("dropping");
    onFile(ev.dataTransfer.files[0]);
  });

  $("copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("json").textContent);
      $("copy-status").textContent = "copied";
    } catch {
      getSelection().selectAllChildren($("json"));
      $("copy-status").textContent = "clipboard blocked: text selected, press Ctrl+C";
    }
  });
}

wire();
try {
  await init();
  // The sample first (small): the model's load then predicts it as soon as it is ready.
  await loadSample();
  await loadLocalModel($("model").value, fileName($("model").value));
} catch (e) {
  showError(e);
}
document.body.dataset.ready = "true";
