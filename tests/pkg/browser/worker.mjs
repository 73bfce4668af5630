// Dedicated module worker for the package's browser tests: runs runner.mjs here (the package and,
// in the threaded build, its pool's workers are started from this worker).
import { run } from "./runner.mjs";

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ ok: true, result: await run(data) });
  } catch (e) {
    self.postMessage({ ok: false, error: `${e?.name ?? "Error"} ${e?.code ?? ""}: ${e?.message ?? e}` });
  }
};
