// Dedicated module worker for the package's browser tests: runs runner.mjs here (the package and,
// in the threaded build, its pool's workers are started from this worker). What went wrong in
// this worker (problems.js) goes back with the result.
import "./problems.js";
import { run } from "./runner.mjs";

self.onmessage = async ({ data }) => {
  try {
    const result = await run(data);
    self.postMessage({ ok: true, result, problems: self.problems });
  } catch (e) {
    self.postMessage({ ok: false, error: `${e?.name ?? "Error"} ${e?.code ?? ""}: ${e?.message ?? e}`, problems: self.problems });
  }
};
