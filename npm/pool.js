// yolo-wasm: the threaded build's pool bootstrap, on the thread that calls the package (a page's
// main thread or a dedicated worker). src/web/pool.rs calls startPool from initThreadPool.
//
// It starts threads + 1 module workers from one file the package ships (pool_worker.js): a
// coordinator, which builds rayon's global pool, and `threads` helpers, each running one of the
// pool's threads; all share the module's memory. The worker URL is a literal
// `new Worker(new URL("./pool_worker.js", import.meta.url), { type: "module" })`, the form Vite,
// webpack and browsers resolve (Vite and webpack bundle the worker with the glue it imports; a page
// without a bundler fetches the file next to this one). The compiled module and the memory go by
// message. Nothing here logs: failures reject (the entry turns them into runtimeInfo().warning).
//
// Steps: every worker instantiates the module and says so; only then is the coordinator asked to
// build the pool (which blocks until every helper runs a thread); it answers "built". A worker that
// fails to load, to instantiate or to answer in time fails the start: every worker is terminated
// and the promise rejects with the reason. After the start, a worker that dies (an uncaught error,
// a trap on a helper thread) calls onDeath, which fails the jobs in flight and poisons the module.

/** How long the workers may take to load and instantiate the module, then to build the pool. */
const START_TIMEOUT_MS = 60_000;

const PREFIX = "yolo_wasm_pool_";

/** One pool worker (the literal URL form bundlers recognise). */
function spawn(name) {
  return new Worker(new URL("./pool_worker.js", import.meta.url), { type: "module", name });
}

/** What an `error` event on a Worker says (a failed script load carries no message). */
function describeError(e) {
  if (e?.message) return e.message;
  return "its script did not load or did not run (pool_worker.js must be served next to the package's entry, as a JavaScript module)";
}

/**
 * Resolves once `worker` posts `{ type: PREFIX + want }`; rejects on a failure message, an error
 * event or the deadline.
 * @param {Worker} worker
 * @param {string} want
 * @param {string} who
 * @param {number} deadline `performance.now()` time
 */
function answer(worker, want, who, deadline) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(reject, new Error(`${who} did not answer within ${START_TIMEOUT_MS / 1000} s`)),
      Math.max(0, deadline - performance.now()),
    );
    const onMessage = ({ data }) => {
      if (data?.type === PREFIX + want) finish(resolve, data);
      else if (data?.type === `${PREFIX}failed`) finish(reject, new Error(`${who}: ${data.message}`));
    };
    const onError = (e) => {
      e.preventDefault?.();
      finish(reject, new Error(`${who} failed: ${describeError(e)}`));
    };
    const finish = (settle, value) => {
      clearTimeout(timer);
      worker.removeEventListener("message", onMessage);
      worker.removeEventListener("error", onError);
      worker.removeEventListener("messageerror", onError);
      settle(value);
    };
    worker.addEventListener("message", onMessage);
    worker.addEventListener("error", onError);
    worker.addEventListener("messageerror", onError);
  });
}

/**
 * Starts the pool (called by the module's `__startThreadPool`).
 * @param {WebAssembly.Module} module the threaded build, compiled
 * @param {WebAssembly.Memory} memory its shared memory
 * @param {number} threads pool threads (helpers)
 * @param {(reason: string) => void} onDeath called if a worker dies after the start
 * @returns {Promise<(id: number) => void>} posts a job id to the coordinator
 */
export async function startPool(module, memory, threads, onDeath) {
  const deadline = performance.now() + START_TIMEOUT_MS;
  /** @type {Worker[]} */
  const workers = [];
  try {
    const coordinator = spawn("yolo-wasm pool coordinator");
    workers.push(coordinator);
    for (let i = 0; i < threads; i++) workers.push(spawn(`yolo-wasm pool thread ${i}`));
    const who = (i) => (i === 0 ? "the pool's coordinator worker" : `pool thread ${i - 1}`);
    const instantiated = workers.map((w, i) => answer(w, "instantiated", who(i), deadline));
    workers.forEach((w, i) => w.postMessage({ type: `${PREFIX}init`, role: i === 0 ? "coordinator" : "helper", module, memory }));
    await Promise.all(instantiated);
    const built = answer(coordinator, "built", "building the pool", deadline + START_TIMEOUT_MS);
    coordinator.postMessage({ type: `${PREFIX}build`, threads });
    await built;
    let dead = false;
    const die = (reason) => {
      if (dead) return;
      dead = true;
      onDeath(reason);
    };
    workers.forEach((w, i) => {
      w.addEventListener("error", (e) => die(`${who(i)} died: ${describeError(e)}`));
      w.addEventListener("message", ({ data }) => {
        if (data?.type === `${PREFIX}died`) die(`${who(i)} died: ${data.message}`);
      });
    });
    return (id) => coordinator.postMessage({ type: `${PREFIX}job`, id });
  } catch (e) {
    for (const w of workers) w.terminate();
    throw e;
  }
}
