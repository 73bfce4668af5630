// Compiled with `tsc --strict --noEmit` by `make test-pkg`: the package's declarations must
// type a real use of the API without `any` leaking into user code.
import init, { HubClient, LocalModel, Tracker, draw, initThreadPool, relaxedSimdSupported, runtimeInfo, threadsSupported } from "../../pkg/yolo_wasm.js";
import type {
  GpuStepTime, HubResponse, LoadOptions, ModelInfo, PredictOptions, Prediction, RemotePredictOptions, RuntimeBuild, RuntimeInfo, RuntimeWarning, ImageDataLike, YoloError, YoloErrorCode,
} from "../../pkg/yolo_wasm.js";

export async function detect(img: HTMLImageElement, file: File): Promise<number> {
  const relaxed: boolean = relaxedSimdSupported();
  const loaded: RuntimeInfo = await init(threadsSupported() ? undefined : { build: relaxed ? "relaxed-simd" : "simd128" });
  await initThreadPool();
  const build: RuntimeBuild = runtimeInfo().build;
  console.log(`${build} build (${loaded.build}), ${runtimeInfo().threads} threads`);
  const warning: RuntimeWarning | undefined = runtimeInfo().warning;
  const why: string | undefined = warning?.code === "thread_pool_failed" ? warning.message : loaded.fallbackReason;
  if (why !== undefined) console.log(why);
  const pixels: ImageDataLike = { data: new Uint8ClampedArray(4), width: 1, height: 1 };
  const model: LocalModel = await LocalModel.load(file);
  const info: ModelInfo = model.info;
  const opts: PredictOptions = { imgsz: info.imgsz[0], conf: 0.25, iou: 0.45 };
  const res: HubResponse = await model.predict(img, opts);
  const again: HubResponse = await model.predict(await createImageBitmap(file));
  const raw: HubResponse = await model.predict(pixels);
  const first: Prediction | undefined = res.images[0]?.results[0];
  const x1: number | undefined = first?.box?.x1;
  const shape: [number, number] = again.images[0].shape;
  return (x1 ?? 0) + shape[0] + res.metadata.imageCount;
}

export function codeOf(e: unknown): YoloErrorCode | null {
  const err = e as YoloError;
  return err.name === "YoloError" ? err.code : null;
}

export async function remote(file: File, signal: AbortSignal): Promise<string[]> {
  const hub = new HubClient({ apiKey: "KEY", url: "https://predict.ultralytics.com", timeoutMs: 30000 });
  const opts: RemotePredictOptions = { model: "https://hub.ultralytics.com/models/ID", imgsz: 640, conf: 0.25, iou: 0.45, signal };
  try {
    const res: HubResponse = await hub.predict(file, opts);
    return res.images[0].results.map((p: Prediction) => `${p.name} ${p.confidence}`);
  } catch (e) {
    const err = e as YoloError;
    const wait: number | undefined = err.retryAfterSeconds;
    const left: number | undefined = err.rateLimit?.remaining;
    return [err.code, String(err.status ?? 0), String(wait ?? left ?? 0), hub.url];
  }
}

export function paint(canvas: HTMLCanvasElement, img: HTMLImageElement, res: HubResponse, off: OffscreenCanvas): void {
  draw(canvas, img, res, { labels: true, lineWidth: 3, maskAlpha: 0.4, resize: true });
  draw(off, null, res.images[0]);
}

export async function onGpu(url: string, frames: ImageBitmap[]): Promise<string> {
  const opts: LoadOptions = { device: "webgpu" };
  const model: LocalModel = await LocalModel.load(url, opts);
  const device: "webgpu" | "cpu" = model.info.device;
  const reason: string | undefined = model.info.deviceReason ?? undefined;
  const steps: GpuStepTime[] | null = await model.gpuProfile(frames[0]);
  const tracker = new Tracker();
  for (const f of frames) tracker.update(await model.predict(f));
  model.free();
  return `${device} ${reason ?? ""} ${steps?.[0]?.kernel ?? ""}`;
}

export async function onOurCpuProgram(url: string, frame: ImageBitmap): Promise<string> {
  const opts: LoadOptions = { device: "cpu", cpuEngine: "program" };
  const model: LocalModel = await LocalModel.load(url, opts);
  const engine: "tract" | "program" = model.info.cpuEngine;
  const why: string | undefined = model.info.cpuEngineReason;
  const res: HubResponse = await model.predict(frame);
  model.free();
  return `${engine} ${why ?? ""} ${res.images.length}`;
}
