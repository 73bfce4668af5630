// The threaded build's pool coordinator (src/web/pool.rs): one dedicated worker that owns rayon's
// global pool, so that the thread calling the package (a page's main thread, which may never run
// `memory.atomic.wait`) never touches rayon's locks.
//
// - startCoordinator (on the calling thread) spawns this very file as a module worker (fetched as a
//   blob, so it also works when the package is served from another origin), which imports the
//   threaded glue by URL, instantiates the module on the shared memory and starts the pool with
//   wasm-bindgen-rayon's initThreadPool (its workers are nested in this one; building the pool
//   blocks, which a worker may do).
// - postJob(id) hands a job registered in Rust to the coordinator, which spawns it on the pool
//   (__runJob); the job answers the caller through a channel in the shared memory.
// - If the coordinator dies, onDeath (a Rust callback) fails every job in flight.

function waitFor(target, type) {
  return new Promise((resolve, reject) => {
    const onMessage = ({ data }) => {
      if (data?.type === type) {
        done();
        resolve(data);
      } else if (data?.type === "yolo_wasm_pool_failed") {
        done();
        reject(new Error(data.message));
      }
    };
    const onError = (e) => {
      done();
      reject(new Error(`the pool's worker failed to start: ${e.message ?? e}`));
    };
    const done = () => {
      target.removeEventListener("message", onMessage);
      target.removeEventListener("error", onError);
    };
    target.addEventListener("message", onMessage);
    target.addEventListener("error", onError);
  });
}

// Inside the coordinator worker: wait for the init message (this file is also imported, as a
// snippet of the glue, by every thread; only the worker spawned by startCoordinator gets it).
if (typeof WorkerGlobalScope === "function" && globalThis instanceof WorkerGlobalScope) {
  globalThis.addEventListener("message", async function onInit({ data }) {
    if (data?.type !== "yolo_wasm_pool_init") return;
    globalThis.removeEventListener("message", onInit);
    try {
      const pkg = await import(data.mainJS);
      pkg.initSync({ module: data.module, memory: data.memory });
      await pkg.initThreadPool(data.threads);
      globalThis.addEventListener("message", ({ data: job }) => {
        if (job?.type === "yolo_wasm_job") pkg.__runJob(job.id);
      });
      globalThis.postMessage({ type: "yolo_wasm_pool_ready" });
    } catch (e) {
      globalThis.postMessage({ type: "yolo_wasm_pool_failed", message: String(e?.message ?? e) });
    }
  });
}

let coordinator = null;

/** Starts the coordinator and its pool of `threads` workers; resolves once they all run. */
export async function startCoordinator(module, memory, mainJS, threads, onDeath) {
  const blob = await fetch(import.meta.url).then((r) => r.blob());
  const url = URL.createObjectURL(blob);
  try {
    const worker = new Worker(url, { type: "module", name: "yolo-wasm pool" });
    const ready = waitFor(worker, "yolo_wasm_pool_ready");
    worker.postMessage({ type: "yolo_wasm_pool_init", module, memory, mainJS, threads });
    await ready;
    worker.addEventListener("error", (e) => onDeath(`the thread pool's coordinator worker died (${e.message ?? "error"})`));
    coordinator = worker;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Hands job `id` (registered in Rust) to the pool. */
export function postJob(id) {
  if (coordinator === null) throw new Error("the thread pool is not running");
  coordinator.postMessage({ type: "yolo_wasm_job", id });
}
