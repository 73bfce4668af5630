// Static file server for the benchmark: serves the repository root on 127.0.0.1, cross-origin
// isolated (COOP/COEP/CORP), so SharedArrayBuffer (ONNX Runtime Web threads) works. No caching
// headers beyond what the browser decides; run.mjs disables the cache for cold starts.
import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".onnx": "application/octet-stream",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".css": "text/css",
  ".map": "application/json",
};

/** Starts the server on an ephemeral port; resolves to `{ url, close, requests }`. */
export function serve({ root = ROOT, port = 0 } = {}) {
  const requests = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = normalize(join(root, path));
    requests.push(path);
    const headers = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
    };
    if (!(file === root || file.startsWith(root + sep))) {
      res.writeHead(403, headers).end();
      return;
    }
    let st;
    try {
      st = statSync(file);
    } catch {
      res.writeHead(404, headers).end();
      return;
    }
    if (!st.isFile()) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, {
      ...headers,
      "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
      "Content-Length": st.size,
    });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok) => {
    server.listen(port, "127.0.0.1", () => {
      const url = `http://127.0.0.1:${server.address().port}`;
      ok({ url, requests, close: () => new Promise((done) => server.close(done)) });
    });
  });
}

// `node bench/server.mjs [port]`: serve for manual runs (open /bench/index.html?runtime=ours).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { url } = await serve({ port: Number(process.argv[2] ?? 8090) });
  console.log(`bench server: ${url}/bench/index.html?runtime=ours`);
}
