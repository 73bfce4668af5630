// Where our wasm spends an inference, in the same headless Chromium as bench/run.mjs: V8's
// sampling profiler (CDP Profiler) around N predictions, self time summed per wasm function
// (names from the wasm name section, so profile a build that keeps it) and per group of
// functions (tract op / kernel family).
//
//   node bench/profile.mjs [--pkg target/pkg-x] [--model tests/fixtures/models/yolo11n-shapes.onnx]
//                          [--image tests/fixtures/images/bus.jpg] [--runs 5] [--top 40]
import { chromium } from "playwright-core";
import { serve } from "./server.mjs";
import { BASE_ARGS, CHROMIUM, OFFLINE } from "../scripts/chromium.mjs";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const PKG = opt("--pkg", "pkg").replace(/^\/+|\/+$/g, "");
const MODEL = opt("--model", "tests/fixtures/models/yolo11n-shapes.onnx");
const IMAGE = opt("--image", "tests/fixtures/images/bus.jpg");
const RUNS = Number(opt("--runs", 5));
const TOP = Number(opt("--top", 40));

// Groups, first match wins: what a reader of the table wants to know is which op costs what.
const GROUPS = [
  [/softmax/i, "softmax"],
  [/mmm|matmatmul|MatMatMul|frame::mmm|kernel|packed_packed|Packer|pack::|PackedFormat/i, "matmul kernels + packing"],
  [/im2col|Im2Col|Patcher|lazy_im2col|LazyIm2col/i, "im2col"],
  [/conv|Conv/, "conv (other)"],
  [/sigmoid|silu|Silu|tanh|exp/i, "sigmoid / silu / exp"],
  [/pad|Pad/, "pad"],
  [/pool|Pool/, "max pool"],
  [/ndarray/, "ndarray (iteration, copies)"],
  [/memcpy|memmove|memset|copy/i, "memcpy / memset"],
  [/dlmalloc|alloc|free/i, "allocator"],
  [/yolo_wasm/, "yolo-wasm (pre/post)"],
  [/tract_core/, "tract-core (other)"],
  [/tract_linalg/, "tract-linalg (other)"],
  [/tract_data/, "tract-data"],
];

const server = await serve();
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  chromiumSandbox: false,
  args: [...BASE_ARGS, ...OFFLINE],
});
const page = await browser.newPage();
await page.goto(`${server.url}/bench/index.html?runtime=ours&threads=1&pkg=/${PKG}/`);
await page.waitForFunction(() => window.benchReady);
await page.evaluate(() => window.bench.init());
await page.evaluate(([url]) => window.bench.loadModel("m", url, {}), [`/${MODEL}`]);
await page.evaluate(([url]) => window.bench.loadImage("i", url), [`/${IMAGE}`]);
const opts = { imgsz: 640, conf: 0.25, iou: 0.45 };
await page.evaluate(([o]) => window.bench.run("m", "i", o), [opts]); // warm-up
const cdp = await page.context().newCDPSession(page);
await cdp.send("Profiler.enable");
await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
await cdp.send("Profiler.start");
const speeds = [];
for (let i = 0; i < RUNS; i++) speeds.push(await page.evaluate(([o]) => window.bench.run("m", "i", o), [opts]));
const { profile } = await cdp.send("Profiler.stop");
await browser.close();
await server.close();

// Self time per node = samples × interval; sum per function name and per group.
const dt = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const d = profile.timeDeltas[i + 1] ?? 0;
  dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + d);
}
const byFn = new Map();
for (const n of profile.nodes) {
  const us = dt.get(n.id) ?? 0;
  if (!us) continue;
  const name = (n.callFrame.functionName || `(${n.callFrame.url.split("/").pop() || "anonymous"})`).replace(/::h[0-9a-f]{16}$/, "");
  byFn.set(name, (byFn.get(name) ?? 0) + us);
}
const total = [...byFn.values()].reduce((a, b) => a + b, 0);
const byGroup = new Map();
for (const [name, us] of byFn) {
  const g = (GROUPS.find(([re]) => re.test(name)) ?? [null, /^\(/.test(name) ? name : "other"])[1];
  byGroup.set(g, (byGroup.get(g) ?? 0) + us);
}
const inf = speeds.map((s) => s.inference).sort((a, b) => a - b);
console.log(`${PKG}/, ${MODEL} on ${IMAGE}: ${RUNS} runs, inference median ${inf[RUNS >> 1].toFixed(0)} ms; ${(total / 1e3).toFixed(0)} ms sampled`);
console.log("\n| group | ms per run | share |\n|---|---:|---:|");
for (const [g, us] of [...byGroup].sort((a, b) => b[1] - a[1])) {
  console.log(`| ${g} | ${(us / 1e3 / RUNS).toFixed(1)} | ${((100 * us) / total).toFixed(1)} % |`);
}
console.log(`\ntop ${TOP} functions (self time):`);
for (const [name, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
  console.log(`${(us / 1e3 / RUNS).toFixed(1).padStart(8)} ms  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${name.slice(0, 180)}`);
}
