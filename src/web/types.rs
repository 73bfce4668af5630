//! TypeScript declarations of the objects that cross the boundary (no `any`).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/**
 * RGBA pixels shaped like `ImageData` (row-major, 4 bytes a pixel, not premultiplied): for
 * runtimes without `ImageData` (Node) or pixels decoded elsewhere.
 */
export interface ImageDataLike {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/** Anything `LocalModel.predict` can read pixels from. Blobs/Files are decoded by the browser. */
export type ImageSource =
  | ImageData | ImageDataLike | ImageBitmap | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement
  | OffscreenCanvas | Blob;

/** Where `LocalModel.load` reads an ONNX export from. */
export type ModelSource = string | URL | ArrayBuffer | Uint8Array | Blob;

/** Prediction options; ranges as the HUB Inference API. */
export interface PredictOptions {
  /** Inference size, integer 32–1280 (default 640). Static exports always run at their export size. */
  imgsz?: number;
  /** Confidence threshold 0.01–1.0 (default 0.25). */
  conf?: number;
  /** NMS IoU threshold 0.0–0.95 (default 0.45). */
  iou?: number;
}

export type Task = "detect" | "segment" | "pose" | "obb" | "classify";

/** What the model's ONNX metadata says. */
export interface ModelInfo {
  task: Task;
  names: Record<number, string>;
  imgsz: [number, number];
  stride: number;
  end2end: boolean;
  dynamic: boolean;
  batch: number;
  channels: number;
  kptShape?: [number, number];
  ultralyticsVersion?: string;
  description?: string;
  /** What runs the network: our WebGPU executor or tract on the CPU. */
  device: "webgpu" | "cpu";
  /** The WebGPU adapter's vendor / architecture / description, when one was looked at. */
  adapter?: string;
  /** Why the CPU runs the model (no WebGPU, a software adapter under "auto", an op not covered…). */
  deviceReason?: string;
  /** The CPU executor asked for (`LoadOptions.cpuEngine`): tract's plan or our own program. */
  cpuEngine: "tract" | "program";
  /**
   * With `cpuEngine: "program"`: why tract's plan runs the network instead (the op and the node);
   * for a dynamic export, known once an input size has been run.
   */
  cpuEngineReason?: string;
}

/** One WebGPU dispatch of `LocalModel.gpuProfile`. */
export interface GpuStepTime {
  /** The ONNX node (and what was fused into it: "+bias", "+silu"). */
  label: string;
  /** The WGSL kernel: Gemm, ConvDirect, Binary, Unary, Copy, Softmax, Reduce, MaxPool. */
  kernel: string;
  /** GPU milliseconds (timestamp queries around the dispatch). */
  ms: number;
  /** Multiply-adds of a product (0 otherwise): GFLOP/s = 2 · macs / ms / 1e6. */
  macs: number;
}

/** `LocalModel.load` options. Unknown keys are `invalid_argument` errors. */
export interface LoadOptions {
  /**
   * "auto" (default): WebGPU on a hardware adapter, else the CPU (a software adapter such as
   * SwiftShader or llvmpipe is slower than the CPU path). "webgpu": WebGPU on any adapter;
   * rejects with `webgpu_unavailable` without one. "cpu": tract on the CPU.
   */
  device?: "auto" | "webgpu" | "cpu";
  /**
   * The executor when the CPU runs the network. "tract" (default): tract's optimised plan.
   * "program": our own CPU executor over the lowered program (today its scalar reference kernels:
   * equal results, slower than tract; it becomes the default once faster). A graph with an op the
   * program does not cover runs on tract's plan, and `info.cpuEngineReason` says why.
   */
  cpuEngine?: "tract" | "program";
}

export interface RectBox { x1: number; y1: number; x2: number; y2: number; }
export interface ObbBox extends RectBox { x3: number; y3: number; x4: number; y4: number; }
export interface Segments { x: number[]; y: number[]; }
export interface Keypoints { x: number[]; y: number[]; visible?: number[]; }

/** One detection (or one of the top-5 classes). Coordinates in original-image pixels. */
export interface Prediction {
  name: string;
  class: number;
  confidence: number;
  box?: RectBox | ObbBox;
  segments?: Segments;
  keypoints?: Keypoints;
  /** Track ID (tracked results only: `LocalModel.track`, `Tracker.update`, the endpoint's `track=true`). */
  track_id?: number;
}

/** ByteTrack settings; names and defaults as Ultralytics' `bytetrack.yaml`. */
export interface TrackerOptions {
  /** First-stage threshold: detections scoring at least this are matched first (0.25). */
  track_high_thresh?: number;
  /** Detections above this (and below the high threshold) are matched second (0.1). */
  track_low_thresh?: number;
  /** An unmatched detection scoring at least this starts a track (0.25). */
  new_track_thresh?: number;
  /** Frames a lost track is kept to be found again (30). */
  track_buffer?: number;
  /** Largest fused cost of a first-stage match (0.8). */
  match_thresh?: number;
  /** Weigh IoU by the detection score in the first stage (true). */
  fuse_score?: boolean;
}

/** Milliseconds per stage. */
export interface Speed { preprocess: number; inference: number; postprocess: number; }

export interface ImageResult {
  results: Prediction[];
  /** Original image size [height, width]. */
  shape: [number, number];
  speed: Speed;
}

export interface ResponseMetadata {
  imageCount: number;
  model?: string;
  task?: Task;
  version: Record<string, string>;
  /** Seconds (HUB servers only). */
  functionTimeAlive?: number;
  /** Seconds (HUB servers only). */
  functionTimeCall?: number;
}

/** The Ultralytics HUB Inference API response shape. */
export interface HubResponse { images: ImageResult[]; metadata: ResponseMetadata; }

export type YoloErrorCode =
  // The caller's input, the model, the engine (LocalModel, and HubClient's own checks):
  | "invalid_argument" | "invalid_image" | "image_too_large" | "invalid_model" | "not_yolo_model"
  | "unsupported_model" | "inference_failed" | "internal"
  // WebGPU (LocalModel with `device: "webgpu"` / "auto"):
  | "webgpu_unavailable" | "device_lost"
  // Transport (HubClient; `network` also for LocalModel.load from a URL):
  | "network" | "timeout" | "aborted" | "bad_response"
  // HTTP answers of the HUB API and of `yolo-wasm serve` (the server's own code is kept):
  | "unauthorized" | "forbidden" | "model_forbidden" | "not_found" | "model_not_found"
  | "method_not_allowed" | "request_timeout" | "payload_too_large" | "missing_file"
  | "invalid_multipart" | "invalid_body" | "video_not_supported" | "invalid_video" | "video_too_large" | "rate_limited"
  | "server_error" | "unavailable" | "server_busy";

/** `new HubClient(options)`. */
export interface HubClientOptions {
  /** Sent only as the `x-api-key` header of requests to `url`. */
  apiKey: string;
  /** `https://predict.ultralytics.com` (default; needs `model`), or a dedicated / self-hosted endpoint. */
  url?: string;
  /** Per-attempt timeout in ms (default 30000); rejects with code `timeout`. */
  timeoutMs?: number;
  /** Retries of rate-limited / unavailable / network failures (default 0: POSTs are not retried). */
  retries?: number;
}

/** `HubClient.predict` options: the HUB fields, validated like `LocalModel.predict`'s. */
export interface RemotePredictOptions extends PredictOptions {
  /** `https://hub.ultralytics.com/models/ID` or `ID`; required by the shared URL. */
  model?: string;
  /** Aborts the call (code `aborted`). */
  signal?: AbortSignal;
  /** Overrides the client's `retries` for this call. */
  retries?: number;
}

/** What `HubClient.predict` uploads: files as they are, drawables encoded as PNG. */
export type RemoteSource = ImageSource | File | ArrayBuffer | Uint8Array;

/** `X-RateLimit-*` headers of the answer. */
export interface RateLimitInfo { limit?: number; remaining?: number; reset?: number; }

/** `draw` options; sizes in CSS pixels (multiplied by `pixelRatio`). */
export interface DrawOptions {
  /** Boxes and OBB polygons (default true). */
  boxes?: boolean;
  /** "name 0.87" labels (default true). */
  labels?: boolean;
  /** Filled segment polygons (default true). */
  masks?: boolean;
  /** Keypoints, with the COCO skeleton for 17-keypoint models (default true). */
  keypoints?: boolean;
  /** Classification top-5 list (default true). */
  classes?: boolean;
  /** Default 2. */
  lineWidth?: number;
  /** Default 14. */
  fontSize?: number;
  /** Labels on a class-coloured background (default true). */
  labelBackground?: boolean;
  /** Mask fill opacity 0–1 (default 0.35). */
  maskAlpha?: number;
  /** Keypoints with `visible` below this are skipped (default 0.5). */
  keypointThreshold?: number;
  /** Device pixels per CSS pixel (default `devicePixelRatio`, 1 in workers). */
  pixelRatio?: number;
  /** Which `images[]` entry of a response to draw (default 0; video frames). */
  frame?: number;
  /** Resize an HTMLCanvasElement's backing store to its CSS size × pixelRatio first (default false). */
  resize?: boolean;
}

/** What `draw` can paint under the results (Blobs: decode with `createImageBitmap` first). */
export type DrawableImage =
  | ImageData | ImageBitmap | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | HTMLVideoElement;

/**
 * Paints `image` (or nothing, with `null`) stretched to the canvas, then the results of a response
 * from either path (or one `images[]` entry), scaled from the image's `shape`. Throws a `YoloError`.
 */
export function draw(
  canvas: HTMLCanvasElement | OffscreenCanvas,
  image: DrawableImage | null,
  response: HubResponse | ImageResult,
  options?: DrawOptions,
): void;

export interface HubClient {
  /** Sends one image; resolves to the same shape `LocalModel.predict` returns. Rejects with a `YoloError`. */
  predict(source: RemoteSource, options?: RemotePredictOptions): Promise<HubResponse>;
}

export interface LocalModel {
  /**
   * Predicts one image; resolves to the HUB response object. Options are validated before any
   * work (`invalid_argument` naming the field). Rejects with a `YoloError`.
   */
  predict(source: ImageSource, options?: PredictOptions): Promise<HubResponse>;
  /**
   * Predicts the next frame of a video or stream and tracks it with this model's own tracker
   * (Ultralytics' `model.track(persist=True)`): results gain `track_id`. `conf` defaults to 0.1.
   * Call frames in order (await each). Rejects with a `YoloError` (`invalid_argument` for a
   * classification model).
   */
  track(source: ImageSource, options?: PredictOptions): Promise<HubResponse>;
  /** Starts this model's tracking over (IDs from 1), optionally with other tracker settings. */
  resetTracker(options?: TrackerOptions): void;
}

/** Every error thrown or rejected by this package. */
export interface YoloError extends Error {
  name: "YoloError";
  code: YoloErrorCode;
  /** The option at fault, for `invalid_argument`. */
  field?: string;
  /** HTTP status of a HubClient failure that got an answer. */
  status?: number;
  /** Seconds to wait before retrying (`Retry-After`), when the server said. */
  retryAfterSeconds?: number;
  /** `X-RateLimit-*` values, when the server sent them. */
  rateLimit?: RateLimitInfo;
}
"#;
