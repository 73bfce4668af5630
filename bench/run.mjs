// yolo-wasm vs onnxruntime-web vs LiteRT.js vs @ultralytics/yolo in headless Chromium (Debian's, through
// playwright-core), side by side in one run; writes the generated part of BENCHMARKS.md and
// prints the table.
//
//   node bench/run.mjs [--runs N] [--warmup N] [--cold N] [--quick] [--no-write]
//   node bench/run.mjs --webgpu [--runs N] …: the WebGPU table instead (ours vs ort-web's WebGPU EP
//   vs @ultralytics/yolo on WebGPU, one adapter; per-dispatch GPU times of ours), written to its own
//   part of BENCHMARKS.md. Here that adapter is SwiftShader (a CPU emulation); on a machine with
//   a GPU set BENCH_GPU=1 (Chromium then runs with its GPU process: BENCHMARKS.md "WebGPU").
//   Screening (prints a short table, writes nothing): [--runtimes ours,ort1] [--models yolo11n,…]
//   [--images large,…] [--pkg target/pkg-x] (another build of pkg/, served from the checkout)
//   [--pkgs pkg,target/pkg-x,…] (several builds side by side: runtimes ours, ours2, …)
//
// Everything is served from this checkout by bench/server.mjs (COOP/COEP set); the browser cannot
// resolve any other host (--host-resolver-rules), and any request elsewhere is counted and shown.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { ROOT, serve } from "./server.mjs";
import { BASE_ARGS, CHROMIUM, NO_THROTTLING, OFFLINE } from "../scripts/chromium.mjs";

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const QUICK = flag("--quick");
const WEBGPU = flag("--webgpu");
const RUNS = opt("--runs", QUICK || WEBGPU ? 3 : 10);
const WARMUP = opt("--warmup", QUICK || WEBGPU ? 1 : 3);
const COLD = opt("--cold", WEBGPU ? 0 : QUICK ? 1 : 3);
const WRITE = !flag("--no-write") && !QUICK && !["--runtimes", "--models", "--images", "--pkg", "--pkgs", "--tunes"].some(flag);
const list = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1].split(",") : null;
};
const PKG = (() => {
  const i = argv.indexOf("--pkg");
  return i >= 0 ? argv[i + 1].replace(/^\/+|\/+$/g, "") : "pkg";
})();
const PKGS = list("--pkgs")?.map((p) => p.replace(/^\/+|\/+$/g, "")) ?? [PKG];
const SCREEN = ["--runtimes", "--models", "--images", "--pkg", "--pkgs", "--tunes"].some(flag);
const PREDICT = { imgsz: 640, conf: 0.25, iou: 0.45 };

