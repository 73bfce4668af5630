// yolo-wasm: one worker of the threaded build's pool (started by pool.js; see src/web/pool_worker.rs).
// It instantiates the module on the shared memory it is sent, then either coordinates (builds
// rayon's global pool on "build", spawns each posted job on it) or helps (runs one of the pool's
// threads for the module's life). Every outcome is a message to the starting thread; nothing logs.
import { initSync, __poolBuild, __poolHelper, __runJob } from "./yolo_wasm_threads.js";

const PREFIX = "yolo_wasm_pool_";
const text = (e) => String(e instanceof Error ? `${e.name}: ${e.message}` : e);

function coordinate() {
  self.addEventListener("message", ({ data }) => {
    if (data?.type === `${PREFIX}job`) {
      try {
        __runJob(data.id);
      } catch (e) {
        self.postMessage({ type: `${PREFIX}died`, message: text(e) });
      }
    } else if (data?.type === `${PREFIX}build`) {
      try {
        __poolBuild(data.threads);
        self.postMessage({ type: `${PREFIX}built` });
      } catch (e) {
        self.postMessage({ type: `${PREFIX}failed`, message: `cannot build the pool: ${text(e)}` });
      }
    }
  });
}

self.addEventListener("message", function onInit({ data }) {
  if (data?.type !== `${PREFIX}init`) return;
  self.removeEventListener("message", onInit);
  try {
    initSync({ module: data.module, memory: data.memory });
  } catch (e) {
    self.postMessage({ type: `${PREFIX}failed`, message: `cannot instantiate the module: ${text(e)}` });
    return;
  }
  if (data.role === "coordinator") coordinate();
  self.postMessage({ type: `${PREFIX}instantiated` });
  if (data.role === "helper") {
    try {
      __poolHelper(); // runs a pool thread; returns only if the pool ends
    } catch (e) {
      self.postMessage({ type: `${PREFIX}died`, message: text(e) });
    }
  }
});
