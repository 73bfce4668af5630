// What an app needs to use yolo-wasm with esbuild (npm/README.md "Bundlers"): an ES module bundle
// (`format: "esm"`, loaded with <script type="module">) and the package's files copied next to it.
// esbuild leaves `new URL("…", import.meta.url)` as it is (it does not follow these references), so
// the .wasm builds, the package's worker, pool and glue modules and its snippets/ are loaded at run
// time from beside the bundle, where `import.meta.url` points.
import { build } from "esbuild";
import { cpSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

await build({ entryPoints: ["src/main.js"], bundle: true, format: "esm", outdir: "dist" });
// The package's runtime files next to the bundle (all of it but the types, README and package.json).
const pkg = dirname(fileURLToPath(import.meta.resolve("yolo-wasm")));
cpSync(pkg, "dist", { recursive: true, filter: (f) => !/(\.d\.ts|\.md|package\.json)$/.test(f) });