const MODELS = [
  { id: "yolo11n", file: "tests/fixtures/models/yolo11n-shapes.onnx", task: "detect", nc: 3, label: "yolo11n detect 640" },
  { id: "yolov8n", file: "tests/fixtures/models/yolov8n-shapes.onnx", task: "detect", nc: 3, label: "yolov8n detect 640" },
  { id: "yolo11n-seg", file: "bench/models/yolo11n-seg-random.onnx", task: "segment", nc: 80, label: "yolo11n-seg 640 (random init)" },
  { id: "seg-masks", file: "tests/fixtures/models/yolo11n-seg-shapes.onnx", task: "segment", nc: 3, label: "yolo11n-seg 640, ⅛ width, trained (masks)" },
];
const IMAGES = [
  { id: "bus", file: "tests/fixtures/images/bus.jpg", label: "bus.jpg 810×1080" },
  { id: "large", file: "tests/fixtures/images/large-1920x1080.png", label: "large 1920×1080" },
];
const RUNTIMES = [
  // What a user gets from the package's default init(): the relaxed-SIMD build where the browser
  // has relaxed SIMD (Chromium does), else the SIMD128 one; and the SIMD128 build forced.
  // ours: the single-thread build a page without cross-origin isolation gets (relaxed SIMD where the
  // browser has it, as Chromium does); oursT: the package's default on this isolated page, the
  // threaded build, with initThreadPool(2); ours128: the SIMD128 build forced.
  { id: "ours", runtime: "ours", threads: 1, label: "yolo-wasm 1 thread" },
  { id: "oursT", runtime: "ours", threads: 2, label: "yolo-wasm threads build, 2 threads" },
  { id: "ours128", runtime: "ours", threads: 1, label: "yolo-wasm, SIMD128 build", build: "simd128" },
  // Our own CPU executor (issue 23) instead of tract's plan, same build as "ours" (it has no
  // threads of its own yet, so no threaded row).
  { id: "oursP", runtime: "ours", threads: 1, engine: "program", label: "yolo-wasm 1 thread, CPU program" },
  { id: "ort1", runtime: "ort", threads: 1, label: "ort-web 1 thread" },
  { id: "ort2", runtime: "ort", threads: 2, label: "ort-web 2 threads" },
  // LiteRT.js (XNNPACK in wasm) on the .tflite export of the same weights (bench/models/*.tflite):
  // its single-thread build, and its threaded build with numThreads 2.
  { id: "litert1", runtime: "litert", threads: 1, label: "litert.js 1 thread" },
  { id: "litert2", runtime: "litert", threads: 2, label: "litert.js threads build, 2 threads" },
  { id: "ultra", runtime: "ultralytics", threads: 1, label: "@ultralytics/yolo cpu" },
];
// The WebGPU comparison: the issue's models (detect and the segmentation model), one image.
const GPU_RUNTIMES = [
  // The SIMD128 build: on WebGPU only letterbox and decoding run in wasm.
  { id: "ours", runtime: "ours", threads: 1, device: "webgpu", build: "simd128", label: "yolo-wasm WebGPU" },
  { id: "ortG", runtime: "ort", threads: 1, device: "webgpu", label: "ort-web WebGPU EP" },
  { id: "ultraG", runtime: "ultralytics", threads: 1, device: "webgpu", label: "@ultralytics/yolo webgpu" },
];
if (WEBGPU) {
  RUNTIMES.splice(0, RUNTIMES.length, ...GPU_RUNTIMES);
  MODELS.splice(0, MODELS.length, ...MODELS.filter((m) => ["yolo11n", "yolov8n", "yolo11n-seg"].includes(m.id)));
  IMAGES.splice(1);
}
for (const [name, arr] of [["--models", MODELS], ["--images", IMAGES], ["--runtimes", RUNTIMES]]) {
  const keep = list(name);
  if (keep) arr.splice(0, arr.length, ...arr.filter((x) => keep.includes(x.id)));
  if (!arr.length) throw new Error(`${name}: nothing left to run`);
}
// One "ours" runtime per build of the package (--pkgs): ours, ours2, …
RUNTIMES.splice(
  RUNTIMES.findIndex((rt) => rt.id === "ours") + 1,
  0,
  ...PKGS.slice(1).map((pkg, i) => ({ id: `ours${i + 2}`, runtime: "ours", threads: 1, label: `yolo-wasm (${pkg}/)`, pkg })),
);
// --tunes P:E,…: more threaded runtimes (oursT-P-E) with tract's threading thresholds set (matrix
// products of fewer than P panels and element-wise ops of fewer than E elements stay on one thread;
// 0 keeps the default). Screening only.
for (const t of list("--tunes") ?? []) {
  RUNTIMES.push({ id: `oursT-${t.replace(":", "-")}`, runtime: "ours", threads: 2, label: `yolo-wasm threads 2, thresholds ${t}`, tune: t });
}
const COLD_MODEL = MODELS[0];
const COLD_IMAGE = IMAGES[0];

