// What an app needs to use yolo-wasm with Vite (dev server and build):
// - worker.format "es": the package's worker is a module worker that imports the package (and,
//   for the threaded build, imports its glue at run time);
// - optimizeDeps.exclude: the dev server serves the package's files as they are, so
//   `new URL("…_bg.wasm", import.meta.url)` and the pool's self-spawning workers find their files;
// - cross-origin isolation headers on the dev and preview servers, so the threaded build runs.
import { defineConfig } from "vite";

const isolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  worker: { format: "es" },
  optimizeDeps: { exclude: ["yolo-wasm"] },
  server: { headers: isolation },
  preview: { headers: isolation },
});
