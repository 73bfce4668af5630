// yolo-wasm/worker: a LocalModel in a dedicated module worker the package ships
// (worker_thread.js), behind promises, with latest-frame-wins backpressure for streams
// (worker_latest.js) and automatic recovery from a worker that dies. Types and the full contract:
// worker.d.ts; usage: README.md "In a worker".
import { LatestLane } from "./worker_latest.js";
import { errorFromData, yoloError } from "./worker_protocol.js";

/** Restarts in a row (without a successful predict/track between them) before giving up. */
const DEFAULT_RESTARTS = 2;
const OPTION_KEYS = ["build", "threads", "name", "restarts", "device", "cpuEngine"];

/**
 * Starts a worker, loads the package (the threaded build and its pool where the page is
 * cross-origin isolated) and the model in it; resolves once the model is loaded.
 * @param {string | URL | ArrayBuffer | Uint8Array | Blob} source
 * @param {{build?: string, threads?: number, name?: string, restarts?: number, device?: "auto" | "webgpu" | "cpu", cpuEngine?: "tract" | "program"}} [options]
 * @returns {Promise<WorkerModel>}
 */
export async function createWorkerModel(source, options = {}) {
  const opts = checkOptions(options);
  const src = modelSource(source, opts.name);
  const w = new WorkerModel(src, opts, TOKEN);
  // A pool that cannot start is not a failure: the model runs on one thread and
  // `runtime.warning` says why (the package's initThreadPool).
  await loaded.get(w);
  return w;
}

const TOKEN = Symbol("createWorkerModel");
/** Each WorkerModel's first load (createWorkerModel awaits it). */
const loaded = new WeakMap();

function checkOptions(options) {
  if (typeof options !== "object" || options === null) {
    throw yoloError("invalid_argument", "createWorkerModel(source, options): options must be an object", "options");
  }
  for (const k of Object.keys(options)) {
    if (!OPTION_KEYS.includes(k)) throw yoloError("invalid_argument", `unknown option ${k} (expected one of ${OPTION_KEYS.join(", ")})`, k);
  }
  const restarts = options.restarts ?? DEFAULT_RESTARTS;
  if (!Number.isInteger(restarts) || restarts < 0 || restarts > 100) {
    throw yoloError("invalid_argument", `restarts must be an integer from 0 to 100 (got ${String(options.restarts)})`, "restarts");
  }
  if (options.name !== undefined && (typeof options.name !== "string" || options.name === "")) {
    throw yoloError("invalid_argument", "name must be a non-empty string", "name");
  }
  return {
    build: options.build, threads: options.threads, name: options.name, restarts, device: options.device,
    cpuEngine: options.cpuEngine,
  };
}

/**
 * What is posted to the worker for `source`, and kept to load the model again after a restart:
 * URL strings resolved against the page (a worker would resolve them against its own script),
 * bytes wrapped once in a File (copied, so later changes to the caller's buffer do not matter).
 */
function modelSource(source, name) {
  if (typeof source === "string" || source instanceof URL) {
    try {
      return new URL(String(source), globalThis.document?.baseURI ?? globalThis.location?.href).href;
    } catch {
      throw yoloError("invalid_argument", `not a URL: ${String(source)}`, "source");
    }
  }
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) return new File([source], name ?? "model.onnx");
  if (source instanceof Blob && name !== undefined) return new File([source], name, { type: source.type });
  return source; // a Blob/File, or something LocalModel.load rejects (invalid_argument, field source)
}

const isVideoFrame = (f) => typeof VideoFrame === "function" && f instanceof VideoFrame;
const isBitmap = (f) => typeof ImageBitmap === "function" && f instanceof ImageBitmap;
const closable = (f) => isBitmap(f) || isVideoFrame(f);
const is = (f, name) => typeof globalThis[name] === "function" && f instanceof globalThis[name];

