// The package's build pick and its threads in Chromium (playwright-core), against the real
// `yolo-wasm serve` twice: with the cross-origin isolation headers (`--cross-origin-isolation`, as
// `make demo`) and without. Every task's golden files (one case per fixture model) must pass:
//   - isolated page, main thread: the threaded build loads (its request is seen), initThreadPool(2)
//     gives two threads;
//   - isolated page, dedicated worker: the same, the pool's workers started from the worker;
//   - page without isolation: the relaxed-SIMD single-thread build, initThreadPool(2) a no-op.
// Responses are compared in Node with the native parity tolerances (compare.mjs).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, log, openPage, startServer } from "../e2e/harness.mjs";
import { compareResults, goldenImage, oneCasePerModel } from "./compare.mjs";

const T = { timeout: 600_000 };
const STATICS = ["/tests/pkg=tests/pkg"];

const CASES = oneCasePerModel();
let isolated;
let plain;
let browser;

before(async () => {
  [isolated, plain] = await Promise.all([startServer({ statics: STATICS }), startServer({ isolate: false, statics: STATICS })]);
  browser = await launchBrowser();
  log(`package tests: ${CASES.length} cases (${CASES.map((c) => c.case).join(", ")})`);
});

after(async () => {
  await browser?.close();
  await Promise.all([isolated?.stop(), plain?.stop()]);
});

/**
 * Runs every case in a fresh page of `server` (`where`: "page" or "worker") with LocalModel.load's
 * `loadOptions`; checks the goldens.
 */
async function runCases(server, where, threads, loadOptions) {
  // No console warning of the package's making, on the page or in any of its workers.
  const { ctx, page, problems, requests, warnings } = await openPage(browser, { permissions: [] });
  try {
    await page.goto(`${server.url}/tests/pkg/browser/`);
    await page.waitForFunction(() => window.pageReady === true);
    const args = { pkg: `${server.url}/pkg/yolo_wasm.js`, threads, cases: CASES, loadOptions };
    const started = Date.now();
    const out = await page.evaluate(([fn, a]) => window[fn](a), [where === "worker" ? "runInWorker" : "runHere", args]);
    log(`${where} (${out.after.build}, ${out.after.threads} threads): ${CASES.length} cases in ${Date.now() - started} ms`);
    out.responses.forEach((res, i) => {
      const c = CASES[i];
      const golden = goldenImage(c.case);
      assert.deepEqual(res.images[0].shape, golden.shape, `${c.case}: shape`);
      compareResults(res.images[0].results, golden.results, `${where} ${out.after.build} ${c.case}`);
    });
    assert.deepEqual(problems, [], "no console errors, page errors or failed requests");
    assert.deepEqual(warnings, [], "no console warnings");
    return { ...out, requests };
  } finally {
    await ctx.close();
  }
}

const loadedWasm = (requests) => requests.filter((u) => u.endsWith(".wasm")).map((u) => u.split("/").pop());

test("isolated page: the threaded build runs every task's goldens on 2 threads (main thread)", T, async () => {
  const out = await runCases(isolated, "page", 2);
  assert.equal(out.crossOriginIsolated, true);
  assert.equal(out.threadsSupported, true);
  assert.deepEqual(out.before, { build: "threads", threads: 0 }, "before init(): the pick, no threads yet");
  assert.deepEqual(out.loaded, { build: "threads", threads: 1 }, "init() resolves to what runs: one thread until the pool starts");
  assert.deepEqual(out.after, { build: "threads", threads: 2 });
  assert.deepEqual(loadedWasm(out.requests), ["yolo_wasm_threads_bg.wasm"], "only the threaded build is fetched");
  const refused = "YoloError invalid_argument threads";
  assert.deepEqual(out.again, ["ok", "ok", refused, refused, refused], "initThreadPool(2), (), (3), (0), (17) after a pool of 2");
  // The page's main thread stays free while the pool infers (its timers keep firing).
  assert.ok(out.ticks >= 3, `main-thread timer ticks during a ${out.predictMs.toFixed(0)} ms predict: ${out.ticks}`);
});

test("isolated dedicated worker: the threaded build and its pool, started from the worker", T, async () => {
  const out = await runCases(isolated, "worker", 2);
  assert.equal(out.crossOriginIsolated, true);
  assert.deepEqual(out.after, { build: "threads", threads: 2 });
  assert.deepEqual(loadedWasm(out.requests), ["yolo_wasm_threads_bg.wasm"]);
  assert.ok(out.ticks >= 3, `worker timer ticks during a ${out.predictMs.toFixed(0)} ms predict: ${out.ticks}`);
});

test("isolated page and worker: our own CPU program (cpuEngine: \"program\") in the threaded build at 2 threads, same goldens", T, async () => {
  for (const where of ["page", "worker"]) {
    const out = await runCases(isolated, where, 2, { device: "cpu", cpuEngine: "program" });
    assert.deepEqual(out.after, { build: "threads", threads: 2 }, where);
    for (const e of out.engines) {
      assert.deepEqual([e.cpuEngine, e.cpuEngineReason], ["program", null], `${where} ${e.model}: fell back to tract's plan`);
    }
  }
});

test("page without isolation: falls back to the relaxed-SIMD build on one thread, same goldens", T, async () => {
  const out = await runCases(plain, "page", 2);
  assert.equal(out.crossOriginIsolated, false);
  assert.equal(out.threadsSupported, false);
  assert.deepEqual(out.after, { build: "relaxed-simd", threads: 1 }, "initThreadPool(2) is a no-op there");
  const refused = "YoloError invalid_argument threads";
  assert.deepEqual(out.again, ["ok", "ok", "ok", refused, refused], "any valid count is a no-op on one thread; bad ones are refused");
  assert.deepEqual(loadedWasm(out.requests), ["yolo_wasm_relaxed_bg.wasm"]);
  log(`one thread: timer ticks during a ${out.predictMs.toFixed(0)} ms predict on the calling thread: ${out.ticks}`);
});
