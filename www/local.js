// The page's local model: the package's worker API (yolo-wasm/worker, pkg/worker.js), one worker
// model per loaded model. The package restarts a worker that died or hit a bug and loads the model
// into the new one (the failed call still rejects with `internal`); this wrapper keeps the page's
// bitmap (frames are sent with `transfer: false`, so the page can draw the very frame it sent) and
// picks predict or track.
import { createWorkerModel } from "../pkg/worker.js";

export class LocalRunner {
  constructor() {
    /** @type {import("../pkg/worker.js").WorkerModel | null} */
    this.model = null;
    /** The loaded model's info (null while loading or after a failed load). */
    this.info = null;
    /** What the worker's module runs: {build: "threads" | "relaxed-simd" | "simd128", threads, warning?, fallbackReason?}. */
    this.runtime = null;
    this.loads = 0;
  }

  /** Loads model bytes into a new worker (the previous model's worker ends). Resolves to model.info. */
  async load(bytes, name) {
    const load = ++this.loads;
    this.model?.free();
    this.model = null;
    this.info = null;
    const model = await createWorkerModel(bytes, { name });
    if (load !== this.loads) {
      model.free(); // a newer load started meanwhile
      throw Object.assign(new Error("superseded by a newer model load"), { name: "YoloError", code: "aborted" });
    }
    this.model = model;
    this.info = model.info;
    this.runtime = model.runtime;
    return this.info;
  }

  /**
   * Predicts (or, with `track`, tracks through the model's own tracker) one ImageBitmap, which
   * stays the page's. Resolves to {response, bitmap}; a failure carries the bitmap (`error.bitmap`).
   */
  async predict(bitmap, options, { track = false } = {}) {
    try {
      if (!this.model) throw Object.assign(new Error("no local model is loaded"), { name: "YoloError", code: "invalid_model" });
      const opts = { ...options, transfer: false };
      const response = await (track ? this.model.track(bitmap, opts) : this.model.predict(bitmap, opts));
      this.info = this.model.info; // the same after a restart, which reloads the same model
      return { response, bitmap };
    } catch (e) {
      throw Object.assign(e, { bitmap });
    }
  }

  /** Starts the model's tracker afresh (a new video, the toggle switched). */
  async resetTracker() {
    await this.model?.resetTracker();
  }
}
