// Compiled with `tsc --strict --noEmit` by `make test-pkg` (tsconfig.json): yolo-wasm/worker's
// declarations must type a real use of the worker API without `any` leaking into user code.
import { createWorkerModel } from "../../pkg/worker.js";
import type { LatestQueue, WorkerFrame, WorkerModel, WorkerModelOptions, WorkerModelStats, WorkerPredictOptions } from "../../pkg/worker.js";
import type { HubResponse, ModelInfo, RuntimeInfo, YoloError, YoloErrorCode } from "../../pkg/yolo_wasm.js";

export async function stream(file: File, frames: AsyncIterable<VideoFrame>, canvas: OffscreenCanvas): Promise<WorkerModelStats> {
  const options: WorkerModelOptions = { threads: 2, name: "mine.onnx", restarts: 1, cpuEngine: "program" };
  const w: WorkerModel = await createWorkerModel(file, options);
  const info: ModelInfo = w.info;
  const runtime: RuntimeInfo = w.runtime;
  console.log(info.task, runtime.build, runtime.threads, info.cpuEngine, info.cpuEngineReason);
  const opts: WorkerPredictOptions = { conf: 0.25, iou: 0.45, imgsz: info.imgsz[0], transfer: false };
  const bitmap: ImageBitmap = await createImageBitmap(file);
  const res: HubResponse = await w.predict(bitmap, opts);
  bitmap.close();
  for await (const frame of frames) {
    const tracked: HubResponse | null = await w.trackLatest(frame);
    if (tracked === null) continue; // dropped: a newer frame replaced it
    const ids: (number | undefined)[] = tracked.images[0].results.map((p) => (p as { track_id?: number }).track_id);
    console.log(ids);
    const queue: LatestQueue = w.latestQueue;
    console.log(queue.inFlight + queue.waiting);
  }
  const dropped: HubResponse | null = await w.predictLatest(new ImageData(8, 8));
  const src: WorkerFrame = canvas;
  await w.track(src);
  await w.resetTracker();
  console.log(res.images[0].shape, dropped?.metadata.imageCount);
  const stats: WorkerModelStats = w.stats;
  w.free();
  return stats;
}

export async function failing(url: string): Promise<YoloErrorCode | null> {
  try {
    using w = await createWorkerModel(url);
    await w.predict(new Blob());
    return null;
  } catch (e) {
    const err = e as YoloError;
    return err.code;
  }
}
