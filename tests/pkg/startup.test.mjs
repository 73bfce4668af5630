// The package's start-up where the threaded build is picked but cannot run as planned, in Chromium
// (playwright-core) against the real `yolo-wasm serve` with the cross-origin isolation headers:
//   - the threaded module cannot be instantiated (the page refuses large shared memories, as iOS
//     does): init() falls back to the best single-thread build and says why;
//   - the pool's worker script is missing (a bundler that did not copy it): initThreadPool resolves,
//     inference runs on one thread, runtimeInfo().warning says why;
//   - a pool worker dies after the start: the pending predict rejects `internal`, and the next
//     initThreadPool rejects `internal` saying the pool cannot be restarted.
// Every prediction that runs must equal Ultralytics' golden file; no console warning of ours.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT, launchBrowser, openPage, startServer } from "../e2e/harness.mjs";
import { compareResults, goldenImage } from "./compare.mjs";

const T = { timeout: 300_000 };
const CASE = "yolo11n-shapes__square-640x640__s640_c0.25_i0.45";
const GOLDEN = goldenImage(CASE);

let server;
let browser;
let noPool;

before(async () => {
  // The package without its pool worker, mounted beside the real one.
  noPool = mkdtempSync(join(tmpdir(), "yolo-wasm-nopool-"));
  cpSync(join(ROOT, "pkg"), noPool, { recursive: true, filter: (src) => !src.endsWith("pool_worker.js") });
  server = await startServer({ statics: ["/tests/pkg=tests/pkg", `/pkg-nopool=${noPool}`] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (noPool) rmSync(noPool, { recursive: true, force: true });
});

/**
 * Opens the test page, runs `setup` (a function source evaluated in the page first), then
 * `scenario` with the package URL; returns its result and the page's console warnings.
 */
async function inPage(scenario, { pkgPath = "/pkg", setup = "() => {}" } = {}) {
  const { ctx, page, problems, warnings } = await openPage(browser, { permissions: [] });
  try {
    await page.goto(`${server.url}/tests/pkg/browser/`);
    await page.waitForFunction(() => window.pageReady === true);
    await page.evaluate(`(${setup})()`);
    const args = { pkg: `${server.url}${pkgPath}/yolo_wasm.js`, model: `${server.url}/tests/fixtures/models/yolo11n-shapes.onnx`, image: `${server.url}/tests/fixtures/images/square-640x640.png` };
    const out = await page.evaluate(`(${scenario})(${JSON.stringify(args)})`);
    return { out, problems, warnings };
  } finally {
    await ctx.close();
  }
}

/** In the page: loads the model, predicts the fixture image once; the response. */
const PREDICT = `async function predictOnce(pkg, a) {
  const model = await pkg.LocalModel.load(a.model);
  const bitmap = await createImageBitmap(await (await fetch(a.image)).blob());
  try { return await model.predict(bitmap); } finally { bitmap.close(); model.free(); }
}`;

test("the threaded module cannot be instantiated: init() loads the best single-thread build and says why", T, async () => {
  const refuseShared = `() => {
    const Real = WebAssembly.Memory;
    WebAssembly.Memory = function Memory(desc) {
      // As iOS does: small shared memories work (the package's one-page probe), large ones do not.
      if (desc?.shared && desc.maximum > 1) throw new RangeError("WebAssembly.Memory(): could not allocate memory (refused by the test)");
      return new Real(desc);
    };
  }`;
  const { out, problems, warnings } = await inPage(
    `async (a) => {
      ${PREDICT}
      const pkg = await import(a.pkg);
      const picked = pkg.runtimeInfo();
      const loaded = await pkg.default();
      await pkg.initThreadPool(2);
      const response = await predictOnce(pkg, a);
      return { picked, loaded, after: pkg.runtimeInfo(), relaxed: pkg.relaxedSimdSupported(), response };
    }`,
    { setup: refuseShared },
  );
  assert.deepEqual(out.picked, { build: "threads", threads: 0 }, "an isolated page picks the threaded build");
  const single = out.relaxed ? "relaxed-simd" : "simd128";
  assert.equal(out.loaded.build, single);
  assert.equal(out.loaded.threads, 1);
  assert.match(out.loaded.fallbackReason, /threaded build could not be instantiated \(RangeError: .*refused by the test/);
  assert.deepEqual(out.after, out.loaded, "initThreadPool is a no-op on the single-thread build");
  compareResults(out.response.images[0].results, GOLDEN.results, "fallback build");
  assert.deepEqual(problems, []);
  assert.deepEqual(warnings, []);

  // Asked for by name, the threaded build is not replaced: a typed error says why.
  const asked = await inPage(
    `async (a) => {
      const pkg = await import(a.pkg);
      return pkg.default({ build: "threads" }).then(() => "resolved", (e) => ({ name: e.name, code: e.code, field: e.field, message: e.message }));
    }`,
    { setup: refuseShared },
  );
  assert.equal(asked.out.code, "invalid_argument");
  assert.equal(asked.out.field, "build");
  assert.match(asked.out.message, /cannot be instantiated here: RangeError/);
});

test("the pool's worker script is missing: initThreadPool resolves, one thread, a typed warning", T, async () => {
  const { out, problems, warnings } = await inPage(
    `async (a) => {
      ${PREDICT}
      const pkg = await import(a.pkg);
      await pkg.default();
      await pkg.initThreadPool(2);
      const afterPool = pkg.runtimeInfo();
      const response = await predictOnce(pkg, a);
      return { afterPool, response };
    }`,
    { pkgPath: "/pkg-nopool" },
  );
  assert.equal(out.afterPool.build, "threads");
  assert.equal(out.afterPool.threads, 1);
  assert.equal(out.afterPool.warning?.code, "thread_pool_failed");
  assert.match(out.afterPool.warning.message, /cannot start 2 worker threads: .*pool_worker\.js/);
  compareResults(out.response.images[0].results, GOLDEN.results, "threaded build on one thread");
  // The missing file's 404s are the only problems; nothing of ours on the console.
  assert.ok(problems.every((p) => /pool_worker\.js/.test(p)), problems.join("\n"));
  assert.deepEqual(warnings, []);
});

test("a pool worker dies: the pending predict rejects internal, the next initThreadPool rejects internal, saying why", T, async () => {
  // The page keeps the pool's workers (the package starts them with `new Worker`).
  const recordWorkers = `() => {
    const Real = Worker;
    globalThis.poolWorkers = [];
    globalThis.Worker = class extends Real {
      constructor(url, options) {
        super(url, options);
        if (String(options?.name).startsWith("yolo-wasm pool thread")) globalThis.poolWorkers.push(this);
      }
    };
  }`;
  const { out, problems, warnings } = await inPage(
    `async (a) => {
      ${PREDICT}
      const pkg = await import(a.pkg);
      await pkg.default();
      await pkg.initThreadPool(2);
      const running = pkg.runtimeInfo();
      const first = await predictOnce(pkg, a);
      const model = await pkg.LocalModel.load(a.model);
      const bitmap = await createImageBitmap(await (await fetch(a.image)).blob());
      const pending = model.predict(bitmap).then(() => "resolved", (e) => ({ name: e.name, code: e.code, message: e.message }));
      // What a worker killed by a trap reports to the page.
      globalThis.poolWorkers[1].dispatchEvent(new ErrorEvent("error", { message: "RuntimeError: unreachable (the test)" }));
      const failed = await pending;
      const restart = await pkg.initThreadPool(2).then(() => "resolved", (e) => ({ name: e.name, code: e.code, message: e.message }));
      return { workers: globalThis.poolWorkers.length, running, first, failed, restart };
    }`,
    { setup: recordWorkers },
  );
  assert.equal(out.workers, 2, "two pool threads, each its own worker");
  assert.deepEqual(out.running, { build: "threads", threads: 2 });
  compareResults(out.first.images[0].results, GOLDEN.results, "on the pool");
  assert.equal(out.failed.name, "YoloError");
  assert.equal(out.failed.code, "internal");
  assert.match(out.failed.message, /pool thread 1 died: RuntimeError: unreachable \(the test\)/);
  assert.equal(out.restart.code, "internal");
  assert.match(out.restart.message, /pool thread 1 died: .*unknown state; load it again/);
  assert.deepEqual(problems, []);
  assert.deepEqual(warnings, []);
});
