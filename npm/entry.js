// yolo-wasm: the package entry (scripts/make-entry.mjs fills in the export list from the glue).
//
// The package ships three builds of the same code and two wasm-bindgen glues:
//   yolo_wasm_threads_bg.wasm  threads + SIMD128 (glue yolo_wasm_threads.js): rayon's pool on Web
//                              Workers sharing the module's memory; needs a cross-origin isolated
//                              page or worker whose engine shares WebAssembly memory with workers
//   yolo_wasm_relaxed_bg.wasm  one thread, relaxed SIMD (glue yolo_wasm_single.js)
//   yolo_wasm_bg.wasm          one thread, SIMD128 only (glue yolo_wasm_single.js)
// The default init() loads the first of these the engine and page can run. Every class and function
// below is the one of the glue init() loaded: ES module exports are live bindings, so
// `import { LocalModel } from "yolo-wasm"` sees the right class once init() has resolved.
import * as single from "./yolo_wasm_single.js";
import { startPool } from "./pool.js";

/** The most threads `initThreadPool` starts (a cap on workers, each one a module instance; src/web/pool.rs). */
export const MAX_THREADS = 16;

/** @type {"threads" | "relaxed-simd" | "simd128" | undefined} */
let loaded;
/** @type {Promise<RuntimeInfo> | undefined} */
let ready;
/** @type {Promise<void> | undefined} */
let pool;
/** @type {number | undefined} */
let poolThreads;
/** Why init() loaded a single-thread build where it picked the threaded one. @type {string | undefined} */
let fallbackReason;
/** The last pool start that failed (inference then runs on one thread). @type {RuntimeWarning | undefined} */
let warning;
let glue = single;

/*@EXPORTS@*/

function bind(g) {
  glue = g;
  /*@BIND@*/
}

function yoloError(code, message, field) {
  const e = new Error(message);
  e.name = "YoloError";
  e.code = code;
  if (field !== undefined) e.field = field;
  return e;
}

let relaxedSimd;
/**
 * Whether this engine runs WebAssembly relaxed SIMD: decided once, by validating an 82-byte probe
 * module that uses `f32x4.relaxed_madd`.
 * @returns {boolean}
 */
export function relaxedSimdSupported() {
  if (relaxedSimd === undefined) {
    const v128 = [0xfd, 0x0c, ...new Array(16).fill(0)];
    const probe = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
      0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
      0x03, 0x02, 0x01, 0x00, // one function of that type
      0x0a, 0x3d, 0x01, 0x3b, 0x00, ...v128, ...v128, ...v128, 0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd
    ]);
    try {
      relaxedSimd = typeof WebAssembly === "object" && WebAssembly.validate(probe);
    } catch {
      relaxedSimd = false;
    }
  }
  return relaxedSimd;
}

let sharedMemory;
/**
 * Whether this page or worker can share a WebAssembly memory with workers: cross-origin isolated,
 * and a one-page shared memory can be posted on a MessageChannel (decided once). Not
 * `typeof SharedArrayBuffer` alone: WebKitGTK creates shared memories on isolated pages without
 * exposing that constructor, and then cannot post them.
 * @returns {boolean}
 */
function sharedMemorySupported() {
  if (sharedMemory === undefined) {
    sharedMemory = false;
    if (globalThis.crossOriginIsolated === true && typeof MessageChannel === "function") {
      const channel = new MessageChannel();
      try {
        channel.port1.postMessage(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }));
        sharedMemory = true;
      } catch {
        // no shared memory here, or it cannot cross to a worker
      } finally {
        channel.port1.close();
        channel.port2.close();
      }
    }
  }
  return sharedMemory;
}

/**
 * Whether this page or worker can run the threaded build: cross-origin isolated with WebAssembly
 * memory it can share with workers, and able to start module workers (the threaded build is
 * SIMD128: Chromium, Firefox and Safari all run it).
 * @returns {boolean}
 */
