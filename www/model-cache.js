// Model download with byte progress, kept in Cache Storage so a reload does not download again.
//
// Cache-first on purpose: a model URL is treated as immutable (re-exported model → new file name,
// or "Clear cached models" in the page). Cache Storage exists only in secure contexts (https:, or
// http://localhost / 127.0.0.1); elsewhere the model is simply downloaded every time.

const CACHE = "yolo-wasm-demo-models-v1";

const hasCaches = () => typeof caches !== "undefined" && globalThis.isSecureContext;

/**
 * Reads a model from the cache or downloads it.
 * @param {string} url absolute or page-relative URL
 * @param {(loaded: number, total: number | null) => void} onProgress bytes so far / Content-Length
 * @returns {Promise<{bytes: ArrayBuffer, fromCache: boolean}>}
 */
export async function fetchModel(url, onProgress = () => {}) {
  const key = new URL(url, location.href).href;
  const cache = hasCaches() ? await caches.open(CACHE) : null;
  const hit = cache && (await cache.match(key));
  if (hit) {
    const bytes = await hit.arrayBuffer();
    onProgress(bytes.byteLength, bytes.byteLength);
    return { bytes, fromCache: true };
  }

  let resp;
  try {
    resp = await fetch(key);
  } catch (e) {
    // fetch() says "Failed to fetch" for DNS, refused connections, CORS and CSP alike.
    throw Object.assign(new Error(`could not download ${key} (network error, CORS or the page's connect-src policy)`), {
      code: "network",
      cause: e,
    });
  }
  if (!resp.ok) {
    throw Object.assign(new Error(`could not download ${key}: HTTP ${resp.status} ${resp.statusText}`), {
      code: "network",
      status: resp.status,
    });
  }
  const bytes = await readWithProgress(resp, onProgress);
  if (cache) {
    const headers = { "content-type": "application/octet-stream", "content-length": String(bytes.byteLength) };
    // A full cache (quota) must not fail the load: the model is in memory already.
    await cache.put(key, new Response(bytes, { headers })).catch((e) => console.warn("model not cached:", e.message));
  }
  return { bytes, fromCache: false };
}

/** Streams the body with a reader, reporting bytes against Content-Length (null when unknown). */
async function readWithProgress(resp, onProgress) {
  // With Content-Encoding the header counts compressed bytes while the reader yields decoded ones.
  const encoded = (resp.headers.get("content-encoding") ?? "identity") !== "identity";
  const declared = Number(resp.headers.get("content-length"));
  const total = !encoded && declared > 0 ? declared : null;
  if (!resp.body) {
    const bytes = await resp.arrayBuffer();
    onProgress(bytes.byteLength, bytes.byteLength);
    return bytes;
  }
  const reader = resp.body.getReader();
  const chunks = [];
  let loaded = 0;
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out.buffer;
}

/** Forgets every cached model. */
export async function clearModelCache() {
  if (hasCaches()) await caches.delete(CACHE);
}
