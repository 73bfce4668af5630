// The page's side of worker.js: promise-based load / predict on a module worker.

export class LocalRunner {
  constructor() {
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.pending = new Map();
    this.nextId = 1;
    this.info = null;
    this.worker.onmessage = ({ data }) => {
      const p = this.pending.get(data.id);
      if (!p) return;
      this.pending.delete(data.id);
      if (data.ok) p.resolve(data);
      else p.reject(Object.assign(new Error(data.error.message), data.error, { bitmap: data.bitmap }));
    };
    // A worker that fails to start (script error, blocked by CSP) rejects everything in flight.
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      const err = new Error(`the inference worker failed: ${ev.message || "could not start"}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
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
    const { info } = await this.call({ type: "load", bytes, name }, [bytes]);
    this.info = info;
    return info;
  }

  /**
   * Predicts one ImageBitmap (transferred to the worker and back).
   * Resolves to {response, bitmap}; on failure the error carries the returned `bitmap`.
   */
  async predict(bitmap, options) {
    const { response, bitmap: back } = await this.call({ type: "predict", bitmap, options }, [bitmap]);
    return { response, bitmap: back };
  }
}
