// The benchmark page: hosts ONE runtime (URL ?runtime=ours|ort|litert|ultralytics, &threads=N
// for ours, ort and litert)
// and exposes `window.bench` for bench/run.mjs. With `&cold=<model>&image=<image>&nc=&task=` it
// loads that model and image at once and predicts one time: `window.coldResult.firstResultMs`
// is the time from navigation start to that first result.
import { letterbox, letterboxCanvas, postprocess } from "./peer.mjs";

// Every WebAssembly.Memory the page creates or instantiates (wasm-bindgen's exported memory,
// Emscripten's imported shared memory), so each runtime's wasm memory can be read.
const memories = new Set();
{
  const grab = (r) => {
    const inst = r instanceof WebAssembly.Instance ? r : r?.instance;
    for (const v of Object.values(inst?.exports ?? {})) if (v instanceof WebAssembly.Memory) memories.add(v);
    return r;
  };
  const inst = WebAssembly.instantiate;
  const stream = WebAssembly.instantiateStreaming;
  WebAssembly.instantiate = function (...a) {
    return inst.apply(this, a).then(grab);
  };
  WebAssembly.instantiateStreaming = function (...a) {
    return stream.apply(this, a).then(grab);
  };
  WebAssembly.Memory = new Proxy(WebAssembly.Memory, {
    construct(target, args) {
      const m = new target(...args);
      memories.add(m);
      return m;
    },
  });
}

const params = new URLSearchParams(location.search);
const RUNTIME = params.get("runtime") ?? "ours";
const THREADS = Number(params.get("threads") ?? 1);
const PEER_PRE = params.get("pre") ?? "canvas";
// ?device=webgpu: every runtime on WebGPU (ours: `device: "webgpu"`, ort-web: its WebGPU EP,
// @ultralytics/yolo: `device: "webgpu"`); default: every runtime on the CPU, ours included
// (`device: "cpu"`, so a machine with a GPU still measures the CPU path here).
const DEVICE = params.get("device") === "webgpu" ? "webgpu" : "cpu";
// Which build of our package (bench/run.mjs --pkg): a directory of the checkout.
const PKG = params.get("pkg") ?? "/pkg/";
// ?engine=program: ours on our own CPU executor (`cpuEngine: "program"`); default tract's plan.
const ENGINE = params.get("engine") ?? "tract";
const ORT_DIST = "/node_modules/onnxruntime-web/dist/";
// The ONNX Runtime Web build @ultralytics/yolo 0.0.48 pins (its loader's CDN URL is
// .../web@1.27.0/; the npm files have the same sha384 as its integrity attributes).
const ULTRA_ORT_DIST = "/node_modules/onnxruntime-web-1.27.0/dist/";
// LiteRT.js from npm (@litertjs/core; index.html maps @litertjs/wasm-utils), its wasm from the
// checkout, never its CDN default.
const LITERT_JS = "/node_modules/@litertjs/core/dist/index.js";
const LITERT_WASM = "/node_modules/@litertjs/core/wasm/";

/** The `.tflite` export of an ONNX model: bench/models/<stem>.tflite (make_litert_models.py). */
const tfliteUrl = (onnxUrl) => `/bench/models/${onnxUrl.split("/").pop().replace(/\.onnx$/, "")}.tflite`;

/**
 * One LiteRT.js inference: input tensor in, outputs copied out to JS as `{ dims, data }` (the
 * shape ort-web's tensors have), the dense head `[1, features, anchors]` first, then the mask
 * prototypes; every LiteRT tensor deleted.
 */
async function litertRun(lrt, model, tensor, imgsz) {
  const input = new lrt.Tensor(tensor, [1, 3, imgsz, imgsz]);
  let outs;
  try {
    outs = await model.run(input);
  } finally {
    input.delete();
  }
  const details = model.getOutputDetails();
  const outputs = outs.map((t, i) => {
    const data = t.toTypedArray();
    t.delete();
    return { dims: [...details[i].shape], data: data instanceof Float32Array ? data : Float32Array.from(data) };
  });
  return outputs.sort((a, b) => a.dims.length - b.dims.length);
}

