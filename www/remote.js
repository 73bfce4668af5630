// Remote mode: the HUB Inference API (or `yolo-wasm serve`) through the package's HubClient.
//
// The API key lives in the key input (memory) only; ticking "remember" copies it to
// sessionStorage (this tab, until it closes) and unticking removes it. It is never put in a URL,
// the console or the page's messages (HubClient sends it only as the x-api-key header).
import { HubClient } from "../pkg/yolo_wasm.js";

const KEY_STORE = "yolo-wasm-demo.apiKey";

/** The remembered key, or "" (sessionStorage can throw when storage is disabled). */
export function rememberedKey() {
  try {
    return sessionStorage.getItem(KEY_STORE) ?? "";
  } catch {
    return "";
  }
}

/** Stores the key in sessionStorage when `remember`, else forgets it. */
export function rememberKey(key, remember) {
  try {
    if (remember && key) sessionStorage.setItem(KEY_STORE, key);
    else sessionStorage.removeItem(KEY_STORE);
  } catch {
    /* storage disabled: memory only */
  }
}

/**
 * Sends one image. `source` is the original File/Blob for still images (uploaded as it is, like
 * any HUB client would) or an ImageBitmap for video frames (encoded as PNG by the package).
 * @param {{url: string, apiKey: string, model: string}} endpoint
 */
export async function predictRemote(endpoint, source, options, signal) {
  if (!endpoint.apiKey) {
    throw Object.assign(new Error("enter an API key (an open `yolo-wasm serve` accepts any value)"), {
      name: "YoloError",
      code: "invalid_argument",
      field: "apiKey",
    });
  }
  const hub = new HubClient({ apiKey: endpoint.apiKey, url: endpoint.url, timeoutMs: 30000 });
  try {
    const opts = { ...options };
    if (signal) opts.signal = signal;
    if (endpoint.model) opts.model = endpoint.model;
    return await hub.predict(source, opts);
  } finally {
    hub.free();
  }
}
