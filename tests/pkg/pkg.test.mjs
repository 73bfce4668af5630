// Smoke test of the built npm package (pkg/) under Node's test runner: the ESM entry loads,
// the wasm instantiates, a model loads, and errors are YoloErrors. Pixels need a browser
// (ImageData, createImageBitmap): prediction and the threaded build are covered by the Chromium
// tests (threads.test.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

const root = new URL("../../", import.meta.url);
const pkg = await import(new URL("pkg/yolo_wasm.js", root));
pkg.initSync({ module: readFileSync(new URL("pkg/yolo_wasm_bg.wasm", root)) });
const model = (name) => new Uint8Array(readFileSync(new URL(`tests/fixtures/models/${name}`, root)));

test("package.json points at files that exist", () => {
  const meta = JSON.parse(readFileSync(new URL("pkg/package.json", root)));
  assert.equal(meta.name, "yolo-wasm");
  assert.equal(meta.type, "module");
  for (const f of meta.files) assert.ok(existsSync(new URL(`pkg/${f}`, root)), `pkg/${f}`);
});

test("every file a package module names through new URL(…, import.meta.url) ships in the package", () => {
  // Bundlers resolve each such URL at build time (webpack fails on a missing one), even one a code
  // path never reaches; and no module may use a bare import.meta.url (webpack would put the build
  // machine's file:// path there).
  const meta = JSON.parse(readFileSync(new URL("pkg/package.json", root)));
  const shipped = new Set(meta.files);
  const named = [];
  for (const f of meta.files.filter((f) => f.endsWith(".js"))) {
    // Line comments out (they quote the pattern); string contents stay.
    const js = readFileSync(new URL(`pkg/${f}`, root), "utf8").replace(/^\s*\/\/.*$/gm, "");
    for (const m of js.matchAll(/new URL\(\s*["'`]\.?\/?([^"'`]+)["'`]\s*,\s*import\.meta\.url\s*\)/g)) named.push([f, m[1]]);
    const bare = js.replace(/new URL\(\s*["'`][^"'`]+["'`]\s*,\s*import\.meta\.url\s*\)/g, "").match(/import\.meta\.url/g);
    assert.equal(bare, null, `${f} uses a bare import.meta.url`);
  }
  assert.ok(named.length >= 6, `found ${named.length} URLs`);
  for (const [f, target] of named) assert.ok(shipped.has(target), `${f} names ${target}, which the package does not ship`);
});

test("TypeScript declarations are typed (no any)", () => {
  // The public part; wasm-bindgen's low-level `InitOutput` table after it is typed by the tool.
  const dts = readFileSync(new URL("pkg/yolo_wasm.d.ts", root), "utf8").split("export type InitInput")[0];
  for (const name of ["class LocalModel", "interface HubResponse", "interface PredictOptions", "interface ModelInfo", "interface YoloError"]) {
    assert.ok(dts.includes(name), name);
  }
  assert.match(dts, /predict\(source: ImageSource, options\?: PredictOptions\): Promise<HubResponse>/);
  assert.match(dts, /static load\(source: ModelSource, options\?: LoadOptions\): Promise<LocalModel>/);
  assert.match(dts, /constructor\(options\?: TrackerOptions\);/);
  assert.match(dts, /export function relaxedSimdSupported\(\): boolean;/);
  assert.match(dts, /export function threadsSupported\(\): boolean;/);
  assert.match(dts, /export function initThreadPool\(threads\?: number\): Promise<void>;/);
  assert.match(dts, /export function runtimeInfo\(\): RuntimeInfo;/);
  assert.match(dts, /build: RuntimeBuild;/);
  assert.match(dts, /export type RuntimeBuild = "threads" \| "relaxed-simd" \| "simd128";/);
  assert.doesNotMatch(dts, /:\s*any\b/);
  // The pool's plumbing stays out of the public types.
  assert.doesNotMatch(dts, /wbg_rayon|__startThreadPool|__threadCount/);
});

test("the single-thread picks: relaxed SIMD exactly where the engine validates that build", () => {
  // The oracle: the engine's own verdict on the shipped relaxed module.
  const relaxed = readFileSync(new URL("pkg/yolo_wasm_relaxed_bg.wasm", root));
  assert.equal(pkg.relaxedSimdSupported(), WebAssembly.validate(relaxed));
  assert.ok(WebAssembly.validate(readFileSync(new URL("pkg/yolo_wasm_bg.wasm", root))));
  // Node has no crossOriginIsolated: never the threaded build here.
  assert.equal(pkg.threadsSupported(), false);
  assert.deepEqual(pkg.runtimeInfo(), { build: "simd128", threads: 1 }, "initSync loaded the SIMD128 build");
});

test("the threaded build needs no relaxed SIMD (Safari has none), imports a shared memory of at most 1 GiB", () => {
  // Node 20 validates SIMD128 and threads but not relaxed SIMD (behind a flag): the threaded build
  // must compile here without that flag, as it must in Safari.
  const bytes = readFileSync(new URL("pkg/yolo_wasm_threads_bg.wasm", root));
  assert.equal(pkg.relaxedSimdSupported(), false, "this Node has no relaxed SIMD: the check below means something");
  const mod = new WebAssembly.Module(bytes);
  const memories = WebAssembly.Module.imports(mod).filter((i) => i.kind === "memory");
  assert.equal(memories.length, 1, "the threaded build imports one memory (each worker instantiates it on the same one)");
  // The glue creates that memory with the module's declared limits: shared, maximum 1 GiB (16384
  // pages), which an engine must reserve up front (iOS refuses 4 GiB).
  const glue = readFileSync(new URL("pkg/yolo_wasm_threads.js", root), "utf8");
  assert.match(glue, /new WebAssembly\.Memory\(\{\s*initial:\s*\d+,\s*maximum:\s*16384,\s*shared:\s*true\s*\}\)/);
});

test("initThreadPool in a single-thread build: resolves, stays on one thread; bad counts are refused", async () => {
  await pkg.initThreadPool(2);
  assert.deepEqual(pkg.runtimeInfo(), { build: "simd128", threads: 1 });
  for (const bad of [0, -1, 1.5, 17, "2"]) {
    await assert.rejects(pkg.initThreadPool(bad), (e) => e.name === "YoloError" && e.code === "invalid_argument" && e.field === "threads", String(bad));
  }
});

test("the relaxed-SIMD build runs with the same glue where the engine has relaxed SIMD", () => {
  // Node 20 has relaxed SIMD behind a flag: a child process with it on loads that build and a model.
  const script = `
    const { readFileSync } = await import("node:fs");
    const pkg = await import(${JSON.stringify(new URL("pkg/yolo_wasm.js", root).href)});
    if (!pkg.relaxedSimdSupported()) throw new Error("probe says no relaxed SIMD under the flag");
    pkg.initSync({ module: readFileSync(new URL("pkg/yolo_wasm_relaxed_bg.wasm", ${JSON.stringify(root.href)})), build: "relaxed-simd" });
    if (pkg.runtimeInfo().build !== "relaxed-simd") throw new Error("runtimeInfo() does not say relaxed-simd");
    const m = await pkg.LocalModel.load(new Uint8Array(readFileSync(new URL("tests/fixtures/models/yolo11n-shapes.onnx", ${JSON.stringify(root.href)}))));
    console.log(m.info.task);`;
  const out = execFileSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(out.trim(), "detect");
});

test("LocalModel.load reads the metadata", async () => {
  const m = await pkg.LocalModel.load(model("yolo11n-shapes.onnx"));
  const info = m.info;
  assert.equal(info.task, "detect");
  assert.deepEqual(info.imgsz, [640, 640]);
  assert.deepEqual(info.names, { 0: "circle", 1: "square", 2: "triangle" });
  assert.equal(info.dynamic, false);
});

test("bad models reject with YoloError codes", async () => {
  const bytes = model("yolo11n-shapes.onnx");
  for (const [input, code] of [
    [bytes.slice(0, 1000), "invalid_model"],
    [model("not-yolo.onnx"), "not_yolo_model"],
    [42, "invalid_argument"],
  ]) {
    await assert.rejects(pkg.LocalModel.load(input), (e) => e instanceof Error && e.name === "YoloError" && e.code === code);
  }
});

test("yolo-wasm/worker: a subpath export with its types (no any), its worker found by new URL(…, import.meta.url)", () => {
  const meta = JSON.parse(readFileSync(new URL("pkg/package.json", root)));
  assert.deepEqual(meta.exports["./worker"], { types: "./worker.d.ts", default: "./worker.js" });
  const dts = readFileSync(new URL("pkg/worker.d.ts", root), "utf8");
  assert.match(dts, /export function createWorkerModel\(source: ModelSource, options\?: WorkerModelOptions\): Promise<WorkerModel>;/);
  assert.match(dts, /predictLatest\(frame: WorkerFrame, options\?: WorkerPredictOptions\): Promise<HubResponse \| null>;/);
  assert.doesNotMatch(dts, /:\s*any\b/);
  // The literal pattern bundlers (Vite, webpack) detect to bundle a module worker.
  const js = readFileSync(new URL("pkg/worker.js", root), "utf8");
  assert.match(js, /new Worker\(new URL\("\.\/worker_thread\.js", import\.meta\.url\), \{ type: "module" \}\)/);
});
