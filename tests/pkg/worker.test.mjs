// yolo-wasm/worker (pkg/worker.js) from a plain <script type="module"> page in Chromium
// (playwright-core), against the real `yolo-wasm serve` with the cross-origin isolation headers (so
// the worker runs the threaded build and starts its pool): every frame type against Ultralytics'
// golden file, typed errors, latest-frame-wins backpressure, a worker killed mid-call, free(), and
// tracking (integer track_ids that persist across frames of moving objects). One browser, one page.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT, launchBrowser, log, openPage, startServer } from "../e2e/harness.mjs";
import { compareResults } from "./compare.mjs";

const T = { timeout: 300_000 };
let server;
let browser;
let session; // {ctx, page, problems, workers}

const golden = (image) =>
  JSON.parse(readFileSync(join(ROOT, "tests", "fixtures", "golden", `yolo11n-shapes__${image}__s640_c0.25_i0.45.json`))).images[0];

/** Checks a response against the golden file of `image` (conf 0.25, iou 0.45). */
function assertGolden(res, image, what) {
  const g = golden(image);
  assert.deepEqual(res.images[0].shape, g.shape, `${what}: shape`);
  compareResults(res.images[0].results, g.results, what);
  assert.equal(res.metadata.task, "detect");
}

const call = (name, ...args) => session.page.evaluate(([n, a]) => window.workerApi[n](...a), [name, args]);

before(async () => {
  server = await startServer({ statics: ["/tests/pkg=tests/pkg"] });
  browser = await launchBrowser();
  const { ctx, page, problems } = await openPage(browser, { permissions: [] });
  const workers = [];
  page.on("worker", (w) => w.url().endsWith("/pkg/worker_thread.js") && workers.push(w));
  await page.goto(`${server.url}/tests/pkg/browser/worker-api.html`);
  await page.waitForFunction(() => window.pageReady === true);
  session = { ctx, page, problems, workers, pkg: `${server.url}/pkg/worker.js` };
});

after(async () => {
  await session?.ctx.close();
  await browser?.close();
  await server?.stop();
});

test("createWorkerModel: the package's worker loads the threaded build and the model; info and runtime", T, async () => {
  const out = await call("open", session.pkg);
  assert.equal(out.info.task, "detect");
  assert.deepEqual(out.info.names, { 0: "circle", 1: "square", 2: "triangle" });
  const cores = await session.page.evaluate(() => Math.min(navigator.hardwareConcurrency, 16));
  assert.deepEqual(out.runtime, { build: "threads", threads: cores }, "init() + initThreadPool() inside the worker");
  assert.equal(session.workers.length, 1, "one inference worker, the package's worker_thread.js");
  assert.deepEqual(out.stats, { submitted: 0, completed: 0, dropped: 0, failed: 0, restarts: 0 });
});

test("every frame type matches Ultralytics' golden file; transfer detaches, transfer: false keeps the frame", T, async () => {
  const out = await call("sources", "square-640x640.png");
  for (const k of ["bitmap", "kept", "imageData", "blob", "videoFrame", "img"]) assertGolden(out[k], "square-640x640", `worker ${k}`);
  assert.equal(out.bitmapDetached, true, "a transferred ImageBitmap is detached on the page");
  assert.equal(out.keptWidth, 640, "transfer: false leaves the ImageBitmap usable");
  assert.equal(out.imageDataDetached, true, "an ImageData's buffer is transferred");
  assert.equal(out.videoFrameClosed, true, "a transferred VideoFrame is closed on the page");
  assert.deepEqual(out.stats, { submitted: 6, completed: 6, dropped: 0, failed: 0, restarts: 0 });
});

test("errors are the package's YoloErrors, across the worker boundary", T, async () => {
  const out = await call("errors", session.pkg);
  const yolo = (code, field) => ({ name: "YoloError", code, field });
  const shape = ({ name, code, field }) => ({ name, code, field });
  assert.deepEqual(shape(out.conf), yolo("invalid_argument", "conf"));
  assert.deepEqual(shape(out.unknownKey), yolo("invalid_argument", "nope"));
  assert.deepEqual(shape(out.transfer), yolo("invalid_argument", "transfer"));
  assert.deepEqual(shape(out.notAFrame), yolo("invalid_argument", "source"));
  assert.deepEqual(shape(out.detached), yolo("invalid_image", undefined), out.detached.message);
  assert.deepEqual(shape(out.tooLarge), yolo("image_too_large", undefined));
  assert.deepEqual(shape(out.notYolo), yolo("not_yolo_model", undefined));
  assert.deepEqual(shape(out.missing), yolo("network", undefined));
  assert.match(out.missing.message, /HTTP 404/);
  assert.deepEqual(shape(out.badOption), yolo("invalid_argument", "thread"));
  assert.deepEqual(shape(out.badThreads), yolo("invalid_argument", "threads"));
  assert.ok(out.stillWorks > 0, "the worker model still predicts after the errors");
});

