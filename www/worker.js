// Module worker: owns the LocalModel so tract's inference (synchronous wasm, ~0.5-1 s per frame)
// never blocks the page. Protocol (one reply per request, matched by `id`):
//   {id, type: "load", bytes: ArrayBuffer, name}          → {id, ok, info, runtime}
//   {id, type: "predict", bitmap: ImageBitmap, options}   → {id, ok, response, bitmap}
// The bitmap is transferred in and transferred back, so the page can draw the very frame that was
// inferred without copying it. Failures reply {id, ok: false, error: {name, message, code, …}}:
// structured cloning keeps an Error's message but drops YoloError's own fields, so they are copied.
// Threads: where the page is cross-origin isolated, init() loads the threaded build and the pool's
// workers (one per core) are started from this worker; `runtime` ({build, threads}) says what runs.
import init, { LocalModel, initThreadPool, runtimeInfo } from "../pkg/yolo_wasm.js";

const ready = init().then(() => initThreadPool());
let model = null;
// Requests run one after another: a second "load" must not interleave with the first one's awaits.
let queue = Promise.resolve();

self.onmessage = ({ data }) => {
  queue = queue.then(() => handle(data));
};

async function handle(data) {
  const { id, type } = data;
  const transfer = data.bitmap ? [data.bitmap] : [];
  try {
    await ready;
    if (type === "load") {
      model?.free();
      model = null;
      model = await LocalModel.load(new File([data.bytes], data.name));
      self.postMessage({ id, ok: true, info: model.info, runtime: runtimeInfo() });
    } else if (type === "predict") {
      if (!model) throw Object.assign(new Error("no model loaded"), { name: "YoloError", code: "invalid_model" });
      const response = await model.predict(data.bitmap, data.options);
      self.postMessage({ id, ok: true, response, bitmap: data.bitmap }, transfer);
    } else {
      throw new Error(`unknown request ${type}`);
    }
  } catch (e) {
    const error = { name: e?.name ?? "Error", message: e?.message ?? String(e) };
    for (const k of ["code", "field", "status"]) if (e?.[k] !== undefined) error[k] = e[k];
    self.postMessage({ id, ok: false, error, bitmap: data.bitmap }, transfer);
  }
}