/**
 * What to post for `frame`: transferables as they are (with what to transfer unless `transfer`
 * is false), Blobs cloned (cheap), elements and canvases snapshotted here as an ImageBitmap
 * (`owned`: ours, always transferred).
 */
async function prepare(frame, transfer) {
  if (isBitmap(frame) || isVideoFrame(frame)) return { frame, list: transfer ? [frame] : [], owned: false };
  if (is(frame, "ImageData")) return { frame, list: transfer ? [frame.data.buffer] : [], owned: false };
  if (is(frame, "Blob")) return { frame, list: [], owned: false };
  const element = ["HTMLImageElement", "HTMLCanvasElement", "HTMLVideoElement", "OffscreenCanvas"].find((n) => is(frame, n));
  if (!element) {
    throw yoloError(
      "invalid_argument",
      "expected ImageBitmap, VideoFrame, ImageData, Blob/File, HTMLImageElement, HTMLCanvasElement, HTMLVideoElement or OffscreenCanvas",
      "source",
    );
  }
  if (element === "HTMLVideoElement" && frame.readyState < 2) {
    throw yoloError("invalid_image", "the <video> has no current frame yet (readyState < HAVE_CURRENT_DATA)");
  }
  if (element === "HTMLImageElement" && (!frame.complete || frame.naturalWidth === 0)) {
    await frame.decode().catch((e) => {
      throw yoloError("invalid_image", `the <img> cannot be decoded (${e?.message ?? e})`);
    });
  }
  // Canvases as the package reads them (no colour conversion, no premultiplication); images and
  // video frames as drawImage sees them.
  const canvas = element.endsWith("CanvasElement") || element === "OffscreenCanvas";
  const opts = canvas ? { colorSpaceConversion: "none", premultiplyAlpha: "none" } : {};
  try {
    const bitmap = await createImageBitmap(frame, opts);
    return { frame: bitmap, list: [bitmap], owned: true };
  } catch (e) {
    throw yoloError("invalid_image", `the ${element} cannot be read (${e?.message ?? e})`);
  }
}

/** A LocalModel running in its own worker; made by `createWorkerModel`. */
export class WorkerModel {
  #worker = null;
  #pending = new Map(); // id → {resolve, reject}
  #nextId = 1;
  #source;
  #opts;
  #info = null;
  #runtime = null;
  #stats = { submitted: 0, completed: 0, dropped: 0, failed: 0, restarts: 0 };
  #lane;
  #freed = false;
  #broken = null; // the error every call rejects with once recovery gave up
  #chain = Promise.resolve(); // requests are posted in call order
  #reloading = null;
  #restartsInRow = 0;