// BENCH_GPU=1: a machine with a real GPU: Chromium keeps its GPU process (no --disable-gpu) and
// uses Vulkan where it has it. Otherwise WebGPU runs on SwiftShader.
const REAL_GPU = process.env.BENCH_GPU === "1";
const ARGS = [
  ...BASE_ARGS.filter((a) => !(REAL_GPU && a === "--disable-gpu")),
  ...(REAL_GPU ? ["--enable-features=Vulkan", "--ignore-gpu-blocklist"] : []),
  // performance.memory without bucketing; no throttling of the pages not in front.
  "--enable-precise-memory-info",
  ...NO_THROTTLING,
  ...OFFLINE,
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function pkgVersion(name) {
  try {
    return JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return null;
  }
}

function machine(browserVersion) {
  const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? cpus()[0]?.model;
  const lock = readFileSync(join(ROOT, "Cargo.lock"), "utf8");
  const tract = (lock.match(/name = "tract-onnx"\nversion = "([^"]+)"/) ?? [])[1];
  const ours = (readFileSync(join(ROOT, "Cargo.toml"), "utf8").match(/^version = "([^"]+)"/m) ?? [])[1];
  const dirty = sh("git", ["status", "--porcelain", "--untracked-files=no"]);
  return {
    nproc: sh("nproc", []),
    cpu,
    memory: `${Math.round(Number(readFileSync("/proc/meminfo", "utf8").match(/MemTotal:\s+(\d+)/)[1]) / 1048576)} GiB`,
    kernel: sh("uname", ["-sr"]),
    chromium: browserVersion,
    node: process.version,
    commit: `${sh("git", ["rev-parse", "--short", "HEAD"])}${dirty ? " (work tree has uncommitted changes)" : ""}`,
    versions: {
      "yolo-wasm": ours,
      "tract-onnx": tract,
      "onnxruntime-web": pkgVersion("onnxruntime-web"),
      "@litertjs/core": pkgVersion("@litertjs/core"),
      "@ultralytics/yolo": pkgVersion("@ultralytics/yolo"),
      "onnxruntime-web (for @ultralytics/yolo)": pkgVersion("onnxruntime-web-1.27.0"),
      "playwright-core": pkgVersion("playwright-core"),
    },
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
}

async function openPage(context, rt, server, external, query = "") {
  const page = await context.newPage();
  page.on("request", (r) => {
    if (!r.url().startsWith(server.url) && !/^(data|blob):/.test(r.url())) external.push(r.url());
  });
  page.on("pageerror", (e) => log(`${rt.id} page error: ${e.message}`));
  await page.goto(`${server.url}/bench/index.html?runtime=${rt.runtime}&device=${rt.device ?? "cpu"}&threads=${rt.threads}&pkg=/${rt.pkg ?? PKGS[0]}/${rt.build ? `&build=${rt.build}` : ""}${rt.tune ? `&tune=${rt.tune}` : ""}${rt.engine ? `&engine=${rt.engine}` : ""}${query}`);
  return page;
}

/** Cold start: fresh context, cache disabled, navigation → first result. */
async function coldStart(browser, rt, server, external) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  page.on("request", (r) => {
    if (!r.url().startsWith(server.url) && !/^(data|blob):/.test(r.url())) external.push(r.url());
  });
  const q = new URLSearchParams({
    runtime: rt.runtime,
    threads: String(rt.threads),
    cold: `/${COLD_MODEL.file}`,
    image: `/${COLD_IMAGE.file}`,
    nc: String(COLD_MODEL.nc),
    task: COLD_MODEL.task,
    pkg: `/${rt.pkg ?? PKGS[0]}/`,
    ...(rt.build ? { build: rt.build } : {}),
    ...(rt.tune ? { tune: rt.tune } : {}),
    conf: String(PREDICT.conf),
    iou: String(PREDICT.iou),
  });
  await page.goto(`${server.url}/bench/index.html?${q}`);
  await page.waitForFunction(() => window.coldResult, null, { timeout: 300_000, polling: 100 });
  const res = await page.evaluate(() => window.coldResult);
  if (res.error) throw new Error(`${rt.id} cold start: ${res.error}`);
  const memory = await page.evaluate(() => window.bench.memory());
  const resources = await page.evaluate(() => window.bench.resources());
  await context.close();
  log(`cold ${rt.id} stages: runtime ready ${res.stages.initMs.toFixed(0)} ms, model + image ${res.stages.loadedMs.toFixed(0)} ms, first result ${res.firstResultMs.toFixed(0)} ms`);
  return { ms: res.firstResultMs, memory, resources };
}

/**
 * LiteRT.js vs onnxruntime-web on the same letterboxed image (the first image) for every model:
 * each part of the raw output (boxes after scaling by the input size, class scores, mask
 * coefficients, prototypes) within 1e-3 of ort-web's relative to that part's largest value, and
 * the same detections (count, classes, boxes within 0.01 px, scores within 1e-4).
 */
async function checkLitert(browser, rt, server, external) {
  const context = await browser.newContext();
  const page = await openPage(context, rt, server, external);
  await page.waitForFunction(() => window.benchReady);
  await page.evaluate(() => window.bench.init());
  const im = IMAGES[0];
  await page.evaluate(([id, url]) => window.bench.loadImage(id, url), [im.id, `/${im.file}`]);
  const bad = [];
  for (const m of MODELS) {
    await page.evaluate(([id, url, meta]) => window.bench.loadModel(id, url, meta), [m.id, `/${m.file}`, { nc: m.nc, task: m.task }]);
    const c = await page.evaluate(([mid, iid, url, o]) => window.bench.check(mid, iid, url, o), [m.id, im.id, `/${m.file}`, PREDICT]);
    const problems = [];
    if (!c.sameShapes) problems.push(`output shapes ${JSON.stringify(c.shapes.litert)} vs ort-web ${JSON.stringify(c.shapes.ort)}`);
    for (const d of c.diffs) if (!(d.rel <= 1e-3)) problems.push(`${d.name} differ by ${d.maxDiff.toExponential(2)} (largest ${d.maxAbs.toExponential(2)}, relative ${d.rel.toExponential(2)})`);
    const sorted = (xs) => [...xs].sort((a, b) => b.confidence - a.confidence);
    const [a, b] = [sorted(c.litert), sorted(c.ort)];
    if (a.length !== b.length) problems.push(`${a.length} detections vs ort-web's ${b.length}`);
    else {
      // Pair each ort-web detection with the closest unused LiteRT.js one (ties in score may swap order).
      const used = new Set();
      let box = 0;
      let score = 0;
      for (const y of b) {
        let best = Infinity;
        let bi = -1;
        a.forEach((x, i) => {
          if (used.has(i) || x.class !== y.class) return;
          const d = Math.max(...["x1", "y1", "x2", "y2"].map((k) => Math.abs(x.box[k] - y.box[k])));
          if (d < best) [best, bi] = [d, i];
        });
        if (bi < 0) {
          problems.push(`no LiteRT.js detection of class ${y.class} for ort-web's at ${JSON.stringify(y.box)}`);
          break;
        }
        used.add(bi);
        box = Math.max(box, best);
        score = Math.max(score, Math.abs(a[bi].confidence - y.confidence));
      }
      if (box > 0.01 || score > 1e-4) problems.push(`detections differ: boxes by up to ${box.toFixed(4)} px, scores by ${score.toExponential(2)}`);
    }
    const summary = c.diffs.map((d) => `${d.name} ${d.rel.toExponential(1)}`).join(", ");
    log(`check ${rt.id} ${m.id} ${im.id} vs ort-web: relative differences ${summary}; ${a.length}/${b.length} detections${problems.length ? ` — ${problems.join("; ")}` : ", same"}`);
    if (problems.length) bad.push(`${m.id}: ${problems.join("; ")}`);
  }
  await context.close();
  if (bad.length) throw new Error(`${rt.id} (LiteRT.js) does not compute what ort-web computes, so its times would not compare: ${bad.join(" | ")}`);
}

/** How far each runtime's boxes are from ours (same image, same thresholds), in image pixels. */
async function agreement(pages, m, im) {
  const all = {};
  for (const rt of RUNTIMES) {
    const raw = await pages[rt.id].evaluate(([mid, iid, o]) => window.bench.results(mid, iid, o), [m.id, im.id, PREDICT]);
    all[rt.id] = raw
      .map((d) => ({ conf: d.confidence ?? d.conf, box: d.box ? [d.box.x1, d.box.y1, d.box.x2, d.box.y2] : [d.x1, d.y1, d.x2, d.y2], pts: d.segments?.x?.length }))
      .sort((a, b) => b.conf - a.conf);
  }
  const out = {};
  for (const rt of RUNTIMES.slice(1)) {
    const a = all.ours;
    const b = all[rt.id];
    let maxDiff = 0;
    // Greedy nearest match: each of our boxes to the closest unused box of the other runtime.
    const used = new Set();
    for (const x of a) {
      let best = Infinity;
      let bi = -1;
      b.forEach((y, i) => {
        if (used.has(i)) return;
        const d = Math.max(...x.box.map((v, k) => Math.abs(v - y.box[k])));
        if (d < best) [best, bi] = [d, i];
      });
      if (bi >= 0) {
        used.add(bi);
        maxDiff = Math.max(maxDiff, best);
      }
    }
    out[rt.id] = { ours: a.length, theirs: b.length, maxBoxDiff: a.length && b.length ? maxDiff : null };
  }
  return out;
}

function wasmSizes(resources, origin) {
  const out = [];
  for (const r of resources) {
    const url = new URL(r.name);
    if (url.origin !== origin || !url.pathname.endsWith(".wasm")) continue;
    const file = join(ROOT, decodeURIComponent(url.pathname));
    if (!existsSync(file)) continue;
    const buf = readFileSync(file);
    out.push({ path: url.pathname.slice(1), raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length });
  }
  return out.filter((w, i) => out.findIndex((o) => o.path === w.path) === i);
}

const f1 = (x) => (x == null || Number.isNaN(x) ? "–" : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const f2 = (x) => (x == null || !Number.isFinite(x) ? "–" : x.toFixed(2));
const mb = (b) => (b / 1e6).toFixed(2);

async function main() {
  if (!PKGS.every((p) => existsSync(join(ROOT, p, "yolo_wasm_bg.wasm")))) {
    throw new Error("pkg/ is missing: run ./scripts/build-pkg.sh (or `make bench`, which does)");
  }
  const load0 = loadavg()[0];
  const server = await serve();
  const external = [];
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: false, args: ARGS });
  const info = machine(browser.version());
  log(`Chromium ${info.chromium}, ${info.nproc} cores, runs ${RUNS}, warm-up ${WARMUP}, cold ${COLD}`);

  // 1. Cold starts, interleaved by round.
  const cold = Object.fromEntries(RUNTIMES.map((rt) => [rt.id, []]));
  const coldMem = {};
  const wasm = {};
  for (let round = 0; round < COLD; round++) {
    for (const rt of RUNTIMES) {
      const c = await coldStart(browser, rt, server, external);
      cold[rt.id].push(c.ms);
      coldMem[rt.id] ??= c.memory;
      wasm[rt.id] ??= wasmSizes(c.resources, server.url);
      log(`cold ${rt.id}: ${c.ms.toFixed(0)} ms`);
    }
  }

  // 1b. LiteRT.js runs a .tflite export, not the ONNX file: before timing, check in a page of its
  // own that its raw outputs equal ort-web's on the ONNX file within 1e-3 and that its detections
  // are ort-web's. Throws otherwise.
  for (const rt of RUNTIMES.filter((x) => x.runtime === "litert")) await checkLitert(browser, rt, server, external);

  // 2. Warm timings: one page per runtime (ort's thread count is per page), all in one context.
  const context = await browser.newContext();
  const pages = {};
  const versions = {};
  for (const rt of RUNTIMES) {
    const page = await openPage(context, rt, server, external);
    await page.waitForFunction(() => window.benchReady);
    const init = await page.evaluate(() => window.bench.init());
    if (!init.crossOriginIsolated && rt.threads > 1) log(`warning: ${rt.id} page is not cross-origin isolated`);
    versions[rt.id] = init;
    for (const m of MODELS) {
      await page.evaluate(([id, url, meta]) => window.bench.loadModel(id, url, meta), [m.id, `/${m.file}`, { nc: m.nc, task: m.task }]);
    }
    for (const im of IMAGES) await page.evaluate(([id, url]) => window.bench.loadImage(id, url), [im.id, `/${im.file}`]);
    pages[rt.id] = page;
  }
  const rows = [];
  for (const m of MODELS) {
    for (const im of IMAGES) {
      const agree = await agreement(pages, m, im);
      const samples = Object.fromEntries(RUNTIMES.map((rt) => [rt.id, []]));
      for (let i = 0; i < WARMUP + RUNS; i++) {
        // Rotate the order each round so no runtime always follows the same one.
        for (let k = 0; k < RUNTIMES.length; k++) {
          const rt = RUNTIMES[(i + k) % RUNTIMES.length];
          const r = await pages[rt.id].evaluate(([mid, iid, o]) => window.bench.run(mid, iid, o), [m.id, im.id, PREDICT]);
          if (i >= WARMUP) samples[rt.id].push(r);
        }
      }
      const med = {};
      for (const rt of RUNTIMES) {
        const s = samples[rt.id];
        med[rt.id] = {
          wall: median(s.map((r) => r.wall)),
          pre: median(s.map((r) => r.preprocess)),
          inf: median(s.map((r) => r.inference)),
          post: median(s.map((r) => r.postprocess)),
          prepost: median(s.map((r) => r.preprocess + r.postprocess)),
          n: [...new Set(s.map((r) => r.n))].join("/"),
          device: s[0]?.device,
        };
      }
      rows.push({ model: m, image: im, med, agree });
      log(
        `${m.id} ${im.id}: ` +
          RUNTIMES.map((rt) => `${rt.id} ${f1(med[rt.id].wall)} ms (inf ${f1(med[rt.id].inf)}, n ${med[rt.id].n})`).join(" | "),
      );
    }
  }
  // Per-dispatch GPU times of ours, each model on the first image (WebGPU run only).
  const profiles = {};
  if (WEBGPU) {
    for (const m of MODELS) profiles[m.id] = await pages.ours.evaluate(([mid, iid]) => window.bench.profile(mid, iid), [m.id, IMAGES[0].id]);
  }
  const warmMem = {};
  for (const rt of RUNTIMES) warmMem[rt.id] = await pages[rt.id].evaluate(() => window.bench.memory());
  await context.close();
  await browser.close();
  await server.close();
  const load1 = loadavg()[0];

  const result = { info, runs: RUNS, warmup: WARMUP, coldRounds: COLD, predict: PREDICT, rows, cold, coldMem, warmMem, wasm, versions, external, profiles, loadavg: [load0, load1] };
  mkdirSync(join(ROOT, "target"), { recursive: true });
  writeFileSync(join(ROOT, `target/bench-results${WEBGPU ? "-webgpu" : ""}.json`), JSON.stringify(result, null, 2));
  const md = WEBGPU ? renderGpu(result) : SCREEN ? renderScreen(result) : render(result);
  console.log(md);
  if (WRITE) writeBenchmarks(md, WEBGPU ? "webgpu" : "latest");
  if (external.length) {
    console.error(`requests to other hosts (blocked): ${[...new Set(external)].join(", ")}`);
    process.exitCode = 1;
  }
}