export function threadsSupported() {
  return (
    typeof Worker === "function" &&
    sharedMemorySupported()
  );
}

function defaultBuild() {
  if (threadsSupported()) return "threads";
  return relaxedSimdSupported() ? "relaxed-simd" : "simd128";
}

const BUILDS = ["threads", "relaxed-simd", "simd128"];

/**
 * Loads the WebAssembly module (once; later calls return the first call's promise). `options.build`
 * forces one build (else the first the page can run: threads, relaxed SIMD, SIMD128);
 * `options.module_or_path` loads the module from elsewhere (it must be the file of that build).
 * @param {{ build?: "threads" | "relaxed-simd" | "simd128", module_or_path?: unknown }} [options]
 * @returns {Promise<RuntimeInfo>}
 */
export default function init(options) {
  if (ready === undefined) {
    ready = load(options ?? {}).catch((e) => {
      ready = undefined;
      throw e;
    });
  }
  return ready;
}

/** A readable one-line reason from whatever was thrown. */
function describe(e) {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * The module's location as init() may load it: in Node a `file:` URL is read from disk (Node's
 * fetch has no file: URLs) through `process.getBuiltinModule` (Node >= 20.16; no import a bundler
 * would try to resolve); elsewhere the URL itself, fetched by the glue.
 * @param {URL} url
 */
async function local(url) {
  if (url.protocol !== "file:") return url;
  const fs = globalThis.process?.getBuiltinModule?.("node:fs/promises");
  if (fs === undefined) {
    throw yoloError(
      "invalid_argument",
      `init() cannot read ${url.href} in this runtime (no fetch for file: URLs, no process.getBuiltinModule): ` +
        "load the bytes yourself and call initSync({ module: bytes })",
      "module_or_path",
    );
  }
  return fs.readFile(url);
}

async function load(options) {
  if (typeof options !== "object" || options === null) {
    throw yoloError("invalid_argument", "init(options): options must be an object like { build, module_or_path }", "options");
  }
  let build = options.build ?? defaultBuild();
  if (!BUILDS.includes(build)) {
    throw yoloError("invalid_argument", `build must be one of ${BUILDS.join(", ")} (got ${String(build)})`, "build");
  }
  if (build === "threads" && !threadsSupported()) {
    throw yoloError(
      "invalid_argument",
      `the threads build needs a cross-origin isolated page (COOP same-origin + COEP require-corp or credentialless) with shared WebAssembly memory, and module workers`,
      "build",
    );
  }
  if (build === "relaxed-simd" && !relaxedSimdSupported()) {
    throw yoloError("invalid_argument", "this engine has no WebAssembly relaxed SIMD", "build");
  }
  if (build === "threads") {
    try {
      const threaded = await import("./yolo_wasm_threads.js");
      const path = options.module_or_path ?? (await local(new URL("yolo_wasm_threads_bg.wasm", import.meta.url)));
      await threaded.default({ module_or_path: path });
      bind(threaded);
      loaded = build;
      return runtimeInfo();
    } catch (e) {
      // The threaded module cannot be instantiated here (e.g. a browser that refuses a large
      // shared memory): the best single-thread build instead, unless that build was asked for.
      const why = describe(e);
      if (options.build !== undefined) throw yoloError("invalid_argument", `the ${build} build cannot be instantiated here: ${why}`, "build");
      fallbackReason = `the threaded build could not be instantiated (${why}); a single-thread build runs instead`;
      build = relaxedSimdSupported() ? "relaxed-simd" : "simd128";
    }
  }
  // Two literal `new URL(…, import.meta.url)` expressions, so bundlers see and copy both files.
  const path = options.module_or_path ??
    (await local(build === "relaxed-simd" ? new URL("yolo_wasm_relaxed_bg.wasm", import.meta.url) : new URL("yolo_wasm_bg.wasm", import.meta.url)));
  await single.default({ module_or_path: path });
  bind(single);
  loaded = build;
  return runtimeInfo();
}

