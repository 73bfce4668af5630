// The package in Node, as the package README documents it: the default init() reads the module from
// the package (Node's fetch has no file: URLs), a model loads from its bytes, and a prediction on
// RGBA pixels shaped like ImageData (Node has no ImageData) equals Ultralytics' golden file. The
// pixels are decoded by FFmpeg (an independent PNG decoder; scripts/setup.sh installs it).
// Its own file: init() loads the module once per process (pkg.test.mjs uses initSync).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { compareResults } from "./compare.mjs";

const root = new URL("../../", import.meta.url);
const pkg = await import(new URL("pkg/yolo_wasm.js", root));
const CASE = "yolo11n-shapes__square-640x640__s640_c0.25_i0.45";

/** RGBA pixels of a fixture image, decoded by FFmpeg. */
function rgba(image) {
  const path = new URL(`tests/fixtures/images/${image}`, root).pathname;
  const probe = execFileSync("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path], { encoding: "utf8" });
  const [width, height] = probe.trim().split(",").map(Number);
  const data = execFileSync("ffmpeg", ["-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgba", "-"], { maxBuffer: 64 << 20 });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
}

test("initSync refuses a build this engine cannot compile with a typed error", () => {
  const relaxed = readFileSync(new URL("pkg/yolo_wasm_relaxed_bg.wasm", root));
  if (WebAssembly.validate(relaxed)) {
    assert.ok(true, "this Node runs relaxed SIMD: nothing to refuse");
    return;
  }
  assert.throws(
    () => pkg.initSync({ module: relaxed, build: "relaxed-simd" }),
    (e) => e.name === "YoloError" && e.code === "invalid_argument" && e.field === "module" && /relaxed SIMD/.test(e.message),
  );
  assert.deepEqual(pkg.runtimeInfo(), { build: pkg.relaxedSimdSupported() ? "relaxed-simd" : "simd128", threads: 0 }, "nothing loaded");
});

test("init() in Node reads the module from the package; ImageData-like pixels predict the golden", async () => {
  const info = await pkg.default();
  assert.deepEqual(info, { build: pkg.relaxedSimdSupported() ? "relaxed-simd" : "simd128", threads: 1 });
  await pkg.initThreadPool(2); // no threads in Node: a no-op
  assert.equal(pkg.runtimeInfo().threads, 1);
  const model = await pkg.LocalModel.load(new Uint8Array(readFileSync(new URL("tests/fixtures/models/yolo11n-shapes.onnx", root))));
  try {
    const pixels = rgba("square-640x640.png");
    const response = await model.predict(pixels, { imgsz: 640, conf: 0.25, iou: 0.45 });
    const golden = JSON.parse(readFileSync(new URL(`tests/fixtures/golden/${CASE}.json`, root))).images[0];
    assert.deepEqual(response.images[0].shape, golden.shape);
    compareResults(response.images[0].results, golden.results, "node");
    // A Uint8ClampedArray works the same; a wrong length is a typed error, not a crash.
    const clamped = { ...pixels, data: new Uint8ClampedArray(pixels.data) };
    compareResults((await model.predict(clamped)).images[0].results, golden.results, "node clamped");
    await assert.rejects(model.predict({ data: pixels.data.subarray(4), width: pixels.width, height: pixels.height }), (e) => {
      return e.name === "YoloError" && e.code === "invalid_image" && /needs 1638400 bytes of RGBA data \(got 1638396\)/.test(e.message);
    });
    await assert.rejects(model.predict({ data: pixels.data, width: 0, height: 1 }), (e) => e.code === "invalid_image");
  } finally {
    model.free();
  }
});