function render(r) {
  const { info } = r;
  const L = [];
  const command = `make bench  (= ./scripts/build-pkg.sh if pkg/ is missing or stale, then node bench/run.mjs${r.runs !== 10 ? ` --runs ${r.runs}` : ""})`;
  L.push(`Run ${info.date} on ${info.nproc} cores (${info.cpu}, ${info.memory}, ${info.kernel}), Chromium ${info.chromium} headless (Debian, no GPU), Node ${info.node}, commit ${info.commit}.`);
  L.push(`Command: \`${command}\`. Load average ${r.loadavg[0].toFixed(2)} at start, ${r.loadavg[1].toFixed(2)} at end (the cores are shared: only ratios measured side by side mean much).`);
  L.push("");
  L.push("Versions: " + Object.entries(info.versions).map(([k, v]) => `${k} ${v}`).join(", ") + ".");
  L.push("");
  L.push(
    `Each cell is the median of ${r.runs} timed runs after ${r.warmup} warm-up runs per runtime; the runtimes take turns run by run (rotating order), ` +
      `each in its own tab of one browser, on the same decoded \`ImageData\`, with conf ${r.predict.conf}, iou ${r.predict.iou}, imgsz ${r.predict.imgsz}. ` +
      "Wall = `performance.now()` around `predict` in the page. Stage times: yolo-wasm and @ultralytics/yolo report their own `speed`; " +
      "ort-web's are measured around the JS letterbox, `session.run` and the JS decode/NMS/masks (bench/peer.mjs); litert.js's the same way, its inference = `model.run` + copying the outputs out (`toTypedArray`), its post = scaling the 4 box channels by 640 + the same JS decode/NMS/masks. " +
      "Ratios are ours ÷ that runtime (< 1: ours faster). dets = detections returned (a/b when runs differed).",
  );
  L.push("");
  L.push("| model | image | runtime | wall ms | pre | inference | post | pre+post | dets | ours/this inference | ours/this pre+post | ours/this wall |");
  L.push("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const row of r.rows) {
    const o = row.med.ours;
    for (const rt of RUNTIMES) {
      const x = row.med[rt.id];
      const self = rt.id === "ours";
      L.push(
        `| ${row.model.label} | ${row.image.label} | ${rt.label} | ${f1(x.wall)} | ${f1(x.pre)} | ${f1(x.inf)} | ${f1(x.post)} | ${f1(x.prepost)} | ${x.n} | ` +
          `${self ? "" : f2(o.inf / x.inf)} | ${self ? "" : f2(o.prepost / x.prepost)} | ${self ? "" : f2(o.wall / x.wall)} |`,
      );
    }
  }
  L.push("");
  L.push(
    "Agreement with ours (same image and thresholds; each of our boxes matched to the nearest unused box of the other runtime; largest coordinate difference in image pixels): " +
      r.rows
        .map((row) => `${row.model.id} ${row.image.id}: ` + RUNTIMES.slice(1).map((rt) => `${rt.id} ${row.agree[rt.id].theirs}/${row.agree[rt.id].ours} dets, ${f1(row.agree[rt.id].maxBoxDiff)} px`).join(", "))
        .join("; ") + ".",
  );
  L.push("");
  L.push(`Cold start (${COLD_MODEL.label} on ${COLD_IMAGE.label}): a fresh browser context with the HTTP cache disabled (CDP \`Network.setCacheDisabled\`), time from navigation start to the first result (runtime JS + wasm fetched and compiled, model fetched and loaded, image decoded, one predict); median of ${r.coldRounds} rounds, interleaved. Memory in that page after the first result: JS heap = \`performance.memory.usedJSHeapSize\` (precise), its maximum over samples taken after each step; wasm = byte length of every \`WebAssembly.Memory\` the page made (linear memories only grow, so this is their peak).`);
  L.push("");
  L.push("| runtime | cold start ms (median) | runs | wasm files loaded | wasm raw MB | wasm gzip -9 MB | JS heap peak MB (cold page) | wasm memory MB (cold page) | JS heap peak MB (warm page, 4 models) | wasm memory MB (warm page) |");
  L.push("|---|---:|---|---|---:|---:|---:|---:|---:|---:|");
  for (const rt of RUNTIMES) {
    const w = r.wasm[rt.id] ?? [];
    const cm = r.coldMem[rt.id];
    const wm = r.warmMem[rt.id];
    L.push(
      `| ${rt.label} | ${f1(median(r.cold[rt.id]))} | ${r.cold[rt.id].map((x) => x.toFixed(0)).join(", ")} | ${w.map((x) => `\`${x.path.replace(/^node_modules\//, "")}\``).join(" + ")} | ` +
        `${mb(w.reduce((s, x) => s + x.raw, 0))} | ${mb(w.reduce((s, x) => s + x.gzip, 0))} | ${mb(cm.jsHeapPeakSampled)} | ${mb(cm.wasmMemory)} | ${mb(wm.jsHeapPeakSampled)} | ${mb(wm.wasmMemory)} |`,
    );
  }
  L.push("");
  L.push(`Requests to any host but the local server: ${r.external.length ? r.external.join(", ") : "none"}.`);
  L.push("");
  // Targets of the issue.
  const det = r.rows.filter((x) => x.model.task === "detect");
  const seg = r.rows.filter((x) => x.model.task === "segment");
  const ratios = r.rows.map((x) => ({ x, v: x.med.ours.inf / x.med.ort1.inf }));
  const worstRatio = Math.max(...ratios.map((q) => q.v));
  const detPP = Math.max(...det.map((x) => x.med.ours.prepost));
  const segPP = Math.max(...seg.map((x) => x.med.ours.prepost));
  const oursGz = (r.wasm.ours ?? []).reduce((s, x) => s + x.gzip, 0);
  const met = (ok) => (ok ? "**met**" : "**not met**");
  L.push("Targets of the issues (ours = the single-thread build a page without cross-origin isolation gets: relaxed SIMD, as this Chromium has; ours (threads) = the package's default on this isolated page, the threaded build with `initThreadPool(2)`):");
  L.push("");
  L.push("| target | measured | status |");
  L.push("|---|---|---|");
  L.push(`| inference ours / ort-web 1 thread ≤ 0.8 | ${ratios.map((q) => `${q.x.model.id} ${q.x.image.id} ${f2(q.v)}`).join("; ")} (worst ${f2(worstRatio)}) | ${met(worstRatio <= 0.8)} |`);
  if (r.rows[0]?.med.oursT && r.rows[0]?.med.ort2) {
    const t = r.rows.map((x) => ({ x, v: x.med.oursT.inf / x.med.ort2.inf }));
    const worstT = Math.max(...t.map((q) => q.v));
    L.push(`| inference ours (threads) / ort-web 2 threads ≤ 0.8 | ${t.map((q) => `${q.x.model.id} ${q.x.image.id} ${f2(q.v)}`).join("; ")} (worst ${f2(worstT)}) | ${met(worstT <= 0.8)} |`);
    const sc = r.rows.map((x) => ({ x, v: x.med.oursT.inf / x.med.ours.inf }));
    const worstS = Math.max(...sc.map((q) => q.v));
    L.push(`| inference ours 2 threads ÷ ours 1 thread ≤ 0.6 | ${sc.map((q) => `${q.x.model.id} ${q.x.image.id} ${f2(q.v)}`).join("; ")} (worst ${f2(worstS)}) | ${met(worstS <= 0.6)} |`);
    const [ct, co] = [median(r.cold.oursT), median(r.cold.ort2)];
    L.push(`| cold start ours (threads) ≤ ort-web 2 threads | ${f1(ct)} ms vs ${f1(co)} ms (ratio ${f2(ct / co)}; runs ${r.cold.oursT.map((x) => x.toFixed(0)).join(", ")} vs ${r.cold.ort2.map((x) => x.toFixed(0)).join(", ")}) | ${met(ct <= co)} |`);
  }
  // LiteRT.js (XNNPACK) is a peer measured for reference: no target of an issue is set against it.
  const per = (f) => {
    const t = r.rows.map((x) => ({ x, v: f(x.med) }));
    return `${t.map((q) => `${q.x.model.id} ${q.x.image.id} ${f2(q.v)}`).join("; ")} (worst ${f2(Math.max(...t.map((q) => q.v)))})`;
  };
  if (r.rows[0]?.med.litert1) {
    L.push(`| inference ours / litert.js 1 thread | ${per((m) => m.ours.inf / m.litert1.inf)} | no target (reference peer) |`);
  }
  if (r.rows[0]?.med.litert1 && r.rows[0]?.med.oursP) {
    const t = r.rows.map((x) => x.med.oursP.inf / x.med.litert1.inf);
    L.push(`| inference ours (CPU program) / litert.js 1 thread ≤ 0.9 | ${per((m) => m.oursP.inf / m.litert1.inf)} | ${met(Math.max(...t) <= 0.9)} |`);
    L.push(`| inference ours (CPU program) / ours (tract's plan), 1 thread | ${per((m) => m.oursP.inf / m.ours.inf)} | no target (the engine's progress) |`);
  }
  if (r.rows[0]?.med.litert2 && r.rows[0]?.med.oursT) {
    L.push(`| inference ours (threads) / litert.js 2 threads | ${per((m) => m.oursT.inf / m.litert2.inf)} | no target (reference peer) |`);
  }
  if (r.rows[0]?.med.litert1 && r.rows[0]?.med.litert2 && r.rows[0]?.med.ort2) {
    L.push(`| inference litert.js / ort-web, 1 thread; 2 threads | ${per((m) => m.litert1.inf / m.ort1.inf)}; ${per((m) => m.litert2.inf / m.ort2.inf)} | no target (reference peer) |`);
  }
  L.push(`| pre+post ≤ 4 ms, detect 640 | ${det.map((x) => `${x.model.id} ${x.image.id} ${f1(x.med.ours.prepost)}`).join("; ")} ms (worst ${f1(detPP)}) | ${met(detPP <= 4)} |`);
  L.push(`| pre+post ≤ 15 ms, segment 640 | ${seg.map((x) => `${x.model.id} ${x.image.id} ${f1(x.med.ours.prepost)}`).join("; ")} ms (worst ${f1(segPP)}) | ${met(segPP <= 15)} |`);
  const oursFiles = (r.wasm.ours ?? []).map((x) => x.path).join(" + ");
  L.push(`| our wasm ≤ 2 MB gzip | ${mb(oursGz)} MB (${oursGz} bytes, gzip -9 of ${oursFiles}, the file the default \`init()\` loaded) | ${met(oursGz <= 2e6)} |`);
  return L.join("\n");
}

