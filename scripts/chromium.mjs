// Debian's headless Chromium as the e2e tests (tests/e2e/harness.mjs) and the benchmarks
// (bench/run.mjs, bench/profile.mjs) launch it: one list of flags, so they cannot drift apart.

/** The browser binary: Debian's (scripts/setup.sh installs it); `CHROMIUM=/path` picks another. */
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** What every launch needs here: root without a sandbox, headless, no GPU, no background traffic. */
export const BASE_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

/** Pages not in front keep full-speed timers and requestAnimationFrame. */
export const NO_THROTTLING = [
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows",
];

/** Nothing but the local server can be reached. */
export const OFFLINE = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"];
