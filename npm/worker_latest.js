// yolo-wasm/worker: latest-frame-wins backpressure for streams (WorkerModel.predictLatest /
// trackLatest). At most one frame is in flight and one waits; a frame pushed while one waits
// replaces it, and the replaced frame's promise resolves to `null` (dropped, not failed).

/**
 * @template J, R
 */
export class LatestLane {
  /**
   * @param {(job: J) => Promise<R>} send starts one job (called for at most one job at a time)
   * @param {(job: J, replaced: boolean) => void} onDrop called for a job that is never sent: replaced
   *   by a newer one (`replaced` true), or cleared
   */
  constructor(send, onDrop) {
    this.send = send;
    this.onDrop = onDrop;
    /** @type {{job: J, resolve: (r: R | null) => void, reject: (e: unknown) => void} | null} */
    this.inFlight = null;
    /** @type {{job: J, resolve: (r: R | null) => void, reject: (e: unknown) => void} | null} */
    this.waiting = null;
  }

  /** Whether a job runs (1) and whether one waits (1): at most one of each. */
  get depth() {
    return { inFlight: this.inFlight ? 1 : 0, waiting: this.waiting ? 1 : 0 };
  }

  /**
   * Queues `job` as the next one, replacing (dropping) the one waiting, if any. Resolves to the
   * job's result, or `null` when a newer job replaced it before it was sent.
   * @param {J} job
   * @returns {Promise<R | null>}
   */
  push(job) {
    return new Promise((resolve, reject) => {
      const item = { job, resolve, reject };
      this.dropWaiting();
      if (this.inFlight) this.waiting = item;
      else this.start(item);
    });
  }

  /** Drops the waiting job, if any, as a newer one would: onDrop(job, true), its promise resolves to `null`. */
  dropWaiting() {
    this.#takeWaiting(true, (w) => w.resolve(null));
  }

  /** Rejects the waiting job (if any) with `error` and calls onDrop for it; the one in flight runs on. */
  clear(error) {
    this.#takeWaiting(false, (w) => w.reject(error));
  }

  /** Removes the waiting job, if any: onDrop(job, replaced), then `settle(waiting)` even if onDrop throws. */
  #takeWaiting(replaced, settle) {
    const w = this.waiting;
    this.waiting = null;
    if (w) {
      try {
        this.onDrop(w.job, replaced);
      } finally {
        settle(w);
      }
    }
  }

  start(item) {
    this.inFlight = item;
    let sent;
    try {
      sent = Promise.resolve(this.send(item.job));
    } catch (e) {
      sent = Promise.reject(e);
    }
    sent.then(item.resolve, item.reject).finally(() => {
      this.inFlight = null;
      const next = this.waiting;
      this.waiting = null;
      if (next) this.start(next);
    });
  }
}
