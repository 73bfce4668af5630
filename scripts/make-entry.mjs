// Writes pkg/'s entry module and its types (scripts/build-pkg.sh): pkg/yolo_wasm.js from
// npm/entry.js, with one live-binding export per export of the single-thread glue
// (pkg/yolo_wasm_single.js), and pkg/yolo_wasm.d.ts from that glue's declarations plus
// npm/entry.d.ts. Checks that the threaded glue (pkg/yolo_wasm_threads.js) exports the same API
// plus its pool. Fails loudly when a glue does not have the expected shape.
//   node scripts/make-entry.mjs <pkg dir> [--no-threads]
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2] ?? "pkg";
const threads = !process.argv.includes("--no-threads");
const root = new URL("../", import.meta.url);
const fail = (msg) => {
  console.error(`make-entry: ${msg}`);
  process.exit(1);
};

/** The names a wasm-bindgen glue exports (classes, functions, `export { … }` lists). */
function exportsOf(file) {
  const js = readFileSync(file, "utf8");
  const names = new Set();
  for (const m of js.matchAll(/^export (?:class|function|const|let) (\w+)/gm)) names.add(m[1]);
  for (const m of js.matchAll(/^export \{([^}]*)\}/gm)) {
    for (const part of m[1].split(",")) {
      const name = part.trim().split(/\s+as\s+/).pop();
      if (name) names.add(name);
    }
  }
  return names;
}

const singleJs = join(dir, "yolo_wasm_single.js");
const single = exportsOf(singleJs);
for (const need of ["default", "initSync", "LocalModel", "HubClient", "draw"]) {
  if (!single.has(need)) fail(`${singleJs} does not export ${need} (wasm-bindgen's glue changed?)`);
}
// The entry defines init/initSync itself; `start` (wasm-bindgen exports the module's start
// function, which its init already runs) is not for users. The rest are re-exported as live bindings.
const own = new Set(["default", "initSync", "start"]);
const api = [...single].filter((n) => !own.has(n)).sort();

if (threads) {
  const threadsJs = join(dir, "yolo_wasm_threads.js");
  if (!existsSync(threadsJs)) fail(`${threadsJs} is missing`);
  const threaded = exportsOf(threadsJs);
  // The pool's plumbing (src/web/pool.rs, pool_worker.rs; used by npm/entry.js and npm/pool_worker.js).
  const pool = new Set(["__startThreadPool", "__threadCount", "__runJob", "__threadingThresholds", "__poolBuild", "__poolHelper"]);
  const missing = [...single].filter((n) => !threaded.has(n));
  const extra = [...threaded].filter((n) => !single.has(n) && !pool.has(n));
  if (missing.length || extra.length) fail(`the glues differ: threads lacks [${missing}], has extra [${extra}]`);
  for (const n of pool) if (!threaded.has(n)) fail(`${threadsJs} does not export ${n}`);
}

let entry = readFileSync(new URL("npm/entry.js", root), "utf8");
const lines = api.map((n) => `export let ${n} = single.${n};`).join("\n");
const binds = api.map((n) => `${n} = g.${n};`).join("\n  ");
if (!entry.includes("/*@EXPORTS@*/") || !entry.includes("/*@BIND@*/")) fail("npm/entry.js lost its markers");
entry = entry.replace("/*@EXPORTS@*/", lines).replace("/*@BIND@*/", binds);
if (!threads) {
  const mark = "export function threadsSupported() {\n  return (";
  if (!entry.includes(mark)) fail("npm/entry.js: threadsSupported() changed shape");
  entry = entry.replace(mark, `${mark}\n    false && // this package was built without the threads build (THREADS=0)`);
}
writeFileSync(join(dir, "yolo_wasm.js"), entry);

const dts = readFileSync(join(dir, "yolo_wasm_single.d.ts"), "utf8");
const MARK = "export type InitInput";
if (dts.split(MARK).length !== 2) fail(`expected one \`${MARK}\` in yolo_wasm_single.d.ts`);
const types = dts.split(MARK)[0].trimEnd() + "\n\n" + readFileSync(new URL("npm/entry.d.ts", root), "utf8");
writeFileSync(join(dir, "yolo_wasm.d.ts"), types);
console.log(`make-entry: ${join(dir, "yolo_wasm.js")} re-exports ${api.length} names (${api.join(", ")})${threads ? "" : "; no threads build"}`);
