/** A build of the package's WebAssembly module. */
export type RuntimeBuild = "threads" | "relaxed-simd" | "simd128";

/** Why fewer threads run than asked for (see `RuntimeInfo.warning`). */
export interface RuntimeWarning {
  /** `"thread_pool_failed"`: `initThreadPool` could not start the pool's workers; inference runs on one thread. */
  code: "thread_pool_failed";
  /** What failed (e.g. a worker script that did not load, a worker that did not answer). */
  message: string;
}

/** What runs: see `runtimeInfo()`. */
export interface RuntimeInfo {
  /** The build `init()` loaded (before `init()`: the one it would load). */
  build: RuntimeBuild;
  /** Threads an inference uses now: 0 before `init()`, 1 until `initThreadPool` has started a pool. */
  threads: number;
  /**
   * Set when `init()` picked the threaded build but could not instantiate it (e.g. an engine that
   * refuses its shared memory) and loaded the best single-thread build instead: why.
   */
  fallbackReason?: string;
  /** Set while the last `initThreadPool` could not start its workers: inference runs on one thread. */
  warning?: RuntimeWarning;
}

/** Options of `init()`. */
export interface InitOptions {
  /** Load this build (default: the first the page can run: threads, relaxed SIMD, SIMD128). */
  build?: RuntimeBuild;
  /** Where that build's `.wasm` file is (default: next to this module), or its bytes or module. */
  module_or_path?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module | Promise<Response>;
}

/** The most threads `initThreadPool` starts (16: a cap on workers, each one a module instance). */
export const MAX_THREADS: number;

/**
 * Loads the WebAssembly module, once (later calls return the first call's promise). Rejects with a
 * `YoloError` (`invalid_argument`, field `build`) when a forced build cannot run here.
 */
export default function init(options?: InitOptions): Promise<RuntimeInfo>;

/** Loads a single-thread build synchronously from its bytes or compiled module (Node, tests). */
export function initSync(options: { module: BufferSource | WebAssembly.Module; build?: "relaxed-simd" | "simd128" }): RuntimeInfo;

/**
 * Whether this engine runs WebAssembly relaxed SIMD (then the single-thread pick is
 * `yolo_wasm_relaxed_bg.wasm`, fused multiply-adds in the matrix kernel, ~12 % faster; else
 * `yolo_wasm_bg.wasm`, SIMD128 only). Results agree to float rounding.
 */
export function relaxedSimdSupported(): boolean;

/**
 * Whether this page or worker can run the threaded build: cross-origin isolated, WebAssembly
 * memory it can share with workers, and module workers (Chromium, Firefox, Safari).
 */
export function threadsSupported(): boolean;

/**
 * Starts the threaded build's worker pool: `threads` workers (default
 * `navigator.hardwareConcurrency`, at most `MAX_THREADS`); every later `predict` runs on them and
 * the calling thread never blocks. Calls `init()` first if needed. In a single-thread build it
 * resolves and inference stays on one thread. If the workers cannot start (their script,
 * `pool_worker.js`, is not served next to the package's entry, or they fail), it still resolves:
 * inference stays on one thread and `runtimeInfo().warning` says why; a later call tries again.
 * The pool keeps its size: another count rejects (`invalid_argument`, field `threads`). After a
 * trap on one of its threads the module is poisoned and this rejects `internal`.
 */
export function initThreadPool(threads?: number): Promise<void>;

/** What runs now: the build and the threads an inference uses. */
export function runtimeInfo(): RuntimeInfo;