/**
 * Loads a single-thread build synchronously from its bytes or compiled module (Node, tests).
 * @param {{ module: BufferSource | WebAssembly.Module, build?: "relaxed-simd" | "simd128" }} options
 * @returns {RuntimeInfo}
 */
export function initSync(options) {
  if (loaded !== undefined) return runtimeInfo();
  const build = options?.build ?? "simd128";
  if (build !== "relaxed-simd" && build !== "simd128") {
    throw yoloError("invalid_argument", "initSync loads a single-thread build (relaxed-simd or simd128); use init() for threads", "build");
  }
  try {
    single.initSync({ module: options.module });
  } catch (e) {
    const hint = build === "relaxed-simd" ? " (this engine may lack WebAssembly relaxed SIMD: use the simd128 build, yolo_wasm_bg.wasm)" : "";
    throw yoloError("invalid_argument", `initSync: the ${build} module cannot be instantiated: ${describe(e)}${hint}`, "module");
  }
  bind(single);
  loaded = build;
  ready = Promise.resolve(runtimeInfo());
  return runtimeInfo();
}

/**
 * Starts the threaded build's worker pool (after `init()`): `threads` workers (default
 * `navigator.hardwareConcurrency`, at most MAX_THREADS), each running the module on the shared
 * memory; every later `predict` runs on them. In the single-thread builds it resolves at once and
 * inference stays on one thread (`runtimeInfo().threads` tells). If the pool's workers cannot start,
 * it resolves all the same: one thread, and `runtimeInfo().warning` says why (a later call tries
 * again). Once started the pool keeps its size: calling again with the same count (or none)
 * resolves, another count rejects.
 * @param {number} [threads]
 * @returns {Promise<void>}
 */
export async function initThreadPool(threads) {
  if (loaded === undefined) await init();
  const cores = Math.max(1, Math.floor(globalThis.navigator?.hardwareConcurrency ?? 1));
  const n = threads ?? Math.min(cores, MAX_THREADS);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw yoloError("invalid_argument", `threads must be an integer from 1 to ${MAX_THREADS} (got ${String(threads)})`, "threads");
  }
  if (loaded !== "threads") return;
  if (pool === undefined) {
    poolThreads = n;
    let bootFailed = false;
    const boot = (...args) =>
      startPool(...args).catch((e) => {
        bootFailed = true;
        throw e;
      });
    pool = glue.__startThreadPool(n, boot).then(
      () => {
        warning = undefined;
      },
      (e) => {
        pool = undefined;
        poolThreads = undefined;
        // The workers could not start: inference goes on, on one thread, and runtimeInfo() says why.
        // Anything else (a poisoned module, a bad argument) rejects.
        if (!bootFailed) throw e;
        warning = { code: "thread_pool_failed", message: e?.message ?? String(e) };
      },
    );
  } else if (threads !== undefined && poolThreads !== n) {
    throw yoloError("invalid_argument", `the thread pool was started with ${poolThreads} threads; it keeps its size`, "threads");
  }
  // Once started, the module says whether the pool still runs (a poisoned module rejects `internal`).
  return pool.then(() => (poolThreads === undefined ? undefined : glue.__startThreadPool(poolThreads, startPool).then(() => undefined)));
}

/**
 * What runs: the build `init()` loaded (before it: the one it would load) and the threads an
 * inference uses now (0 before `init()`, 1 until a pool runs).
 * @returns {RuntimeInfo}
 */
export function runtimeInfo() {
  if (loaded === undefined) return { build: defaultBuild(), threads: 0 };
  /** @type {RuntimeInfo} */
  const info = { build: loaded, threads: loaded === "threads" ? glue.__threadCount() : 1 };
  if (fallbackReason !== undefined) info.fallbackReason = fallbackReason;
  if (warning !== undefined) info.warning = { ...warning };
  return info;
}
