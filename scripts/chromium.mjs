// Debian's headless Chromium as the e2e tests (tests/e2e/harness.mjs) and the benchmarks
// (bench/run.mjs, bench/profile.mjs) launch it: one list of flags, so they cannot drift apart.

/** The browser binary: Debian's (scripts/setup.sh installs it); `CHROMIUM=/path` picks another. */
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/**
 * What every launch needs here: root without a sandbox, headless, no GPU, no background traffic;
 * and WebGPU, which without a GPU Chromium gives on SwiftShader (a CPU emulation): `device: "auto"`
 * then keeps the CPU, `device: "webgpu"` runs there (the WebGPU tests and benchmark).
 */
export const BASE_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--enable-unsafe-webgpu",
];

/** Pages not in front keep full-speed timers and requestAnimationFrame. */
export const NO_THROTTLING = [
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows",
];

/** Nothing but the local server can be reached. */
export const OFFLINE = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"];
