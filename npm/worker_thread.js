// yolo-wasm/worker: the dedicated module worker that owns one LocalModel (started by worker.js;
// protocol in worker_protocol.js). It loads the package here — init() picks the threaded build
// where the page is cross-origin isolated, and initThreadPool() starts the pool's workers from this
// worker — so tract's inference never runs on the page's thread.
//
// Frames arrive transferred (or cloned) and are closed here once read: ImageBitmap, VideoFrame
// (read through createImageBitmap), ImageData and Blob go to LocalModel as they are.
import init, { LocalModel, initThreadPool, runtimeInfo } from "./yolo_wasm.js";
import { errorToData, yoloError } from "./worker_protocol.js";

/** @type {LocalModel | null} */
let model = null;
// One request at a time, in arrival order: a load must not interleave with a predict's awaits, and
// a tracker must see its frames in order.
let queue = Promise.resolve();

self.onmessage = ({ data }) => {
  queue = queue.then(() => handle(data));
};

/** Runs one request and posts its one reply (errors as YoloError data). */
async function handle(msg) {
  try {
    self.postMessage({ id: msg.id, ok: true, ...(await run(msg)) });
  } catch (e) {
    // A failure that is not a YoloError is a bug here or in the glue: `internal`, so the page
    // replaces this worker (its module's state is unknown).
    self.postMessage({ id: msg.id, ok: false, error: errorToData(e, "internal") });
  } finally {
    close(msg.frame);
  }
}

async function run(msg) {
  switch (msg.type) {
    case "load":
      return load(msg);
    case "predict":
    case "track":
      return { response: await infer(msg) };
    case "resetTracker":
      tracking(loaded()).resetTracker();
      return {};
    default:
      throw yoloError("invalid_argument", `unknown request type ${String(msg.type)}`, "type");
  }
}

/**
 * `build`: one of init()'s builds, or undefined (init() picks). A pool that cannot start leaves the
 * model on one thread, with `runtime.warning` saying why (initThreadPool resolves).
 */
async function load({ source, build, threads, device, cpuEngine }) {
  await init(build === undefined ? undefined : { build });
  // The pool starts while the model loads (a load does not need it; predict waits for it).
  const pool = initThreadPool(threads);
  model?.free();
  model = null;
  // `device` and `cpuEngine` are checked by LocalModel.load (invalid_argument naming them).
  const options = Object.fromEntries(Object.entries({ device, cpuEngine }).filter(([, v]) => v !== undefined));
  const loading = LocalModel.load(source, options);
  loading.catch(() => {}); // awaited below, after the pool: not an unhandled rejection meanwhile
  try {
    await pool;
  } catch (e) {
    loading.then((m) => m.free(), () => {});
    throw e;
  }
  model = await loading;
  return { info: model.info, runtime: runtimeInfo() };
}

function loaded() {
  if (model === null) throw yoloError("invalid_model", "no model is loaded in this worker");
  return model;
}

async function infer({ type, frame, options }) {
  const m = type === "track" ? tracking(loaded()) : loaded();
  const source = isVideoFrame(frame) ? await videoFrameBitmap(frame) : frame;
  try {
    return await (type === "track" ? m.track(source, options) : m.predict(source, options));
  } finally {
    if (source !== frame) source.close();
  }
}

/** `m`, when this build of the package has tracking (LocalModel.track / resetTracker). */
function tracking(m) {
  if (typeof m.track !== "function" || typeof m.resetTracker !== "function") {
    throw yoloError("invalid_argument", "this build of yolo-wasm has no tracking (LocalModel.track): rebuild the package", "track");
  }
  return m;
}

const isVideoFrame = (f) => typeof VideoFrame === "function" && f instanceof VideoFrame;

/** The pixels of a VideoFrame as an ImageBitmap (LocalModel reads bitmaps, not frames). */
async function videoFrameBitmap(frame) {
  try {
    return await createImageBitmap(frame, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch (e) {
    throw yoloError("invalid_image", `the VideoFrame cannot be read (${e?.message ?? e}); was it closed?`);
  }
}

/** Frees a frame this worker now owns (ImageBitmap, VideoFrame); other sources need nothing. */
function close(frame) {
  if (frame && typeof frame.close === "function" && (isVideoFrame(frame) || frame instanceof ImageBitmap)) frame.close();
}