  /** @internal Use `createWorkerModel`. */
  constructor(source, opts, token) {
    if (token !== TOKEN) throw yoloError("invalid_argument", "use createWorkerModel(source, options)", "constructor");
    this.#source = source;
    this.#opts = opts;
    this.#lane = new LatestLane(
      (job) => this.#enqueue(job.type, job.frame, job.options, job.transfer),
      (job, replaced) => {
        if (job.transfer && closable(job.frame)) job.frame.close();
        if (replaced) this.#stats.dropped += 1; // a cleared one rejects: #infer counts it as failed
      },
    );
    this.#start();
    const first = this.#post({ type: "load", source, build: opts.build, threads: opts.threads, device: opts.device, cpuEngine: opts.cpuEngine }, []).then(
      (reply) => {
        this.#info = reply.info;
        this.#runtime = reply.runtime;
      },
      (e) => {
        this.#stop();
        throw e;
      },
    );
    loaded.set(this, first);
  }

  /** The model's metadata (LocalModel.info). */
  get info() {
    return this.#info;
  }

  /** What the worker's module runs: `{build, threads}` (runtimeInfo() inside the worker). */
  get runtime() {
    return this.#runtime;
  }

  /** Counters since creation: frames submitted, answered, dropped by the latest lanes, failed; worker restarts. */
  get stats() {
    return { ...this.#stats };
  }

  /** The latest-frame lane now: a frame in flight (0 or 1), a frame waiting (0 or 1). */
  get latestQueue() {
    return this.#lane.depth;
  }

  /** Predicts one frame (LocalModel.predict in the worker). */
  predict(frame, options) {
    return this.#infer("predict", frame, options, false);
  }

  /** Tracks one frame (LocalModel.track in the worker: the model's own persistent tracker). */
  track(frame, options) {
    return this.#infer("track", frame, options, false);
  }

  /** predict with latest-frame-wins backpressure: resolves to `null` when a newer frame replaced this one. */
  predictLatest(frame, options) {
    return this.#infer("predict", frame, options, true);
  }

  /** track with latest-frame-wins backpressure: resolves to `null` when a newer frame replaced this one. */
  trackLatest(frame, options) {
    return this.#infer("track", frame, options, true);
  }

  /** Starts the model's tracker afresh (new IDs); a frame waiting in the latest lane is dropped. */
  resetTracker() {
    if (this.#freed) return Promise.reject(freedError());
    this.#lane.dropWaiting();
    return this.#enqueue("resetTracker").then(() => undefined);
  }

  /** Ends the worker and releases the model; pending calls reject with `aborted`, later ones with `invalid_argument`. */
  free() {
    if (this.#freed) return;
    this.#freed = true;
    const aborted = yoloError("aborted", "the worker model was freed (free()) before this call was answered");
    this.#lane.clear(aborted);
    this.#stop(aborted);
  }

  [Symbol.dispose]() {
    this.free();
  }

  #infer(type, frame, options, latest) {
    if (this.#freed) return Promise.reject(freedError());
    this.#stats.submitted += 1;
    let job;
    try {
      job = { type, frame, ...splitOptions(options) };
    } catch (e) {
      this.#stats.failed += 1;
      return Promise.reject(e);
    }
    const answer = latest ? this.#lane.push(job) : this.#enqueue(type, frame, job.options, job.transfer);
    return answer.then(
      (r) => {
        if (r !== null) this.#stats.completed += 1;
        return r;
      },
      (e) => {
        this.#stats.failed += 1;
        throw e;
      },
    );
  }

  /** Posts one request after the ones before it (and after a reload); resolves to its reply's payload. */
  #enqueue(type, frame, options, transfer = true) {
    const posted = this.#chain.then(async () => {
      try {
        await this.#reloading;
        if (this.#freed) throw yoloError("aborted", "the worker model was freed (free()) before this call was sent");
        if (this.#broken) throw this.#broken;
        if (type === "resetTracker") return { reply: this.#post({ type }, []) };
        const p = await prepare(frame, transfer);
        const reply = this.#post({ type, frame: p.frame, options }, p.list, p.owned ? p.frame : null);
        return { reply };
      } catch (e) {
        if (transfer && closable(frame)) frame.close(); // it was handed over: do not leak it
        throw e;
      }
    });
    this.#chain = posted.then(
      () => undefined,
      () => undefined,
    );
    return posted.then(({ reply }) => reply).then((data) => {
      if (type !== "resetTracker") this.#restartsInRow = 0;
      return type === "resetTracker" ? null : data.response;
    });
  }

  /** Posts `msg` with a fresh id; resolves to the worker's reply, rejects with its YoloError. */
  #post(msg, transfer, owned = null) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#worker === null) {
        reject(this.#broken ?? yoloError("aborted", "the worker model was freed (free())"));
        return;
      }
      this.#pending.set(id, { resolve, reject });
      try {
        this.#worker.postMessage({ ...msg, id }, transfer);
      } catch (e) {
        this.#pending.delete(id);
        owned?.close();
        reject(cloneError(e, msg));
      }
    });
  }

  #start() {
    const worker = new Worker(new URL("./worker_thread.js", import.meta.url), { type: "module" });
    this.#worker = worker;
    this.#pending = new Map();
    worker.onmessage = ({ data }) => {
      if (worker !== this.#worker) return;
      const p = this.#pending.get(data.id);
      if (!p) return;
      this.#pending.delete(data.id);
      if (data.ok) {
        p.resolve(data);
        return;
      }
      const err = errorFromData(data.error);
      // The module is poisoned after an `internal` error: replace the worker (every other pending
      // call rejects too), then this call rejects with its own error.
      if (err.code === "internal") this.#restart(worker, `the inference worker hit a bug (${err.message})`);
      p.reject(err);
    };
    // A worker that fails to start (a script error, blocked by CSP) or dies (an uncaught error, a
    // trap outside a call) rejects everything pending and is replaced.
    worker.onerror = (ev) => {
      ev.preventDefault?.();
      this.#restart(worker, `the inference worker failed: ${ev.message || "it could not start"}`);
    };
    worker.onmessageerror = () => this.#restart(worker, "the inference worker sent a message that cannot be read");
  }

  /** Replaces `worker` (when it is the current one), reloading the model into the new one. */
  #restart(worker, why) {
    if (worker !== this.#worker || this.#freed) return;
    const orphans = [...this.#pending.values()];
    const lost = yoloError("internal", `${why}; the worker was replaced, try again`);
    this.#restartsInRow += 1;
    if (this.#info === null || this.#restartsInRow > this.#opts.restarts) {
      const reason = this.#info === null ? "while loading the model" : `${this.#restartsInRow} times in a row`;
      this.#broken = yoloError("internal", `${why} (${reason}); create a new worker model with createWorkerModel`);
      this.#stop(this.#broken);
      for (const p of orphans) p.reject(this.#broken);
      return;
    }
    worker.terminate();
    this.#stats.restarts += 1;
    this.#start();
    const current = this.#worker;
    const reloading = this.#post({ type: "load", source: this.#source, build: this.#opts.build, threads: this.#opts.threads, device: this.#opts.device, cpuEngine: this.#opts.cpuEngine }, [])
      .then(
        (reply) => {
          this.#info = reply.info;
          this.#runtime = reply.runtime;
        },
        (e) => {
          // A newer restart (this worker died too) handles it; else the model cannot come back.
          if (current === this.#worker && !this.#broken) {
            this.#broken = yoloError("internal", `the inference worker was replaced but the model did not load again (${e.message})`);
          }
        },
      )
      .finally(() => {
        if (this.#reloading === reloading) this.#reloading = null;
      });
    this.#reloading = reloading;
    for (const p of orphans) p.reject(lost);
  }

  /** Terminates the worker; pending calls reject with `error`. */
  #stop(error = yoloError("aborted", "the worker model was stopped")) {
    this.#worker?.terminate();
    this.#worker = null;
    const pending = [...this.#pending.values()];
    this.#pending = new Map();
    for (const p of pending) p.reject(error);
  }
}

/** Splits the worker's own `transfer` option from the predict options LocalModel validates. */
function splitOptions(options) {
  if (options === undefined || options === null || typeof options !== "object" || !("transfer" in options)) {
    return { options, transfer: true };
  }
  const { transfer, ...rest } = options;
  if (typeof transfer !== "boolean") throw yoloError("invalid_argument", `transfer must be true or false (got ${String(transfer)})`, "transfer");
  return { options: rest, transfer };
}

function freedError() {
  return yoloError("invalid_argument", "this worker model was freed (free()): create a new one with createWorkerModel", "model");
}

/** A postMessage that cannot clone its message (a detached or closed frame, a function in the options). */
function cloneError(e, msg) {
  const why = e?.message ?? String(e);
  if (msg.type === "load") return yoloError("invalid_argument", `the model source cannot be sent to the worker (${why})`, "source");
  try {
    structuredClone(msg.options);
  } catch {
    return yoloError("invalid_argument", `the options cannot be sent to the worker (${why})`, "options");
  }
  return yoloError("invalid_image", `the frame cannot be sent to the worker: already transferred, closed or detached? (${why})`);
}
