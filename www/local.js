// The page's side of worker.js: promise-based load / predict on a module worker.
//
// Recovery: after a bug inside the wasm module (a request rejected with code `internal`, see the
// package README), or a worker that died (an uncaught error), that worker's module is unusable.
// The runner then ends it, starts a new worker and loads the last model into it again (from a copy
// of its bytes), so the next request works; the failed request still rejects, with its error.

export class LocalRunner {
  constructor() {
    this.nextId = 1;
    this.info = null;
    /** What the worker's module runs: {build: "threads" | "relaxed-simd" | "simd128", threads}. */
    this.runtime = null;
    /** Workers started so far (1 + restarts), for the UI and the tests. */
    this.generation = 0;
    /** Restarts since the last request that succeeded (bounds reloading a model that kills its worker). */
    this.restartsInRow = 0;
    this.model = null; // { bytes: ArrayBuffer (a copy we keep), name }
    this.start();
  }

  start() {
    this.generation += 1;
    this.pending = new Map();
    const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.worker = worker;
    worker.onmessage = ({ data }) => {
      const p = this.pending.get(data.id);
      if (!p) return;
      this.pending.delete(data.id);
      if (data.ok) {
        this.restartsInRow = 0;
        p.resolve(data);
        return;
      }
      const err = Object.assign(new Error(data.error.message), data.error, { bitmap: data.bitmap });
      if (err.code === "internal") this.restart(worker);
      p.reject(err);
    };
    // A worker that fails to start (script error, blocked by CSP) or dies rejects everything in
    // flight; one that was running is replaced.
    worker.onerror = (ev) => {
      ev.preventDefault();
      const err = Object.assign(new Error(`the inference worker failed: ${ev.message || "could not start"}`), {
        name: "YoloError",
        code: "internal",
      });
      const pending = [...this.pending.values()];
      this.restart(worker);
      for (const p of pending) p.reject(err);
    };
  }

  /** Replaces `worker` (if it is still the current one) and reloads the last model into the new one. */
  restart(worker) {
    if (worker !== this.worker) return;
    worker.terminate();
    const orphans = [...this.pending.values()];
    this.start();
    const lost = Object.assign(new Error("the inference worker was restarted; try again"), {
      name: "YoloError",
      code: "internal",
    });
    for (const p of orphans) p.reject(lost);
    // The same model goes back in: `info` stays valid meanwhile, and `predict` waits for it. A model
    // that kills its worker while loading is not reloaded over and over: after two restarts in a
    // row without a success in between, the next `load` must come from the user.
    this.restartsInRow += 1;
    if (this.model && this.restartsInRow <= 2) {
      const bytes = this.model.bytes.slice(0);
      const reloading = this.call({ type: "load", bytes, name: this.model.name }, [bytes])
        .then(({ info }) => (this.info = info))
        .catch(() => (this.info = null))
        .finally(() => {
          if (this.reloading === reloading) this.reloading = null;
        });
      this.reloading = reloading;
    } else {
      this.info = null;
    }
  }

  call(msg, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  /** Loads model bytes (the ArrayBuffer is transferred: do not reuse it). Resolves to model.info. */
  async load(bytes, name) {
    this.info = null;
    this.reloading = null;
    // A copy stays here so a restarted worker can load the model again.
    this.model = { bytes: bytes.slice(0), name };
    const { info, runtime } = await this.call({ type: "load", bytes, name }, [bytes]);
    this.info = info;
    this.runtime = runtime;
    return info;
  }

  /**
   * Predicts one ImageBitmap (transferred to the worker and back).
   * Resolves to {response, bitmap}; on failure the error carries the returned `bitmap`.
   */
  async predict(bitmap, options) {
    if (this.reloading) await this.reloading;
    const { response, bitmap: back } = await this.call({ type: "predict", bitmap, options }, [bitmap]);
    return { response, bitmap: back };
  }
}
