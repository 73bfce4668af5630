// A small W3C WebDriver client (HTTP + JSON, no dependency) for the package's browser tests in
// Firefox and WebKit, which playwright-core cannot drive here (DESIGN.md "Other engines"):
// Debian's firefox-esr through geckodriver (cargo install, scripts/setup.sh) and WebKitGTK's
// MiniBrowser through WebKitWebDriver, under an Xvfb display started here (MiniBrowser has no
// headless mode). Chromium through Debian's chromedriver works too.
//
//   const b = await launch("firefox");            // driver on a free port, a new session
//   await b.navigate(url);
//   const v = await b.run((a, b) => a + b, 1, 2); // an async function in the page, awaited
//   await b.screenshot("path.png");
//   await b.close();                              // session deleted, driver (and Xvfb) stopped
//
// Classic WebDriver reports no console messages: pages collect their own errors
// (tests/pkg/browser/problems.js) and the tests read them with `run`.
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";

export const ENGINES = ["chromium", "firefox", "webkit"];

const GECKODRIVER = process.env.GECKODRIVER ?? join(homedir(), ".cargo", "bin", "geckodriver");
const WEBKITWEBDRIVER = process.env.WEBKITWEBDRIVER ?? "/usr/bin/WebKitWebDriver";
const MINIBROWSER = process.env.MINIBROWSER ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
const FIREFOX = process.env.FIREFOX ?? "/usr/bin/firefox-esr";
const CHROMEDRIVER = process.env.CHROMEDRIVER ?? "/usr/bin/chromedriver";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const XVFB = "/usr/bin/Xvfb";

/** Firefox's WebGPU: on by prefs, on Mesa's software Vulkan (lavapipe) here. */
export const FIREFOX_PREFS = {
  "dom.webgpu.enabled": true,
  "gfx.webgpu.ignore-blocklist": true,
  "gfx.webgpu.force-enabled": true,
};

/** What each engine needs: its driver, the session's capabilities, and whether it wants an X display. */
function engineSpec(engine) {
  switch (engine) {
    case "firefox":
      return {
        driver: GECKODRIVER,
        needs: [GECKODRIVER, FIREFOX],
        capabilities: {
          browserName: "firefox",
          "moz:firefoxOptions": { binary: FIREFOX, args: ["-headless"], prefs: FIREFOX_PREFS },
        },
      };
    case "webkit":
      return {
        driver: WEBKITWEBDRIVER,
        needs: [WEBKITWEBDRIVER, MINIBROWSER, XVFB],
        display: true,
        // As Safari on an isolated page: SharedArrayBuffer on. Debian's WebKitGTK build leaves JSC's
        // option off (a shared WebAssembly.Memory can then be made but not posted to a worker); the
        // driver's MiniBrowser and its web processes inherit JSC options from the environment.
        env: { JSC_useSharedArrayBuffer: "true" },
        capabilities: {
          browserName: "MiniBrowser",
          "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] },
        },
      };
    case "chromium":
      return {
        driver: CHROMEDRIVER,
        needs: [CHROMEDRIVER, CHROMIUM],
        capabilities: {
          browserName: "chrome",
          "goog:chromeOptions": {
            binary: CHROMIUM,
            args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--enable-unsafe-webgpu"],
          },
        },
      };
    default:
      throw new Error(`unknown engine ${engine} (one of ${ENGINES.join(", ")})`);
  }
}

/** A loopback port free right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Whatever is still running when Node exits (a failed test, Ctrl-C) is killed with it.
const live = new Set();
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});
const track = (child) => {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
};

/** Sends SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
async function stopProcess(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(t);
}

/**
 * Starts Xvfb on a display it picks itself (`-displayfd`: the first free number from 0 up, written
 * back on a pipe), so parallel runs and a desktop's own display never collide.
 */