/** LiteRT exports divide the 4 box channels by the input size: back to input pixels. */
function scaleBoxes(outputs, imgsz) {
  const { dims, data } = outputs[0];
  const end = 4 * dims[2];
  for (let i = 0; i < end; i++) data[i] *= imgsz;
}

let peakHeap = 0;
const sampleHeap = () => {
  const used = performance.memory?.usedJSHeapSize ?? 0;
  if (used > peakHeap) peakHeap = used;
  return used;
};

/** One runtime behind a common interface: load(url, meta) → model; predict(model, img, opts). */
async function makeRuntime(name) {
  if (name === "ours") {
    const mod = await import(`${PKG}yolo_wasm.js`);
    // ?threads=N (N > 1): the package's default pick (the threaded build on this cross-origin
    // isolated page) and a pool of N workers. One thread: the single-thread build a page without
    // isolation gets (relaxed SIMD here), or ?build=… forced (e.g. simd128).
    const build = params.get("build") ?? (THREADS > 1 ? null : mod.relaxedSimdSupported() ? "relaxed-simd" : "simd128");
    const loaded = await mod.default(build ? { build } : undefined);
    // The pool starts while the first model loads (its workers spin up meanwhile), as the package
    // README suggests; predict waits for it.
    const pool = THREADS > 1 ? mod.initThreadPool(THREADS) : Promise.resolve();
    // ?tune=PANELS:ELEMENTS (bench/run.mjs --tunes): tract's threading thresholds, threaded build only.
    if (params.get("tune")) {
      const [panels, elements] = params.get("tune").split(":").map(Number);
      console.log(`thresholds now ${(await import(`${PKG}yolo_wasm_threads.js`)).__threadingThresholds(panels, elements)}`);
    }
    let checked = false;
    return {
      version: null,
      async load(url) {
        const model = await mod.LocalModel.load(url, { device: DEVICE, cpuEngine: ENGINE });
        if (model.info.device !== DEVICE) throw new Error(`yolo-wasm runs on ${model.info.device}: ${model.info.deviceReason}`);
        if (DEVICE === "cpu" && model.info.cpuEngine !== ENGINE) {
          throw new Error(`yolo-wasm runs on ${model.info.cpuEngine}, not ${ENGINE}: ${model.info.cpuEngineReason}`);
        }
        return model;
      },
      async profile(model, img) {
        return model.gpuProfile(img);
      },
      async predict(model, img, { imgsz, conf, iou }) {
        const res = await model.predict(img, { imgsz, conf, iou });
        if (!checked) {
          await pool;
          const info = mod.runtimeInfo();
          if (info.threads !== THREADS) throw new Error(`yolo-wasm runs ${info.threads} threads (${info.build} build), asked for ${THREADS}`);
          console.log(`yolo-wasm: ${loaded.build} build, ${info.threads} threads`);
          checked = true;
        }
        const im = res.images[0];
        return { n: im.results.length, ...im.speed, raw: im.results };
      },
    };
  }
  if (name === "ort") {
    const ort = await import(`${ORT_DIST}${DEVICE === "webgpu" ? "ort.webgpu.min.mjs" : "ort.wasm.min.mjs"}`);
    ort.env.wasm.wasmPaths = ORT_DIST;
    ort.env.wasm.numThreads = THREADS;
    ort.env.wasm.simd = true; // only SIMD builds ship since 1.19; kept for older versions
    ort.env.wasm.proxy = false;
    return {
      version: ort.env.versions?.web ?? null,
      async load(url, meta) {
        const session = await ort.InferenceSession.create(url, {
          executionProviders: [DEVICE === "webgpu" ? "webgpu" : "wasm"],
          graphOptimizationLevel: "all",
        });
        return { session, meta };
      },
      async predict({ session, meta }, img, { imgsz, conf, iou }) {
        const t0 = performance.now();
        const lb = PEER_PRE === "js" ? letterbox(img, imgsz) : await letterboxCanvas(img, imgsz);
        const input = new ort.Tensor("float32", lb.tensor, [1, 3, imgsz, imgsz]);
        const t1 = performance.now();
        const out = await session.run({ [session.inputNames[0]]: input });
        const t2 = performance.now();
        const outputs = session.outputNames.map((k) => out[k]);
        const results = postprocess(outputs, lb, img, { nc: meta.nc, task: meta.task, conf, iou });
        for (const t of outputs) t.dispose?.();
        const t3 = performance.now();
        return { n: results.length, preprocess: t1 - t0, inference: t2 - t1, postprocess: t3 - t2, raw: results };
      },
    };
  }
  if (name === "litert") {
    // LiteRT.js (Google's LiteRT with XNNPACK, compiled to wasm): the same `.tflite` weights as the
    // ONNX file (bench/models/make_litert_models.py), the same JS pre/post as the ort-web peer.
    // One thread: its single-thread build; more: its threaded build with cpuOptions.numThreads.
    const lrt = await import(LITERT_JS);
    await lrt.loadLiteRt(LITERT_WASM, THREADS > 1 ? { threads: true } : {});
    return {
      version: null,
      async load(url, meta) {
        const model = await lrt.loadAndCompile(tfliteUrl(url), { accelerator: "wasm", cpuOptions: { numThreads: THREADS } });
        return { model, meta };
      },
      async predict(m, img, { imgsz, conf, iou }) {
        const t0 = performance.now();
        const lb = PEER_PRE === "js" ? letterbox(img, imgsz) : await letterboxCanvas(img, imgsz);
        const t1 = performance.now();
        const outputs = await litertRun(lrt, m.model, lb.tensor, imgsz);
        const t2 = performance.now();
        scaleBoxes(outputs, imgsz);
        const results = postprocess(outputs, lb, img, { nc: m.meta.nc, task: m.meta.task, conf, iou });
        const t3 = performance.now();
        return { n: results.length, preprocess: t1 - t0, inference: t2 - t1, postprocess: t3 - t2, raw: results };
      },
      /** The raw outputs (boxes scaled to input pixels) and detections of one letterboxed image. */
      async rawOutputs(m, lb, img, { imgsz, conf, iou }) {
        const outputs = await litertRun(lrt, m.model, lb.tensor, imgsz);
        scaleBoxes(outputs, imgsz);
        return { outputs, results: postprocess(outputs, lb, img, { nc: m.meta.nc, task: m.meta.task, conf, iou }) };
      },
    };
  }
  if (name === "ultralytics") {
    const { YOLO } = await import("/node_modules/@ultralytics/yolo/dist/index.js");
    return {
      version: null,
      async load(url) {
        return YOLO.load(url, { device: DEVICE, ortBaseUrl: new URL(ULTRA_ORT_DIST, location.href).href });
      },
      async predict(model, img, { conf, iou }) {
        const res = await model.predict(img, { conf, iou });
        return { n: res.boxes.length, ...res.speed, device: model.device, raw: res.boxes };
      },
    };
  }
  throw new Error(`unknown runtime ${name}`);
}

