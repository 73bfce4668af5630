// The app every bundler test builds (tests/pkg/bundlers.test.mjs copies this file to the src/main.js
// of tests/pkg/vite-app, webpack-app and esbuild-app): yolo-wasm used as an app would, from the
// package's two entry points, with the model and the image next to the page.
//   main: init() + initThreadPool(2) + LocalModel.load + predict(Blob) and predict(ImageBitmap) on
//         the page's thread (the threaded build's pool where the page is cross-origin isolated);
//   worker: yolo-wasm/worker's createWorkerModel (its own module worker, with threads: 2) +
//         predict(ImageBitmap) and predict(Blob).
// One after the other (at once, the two fetches of the 10 MB model raced in Chromium's in-memory
// HTTP cache of a fresh context: net::ERR_CACHE_WRITE_FAILURE under `vite preview`); each part's
// outcome lands in window.outcome.main / .worker as it settles. No top-level await: webpack's
// classic script output has none.
import init, { LocalModel, initThreadPool, runtimeInfo } from "yolo-wasm";
import { createWorkerModel } from "yolo-wasm/worker";

const MODEL = new URL("yolo11n-shapes.onnx", document.baseURI).href;
const IMAGE = new URL("square-640x640.png", document.baseURI).href;

window.outcome = { isolated: globalThis.crossOriginIsolated === true };

const image = async () => (await fetch(IMAGE)).blob();

async function onMainThread() {
  const loaded = await init();
  await initThreadPool(2);
  const model = await LocalModel.load(MODEL);
  try {
    const blob = await image();
    const fromBlob = await model.predict(blob);
    const fromBitmap = await model.predict(await createImageBitmap(blob));
    return { loaded, runtime: runtimeInfo(), info: model.info, responses: [fromBlob, fromBitmap] };
  } finally {
    model.free();
  }
}

async function inWorker() {
  const model = await createWorkerModel(MODEL, { threads: 2 });
  try {
    const blob = await image();
    const fromBitmap = await model.predict(await createImageBitmap(blob));
    const fromBlob = await model.predict(blob);
    return { runtime: model.runtime, info: model.info, stats: model.stats, responses: [fromBitmap, fromBlob] };
  } finally {
    model.free();
  }
}

const status = document.getElementById("status");
const show = () => {
  status.textContent = ["main", "worker"]
    .map((k) => `${k}: ${k in window.outcome ? (window.outcome[k].ok ? "ok" : `failed: ${window.outcome[k].error.message}`) : "running…"}`)
    .join("; ");
};

async function runParts() {
  for (const [part, run] of [["main", onMainThread], ["worker", inWorker]]) {
    try {
      window.outcome[part] = { ok: true, ...(await run()) };
    } catch (e) {
      window.outcome[part] = { ok: false, error: { name: e?.name, code: e?.code, message: e?.message ?? String(e), stack: e?.stack } };
    }
    show();
  }
}

show();
runParts();
