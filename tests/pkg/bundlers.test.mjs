// The package as bundler users get it: the `npm pack` tarball of pkg/ installed (with the pinned
// bundler, from npm's cache where the root `npm ci` put it) into temporary copies of tiny apps —
// tests/pkg/vite-app (Vite: `vite build` + `vite preview`, and the dev server), webpack-app
// (webpack 5), esbuild-app (esbuild plus the copy step the package README documents) and
// nobundler-app (an import map, node_modules/ served as it is) — all running the same src/main.js
// (tests/pkg/bundler-app/main.js): the main-thread API (init, initThreadPool(2), LocalModel.load,
// predict on a Blob and an ImageBitmap), then yolo-wasm/worker (createWorkerModel, threads: 2).
// Each app uses exactly the configuration npm/README.md "Bundlers" gives.
//
// Each app is built once and served twice: with the cross-origin isolation headers (COOP
// same-origin + COEP require-corp) and without (Vite: vite.config.js and vite.plain.config.js;
// the others: a small static server here, dist/ then public/, under /iso/ and /plain/). In
// headless Chromium each page must:
//   - predict the golden answer (Ultralytics') in both parts, from both sources;
//   - run the threaded build on 2 threads when isolated (runtimeInfo() and the worker model's
//     `runtime`, with no `warning`), and one thread (the relaxed-SIMD build) when not;
//   - log no console warning or error (page and workers), fail no request, and answer every .wasm
//     request with a success.
// Each build must not warn, must emit the package's three .wasm files byte for byte, and its output
// must not contain a build-machine path (the temporary app directory, the repository's path) nor a
// file:// URL; nor may the installed package's own files (which every bundle ships), nor name the
// Rust toolchain's or the crate registry's folders.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { homedir, tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { ROOT, launchBrowser, log, openPage } from "../e2e/harness.mjs";
import { compareResults } from "./compare.mjs";

const T = { timeout: 900_000 };
/**
 * How long a page may take for both parts: each is one model load and two 640 predictions (~2-5 s
 * here), but a thread pool whose workers never answer takes 60 s to give up (npm/pool.js).
 */
const PAGE_TIMEOUT = 150_000;
const GOLDEN = JSON.parse(readFileSync(join(ROOT, "tests/fixtures/golden/yolo11n-shapes__square-640x640__s640_c0.25_i0.45.json"))).images[0];
const APPS = ["vite", "webpack", "esbuild", "nobundler"];
const run = promisify(execFile);
const PKG = join(ROOT, "pkg");
const sha256 = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");

let dir;
let browser;
const apps = {};
const children = new Set();

/** Runs `cmd args` in `cwd`; resolves to its stdout + stderr, rejects with them. */
async function sh(cmd, args, cwd) {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
    return stdout + stderr;
  } catch (e) {
    throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
  }
}

