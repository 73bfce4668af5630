// yolo-wasm/worker: what the page (worker.js) and the inference worker (worker_thread.js) say to
// each other, and the YoloError shape on both sides of postMessage.
//
// Requests (page → worker), one reply each, matched by `id`; the worker runs them one at a time,
// in the order they were posted:
//   {id, type: "load", source, build?, threads?}  → {id, ok: true, info, runtime}
//   {id, type: "predict" | "track", frame, options} → {id, ok: true, response}
//   {id, type: "resetTracker"}                     → {id, ok: true}
// A failure replies {id, ok: false, error: {name, message, code, field?, status?}}. Structured
// cloning keeps an Error's message but drops the YoloError fields, so errors travel as plain data.

/** The YoloError fields that cross the worker boundary besides name and message. */
const FIELDS = ["code", "field", "status", "retryAfterSeconds", "rateLimit"];

/**
 * A YoloError like the ones the wasm module throws: an `Error` with name "YoloError", a stable
 * `code` (src/codes.rs) and, for `invalid_argument`, the `field`.
 * @param {string} code
 * @param {string} message
 * @param {string} [field]
 * @returns {Error}
 */
export function yoloError(code, message, field) {
  const e = new Error(message);
  e.name = "YoloError";
  e.code = code;
  if (field !== undefined) e.field = field;
  return e;
}

/**
 * Plain data for `error` (a YoloError keeps its fields; anything else becomes `fallbackCode`).
 * @param {unknown} error
 * @param {string} fallbackCode the code of an error that is not a YoloError
 */
export function errorToData(error, fallbackCode) {
  const e = /** @type {Record<string, unknown>} */ (error ?? {});
  const message = typeof e.message === "string" ? e.message : String(error);
  if (e.name !== "YoloError" || typeof e.code !== "string") {
    const what = typeof e.name === "string" && e.name !== "Error" ? `${e.name}: ` : "";
    return { name: "YoloError", code: fallbackCode, message: `${what}${message}` };
  }
  const data = { name: "YoloError", message };
  for (const k of FIELDS) if (e[k] !== undefined) data[k] = e[k];
  return data;
}

/**
 * The YoloError that `data` (from errorToData) describes, thrown on this side.
 * @param {{message: string, code: string}} data
 * @returns {Error}
 */
export function errorFromData(data) {
  const e = yoloError(data.code, data.message);
  for (const k of FIELDS) if (data[k] !== undefined) e[k] = data[k];
  return e;
}
