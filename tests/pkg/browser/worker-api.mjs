// The page side of the worker API tests (../worker.test.mjs): each export runs one scenario with
// `yolo-wasm/worker` as a user would, from a plain <script type="module"> page, and returns plain
// data for the Node side to check (goldens are compared there, with compare.mjs).
import { sharedMemoryPosts } from "./runner.mjs";

const FIXTURES = new URL("/tests/fixtures/", location.href);
const MODEL = new URL("models/yolo11n-shapes.onnx", FIXTURES).href;

const blobOf = async (image) => (await fetch(new URL(`images/${image}`, FIXTURES))).blob();
const bitmapOf = async (image) => createImageBitmap(await blobOf(image));

/** `{name, code, field}` of a rejection, or "resolved" (so the Node side sees what happened). */
const outcome = (p) =>
  p.then(
    (r) => (r === null ? "null" : "resolved"),
    (e) => ({ name: e?.name, code: e?.code, field: e?.field, message: e?.message }),
  );

let current = null;

/** Loads the fixture model in a worker model (kept for the next scenarios as `current`). */
export async function open(pkgUrl, options) {
  const { createWorkerModel } = await import(pkgUrl);
  current?.free();
  current = await createWorkerModel(options?.bytes ? await (await fetch(MODEL)).arrayBuffer() : MODEL, options?.model);
  return { info: current.info, runtime: current.runtime, stats: current.stats };
}

/** The same image through every kind of frame, and what `transfer` did to the caller's frame. */
export async function sources(image) {
  const w = current;
  const blob = await blobOf(image);
  const out = {};
  const bitmap = await createImageBitmap(blob);
  out.bitmap = await w.predict(bitmap);
  out.bitmapDetached = bitmap.width === 0;
  const kept = await createImageBitmap(blob);
  out.kept = await w.predict(kept, { transfer: false, conf: 0.25 });
  out.keptWidth = kept.width;
  kept.close();
  const drawn = await createImageBitmap(blob);
  const c = new OffscreenCanvas(drawn.width, drawn.height).getContext("2d");
  c.drawImage(drawn, 0, 0);
  const data = c.getImageData(0, 0, drawn.width, drawn.height);
  out.imageData = await w.predict(data);
  out.imageDataDetached = data.data.length === 0;
  out.blob = await w.predict(blob);
  const vf = new VideoFrame(drawn, { timestamp: 0 });
  out.videoFrame = await w.predict(vf);
  out.videoFrameClosed = vf.format === null; // transferred: closed here
  const img = new Image();
  img.src = URL.createObjectURL(blob);
  out.img = await w.predict(img);
  drawn.close();
  out.stats = w.stats;
  return out;
}

/** Typed errors: bad options, bad frames, an already transferred bitmap, bad models. */
export async function errors(pkgUrl) {
  const { createWorkerModel } = await import(pkgUrl);
  const w = current;
  const bitmap = await bitmapOf("square-640x640.png");
  const detached = await createImageBitmap(bitmap);
  await w.predict(detached);
  return {
    conf: await outcome(w.predict(await createImageBitmap(bitmap), { conf: 7 })),
    unknownKey: await outcome(w.predict(await createImageBitmap(bitmap), { nope: 1 })),
    transfer: await outcome(w.predict(await createImageBitmap(bitmap), { transfer: "yes" })),
    notAFrame: await outcome(w.predict(42)),
    detached: await outcome(w.predict(detached)),
    tooLarge: await outcome(w.predict(new ImageData(16385, 1))),
    notYolo: await outcome(createWorkerModel(new URL("models/not-yolo.onnx", FIXTURES).href)),
    missing: await outcome(createWorkerModel(new URL("models/missing.onnx", FIXTURES).href)),
    badOption: await outcome(createWorkerModel(MODEL, { thread: 2 })),
    badThreads: await outcome(createWorkerModel(MODEL, { threads: 0 })),
    stillWorks: (await w.predict(bitmap)).images[0].results.length,
  };
}

/**
 * Latest-frame-wins: `n` frames submitted at once, then a few more as each answer arrives. After
 * every submission the lane holds at most one waiting frame.
 */
