// The package in Firefox and WebKit (Debian's firefox-esr through geckodriver, WebKitGTK's
// MiniBrowser through WebKitWebDriver under Xvfb; tests/engines/webdriver.mjs, plain W3C
// WebDriver), against the real `yolo-wasm serve` with and without the cross-origin isolation
// headers. Chromium runs the same pages through playwright-core (threads.test.mjs, worker.test.mjs).
// In each engine:
//   - every task's golden case (threads.test.mjs' cases) on a page and in a dedicated worker of an
//     isolated page, and on a page without isolation. The page reports what the engine offers
//     (`crossOriginIsolated`, a shared WebAssembly memory it can post to another thread, relaxed
//     SIMD; and `typeof SharedArrayBuffer`); the build the package must pick follows from it:
//     threads (and 2 threads after initThreadPool(2)) where the page is isolated and can share
//     memory, else relaxed SIMD, else SIMD128. What each engine offered when measured by hand is
//     asserted too (FACTS), so a changed engine shows up here;
//   - yolo-wasm/worker from a plain module page: every frame type, typed errors, latest-frame-wins,
//     free(), a model from bytes, tracking (worker.test.mjs' scenarios but the killed worker,
//     which needs playwright's access to the worker);
//   - WebGPU where the engine gives an adapter (Firefox with its prefs: wgpu on lavapipe, a fallback
//     adapter): `device: "webgpu"` matches the golden file on the page and in the package's worker,
//     and "auto" keeps the CPU on that software adapter, saying so; without one (WebKitGTK),
//     "webgpu" rejects `webgpu_unavailable` and "auto" runs the CPU, saying why.
// A missing driver or browser fails the test (`make setup` installs them), never skips it.
// Screenshots of each test page in test-output/engines/.
// ENGINES="firefox" (space-separated; default "firefox webkit", "chromium" also works) picks engines.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ROOT, log, startServer } from "../e2e/harness.mjs";
import { launch } from "../engines/webdriver.mjs";
import { compareResults, goldenImage, oneCasePerModel } from "./compare.mjs";

const T = { timeout: 900_000 };
const STATICS = ["/tests/pkg=tests/pkg"];
const ENGINES = (process.env.ENGINES ?? "firefox webkit").split(/[\s,]+/).filter(Boolean);
if (ENGINES.length === 0) throw new Error("ENGINES names no engine (firefox, webkit, chromium)");
const SCREENSHOTS = join(ROOT, "test-output", "engines");

/**
 * What each engine offered when measured by hand (DESIGN.md "Other engines"), on an isolated page
 * and on a plain one.
 */
const FACTS = {
  firefox: {
    isolated: { crossOriginIsolated: true, sharedMemoryPosts: true, sharedArrayBuffer: "function", relaxedSimd: true, simd128: true, webgpu: true },
    plain: { crossOriginIsolated: false, sharedMemoryPosts: false, sharedArrayBuffer: "undefined", relaxedSimd: true, simd128: true },
  },
  webkit: {
    // Run as Safari is on an isolated page (tests/engines/webdriver.mjs turns JSC's
    // useSharedArrayBuffer on; Debian's build leaves it off, and a shared memory can then be made
    // but not posted: DataCloneError). No relaxed SIMD: the threaded build is SIMD128 for this.
    isolated: { crossOriginIsolated: true, sharedMemoryPosts: true, sharedArrayBuffer: "function", relaxedSimd: false, simd128: true, webgpu: false },
    // JSC's option exposes SharedArrayBuffer without isolation too (Safari does not): the package
    // still requires crossOriginIsolated for threads, so this page runs one thread.
    plain: { crossOriginIsolated: false, sharedMemoryPosts: true, sharedArrayBuffer: "function", relaxedSimd: false, simd128: true },
  },
  chromium: {
    isolated: { crossOriginIsolated: true, sharedMemoryPosts: true, sharedArrayBuffer: "function", relaxedSimd: true, simd128: true, webgpu: true },
    plain: { crossOriginIsolated: false, sharedMemoryPosts: false, sharedArrayBuffer: "undefined", relaxedSimd: true, simd128: true },
  },
};

/** The build a page with these features must run, as npm/entry.js promises (threadsSupported()). */
function expectedBuild(f) {
  if (f.crossOriginIsolated && f.sharedMemoryPosts) return "threads";
  return f.relaxedSimd ? "relaxed-simd" : "simd128";
}
const WASM_OF = { threads: "yolo_wasm_threads_bg.wasm", "relaxed-simd": "yolo_wasm_relaxed_bg.wasm", simd128: "yolo_wasm_bg.wasm" };

const CASES = oneCasePerModel();

