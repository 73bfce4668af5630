// Smoke test of the built npm package (pkg/) under Node's test runner: the ESM entry loads,
// the wasm instantiates, a model loads, and errors are YoloErrors. Pixels need a browser
// (ImageData, createImageBitmap): prediction is covered by the Chromium tests.
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

test("TypeScript declarations are typed (no any)", () => {
  // The public part; wasm-bindgen's low-level `InitOutput` table after it is typed by the tool.
  const dts = readFileSync(new URL("pkg/yolo_wasm.d.ts", root), "utf8").split("export type InitInput")[0];
  for (const name of ["class LocalModel", "interface HubResponse", "interface PredictOptions", "interface ModelInfo", "interface YoloError"]) {
    assert.ok(dts.includes(name), name);
  }
  assert.match(dts, /predict\(source: ImageSource, options\?: PredictOptions\): Promise<HubResponse>/);
  assert.match(dts, /static load\(source: ModelSource\): Promise<LocalModel>/);
  assert.match(dts, /export function relaxedSimdSupported\(\): boolean;/);
  assert.doesNotMatch(dts, /:\s*any\b/);
});

test("the default init() picks the relaxed-SIMD build exactly where the engine can run it", () => {
  // The oracle: the engine's own verdict on the shipped relaxed module.
  const relaxed = readFileSync(new URL("pkg/yolo_wasm_relaxed_bg.wasm", root));
  assert.equal(pkg.relaxedSimdSupported(), WebAssembly.validate(relaxed));
  assert.ok(WebAssembly.validate(readFileSync(new URL("pkg/yolo_wasm_bg.wasm", root))));
  const glue = readFileSync(new URL("pkg/yolo_wasm.js", root), "utf8");
  assert.match(glue, /relaxedSimdSupported\(\) \? new URL\('yolo_wasm_relaxed_bg\.wasm', import\.meta\.url\) : new URL\('yolo_wasm_bg\.wasm', import\.meta\.url\)/);
});

test("the relaxed-SIMD build runs with the same glue where the engine has relaxed SIMD", () => {
  // Node 20 has relaxed SIMD behind a flag: a child process with it on loads that build and a model.
  const script = `
    const { readFileSync } = await import("node:fs");
    const pkg = await import(${JSON.stringify(new URL("pkg/yolo_wasm.js", root).href)});
    if (!pkg.relaxedSimdSupported()) throw new Error("probe says no relaxed SIMD under the flag");
    pkg.initSync({ module: readFileSync(new URL("pkg/yolo_wasm_relaxed_bg.wasm", ${JSON.stringify(root.href)})) });
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