test("predictLatest: latest frame wins, at most one waiting, drops counted and closed, the last frame answered", T, async () => {
  const out = await call("backpressure", 12);
  log(`backpressure: ${out.answered.map((a) => (a ? "A" : ".")).join("")} (A answered, . dropped)`);
  assert.equal(out.maxWaiting, 1, "one frame waits behind the one in flight");
  assert.equal(out.maxInFlight, 1);
  const nulls = out.answered.filter((a) => !a).length;
  assert.ok(out.dropped > 0, "frames submitted faster than inference were dropped");
  assert.equal(out.dropped, nulls, "stats.dropped counts exactly the promises that resolved to null");
  assert.equal(out.submitted, 12);
  assert.equal(out.completed, 12 - nulls);
  assert.equal(out.answered[0], true, "the first frame goes straight in flight");
  assert.equal(out.answered.at(-1), true, "the newest frame is always answered");
  assert.equal(out.allClosed, true, "every frame was transferred or, dropped, closed");
  compareResults(out.lastResults, golden("square-640x640").results, "latest frame");
  assert.deepEqual(out.queueAfter, { inFlight: 0, waiting: 0 });
});

test("a worker killed mid-call: pending calls reject `internal`, a new worker reloads the model", T, async () => {
  const started = session.workers.length;
  await call("startPending", 4);
  // At once: an uncaught WebAssembly.RuntimeError inside the worker (its event loop is free while
  // the pool infers), as a trap outside a call would be.
  await session.workers[0].evaluate(() =>
    setTimeout(() => {
      throw new WebAssembly.RuntimeError("unreachable (test: a trap on purpose)");
    }),
  );
  const out = await call("afterDeath");
  log(`pending when the worker died: ${JSON.stringify(out.pending.map((o) => o.code ?? o))}`);
  const rejected = out.pending.filter((o) => o !== "resolved");
  assert.ok(rejected.length >= 2, "the calls queued behind the first were pending when it died");
  for (const o of rejected) assert.deepEqual([o.name, o.code], ["YoloError", "internal"], JSON.stringify(o));
  // Calls answered before the death come first; every later one rejected (none hangs).
  assert.deepEqual(out.pending.slice(out.pending.length - rejected.length), rejected);
  assertGolden(out.again, "portrait-360x720", "after the restart");
  assert.equal(out.stats.restarts, 1);
  assert.equal(session.workers.length, started + 1, "one new worker was started");
  assert.equal(out.info.task, "detect");
  assert.equal(out.runtime.build, "threads");
});

test("free(): pending calls reject `aborted`, every later call rejects `invalid_argument` (field model)", T, async () => {
  const out = await call("freeing");
  assert.equal(out.pending.code, "aborted", JSON.stringify(out.pending));
  assert.equal(out.waiting.code === "aborted" || out.waiting === "null", true, JSON.stringify(out.waiting));
  for (const k of ["predict", "track", "latest", "reset"]) {
    assert.deepEqual([out[k].name, out[k].code, out[k].field], ["YoloError", "invalid_argument", "model"], k);
    assert.match(out[k].message, /freed/);
  }
});

test("a model from bytes, named by the `name` option", T, async () => {
  const out = await call("open", session.pkg, { bytes: true, model: { name: "shapes.onnx" } });
  assert.equal(out.info.task, "detect");
  assert.equal(await call("modelName"), "shapes.onnx");
});

test("track(): integer track_ids that persist across frames of moving objects; resetTracker() starts again", T, async () => {
  const out = await call("tracking", 5, 8);
  const ids = out.responses.map((r) => r.images[0].results.map((p) => p.track_id));
  log(`track ids per frame: ${JSON.stringify(ids)}`);
  for (const [i, frame] of ids.entries()) {
    assert.ok(frame.length > 0, `frame ${i}: no tracked detections`);
    for (const id of frame) assert.ok(Number.isInteger(id) && id >= 1, `frame ${i}: track_id ${id}`);
    assert.equal(new Set(frame).size, frame.length, `frame ${i}: duplicate track_ids`);
  }
  // The same objects keep their IDs: every ID of the last frame was there from the first one.
  for (const id of ids.at(-1)) assert.ok(ids[0].includes(id), `track_id ${id} is new in the last frame (first: ${ids[0]})`);
  const reset = out.afterReset.images[0].results.map((p) => p.track_id);
  assert.ok(reset.length > 0 && reset.every(Number.isInteger), `after resetTracker: ${reset}`);
});

test("device: \"webgpu\" runs the worker's model on WebGPU (SwiftShader here) and matches the golden file; a bad device is invalid_argument", T, async () => {
  const out = await call("onWebGpu", session.pkg, "square-640x640.png");
  assert.deepEqual({ code: out.bad.code, field: out.bad.field }, { code: "invalid_argument", field: "device" });
  assert.equal(out.info.device, "webgpu", out.info.deviceReason);
  assertGolden(out.response, "square-640x640", "worker WebGPU");
});

test("no console error or failed request beyond the ones the tests cause on purpose", T, async () => {
  // Expected: the killed worker's report of its uncaught error, and the missing model's request
  // (a 404, or aborted when its worker is ended while the error body is still arriving).
  const expected = (p) =>
    p.includes("a trap on purpose") || p.includes("missing.onnx") || p.includes("status of 404");
  assert.deepEqual(session.problems.filter((p) => !expected(p)), [], "console errors or failed requests");
});