before(async () => {
  let started = Date.now();
  dir = mkdtempSync(join(tmpdir(), "yolo-wasm-bundlers-"));
  await sh("npm", ["pack", "--silent", "--pack-destination", dir], PKG);
  const [tarball] = readdirSync(dir).filter((f) => f.endsWith(".tgz"));
  renameSync(join(dir, tarball), join(dir, "yolo-wasm.tgz")); // each app depends on file:../yolo-wasm.tgz
  for (const name of APPS) {
    const app = join(dir, name);
    const from = join(ROOT, `tests/pkg/${name}-app`);
    cpSync(from, app, { recursive: true, filter: (src) => !/[\\/](node_modules|dist)([\\/]|$)/.test(src.slice(from.length)) });
    cpSync(join(ROOT, "tests/pkg/bundler-app/main.js"), join(app, "src/main.js"));
    cpSync(join(ROOT, "tests/fixtures/models/yolo11n-shapes.onnx"), join(app, "public/yolo11n-shapes.onnx"));
    cpSync(join(ROOT, "tests/fixtures/images/square-640x640.png"), join(app, "public/square-640x640.png"));
    apps[name] = app;
  }
  log(`bundler apps: npm pack in ${Date.now() - started} ms (${dir})`);
  // The apps pin the root package.json's bundler versions, whose tarballs `npm ci` (scripts/setup.sh)
  // put in npm's cache: --prefer-offline takes them from there. Without a lockfile npm still asks the
  // registry for the packages' metadata (the four installs, in parallel: 3.5-8 s here).
  started = Date.now();
  await Promise.all(APPS.map((name) => sh("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], apps[name])));
  log(`bundler apps: npm install (${APPS.join(", ")}, in parallel) in ${Date.now() - started} ms`);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const c of children) c.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Builds the app with its own `npm run build`, which must not warn; returns the output's files (relative paths). */
async function build(name) {
  const started = Date.now();
  // eslint-disable-next-line no-control-regex
  const out = (await sh("npm", ["run", "--silent", "build"], apps[name])).replace(/\x1b\[[0-9;]*m/g, "");
  const files = walk(join(apps[name], "dist"));
  log(`${name} build in ${Date.now() - started} ms: ${files.length} files`);
  assert.doesNotMatch(out, /warn/i, `${name}: the build warns`);
  return files;
}

function walk(root, sub = "") {
  return readdirSync(join(root, sub)).flatMap((f) => {
    const rel = sub ? `${sub}/${f}` : f;
    return statSync(join(root, rel)).isDirectory() ? walk(root, rel) : [rel];
  });
}

/** The files under `root` (relative paths) that contain one of `needles`, with the needle. */
function leaks(root, files, needles) {
  const found = [];
  for (const f of files) {
    const text = readFileSync(join(root, f), "latin1");
    for (const n of needles) if (text.includes(n)) found.push(`${f} contains ${n}`);
  }
  return found;
}

/** This machine's paths a build could leak: the temporary apps, the repository; and file:// URLs. */
const machinePaths = () => [...new Set([dir, realpathSync(dir), ROOT, realpathSync(ROOT), "file://"])];

/** Asserts that no emitted file names this machine's paths or a file:// URL; the three .wasm builds are there. */
function checkOutput(name, files) {
  const dist = join(apps[name], "dist");
  assert.deepEqual(leaks(dist, files, machinePaths()), [], `${name}: build-machine paths in the output`);
  // Emitted under any name (webpack names assets by their hash): the package's three builds, byte for byte.
  const emitted = new Set(files.filter((f) => f.endsWith(".wasm")).map((f) => sha256(join(dist, f))));
  for (const w of ["yolo_wasm_bg.wasm", "yolo_wasm_relaxed_bg.wasm", "yolo_wasm_threads_bg.wasm"]) {
    assert.ok(emitted.has(sha256(join(PKG, w))), `${name}: ${w} was not emitted (${files.join(", ")})`);
  }
}

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".onnx": "application/octet-stream",
};
const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

/**
 * A static server for `roots` (first match wins; `/` is index.html): under /iso/ with the
 * cross-origin isolation headers, under /plain/ without. Resolves to its base URL.
 */
async function serveStatic(roots) {
  const server = createServer((req, res) => {
    const m = /^\/(iso|plain)(\/[^?#]*)/.exec(req.url);
    const rel = m && normalize(decodeURIComponent(m[2] === "/" ? "/index.html" : m[2]));
    const file = rel && !rel.includes("..") && roots.map((r) => join(r, rel)).find((f) => statSync(f, { throwIfNoEntry: false })?.isFile());
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const headers = { "Content-Type": MIME[extname(file)] ?? "application/octet-stream", "Cache-Control": "no-store" };
    res.writeHead(200, m[1] === "iso" ? { ...headers, ...ISOLATION } : headers).end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  children.add({ kill: () => server.close() });
  return `http://127.0.0.1:${server.address().port}`;
}

/** Starts `vite …args` in the Vite app; resolves to { url, stop } ("Local: http://127.0.0.1:PORT/"). */
function vite(args) {
  const child = spawn(process.execPath, [join(apps.vite, "node_modules/vite/bin/vite.js"), ...args, "--host", "127.0.0.1"], {
    cwd: apps.vite,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let out = "";
  const stop = () => {
    child.kill("SIGTERM");
    children.delete(child);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vite ${args.join(" ")} did not print its URL:\n${out}`)), 60_000);
    const read = (d) => {
      out += d;
      // eslint-disable-next-line no-control-regex
      const m = /Local:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out.replace(/\x1b\[[0-9;]*m/g, ""));
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], stop, output: () => out });
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.on("exit", (code) => reject(new Error(`vite exited (${code}):\n${out}`)));
  });
}

/**
 * Opens the app at `url`, waits for both parts, and checks everything the file's header lists;
 * every failed check is collected, so one run reports them all.
 */
async function checkPage(url, what, isolated) {
  const { ctx, page, problems } = await openPage(browser, { permissions: [] });
  const warnings = [];
  const wasm = [];
  const onConsole = (where) => (m) => m.type() === "warning" && warnings.push(`${where}: ${m.text()}`);
  page.on("console", onConsole("page"));
  page.on("worker", (w) => w.on("console", onConsole(`worker ${w.url()}`)));
  page.on("response", (r) => new URL(r.url()).pathname.endsWith(".wasm") && wasm.push({ url: r.url(), status: r.status() }));
  const failures = [];
  const expect = (ok, message) => ok || failures.push(message);
  const started = Date.now();
  try {
    await page.goto(url);
    await page
      .waitForFunction(() => window.outcome && "main" in window.outcome && "worker" in window.outcome, null, { timeout: PAGE_TIMEOUT })
      .catch(() => failures.push(`not every part answered within ${PAGE_TIMEOUT / 1000} s`));
    const out = await page.evaluate(() => window.outcome ?? {});
    const threads = isolated ? 2 : 1;
    expect(out.isolated === isolated, `crossOriginIsolated is ${out.isolated}, expected ${isolated}`);
    for (const part of ["main", "worker"]) {
      const o = out[part];
      if (!o) {
        failures.push(`${part}: no outcome`);
        continue;
      }
      if (!o.ok) {
        failures.push(`${part}: ${o.error.name} ${o.error.code ?? ""}: ${o.error.message}`);
        continue;
      }
      const why = [o.runtime.warning && `warning ${JSON.stringify(o.runtime.warning)}`, o.runtime.fallbackReason].filter(Boolean).join("; ");
      log(`${what} ${part}: ${o.runtime.build} build, ${o.runtime.threads} thread(s)${why ? `; ${why}` : ""}`);
      expect(o.runtime.threads === threads, `${part}: ${o.runtime.threads} thread(s) (${o.runtime.build} build), expected ${threads}${why ? `; ${why}` : ""}`);
      expect(!why || o.runtime.threads !== threads, `${part}: runtimeInfo() has ${why}`);
      if (isolated) expect(o.runtime.build === "threads", `${part}: the ${o.runtime.build} build on an isolated page, expected threads`);
      else expect(o.runtime.build === "relaxed-simd", `${part}: the ${o.runtime.build} build, expected relaxed-simd`);
      expect(o.info.task === "detect", `${part}: task ${o.info.task}`);
      for (const [i, res] of o.responses.entries()) {
        try {
          assert.deepEqual(res.images[0].shape, GOLDEN.shape);
          compareResults(res.images[0].results, GOLDEN.results, `${part} prediction ${i + 1}`);
        } catch (e) {
          failures.push(e.message);
        }
      }
      if (part === "worker") {
        const stats = JSON.stringify(o.stats);
        expect(stats === JSON.stringify({ submitted: 2, completed: 2, dropped: 0, failed: 0, restarts: 0 }), `worker stats ${stats}`);
      }
    }
    expect(wasm.length > 0, "no .wasm request was seen");
    for (const w of wasm) expect((w.status >= 200 && w.status < 300) || w.status === 304, `${w.url} answered ${w.status}`);
    for (const p of [...problems, ...warnings]) failures.push(p);
    log(`${what}: ${Date.now() - started} ms, ${wasm.length} .wasm request(s): ${wasm.map((w) => `${new URL(w.url).pathname} ${w.status}`).join(", ")}`);
  } finally {
    await ctx.close();
  }
  assert.deepEqual(failures, [], `${what}: ${failures.length} failed check(s)`);
}

// What every bundle ships byte for byte (the .wasm builds; esbuild's users copy every file): the
// package's files as installed from the tarball must not name the machine that built them either,
// such as the Rust toolchain's and the crate registry's paths in panic locations.
test("the installed package names no build-machine path", () => {
  const pkg = join(apps.nobundler, "node_modules/yolo-wasm");
  const homes = [process.env.CARGO_HOME ?? join(homedir(), ".cargo"), process.env.RUSTUP_HOME ?? join(homedir(), ".rustup")];
  assert.deepEqual(leaks(pkg, walk(pkg), [...machinePaths(), ...homes]), []);
});

test("Vite: vite build + vite preview, and the dev server", T, async (t) => {
  checkOutput("vite", await build("vite"));
  for (const [mode, args] of [["preview", ["preview"]], ["dev", []]]) {
    for (const isolated of [true, false]) {
      const what = `vite ${mode} ${isolated ? "isolated" : "not isolated"}`;
      await t.test(what, async () => {
        const server = await vite([...args, ...(isolated ? [] : ["--config", "vite.plain.config.js"])]);
        try {
          await checkPage(server.url, what, isolated);
        } finally {
          server.stop();
        }
      });
    }
  }
});

for (const name of ["webpack", "esbuild", "nobundler"]) {
  test(name === "nobundler" ? "no bundler: an import map, node_modules/ served" : `${name}: the built app`, T, async (t) => {
    const roots = [join(apps[name], "public")];
    if (name === "nobundler") roots.unshift(apps[name]);
    else {
      checkOutput(name, await build(name));
      roots.unshift(join(apps[name], "dist"));
    }
    const base = await serveStatic(roots);
    for (const isolated of [true, false]) {
      const what = `${name} ${isolated ? "isolated" : "not isolated"}`;
      await t.test(what, () => checkPage(`${base}/${isolated ? "iso" : "plain"}/`, what, isolated));
    }
  });
}
