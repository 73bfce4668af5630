// Runs golden cases through the package as a user would (the default init(), optionally
// initThreadPool), in a page or a dedicated worker (worker.mjs); the harnesses (../threads.test.mjs,
// ../engines.test.mjs) compare the responses with Ultralytics' golden files. `features` is what
// this engine and context offer, probed here (so the harness can reason which build must run), and
// `wasmFetched` the .wasm files this context fetched (its resource timeline).
//   run({ pkg: URL of pkg/yolo_wasm.js, threads: number | undefined, cases: [{model, image, imgsz, conf, iou}],
//         loadOptions: LocalModel.load's options | undefined })
// `engines` says, per model, which CPU executor ran it (info.cpuEngine, info.cpuEngineReason).
export async function run({ pkg: pkgUrl, threads, cases, loadOptions }) {
  const pkg = await import(pkgUrl);
  const features = {
    sharedArrayBuffer: typeof SharedArrayBuffer,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    sharedMemoryPosts: sharedMemoryPosts(),
    relaxedSimd: pkg.relaxedSimdSupported(),
    // v128.const 0 in a () -> v128 function: SIMD128.
    simd128: WebAssembly.validate(
      new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, ...new Array(16).fill(0), 11]),
    ),
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
  };
  const before = pkg.runtimeInfo();
  const loaded = await pkg.default();
  if (threads !== undefined) await pkg.initThreadPool(threads);
  // The pool keeps its size: the same count (or none) resolves, another one is refused, typed.
  const again = [];
  for (const n of [threads, undefined, (threads ?? 1) + 1, 0, 17]) {
    again.push(await pkg.initThreadPool(n).then(() => "ok", (e) => `${e.name} ${e.code} ${e.field}`));
  }
  const responses = [];
  const engines = [];
  let model = null;
  let modelName = null;
  for (const c of cases) {
    if (c.model !== modelName) {
      model?.free();
      model = await pkg.LocalModel.load(new URL(`/tests/fixtures/models/${c.model}`, location.href).href, loadOptions);
      modelName = c.model;
    }
    const blob = await (await fetch(new URL(`/tests/fixtures/images/${c.image}`, location.href))).blob();
    const bitmap = await createImageBitmap(blob);
    responses.push(await model.predict(bitmap, { imgsz: c.imgsz, conf: c.conf, iou: c.iou }));
    bitmap.close();
    engines.push({ model: c.model, cpuEngine: model.info.cpuEngine, cpuEngineReason: model.info.cpuEngineReason ?? null });
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
    features,
    wasmFetched: performance
      .getEntriesByType("resource")
      .map((e) => e.name.split("/").pop())
      .filter((n) => n.endsWith(".wasm")),
    before,
    loaded,
    after: pkg.runtimeInfo(),
    threadsSupported: pkg.threadsSupported(),
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    ticks,
    predictMs,
    again,
    responses,
    engines,
  };
}

/**
 * Whether a shared WebAssembly memory can be made here and posted to another thread (what the
 * threaded build needs; probed here on its own, not through the package).
 */
export function sharedMemoryPosts() {
  try {
    const channel = new MessageChannel();
    try {
      channel.port1.postMessage(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }));
      return true;
    } finally {
      channel.port1.close();
      channel.port2.close();
    }
  } catch {
    return false;
  }
}

/**
 * WebGPU on this page or worker (../engines.test.mjs): whether the engine gives an adapter, what
 * `device: "auto"` picks and why, and `device: "webgpu"`'s answer for `image` (or its error).
 *   webgpu({ pkg: URL of pkg/yolo_wasm.js, model: URL, image: URL })
 */
export async function webgpu({ pkg: pkgUrl, model, image }) {
  const pkg = await import(pkgUrl);
  await pkg.default();
  const adapter = globalThis.navigator.gpu ? await navigator.gpu.requestAdapter() : null;
  const info = (m) => ({ device: m.info.device, adapter: m.info.adapter ?? null, deviceReason: m.info.deviceReason ?? null });
  const auto = await pkg.LocalModel.load(model);
  const out = { navigatorGpu: Boolean(navigator.gpu), adapter: Boolean(adapter), auto: info(auto) };
  auto.free();
  try {
    const m = await pkg.LocalModel.load(model, { device: "webgpu" });
    out.webgpu = info(m);
    const bitmap = await createImageBitmap(await (await fetch(image)).blob());
    out.response = await m.predict(bitmap, { conf: 0.25, iou: 0.45 });
    m.free();
  } catch (e) {
    out.error = { name: e.name, code: e.code, message: e.message };
  }
  return out;
}
