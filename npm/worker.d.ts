// yolo-wasm/worker: a LocalModel in a dedicated module worker shipped with the package.
import type { HubResponse, ModelInfo, ModelSource, PredictOptions, RuntimeBuild, RuntimeInfo } from "./yolo_wasm.js";

/**
 * What a worker model reads. `ImageBitmap` and `VideoFrame` are transferred to the worker (and
 * closed there once read), `ImageData` has its pixel buffer transferred: after the call they are
 * detached here unless `transfer: false`. `Blob`/`File` are cloned (cheap). Elements and canvases
 * are snapshotted on the calling thread with `createImageBitmap` (a `<video>` at its current frame).
 */
export type WorkerFrame =
  | ImageBitmap | VideoFrame | ImageData | Blob
  | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | OffscreenCanvas;

/** `createWorkerModel` options. Unknown keys are `invalid_argument` errors. */
export interface WorkerModelOptions {
  /** Load this build in the worker (`init({ build })`; default: the first the worker can run). */
  build?: RuntimeBuild;
  /** `initThreadPool(threads)` in the worker (default `navigator.hardwareConcurrency`, at most 16; threaded build only). */
  threads?: number;
  /**
   * `LocalModel.load`'s `device` in the worker: "auto" (default: WebGPU on a hardware adapter,
   * else the CPU), "webgpu" or "cpu". `info.device` / `info.deviceReason` say what runs.
   */
  device?: "auto" | "webgpu" | "cpu";
  /**
   * `LocalModel.load`'s `cpuEngine` in the worker: "tract" (default) or "program" (our own CPU
   * executor); `info.cpuEngineReason` says when tract's plan runs instead.
   */
  cpuEngine?: "tract" | "program";
  /** The model's name in `metadata.model` when `source` is bytes or a Blob (default "model.onnx"). */
  name?: string;
  /**
   * Automatic restarts after the worker dies or its module hits a bug (`internal`), in a row
   * without a successful predict/track between them (default 2; 0: never restart).
   */
  restarts?: number;
}

/** `predict` / `track` options: the package's predict options plus where the frame goes. */
export interface WorkerPredictOptions extends PredictOptions {
  /**
   * Transfer the frame to the worker (default true: zero-copy, the frame is detached here and
   * closed in the worker). `false` clones it instead: an `ImageBitmap` / `VideoFrame` stays usable
   * (and yours to close), an `ImageData` is copied.
   */
  transfer?: boolean;
}

/** Counters since `createWorkerModel` resolved. */
export interface WorkerModelStats {
  /** Frames given to predict, track, predictLatest and trackLatest. */
  submitted: number;
  /** Frames answered with a response. */
  completed: number;
  /** Frames replaced in a latest lane before they were sent (their promises resolved to `null`). */
  dropped: number;
  /** Frames whose promise rejected. */
  failed: number;
  /** Workers started again after one died or hit a bug. */
  restarts: number;
}

/** The latest-frame lane of `predictLatest` / `trackLatest` now. */
export interface LatestQueue {
  /** 1 while a latest frame is being inferred. */
  inFlight: 0 | 1;
  /** 1 while a latest frame waits for the one in flight; a newer frame replaces it. */
  waiting: 0 | 1;
}

/**
 * A `LocalModel` running in its own dedicated module worker. Every call rejects with a
 * `YoloError` (the package's `name`, `code`, `field`, `status`):
 * - the model's own errors as `LocalModel` gives them (`invalid_argument` with `field`,
 *   `invalid_image`, `image_too_large`, …);
 * - `internal` when the worker dies or its module hits a bug: that call and every call pending
 *   reject, a new worker starts and loads the model again (up to `restarts` times in a row), so the
 *   next call works; once recovery gives up every call rejects `internal` at once;
 * - `aborted` for calls still pending when `free()` is called; `invalid_argument` (field
 *   `model`) for calls made after it.
 */
export interface WorkerModel {
  /** The model's metadata (`LocalModel.info`). */
  readonly info: ModelInfo;
  /** What the worker's module runs (`runtimeInfo()` there): `{ build, threads }`. */
  readonly runtime: RuntimeInfo;
  /** Frames submitted, completed, dropped, failed; restarts. A fresh copy on each read. */
  readonly stats: WorkerModelStats;
  /** The latest lane's depth now (at most one in flight and one waiting). */
  readonly latestQueue: LatestQueue;
  /** `LocalModel.predict` in the worker. Calls run one at a time, in call order. */
  predict(frame: WorkerFrame, options?: WorkerPredictOptions): Promise<HubResponse>;
  /**
   * `LocalModel.track` in the worker: the model's persistent ByteTrack tracker, detections gain
   * `track_id`; `conf` defaults to 0.1 as in Ultralytics' `model.track`. Frames reach the
   * tracker in call order. A restarted worker starts a fresh tracker.
   */
  track(frame: WorkerFrame, options?: WorkerPredictOptions): Promise<HubResponse>;
  /**
   * `predict` for streams, latest frame wins: at most one frame is in flight and one waits; a
   * frame arriving while one waits replaces it. The replaced frame's promise resolves to `null`
   * (it is counted in `stats.dropped`, and closed when it was to be transferred). The newest
   * frame is always answered.
   */
  predictLatest(frame: WorkerFrame, options?: WorkerPredictOptions): Promise<HubResponse | null>;
  /** `track` with the same latest-frame-wins lane as `predictLatest` (they share it). */
  trackLatest(frame: WorkerFrame, options?: WorkerPredictOptions): Promise<HubResponse | null>;
  /** Starts the tracker afresh (new IDs from 1) after the frames already submitted; drops a waiting latest frame. */
  resetTracker(): Promise<void>;
  /** Ends the worker and frees the model at once. Idempotent. */
  free(): void;
  [Symbol.dispose](): void;
}

/**
 * Starts a dedicated module worker, loads the package in it (`init()`: the threaded build where the
 * page is cross-origin isolated, then `initThreadPool()`) and the model; resolves once the model
 * is loaded. A URL string is resolved against the page. Rejects with a `YoloError` (the codes of
 * `LocalModel.load`, `invalid_argument` for bad options, `internal` when the worker cannot start).
 */
export function createWorkerModel(source: ModelSource, options?: WorkerModelOptions): Promise<WorkerModel>;
