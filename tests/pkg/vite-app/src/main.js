// One prediction through yolo-wasm/worker, as an app would do it; the outcome lands in
// window.viteOutcome for the test (tests/pkg/vite.test.mjs), which compares it with the golden.
import { createWorkerModel } from "yolo-wasm/worker";

const status = document.getElementById("status");
try {
  // The model and the image are in public/ (copied there by the test).
  const model = await createWorkerModel("/yolo11n-shapes.onnx");
  const blob = await (await fetch("/square-640x640.png")).blob();
  const response = await model.predict(await createImageBitmap(blob));
  const latest = await model.predictLatest(blob);
  window.viteOutcome = { ok: true, response, latest, info: model.info, runtime: model.runtime, stats: model.stats };
  model.free();
  status.textContent = `${response.images[0].results.length} results (${model.runtime.build}, ${model.runtime.threads} threads)`;
} catch (e) {
  window.viteOutcome = { ok: false, error: { name: e?.name, code: e?.code, message: e?.message ?? String(e) } };
  status.textContent = `failed: ${e?.message ?? e}`;
}