export async function backpressure(n) {
  const w = current;
  const before = w.stats;
  const base = await bitmapOf("square-640x640.png");
  const frames = [];
  const promises = [];
  let maxWaiting = 0;
  let maxInFlight = 0;
  for (let i = 0; i < n; i++) {
    const f = await createImageBitmap(base);
    frames.push(f);
    promises.push(w.predictLatest(f));
    maxWaiting = Math.max(maxWaiting, w.latestQueue.waiting);
    maxInFlight = Math.max(maxInFlight, w.latestQueue.inFlight);
  }
  const results = await Promise.all(promises);
  const after = w.stats;
  base.close();
  return {
    answered: results.map((r) => r !== null),
    lastResults: results.at(-1)?.images[0].results ?? null,
    maxWaiting,
    maxInFlight,
    dropped: after.dropped - before.dropped,
    submitted: after.submitted - before.submitted,
    completed: after.completed - before.completed,
    allClosed: frames.every((f) => f.width === 0), // transferred or, when dropped, closed
    queueAfter: w.latestQueue,
  };
}

/** Queues `n` predicts and leaves them pending (the Node side then kills the worker). */
export async function startPending(n) {
  const w = current;
  const frames = await Promise.all(Array.from({ length: n }, () => bitmapOf("large-1920x1080.png")));
  window.pendingOutcomes = Promise.all(frames.map((f) => outcome(w.predict(f))));
  return true;
}

/** What the pending calls got, then a predict on the restarted worker. */
export async function afterDeath() {
  const w = current;
  const pending = await window.pendingOutcomes;
  const again = await w.predict(await bitmapOf("portrait-360x720.png"));
  return { pending, again, stats: w.stats, runtime: w.runtime, info: w.info };
}

/** free(): a pending call rejects `aborted`, later calls `invalid_argument` at once. */
export async function freeing() {
  const w = current;
  const pending = outcome(w.predict(await bitmapOf("square-640x640.png")));
  const waiting = outcome(w.predictLatest(await bitmapOf("square-640x640.png")));
  w.free();
  w.free(); // idempotent
  current = null;
  return {
    pending: await pending,
    waiting: await waiting,
    predict: await outcome(w.predict(await bitmapOf("square-640x640.png"))),
    track: await outcome(w.track(await bitmapOf("square-640x640.png"))),
    latest: await outcome(w.predictLatest(await bitmapOf("square-640x640.png"))),
    reset: await outcome(w.resetTracker()),
  };
}

/** The `metadata.model` a predict of the current worker model reports. */
export async function modelName() {
  return (await current.predict(await blobOf("square-640x640.png"))).metadata.model;
}

/** Frames of the sample image sliding right by `step` px: the same objects, moving. */
async function slidingFrames(count, step) {
  const img = await bitmapOf("square-640x640.png");
  const frames = [];
  for (let i = 0; i < count; i++) {
    const canvas = new OffscreenCanvas(640, 640);
    const g = canvas.getContext("2d");
    g.fillStyle = "#808080";
    g.fillRect(0, 0, 640, 640);
    g.drawImage(img, i * step, 0);
    frames.push(canvas.transferToImageBitmap());
  }
  img.close();
  return frames;
}

/** track() on consecutive frames of moving objects, then resetTracker() and one more frame. */
export async function tracking(count, step) {
  const w = current;
  const responses = [];
  for (const f of await slidingFrames(count, step)) responses.push(await w.track(f));
  await w.resetTracker();
  const [first] = await slidingFrames(1, 0);
  const afterReset = await w.track(first);
  return { responses, afterReset };
}

/** `device` in the worker: what a bad value does, then one golden image on WebGPU. */
export async function onWebGpu(pkgUrl, image) {
  const { createWorkerModel } = await import(pkgUrl);
  const bad = await outcome(createWorkerModel(MODEL, { device: "gpu" }));
  current?.free();
  current = await createWorkerModel(MODEL, { device: "webgpu" });
  const response = await current.predict(await bitmapOf(image));
  return { bad, info: current.info, response };
}

/** What the page offers, as the package sees it: which build the worker model must run. */
export async function features(entryUrl) {
  const pkg = await import(entryUrl);
  return {
    sharedArrayBuffer: typeof SharedArrayBuffer,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    sharedMemoryPosts: sharedMemoryPosts(),
    relaxedSimd: pkg.relaxedSimdSupported(),
    cores: Math.min(navigator.hardwareConcurrency, 16),
  };
}

/** `device: "webgpu"` in an engine without WebGPU: the outcome of creating the worker model. */
export async function webgpuRefused(pkgUrl) {
  const { createWorkerModel } = await import(pkgUrl);
  return outcome(createWorkerModel(MODEL, { device: "webgpu" }).then((m) => (m.free(), m)));
}
