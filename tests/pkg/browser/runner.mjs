// Runs golden cases through the package as a user would (the default init(), optionally
// initThreadPool), in a page or a dedicated worker (worker.mjs); the harness (../threads.test.mjs)
// compares the responses with Ultralytics' golden files.
//   run({ pkg: URL of pkg/yolo_wasm.js, threads: number | undefined, cases: [{model, image, imgsz, conf, iou}] })
export async function run({ pkg: pkgUrl, threads, cases }) {
  const pkg = await import(pkgUrl);
  const before = pkg.runtimeInfo();
  const loaded = await pkg.default();
  if (threads !== undefined) await pkg.initThreadPool(threads);
  // The pool keeps its size: the same count (or none) resolves, another one is refused, typed.
  const again = [];
  for (const n of [threads, undefined, (threads ?? 1) + 1, 0, 17]) {
    again.push(await pkg.initThreadPool(n).then(() => "ok", (e) => `${e.name} ${e.code} ${e.field}`));
  }
  const responses = [];
  let model = null;
  let modelName = null;
  for (const c of cases) {
    if (c.model !== modelName) {
      model?.free();
      model = await pkg.LocalModel.load(new URL(`/tests/fixtures/models/${c.model}`, location.href).href);
      modelName = c.model;
    }
    const blob = await (await fetch(new URL(`/tests/fixtures/images/${c.image}`, location.href))).blob();
    const bitmap = await createImageBitmap(blob);
    responses.push(await model.predict(bitmap, { imgsz: c.imgsz, conf: c.conf, iou: c.iou }));
    bitmap.close();
  }
  // Is this thread free while a prediction runs? Timer ticks (every 5 ms) during one predict of
  // the last case: none when the inference runs on this thread, some when it runs on a pool.
  const last = cases.at(-1);
  const bitmap = await createImageBitmap(await (await fetch(new URL(`/tests/fixtures/images/${last.image}`, location.href))).blob());
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 5);
  const t0 = performance.now();
  await model.predict(bitmap, { imgsz: last.imgsz, conf: last.conf, iou: last.iou });
  const predictMs = performance.now() - t0;
  clearInterval(timer);
  bitmap.close();
  model?.free();
  return {
    before,
    loaded,
    after: pkg.runtimeInfo(),
    threadsSupported: pkg.threadsSupported(),
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    ticks,
    predictMs,
    again,
    responses,
  };
}