/** The short table of a screening run (a subset of runtimes, models or images, or another pkg). */
function renderScreen(r) {
  const L = [`${r.info.date}, load ${r.loadavg[0].toFixed(2)} → ${r.loadavg[1].toFixed(2)}, pkgs ${PKGS.join(", ")}, runs ${r.runs}, warm-up ${r.warmup}`];
  for (const rt of RUNTIMES) for (const w of rt.runtime === "ours" ? (r.wasm[rt.id] ?? []) : []) L.push(`${rt.id}: ${w.path}: ${w.raw} bytes raw, ${w.gzip} gzip -9`);
  if (r.coldRounds) L.push(`cold start: ${RUNTIMES.map((rt) => `${rt.id} ${f1(median(r.cold[rt.id]))} ms`).join(", ")}`);
  L.push("| model | image | runtime | wall | pre | inference | post | inference / ort1 | inference / ours |", "|---|---|---|---:|---:|---:|---:|---:|---:|");
  for (const row of r.rows) {
    for (const rt of RUNTIMES) {
      const x = row.med[rt.id];
      const ort = row.med.ort1;
      L.push(`| ${row.model.id} | ${row.image.id} | ${rt.id} | ${f1(x.wall)} | ${f1(x.pre)} | ${f1(x.inf)} | ${f1(x.post)} | ${ort ? f2(x.inf / ort.inf) : "–"} | ${f2(x.inf / row.med.ours.inf)} |`);
    }
  }
  return L.join("\n");
}