async function decodeImage(url) {
  const blob = await (await fetch(url)).blob();
  const bmp = await createImageBitmap(blob);
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bmp, 0, 0);
  bmp.close();
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

const models = new Map();
const images = new Map();
let runtime = null;

window.bench = {
  runtime: RUNTIME,
  threads: THREADS,
  async init() {
    runtime ??= await makeRuntime(RUNTIME);
    return { crossOriginIsolated: self.crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency, version: runtime.version };
  },
  async loadModel(id, url, meta) {
    const t0 = performance.now();
    models.set(id, await runtime.load(url, meta));
    sampleHeap();
    return performance.now() - t0;
  },
  async loadImage(id, url) {
    images.set(id, await decodeImage(url));
    sampleHeap();
  },
  /** One timed prediction: wall time around predict plus the runtime's own stage times. */
  async run(modelId, imageId, opts) {
    const model = models.get(modelId);
    const img = images.get(imageId);
    const t0 = performance.now();
    const r = await runtime.predict(model, img, opts);
    const wall = performance.now() - t0;
    sampleHeap();
    const { raw, ...rest } = r;
    return { wall, ...rest };
  },
  /**
   * LiteRT.js only: the apples-to-apples check run before timing. One letterboxed image goes
   * through this page's LiteRT.js model and through onnxruntime-web (1 thread) on the ONNX file it
   * was exported from; returns the largest difference of each part of the raw outputs relative to
   * that part's largest value in ort-web's, and both runtimes' detections.
   */
  async check(modelId, imageId, onnxUrl, opts) {
    if (!runtime.rawOutputs) throw new Error(`${RUNTIME}: no check`);
    const m = models.get(modelId);
    const img = images.get(imageId);
    const lb = await letterboxCanvas(img, opts.imgsz);
    const mine = await runtime.rawOutputs(m, lb, img, opts);
    const ort = await import(`${ORT_DIST}ort.wasm.min.mjs`);
    ort.env.wasm.wasmPaths = ORT_DIST;
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    const session = await ort.InferenceSession.create(onnxUrl, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor("float32", lb.tensor, [1, 3, opts.imgsz, opts.imgsz]) });
    const theirs = session.outputNames.map((k) => out[k]).sort((a, b) => a.dims.length - b.dims.length);
    const results = postprocess(theirs, lb, img, { nc: m.meta.nc, task: m.meta.task, conf: opts.conf, iou: opts.iou });
    await session.release();
    // Parts: boxes, class scores, mask coefficients (segment) of the head; the prototypes.
    const nc = m.meta.nc;
    const parts = [];
    const head = theirs[0].dims;
    const groups = [["boxes", 0, 4], ["scores", 4, 4 + nc]];
    if (head[1] > 4 + nc) groups.push(["mask coefficients", 4 + nc, head[1]]);
    for (const [name, c0, c1] of groups) parts.push({ name, k: 0, from: c0 * head[2], to: c1 * head[2] });
    if (theirs[1]) parts.push({ name: "prototypes", k: 1, from: 0, to: theirs[1].data.length });
    const shapes = { litert: mine.outputs.map((o) => o.dims), ort: theirs.map((o) => [...o.dims]) };
    const same = JSON.stringify(shapes.litert) === JSON.stringify(shapes.ort);
    const diffs = [];
    if (same) {
      for (const p of parts) {
        const a = mine.outputs[p.k].data;
        const b = theirs[p.k].data;
        let max = 0;
        let diff = 0;
        for (let i = p.from; i < p.to; i++) {
          max = Math.max(max, Math.abs(b[i]));
          diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        diffs.push({ name: p.name, maxAbs: max, maxDiff: diff, rel: max > 0 ? diff / max : diff });
      }
    }
    return { shapes, sameShapes: same, diffs, litert: mine.results, ort: results };
  },
  /** Per-dispatch GPU times of one inference (ours on WebGPU only; null elsewhere). */
  async profile(modelId, imageId) {
    return runtime.profile ? runtime.profile(models.get(modelId), images.get(imageId)) : null;
  },
  /** Full results of one prediction (for checking that the runtimes agree). */
  async results(modelId, imageId, opts) {
    const r = await runtime.predict(models.get(modelId), images.get(imageId), opts);
    return r.raw;
  },
  memory() {
    sampleHeap();
    return {
      jsHeapUsed: performance.memory?.usedJSHeapSize ?? null,
      jsHeapTotal: performance.memory?.totalJSHeapSize ?? null,
      jsHeapPeakSampled: peakHeap,
      wasmMemories: [...memories].map((m) => m.buffer.byteLength),
      wasmMemory: [...memories].reduce((s, m) => s + m.buffer.byteLength, 0),
    };
  },
  resources() {
    return performance
      .getEntriesByType("resource")
      .map((e) => ({ name: e.name, encoded: e.encodedBodySize, decoded: e.decodedBodySize, duration: e.duration }));
  },
};

const cold = params.get("cold");
if (cold) {
  try {
    await window.bench.init();
    const initMs = performance.now();
    const meta = { nc: Number(params.get("nc")), task: params.get("task") };
    const [, img] = await Promise.all([window.bench.loadModel("m", cold, meta), window.bench.loadImage("i", params.get("image"))]);
    void img;
    const loadedMs = performance.now();
    const opts = { imgsz: 640, conf: Number(params.get("conf") ?? 0.25), iou: Number(params.get("iou") ?? 0.45) };
    const r = await window.bench.run("m", "i", opts);
    window.coldResult = { firstResultMs: performance.now(), stages: { initMs, loadedMs }, first: r };
  } catch (e) {
    window.coldResult = { error: String(e?.stack ?? e) };
  }
}
document.getElementById("status").textContent = `ready: ${RUNTIME}`;
window.benchReady = true;