const shapesGolden = (image) => goldenImage(`yolo11n-shapes__${image}__s640_c0.25_i0.45`);

function assertGolden(res, g, what) {
  assert.deepEqual(res.images[0].shape, g.shape, `${what}: shape`);
  compareResults(res.images[0].results, g.results, what);
}

let isolated;
let plain;

before(async () => {
  [isolated, plain] = await Promise.all([startServer({ statics: STATICS }), startServer({ isolate: false, statics: STATICS })]);
  mkdirSync(SCREENSHOTS, { recursive: true });
  log(`engines ${ENGINES.join(", ")}: ${CASES.length} cases`);
});

after(async () => {
  await Promise.all([isolated?.stop(), plain?.stop()]);
});

/** The page's own record of errors (tests/pkg/browser/problems.js), emptied. */
const takeProblems = (b) => b.execute("const p = window.problems.slice(); window.problems.length = 0; return p;");

for (const engine of ENGINES) {
  describe(engine, () => {
    let b;
    const facts = FACTS[engine];

    before(async () => {
      const t0 = Date.now();
      b = await launch(engine);
      log(`${engine}: ${b.capabilities.browserName} ${b.capabilities.browserVersion} (session in ${Date.now() - t0} ms)`);
    });

    after(async () => {
      await b?.close();
    });

    /** Every case in a fresh load of the test page of `server`, on the page or in a worker. */
    async function runCases(server, where, name) {
      await b.navigate(`${server.url}/tests/pkg/browser/`);
      await b.waitFor(() => window.pageReady === true);
      const args = { pkg: `${server.url}/pkg/yolo_wasm.js`, threads: 2, cases: CASES };
      const started = Date.now();
      const out = await b.run((fn, a) => window[fn](a), where === "worker" ? "runInWorker" : "runHere", args);
      log(
        `${engine} ${where} (${out.after.build}, ${out.after.threads} threads): ${CASES.length} cases in ${Date.now() - started} ms, ` +
          `the last one again in ${out.predictMs.toFixed(0)} ms (${out.ticks} timer ticks meanwhile)`,
      );
      await b.screenshot(join(SCREENSHOTS, `${engine}-${name}.png`));
      out.responses.forEach((res, i) => {
        const c = CASES[i];
        assertGolden(res, goldenImage(c.case), `${engine} ${where} ${out.after.build} ${c.case}`);
      });
      assert.deepEqual(await takeProblems(b), [], "no uncaught error, unhandled rejection, console error or warning");
      return out;
    }

    /** The runtime the features imply, checked in full (as threads.test.mjs does for Chromium). */
    function assertRuntime(out, where) {
      const build = expectedBuild(out.features);
      const refused = "YoloError invalid_argument threads";
      assert.deepEqual(out.before, { build, threads: 0 }, `${where}: the pick before init()`);
      assert.deepEqual(out.loaded, { build, threads: 1 }, `${where}: init() resolves to what runs`);
      assert.deepEqual(out.wasmFetched, [WASM_OF[build]], `${where}: only that build's module is fetched`);
      if (build === "threads") {
        assert.equal(out.threadsSupported, true);
        assert.deepEqual(out.after, { build, threads: 2 }, `${where}: initThreadPool(2) gives two threads`);
        assert.deepEqual(out.again, ["ok", "ok", refused, refused, refused], "initThreadPool(2), (), (3), (0), (17) after a pool of 2");
        assert.ok(out.ticks >= 3, `${where}: timer ticks during a ${out.predictMs.toFixed(0)} ms predict on the pool: ${out.ticks}`);
      } else {
        assert.equal(out.threadsSupported, false);
        assert.deepEqual(out.after, { build, threads: 1 }, `${where}: initThreadPool(2) is a no-op`);
        assert.deepEqual(out.again, ["ok", "ok", "ok", refused, refused], "any valid count is a no-op on one thread");
      }
      return build;
    }

    const facts_ = (f) => ({
      crossOriginIsolated: f.crossOriginIsolated,
      sharedMemoryPosts: f.sharedMemoryPosts,
      sharedArrayBuffer: f.sharedArrayBuffer,
      relaxedSimd: f.relaxedSimd,
      simd128: f.simd128,
    });

    test(`${engine}: isolated page, main thread: every task's goldens on the build the engine allows`, T, async () => {
      const out = await runCases(isolated, "page", "isolated-page");
      log(`${engine} isolated page features: ${JSON.stringify(out.features)}`);
      const { webgpu: _, ...want } = facts.isolated;
      assert.deepEqual(facts_(out.features), want, "what the engine offered when measured by hand");
      assertRuntime(out, "isolated page");
    });

    test(`${engine}: isolated page, dedicated worker: the same, the package started from the worker`, T, async () => {
      const out = await runCases(isolated, "worker", "isolated-worker");
      const { webgpu: _, ...want } = facts.isolated;
      assert.deepEqual(facts_(out.features), want, "a same-origin worker of an isolated page");
      assertRuntime(out, "isolated worker");
    });

    test(`${engine}: page without isolation: a single-thread build, same goldens`, T, async () => {
      const out = await runCases(plain, "page", "plain-page");
      assert.deepEqual(facts_(out.features), facts.plain, "what the engine offered when measured by hand");
      assert.notEqual(assertRuntime(out, "plain page"), "threads");
    });

    test(`${engine}: WebGPU on the page: the golden file where the engine gives an adapter, webgpu_unavailable where not`, T, async () => {
      await b.navigate(`${isolated.url}/tests/pkg/browser/`);
      await b.waitFor(() => window.pageReady === true);
      const out = await b.run((a) => window.runWebGpu(a), {
        pkg: `${isolated.url}/pkg/yolo_wasm.js`,
        model: `${isolated.url}/tests/fixtures/models/yolo11n-shapes.onnx`,
        image: `${isolated.url}/tests/fixtures/images/square-640x640.png`,
      });
      log(`${engine} WebGPU: ${JSON.stringify({ ...out, response: out.response ? "…" : undefined })}`);
      assert.equal(out.adapter, facts.isolated.webgpu, "an adapter exactly where there was one when measured by hand");
      if (out.adapter) {
        assert.equal(out.error, undefined, out.error?.message);
        assert.equal(out.webgpu.device, "webgpu");
        assertGolden(out.response, shapesGolden("square-640x640"), `${engine} WebGPU page`);
        // Firefox's adapter here is wgpu on lavapipe, flagged a fallback (software) adapter.
        assert.equal(out.auto.device, "cpu", "auto keeps the CPU on a software adapter");
        assert.match(out.auto.deviceReason, /software/);
      } else {
        assert.deepEqual([out.error?.name, out.error?.code], ["YoloError", "webgpu_unavailable"], JSON.stringify(out.error));
        assert.equal(out.auto.device, "cpu");
        const why = out.navigatorGpu ? /no adapter/ : /`navigator.gpu` is missing/;
        assert.match(out.auto.deviceReason, why, "auto says why it runs the CPU");
        assert.match(out.error.message, why, "webgpu says why it cannot");
      }
      assert.deepEqual(await takeProblems(b), []);
    });

    describe(`${engine}: yolo-wasm/worker from a plain module page (isolated server)`, () => {
      let pkg;
      const call = (name, ...args) => b.run((n, a) => window.workerApi[n](...a), name, args);

      before(async () => {
        await b.navigate(`${isolated.url}/tests/pkg/browser/worker-api.html`);
        await b.waitFor(() => window.pageReady === true);
        pkg = `${isolated.url}/pkg/worker.js`;
      });

      test(`${engine} worker: the package's worker loads the build the engine allows, and the model`, T, async () => {
        const out = await call("open", pkg);
        const f = await call("features", `${isolated.url}/pkg/yolo_wasm.js`);
        const build = expectedBuild(f);
        assert.equal(out.info.task, "detect");
        assert.deepEqual(out.info.names, { 0: "circle", 1: "square", 2: "triangle" });
        assert.deepEqual(out.runtime, { build, threads: build === "threads" ? f.cores : 1 }, "init() + initThreadPool() inside the worker");
        assert.deepEqual(out.stats, { submitted: 0, completed: 0, dropped: 0, failed: 0, restarts: 0 });
      });

      test(`${engine} worker: every frame type matches the golden file; transfer detaches, transfer: false keeps`, T, async () => {
        const out = await call("sources", "square-640x640.png");
        for (const k of ["bitmap", "kept", "imageData", "blob", "videoFrame", "img"]) {
          assertGolden(out[k], shapesGolden("square-640x640"), `${engine} worker ${k}`);
        }
        assert.equal(out.bitmapDetached, true);
        assert.equal(out.keptWidth, 640);
        assert.equal(out.imageDataDetached, true);
        assert.equal(out.videoFrameClosed, true);
        assert.deepEqual(out.stats, { submitted: 6, completed: 6, dropped: 0, failed: 0, restarts: 0 });
      });

      test(`${engine} worker: errors are the package's YoloErrors across the worker boundary`, T, async () => {
        const out = await call("errors", pkg);
        // WebDriver returns an undefined property as null.
        const shape = (o) => [o.name, o.code, o.field ?? undefined];
        assert.deepEqual(shape(out.conf), ["YoloError", "invalid_argument", "conf"]);
        assert.deepEqual(shape(out.unknownKey), ["YoloError", "invalid_argument", "nope"]);
        assert.deepEqual(shape(out.transfer), ["YoloError", "invalid_argument", "transfer"]);
        assert.deepEqual(shape(out.notAFrame), ["YoloError", "invalid_argument", "source"]);
        assert.deepEqual(shape(out.detached), ["YoloError", "invalid_image", undefined], out.detached.message);
        assert.deepEqual(shape(out.tooLarge), ["YoloError", "image_too_large", undefined]);
        assert.deepEqual(shape(out.notYolo), ["YoloError", "not_yolo_model", undefined]);
        assert.deepEqual(shape(out.missing), ["YoloError", "network", undefined]);
        assert.match(out.missing.message, /HTTP 404/);
        assert.deepEqual(shape(out.badOption), ["YoloError", "invalid_argument", "thread"]);
        assert.deepEqual(shape(out.badThreads), ["YoloError", "invalid_argument", "threads"]);
        assert.ok(out.stillWorks > 0);
      });

      test(`${engine} worker: predictLatest, latest frame wins`, T, async () => {
        const out = await call("backpressure", 12);
        log(`${engine} backpressure: ${out.answered.map((a) => (a ? "A" : ".")).join("")}`);
        const nulls = out.answered.filter((a) => !a).length;
        assert.equal(out.maxWaiting, 1);
        assert.equal(out.maxInFlight, 1);
        assert.ok(out.dropped > 0, "frames submitted faster than inference were dropped");
        assert.equal(out.dropped, nulls);
        assert.equal(out.submitted, 12);
        assert.equal(out.completed, 12 - nulls);
        assert.equal(out.answered[0], true);
        assert.equal(out.answered.at(-1), true);
        assert.equal(out.allClosed, true);
        compareResults(out.lastResults, shapesGolden("square-640x640").results, "latest frame");
        assert.deepEqual(out.queueAfter, { inFlight: 0, waiting: 0 });
      });

      test(`${engine} worker: free() rejects pending calls aborted, later ones invalid_argument`, T, async () => {
        const out = await call("freeing");
        assert.equal(out.pending.code, "aborted", JSON.stringify(out.pending));
        assert.ok(out.waiting.code === "aborted" || out.waiting === "null", JSON.stringify(out.waiting));
        for (const k of ["predict", "track", "latest", "reset"]) {
          assert.deepEqual([out[k].name, out[k].code, out[k].field], ["YoloError", "invalid_argument", "model"], k);
        }
      });

      test(`${engine} worker: a model from bytes, and tracking across frames`, T, async () => {
        await call("open", pkg, { bytes: true, model: { name: "shapes.onnx" } });
        assert.equal(await call("modelName"), "shapes.onnx");
        const out = await call("tracking", 5, 8);
        const ids = out.responses.map((r) => r.images[0].results.map((p) => p.track_id));
        log(`${engine} track ids per frame: ${JSON.stringify(ids)}`);
        for (const [i, frame] of ids.entries()) {
          assert.ok(frame.length > 0, `frame ${i}: no tracked detections`);
          for (const id of frame) assert.ok(Number.isInteger(id) && id >= 1, `frame ${i}: track_id ${id}`);
          assert.equal(new Set(frame).size, frame.length);
        }
        for (const id of ids.at(-1)) assert.ok(ids[0].includes(id), `track_id ${id} is new in the last frame`);
        const reset = out.afterReset.images[0].results.map((p) => p.track_id);
        assert.ok(reset.length > 0 && reset.every(Number.isInteger));
      });

      test(`${engine} worker: device "webgpu" in the worker: the golden file, or webgpu_unavailable without an adapter`, T, async () => {
        if (facts.isolated.webgpu) {
          const out = await call("onWebGpu", pkg, "square-640x640.png");
          assert.deepEqual([out.bad.code, out.bad.field], ["invalid_argument", "device"]);
          assert.equal(out.info.device, "webgpu", out.info.deviceReason);
          assertGolden(out.response, shapesGolden("square-640x640"), `${engine} worker WebGPU`);
        } else {
          const out = await call("webgpuRefused", pkg);
          assert.deepEqual([out.name, out.code], ["YoloError", "webgpu_unavailable"], JSON.stringify(out));
        }
        await b.screenshot(join(SCREENSHOTS, `${engine}-worker-api.png`));
      });

      test(`${engine} worker: no error on the page beyond the ones caused on purpose`, T, async () => {
        const expected = (p) => p.includes("missing.onnx") || p.includes("status of 404");
        assert.deepEqual((await takeProblems(b)).filter((p) => !expected(p)), []);
      });
    });
  });
}
