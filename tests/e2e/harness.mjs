// End-to-end harness: the real `yolo-wasm serve` on a free loopback port (keys from
// tests/fixtures/server/keys.txt, the demo's static mounts) and Debian's Chromium through
// playwright-core (never a downloaded browser).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { BASE_ARGS, CHROMIUM, NO_THROTTLING, OFFLINE } from "../../scripts/chromium.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SCREENSHOTS = join(ROOT, "tests", "e2e", "screenshots");
const BIN = join(ROOT, "target", "release", "yolo-wasm");

export const log = (...a) => console.error(`[e2e ${new Date().toISOString().slice(11, 19)}]`, ...a);

/**
 * Builds (unless E2E_NO_BUILD=1) and starts the server; resolves to {url, stop}.
 * The first stdout line is `yolo-wasm serve: listening on http://127.0.0.1:PORT`.
 * `isolate` (default true, as `make demo`): static files carry the cross-origin isolation headers,
 * so the demo runs the threaded build. `statics`: more `PREFIX=DIR` mounts.
 */
export async function startServer({ isolate = true, statics = [] } = {}) {
  if (!existsSync(join(ROOT, "pkg", "yolo_wasm_bg.wasm"))) throw new Error("pkg/ is missing: run `make pkg` first");
  if (process.env.E2E_NO_BUILD !== "1") {
    // As scripts/with-test-server.sh builds it: the dependency features of `make test-native`, so
    // nothing but the workspace crates compiles after it.
    log("cargo build --release --workspace --bins --tests (waits for the target-dir lock if another build runs)");
    execFileSync("cargo", ["build", "--release", "--workspace", "--bins", "--tests"], {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit"],
    });
  }
  // Mounts as `make demo`; the keys make remote mode need a real key (test-key, limited-key rate=2).
  const args = ["serve", "--models", "tests/fixtures/models", "--keys", "tests/fixtures/server/keys.txt", "--host", "127.0.0.1",
    "--port", "0", "--static", "/www=www", "--static", "/pkg=pkg", "--static", "/tests/fixtures=tests/fixtures"];
  for (const m of statics) args.push("--static", m);
  if (isolate) args.push("--cross-origin-isolation");
  const child = spawn(BIN, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-20000)));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`yolo-wasm serve did not report its address:\n${stderr}`)), 60000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /^yolo-wasm serve: listening on (http:\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`yolo-wasm serve exited (${code}):\n${stderr}`));
    });
  });
  child.stdout.resume();
  // Killed from outside (Ctrl-C, a CI timeout): take the server down too. Playwright closes the
  // browser on these signals by itself.
  const onSignal = (sig) => {
    child.kill("SIGTERM");
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.once("exit", () => child.kill("SIGTERM"));
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  };
  return { url, stop, stderr: () => stderr };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...BASE_ARGS,
      // A page in a background tab would otherwise have its rAF and timers throttled.
      ...NO_THROTTLING,
      // A synthetic camera (a moving test pattern); contexts grant or refuse it (openPage).
      "--use-fake-device-for-media-stream",
      ...OFFLINE,
    ],
  });
}

/**
 * A new page in a new context (fresh Cache Storage unless `context` is given; camera and clipboard
 * allowed unless `permissions` says otherwise) with every console error, page error, worker console
 * error and failed request recorded in `problems`, every console warning (page and workers) in
 * `warnings`, and every requested URL in `requests`.
 */
export async function openPage(browser, { context, permissions = ["camera", "clipboard-read", "clipboard-write"] } = {}) {
  const ctx = context ?? (await browser.newContext({ viewport: { width: 1400, height: 1000 }, permissions }));
  const page = await ctx.newPage();
  const problems = [];
  const requests = [];
  const warnings = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("worker", (w) => w.on("console", (m) => m.type() === "error" && problems.push(`worker console: ${m.text()}`)));
  page.on("request", (r) => requests.push(r.url()));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
  page.on("worker", (w) => w.on("console", (m) => m.type() === "warning" && warnings.push(`worker: ${m.text()}`)));
  return { ctx, page, problems, requests, warnings };
}

/** Empties the screenshot folder, so it only holds this run's pictures. */
export function resetScreenshots() {
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
}

export function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export function golden(model, image, { imgsz = 640, conf = 0.25, iou = 0.45 } = {}) {
  const file = join(ROOT, "tests", "fixtures", "golden", `${model}__${image}__s${imgsz}_c${conf}_i${iou}.json`);
  return JSON.parse(readFileSync(file, "utf8"));
}