export async function startXvfb() {
  const child = track(
    spawn(XVFB, ["-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"], {
      stdio: ["ignore", "ignore", "pipe", "pipe"],
    }),
  );
  let stderr = "";
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const display = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`Xvfb did not report a display:\n${stderr}`)), 20000);
    child.stdio[3].on("data", (d) => {
      out += d;
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}):\n${stderr}`));
    });
  });
  return { display, stop: () => stopProcess(child) };
}

/** One WebDriver HTTP call; resolves to the answer's `value`, rejects with the driver's error. */
function call(port, method, path, body) {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    // node:http has no overall request timeout (fetch's undici gives up on headers after 300 s,
    // less than a long executeAsync): the script timeout of the session bounds a call.
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        headers: data ? { "content-type": "application/json; charset=utf-8", "content-length": data.length } : {},
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            return reject(new Error(`WebDriver ${method} ${path}: HTTP ${res.statusCode}, not JSON: ${text.slice(0, 500)}`));
          }
          const v = json?.value;
          if (res.statusCode !== 200) {
            const e = new Error(`WebDriver ${method} ${path}: ${v?.error ?? res.statusCode}: ${v?.message ?? text.slice(0, 500)}`);
            e.webdriverError = v?.error;
            return reject(e);
          }
          resolve(v);
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (data) req.write(data);
    req.end();
  });
}

async function waitForDriver(port, child, log) {
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the WebDriver exited (${child.exitCode}):\n${log()}`);
    try {
      const status = await call(port, "GET", "/status");
      if (status?.ready !== false) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the WebDriver did not answer on port ${port} within 30 s:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts `engine`'s WebDriver on a free port (and Xvfb for WebKit) and opens a session; fails at
 * once, naming what is missing, when a driver or browser is not installed (`make setup`).
 * `scriptTimeoutMs` bounds each `run`.
 */
export async function launch(engine, { scriptTimeoutMs = 600_000, pageLoadTimeoutMs = 120_000 } = {}) {
  const spec = engineSpec(engine);
  const missing = spec.needs.filter((p) => !existsSync(p));
  if (missing.length) throw new Error(`${engine}: not installed: ${missing.join(", ")} (run \`make setup\`)`);
  const xvfb = spec.display ? await startXvfb() : null;
  let driver;
  try {
    const port = await freePort();
    const env = { ...process.env, ...spec.env };
    if (xvfb) env.DISPLAY = xvfb.display;
    driver = track(spawn(spec.driver, [`--port=${port}`], { env, stdio: ["ignore", "pipe", "pipe"] }));
    let output = "";
    const keep = (d) => (output = (output + d).slice(-20000));
    driver.stdout.on("data", keep);
    driver.stderr.on("data", keep);
    await waitForDriver(port, driver, () => output);
    const created = await call(port, "POST", "/session", {
      capabilities: {
        alwaysMatch: { ...spec.capabilities, timeouts: { script: scriptTimeoutMs, pageLoad: pageLoadTimeoutMs, implicit: 0 } },
      },
    });
    const id = created.sessionId;
    const s = (path) => `/session/${id}${path}`;
    let closed = false;
    const browser = {
      engine,
      capabilities: created.capabilities,
      display: xvfb?.display,
      driverOutput: () => output,
      navigate: (url) => call(port, "POST", s("/url"), { url }),
      /** The value of a synchronous script (a function's body, `arguments` its args). */
      execute: (script, ...args) => call(port, "POST", s("/execute/sync"), { script, args }),
      /**
       * Calls `fn` (an async function or one returning a value, serialised with its source: it
       * must not close over Node variables) in the page with `args`, awaits it, resolves to its
       * JSON value; a rejection becomes an Error with the page's message and stack. Keep `fn` to
       * calling the page's own functions: Firefox runs it in a sandbox whose DOM objects are
       * wrappers (`navigator.gpu.requestAdapter()` called from there is not `instanceof` the
       * page's `Promise`, and the package, entered from there, reported `webgpu_unavailable`).
       * An `undefined` property comes back as `null`.
       */
      async run(fn, ...args) {
        const script = `const done = arguments[arguments.length - 1];
          const args = Array.prototype.slice.call(arguments, 0, -1);
          Promise.resolve().then(() => (${fn.toString()})(...args)).then(
            (value) => done({ ok: true, value: value === undefined ? null : value }),
            (e) => done({ ok: false, error: String(e && e.name ? e.name + (e.code ? " " + e.code : "") + ": " + e.message : e),
              stack: String((e && e.stack) || "") }));`;
        const out = await call(port, "POST", s("/execute/async"), { script, args });
        if (!out?.ok) {
          const e = new Error(`in ${engine}: ${out?.error}\n${out?.stack ?? ""}`);
          throw e;
        }
        return out.value;
      },
      /** Polls `fn` (sync, in the page) until it returns a truthy value. */
      async waitFor(fn, timeoutMs = 60000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const v = await call(port, "POST", s("/execute/sync"), { script: `return (${fn.toString()})();`, args: [] });
          if (v) return v;
          if (Date.now() > deadline) throw new Error(`${engine}: timed out waiting for ${fn}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      async screenshot(path) {
        const b64 = await call(port, "GET", s("/screenshot"));
        writeFileSync(path, Buffer.from(b64, "base64"));
      },
      async close() {
        if (closed) return;
        closed = true;
        try {
          await call(port, "DELETE", s(""));
        } finally {
          await stopProcess(driver);
          await xvfb?.stop();
        }
      },
    };
    return browser;
  } catch (e) {
    await stopProcess(driver);
    await xvfb?.stop();
    throw e;
  }
}