/** The WebGPU table: same adapter for all, ratios ours ÷ peer, and our per-kernel GPU times. */
function renderGpu(r) {
  const { info } = r;
  const L = [];
  const adapter = REAL_GPU ? "the machine's GPU (BENCH_GPU=1)" : "SwiftShader (Chromium's CPU emulation of a GPU, `--enable-unsafe-webgpu`): the ratios say how efficient the kernels and their scheduling are, not what a real GPU does";
  L.push(`Run ${info.date} on ${info.nproc} cores (${info.cpu}), Chromium ${info.chromium} headless, commit ${info.commit}; adapter: ${adapter}.`);
  L.push(`Command: \`make bench\` (its WebGPU part: \`node bench/run.mjs --webgpu\`). Median of ${r.runs} runs after ${r.warmup} warm-up, runtimes taking turns; load average ${r.loadavg[0].toFixed(2)} → ${r.loadavg[1].toFixed(2)}.`);
  L.push("");
  L.push("Versions: " + Object.entries(info.versions).map(([k, v]) => `${k} ${v}`).join(", ") + ".");
  L.push("");
  L.push("| model | image | runtime | wall ms | inference | pre+post | dets | ours/this inference | ours/this wall |");
  L.push("|---|---|---|---:|---:|---:|---:|---:|---:|");
  for (const row of r.rows) {
    const o = row.med.ours;
    for (const rt of RUNTIMES) {
      const x = row.med[rt.id];
      const self = rt.id === "ours";
      L.push(`| ${row.model.label} | ${row.image.label} | ${rt.label} | ${f1(x.wall)} | ${f1(x.inf)} | ${f1(x.prepost)} | ${x.n} | ${self ? "" : f2(o.inf / x.inf)} | ${self ? "" : f2(o.wall / x.wall)} |`);
    }
  }
  L.push("");
  if (r.rows.length && r.rows[0].med.ortG) {
    const worst = Math.max(...r.rows.map((x) => x.med.ours.inf / x.med.ortG.inf));
    L.push(`Target ours / ort-web WebGPU ≤ 0.8 (inference): worst ${f2(worst)}, **${worst <= 0.8 ? "met" : "not met"}** on this adapter.`);
    L.push("");
  }
  for (const [model, steps] of Object.entries(r.profiles ?? {})) {
    if (!steps) {
      L.push(`${model}: no per-dispatch times (the adapter has no \`timestamp-query\`).`);
      continue;
    }
    const per = new Map();
    for (const s of steps) {
      const e = per.get(s.kernel) ?? { ms: 0, macs: 0, n: 0 };
      e.ms += s.ms;
      e.macs += s.macs;
      e.n += 1;
      per.set(s.kernel, e);
    }
    const total = steps.reduce((a, s) => a + s.ms, 0);
    L.push(`${model}: GPU time per kernel (timestamp queries, one pass per dispatch; total ${f1(total)} ms over ${steps.length} dispatches): ` +
      [...per].sort((a, b) => b[1].ms - a[1].ms).map(([k, e]) => `${k} ×${e.n} ${f1(e.ms)} ms${e.macs ? ` (${f1((2 * e.macs) / (e.ms * 1e6))} GFLOP/s)` : ""}`).join(", ") + ".");
    L.push("");
  }
  return L.join("\n");
}

function writeBenchmarks(md, part) {
  const START = `<!-- bench:${part}:start (written by bench/run.mjs; edit outside these markers) -->`;
  const END = `<!-- bench:${part}:end -->`;
  const file = join(ROOT, "BENCHMARKS.md");
  const block = `${START}\n${md}\n${END}`;
  const heading = part === "latest" ? "Latest run" : "Latest WebGPU run";
  let text = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const a = text.indexOf(START.slice(0, START.indexOf(" (")));
  const b = text.indexOf(END);
  if (a < 0 || b < 0) text = `${text.trimEnd()}\n\n## ${heading}\n\n${block}\n`;
  else text = text.slice(0, a) + block + text.slice(b + END.length);
  writeFileSync(file, text);
  log(`wrote BENCHMARKS.md (${part})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
