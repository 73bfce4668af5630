// What an app needs to use yolo-wasm with Vite 8 (dev server and build): nothing package-specific.
// Vite finds the package's workers (`new Worker(new URL("./….js", import.meta.url), { type:
// "module" })`) and its .wasm files (`new URL("….wasm", import.meta.url)`) by itself, in `vite
// build` and in the dev server's dependency pre-bundling; neither `worker.format: "es"` nor
// `optimizeDeps.exclude` is needed (tested without them, tests/pkg/bundlers.test.mjs).
// The headers make the pages cross-origin isolated, so the threaded build runs (optional: without
// them everything runs on one thread; vite.plain.config.js is this config without them).
import { defineConfig } from "vite";

const isolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  server: { headers: isolation },
  preview: { headers: isolation },
});
