// End-to-end tests of the demo page (www/) against the real `yolo-wasm serve`, in Debian's
// Chromium driven by playwright-core. `make test-e2e` (pkg/ first); screenshots land in
// tests/e2e/screenshots/ (git-ignored). No wall-clock assertions: responsiveness is measured in
// requestAnimationFrame ticks, compared with the same inference run on the main thread.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { ROOT, golden, launchBrowser, log, openPage, resetScreenshots, screenshot, startServer } from "./harness.mjs";

const INFERENCE_TIMEOUT = 120_000; // a cold wasm compile plus a first inference on a busy 2-core box
const T = { timeout: 300_000 }; // per test: a hung page fails the test instead of the whole run

let server;
let browser;
let shared; // the first test's context: its Cache Storage holds the model for the reload test

before(async () => {
  resetScreenshots();
  server = await startServer();
  log(`server ${server.url}`);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// ---- helpers --------------------------------------------------------------------------------

/** Waits until the page shows a new response (count > `seen`) or an error message. */
async function nextOutcome(page, seen) {
  await page.waitForFunction(
    (n) => Number(document.getElementById("json").dataset.count) > n || document.getElementById("error").textContent !== "",
    seen,
    { timeout: INFERENCE_TIMEOUT },
  );
  return page.evaluate(() => ({
    error: document.getElementById("error").textContent,
    json: document.getElementById("json").textContent,
    count: Number(document.getElementById("json").dataset.count),
  }));
}

const responseCount = (page) => page.evaluate(() => Number(document.getElementById("json").dataset.count));

/** Runs `action` (which should start one prediction) and returns the parsed response. */
async function predictWith(page, action) {
  const seen = await responseCount(page);
  await page.evaluate(() => (document.getElementById("error").textContent = ""));
  await action();
  const out = await nextOutcome(page, seen);
  assert.equal(out.error, "", "the page shows an error instead of a response");
  return JSON.parse(out.json);
}

/** Clicks "Process video", waits until the run ends with a new response (or an error), asserts
 *  there is no error and returns the response. */
async function processVideo(page) {
  const seen = await responseCount(page);
  await page.click("#video-start");
  await page.waitForFunction(
    (n) => {
      const done = document.getElementById("video-stop").disabled && !document.getElementById("video-start").disabled;
      return (done && Number(document.getElementById("json").dataset.count) > n) || document.getElementById("error").textContent;
    },
    seen,
    { timeout: INFERENCE_TIMEOUT },
  );
  assert.equal(await page.textContent("#error"), "");
  return JSON.parse(await page.textContent("#json"));
}

/** Runs `action` and returns the error message the page shows. */
async function errorAfter(page, action) {
  const seen = await responseCount(page);
  await page.evaluate(() => (document.getElementById("error").textContent = ""));
  await action();
  const out = await nextOutcome(page, seen);
  assert.notEqual(out.error, "", "expected an error message, got a response");
  return out.error;
}

/** Same count, same classes in order, boxes within 1 px, confidences within 1e-3, same shape. */
function assertGolden(response, expected, what) {
  const [a, e] = [response.images[0], expected.images[0]];
  assert.deepEqual(a.shape, e.shape, `${what}: shape`);
  assert.equal(a.results.length, e.results.length, `${what}: number of results`);
  a.results.forEach((r, i) => {
    const g = e.results[i];
    assert.equal(r.class, g.class, `${what}: class of #${i}`);
    assert.equal(r.name, g.name, `${what}: name of #${i}`);
    assert.ok(Math.abs(r.confidence - g.confidence) <= 1e-3, `${what}: confidence of #${i} ${r.confidence} vs ${g.confidence}`);
    assert.equal(Boolean(r.box), Boolean(g.box), `${what}: box of #${i}`);
    for (const k of Object.keys(g.box ?? {})) {
      assert.ok(Math.abs(r.box[k] - g.box[k]) <= 1, `${what}: box.${k} of #${i} ${r.box[k]} vs ${g.box[k]}`);
    }
  });
}

/** Console errors other than the browser's own line for an HTTP error answer we asked for. */
const unexpected = (problems, statuses = []) =>
  problems.filter((p) => !statuses.some((s) => p.includes(`Failed to load resource: the server responded with a status of ${s}`)));

async function loadDemo(page) {
  const seen = 0;
  await page.goto(`${server.url}/www/`);
  const out = await nextOutcome(page, seen);
  assert.equal(out.error, "", "the demo's first prediction failed");
  return JSON.parse(out.json);
}

async function chooseModel(page, file) {
  return page.selectOption("#model", `../tests/fixtures/models/${file}`);
}

/**
 * Records a 2 s, 10 fps webm in the page with MediaRecorder (a sample image sliding to the right),
 * switches the demo to "Video file" and picks it; resolves to its size in bytes.
 */
function recordClip(page) {
  return page.evaluate(async () => {
    const img = await createImageBitmap(await (await fetch("../tests/fixtures/images/square-640x640.png")).blob());
    const canvas = document.createElement("canvas");
    canvas.width = 320; // small: the real-time encoder drops frames when it falls behind on a busy box
    canvas.height = 240;
    const g = canvas.getContext("2d");
    // captureStream(0) + requestFrame(): one video frame per drawing, not whenever Chromium paints.
    const stream = canvas.captureStream(0);
    const [track] = stream.getVideoTracks();
    const rec = new MediaRecorder(stream, { mimeType: "video/webm;codecs=vp8", videoBitsPerSecond: 4e6 });
    const chunks = [];
    rec.ondataavailable = (e) => chunks.push(e.data);
    const stopped = new Promise((r) => (rec.onstop = r));
    const frame = (i) => {
      g.fillStyle = "#808080";
      g.fillRect(0, 0, canvas.width, canvas.height);
      g.drawImage(img, -60 + i * 3, -40, 320, 320);
      track.requestFrame();
    };
    // The recorder starts with the track's first frame; frames before it runs are lost.
    const started = new Promise((r) => (rec.onstart = r));
    rec.start();
    for (let tries = 0; tries < 50; tries++) {
      frame(0);
      if (await Promise.race([started.then(() => true), new Promise((r) => setTimeout(r, 100, false))])) break;
    }
    for (let i = 1; i <= 20; i++) {
      await new Promise((r) => setTimeout(r, 100));
      frame(i);
    }
    await new Promise((r) => setTimeout(r, 500)); // let the encoder catch up: stop() drops what it has not encoded
    rec.stop();
    await stopped;
    const file = new File(chunks, "clip.webm", { type: "video/webm" });
    document.querySelector("input[name=source][value=video]").click();
    const dt = new DataTransfer();
    dt.items.add(file);
    const input = document.getElementById("video-file");
    input.files = dt.files;
    input.dispatchEvent(new Event("change"));
    return file.size;
  });
}

// ---- tests ----------------------------------------------------------------------------------

test("local: demo loads without console errors, golden results, drawn canvas, model downloaded with progress", T, async () => {
  const { ctx, page, problems, requests } = await openPage(browser);
  shared = ctx;
  const response = await loadDemo(page);
  assertGolden(response, golden("yolo11n-shapes", "square-640x640"), "local square-640x640");

  // Downloaded once over the network, with a full progress bar.
  assert.equal(await page.getAttribute("#model-status", "data-from"), "network");
  assert.equal(requests.filter((u) => u.endsWith("/yolo11n-shapes.onnx")).length, 1);
  // Served as `make demo` does (cross-origin isolation headers), in Chromium (relaxed SIMD): the
  // package's default init() loaded the threaded build, and the worker started one thread per core,
  // so the golden results above come from it; never a single-thread build.
  assert.ok(requests.some((u) => u.endsWith("/pkg/yolo_wasm_threads_bg.wasm")), "threaded build loaded");
  assert.ok(!requests.some((u) => /\/pkg\/yolo_wasm(_relaxed)?_bg\.wasm$/.test(u)), "no single-thread build loaded");
  assert.equal(await page.getAttribute("#model-status", "data-build"), "threads");
  const cores = await page.evaluate(() => Math.min(navigator.hardwareConcurrency, 16));
  assert.equal(await page.getAttribute("#model-status", "data-threads"), String(cores));
  assert.match(await page.textContent("#timing"), new RegExp(`threads build, ${cores} threads?`));
  const bar = await page.evaluate(() => {
    const p = document.getElementById("model-progress");
    return { value: p.value, max: p.max };
  });
  assert.ok(bar.max > 10e6 && bar.value === bar.max, `progress ${bar.value}/${bar.max}`);

  // The canvas really was drawn on: along every returned box edge, most pixels differ from the
  // raw image's (decoded here independently of the page's own bitmap).
  const diff = await page.evaluate(async (results) => {
    const canvas = document.getElementById("canvas");
    const drawn = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    const blob = await (await fetch("../tests/fixtures/images/square-640x640.png")).blob();
    const raw = new OffscreenCanvas(canvas.width, canvas.height).getContext("2d");
    raw.drawImage(await createImageBitmap(blob), 0, 0);
    const rawPx = raw.getImageData(0, 0, canvas.width, canvas.height);
    const differs = (x, y) => {
      const i = (Math.round(y) * canvas.width + Math.round(x)) * 4;
      return [0, 1, 2].some((c) => Math.abs(drawn.data[i + c] - rawPx.data[i + c]) > 8);
    };
    return results.map(({ box: { x1, y1, x2, y2 } }) => {
      let n = 0;
      let hit = 0;
      for (let x = Math.ceil(x1); x <= Math.floor(x2); x++) for (const y of [y1, y2]) (n++, (hit += differs(x, y))); // prettier-ignore
      for (let y = Math.ceil(y1); y <= Math.floor(y2); y++) for (const x of [x1, x2]) (n++, (hit += differs(x, y))); // prettier-ignore
      return hit / n;
    });
  }, response.images[0].results);
  for (const [i, f] of diff.entries()) assert.ok(f > 0.8, `box #${i}: only ${(f * 100).toFixed(0)}% of its edge pixels were drawn over`);

  await screenshot(page, "local-detect");

  await page.click("#copy");
  await page.waitForFunction(() => document.getElementById("copy-status").textContent === "copied");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await page.textContent("#json"));
  assert.deepEqual(problems, [], "console errors, page errors or failed requests");
  await page.close();
});

test("local: a second load reads the model from Cache Storage, not the network", T, async () => {
  assert.ok(shared, "needs the first test's browser context");
  const { page, problems, requests } = await openPage(browser, { context: shared });
  const response = await loadDemo(page);
  assertGolden(response, golden("yolo11n-shapes", "square-640x640"), "cached model");
  assert.deepEqual(requests.filter((u) => u.endsWith(".onnx")), [], "the model was requested from the network again");
  assert.equal(await page.getAttribute("#model-status", "data-from"), "cache");
  assert.match(await page.textContent("#model-status"), /from cache/);
  await screenshot(page, "local-from-cache");
  assert.deepEqual(problems, []);
  await page.close();
});

test("local: predictions make no network request and never contact another origin", T, async () => {
  assert.ok(shared, "needs the first test's browser context");
  const { page, problems, requests } = await openPage(browser, { context: shared });
  await loadDemo(page);
  const origin = new URL(server.url).origin;
  const before = requests.length;
  for (const image of ["portrait-360x720.png", "landscape-800x450.png", "square-640x640.png"]) {
    await predictWith(page, () => page.setInputFiles("#image-file", `${ROOT}/tests/fixtures/images/${image}`));
  }
  assert.deepEqual(requests.slice(before), [], "local-mode predictions made network requests");
  const foreign = requests.filter((u) => !u.startsWith("data:") && !u.startsWith("blob:") && new URL(u).origin !== origin);
  assert.deepEqual(foreign, [], "local mode contacted another origin");
  assert.deepEqual(problems, []);
  await page.close();
});

test("local: a dead inference worker is replaced by a new one that reloads the model", T, async () => {
  assert.ok(shared, "needs the first test's browser context");
  const { page, problems } = await openPage(browser, { context: shared });
  // The demo's inference workers (the threaded build's pool workers, which it starts, aside).
  const workers = [];
  page.on("worker", (w) => w.url().endsWith("/pkg/worker_thread.js") && workers.push(w));
  await loadDemo(page);
  assert.equal(workers.length, 1, "one inference worker at start");
  // An uncaught WebAssembly.RuntimeError kills the worker's module as a trap would.
  await workers[0].evaluate(() =>
    setTimeout(() => {
      throw new WebAssembly.RuntimeError("unreachable (e2e: a trap on purpose)");
    }),
  );
  for (let i = 0; i < 100 && workers.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(workers.length, 2, "a new worker was started");
  const again = await predictWith(page, () => page.setInputFiles("#image-file", `${ROOT}/tests/fixtures/images/portrait-360x720.png`));
  assertGolden(again, golden("yolo11n-shapes", "portrait-360x720"), "after the restart");
  await screenshot(page, "local-after-worker-restart");
  // The dead worker's own report of its uncaught error is expected; nothing else.
  assert.deepEqual(problems.filter((p) => !p.includes("a trap on purpose")), []);
  await page.close();
});

test("local: uploaded and dropped images, sliders", T, async () => {
  const { page, problems } = await openPage(browser, { context: shared });
  await loadDemo(page);
  const upload = await predictWith(page, () => page.setInputFiles("#image-file", `${ROOT}/tests/fixtures/images/portrait-360x720.png`));
  assertGolden(upload, golden("yolo11n-shapes", "portrait-360x720"), "uploaded portrait-360x720");

  // A file dropped on the page, as a browser delivers it (DataTransfer on a drop event).
  const drop = await predictWith(page, () =>
    page.evaluate(async () => {
      const blob = await (await fetch("../tests/fixtures/images/landscape-800x450.png")).blob();
      const dt = new DataTransfer();
      dt.items.add(new File([blob], "landscape.png", { type: "image/png" }));
      document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    }),
  );
  assertGolden(drop, golden("yolo11n-shapes", "landscape-800x450"), "dropped landscape-800x450");

  // Moving a slider predicts again with its value (the run starts on "change", on release).
  const slide = (id, value) =>
    page.evaluate(([id, value]) => {
      const el = document.getElementById(id);
      el.value = value;
      el.dispatchEvent(new Event("input"));
      el.dispatchEvent(new Event("change"));
    }, [id, value]);
  await predictWith(page, () => slide("iou", "0.7"));
  const changed = await predictWith(page, () => slide("conf", "0.1"));
  assert.equal(await page.textContent("#conf-out"), "0.1");
  assertGolden(changed, golden("yolo11n-shapes", "landscape-800x450", { conf: 0.1, iou: 0.7 }), "conf 0.1, iou 0.7");
  await screenshot(page, "local-dropped-conf0.1");
  assert.deepEqual(problems, []);
  await page.close();
});

test("local: requestAnimationFrame keeps ticking while the worker infers", T, async () => {
  const { page, problems } = await openPage(browser, { context: shared });
  await loadDemo(page);
  // rAF ticks during one Predict (worker), then during the same inference on the main thread
  // (the package imported into the page itself) as the control: a blocked main thread gets ~0.
  const ticks = await page.evaluate(async () => {
    // Frames counted while `work` runs, and how long it ran: a rate, since a faster inference
    // (threads) leaves time for fewer frames, not a lower frame rate.
    const count = async (work) => {
      let n = 0;
      let on = true;
      const tick = () => on && (n++, requestAnimationFrame(tick));
      requestAnimationFrame(tick);
      await new Promise((r) => requestAnimationFrame(r));
      n = 0;
      const t0 = performance.now();
      await work();
      on = false;
      return { n, ms: performance.now() - t0 };
    };
    const json = document.getElementById("json");
    const seen = Number(json.dataset.count);
    const worker = await count(async () => {
      document.getElementById("run").click();
      while (Number(json.dataset.count) === seen) await new Promise((r) => setTimeout(r, 5));
    });
    const pkg = await import("../pkg/yolo_wasm.js");
    await pkg.default();
    const model = await pkg.LocalModel.load("../tests/fixtures/models/yolo11n-shapes.onnx");
    const bitmap = await createImageBitmap(await (await fetch("../tests/fixtures/images/square-640x640.png")).blob());
    await model.predict(bitmap); // warm-up, like the worker's first run
    const main = await count(() => model.predict(bitmap));
    model.free();
    return { worker, main };
  });
  const fps = ({ n, ms }) => (n * 1000) / ms;
  const what = `worker ${ticks.worker.n} frames in ${ticks.worker.ms.toFixed(0)} ms, main thread ${ticks.main.n} in ${ticks.main.ms.toFixed(0)} ms`;
  log(`rAF ticks during one inference: ${what}`);
  // The page animates (~60 fps unthrottled) while the worker infers; the control, the same
  // inference on the main thread, blocks it (0–1 frame).
  assert.ok(ticks.worker.n >= 3 && fps(ticks.worker) >= 20, `too few animation frames during a worker inference: ${what}`);
  assert.ok(fps(ticks.worker) >= 4 * fps(ticks.main) + 10, `the worker does not keep the page animating better than the main thread: ${what}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test("local: other tasks, a picked .onnx and a model URL match their golden files; bad models show readable messages", T, async () => {
  const { page, problems } = await openPage(browser, { context: shared });
  await loadDemo(page);
  const cases = [
    ["yolo11n-seg-shapes", "square-640x640", "local-segment"],
    ["yolo11n-pose-shapes", "square-640x640", "local-pose"],
    ["yolo11n-obb-shapes", "obb-640x480", "local-obb"], // the page switches to an OBB sample
    ["yolo11n-cls-shapes", "cls-160x160", "local-classify", 224], // …and to a classify sample (224 export)
  ];
  for (const [model, image, shot, imgsz = 640] of cases) {
    const response = await predictWith(page, () => chooseModel(page, `${model}.onnx`));
    assert.equal(await page.inputValue("#sample"), `${image}.png`);
    assertGolden(response, golden(model, image, { imgsz }), `${model} on ${image}`);
    await screenshot(page, shot);
  }
  // A file the user picks (and back to a detect sample).
  const picked = await predictWith(page, () => page.setInputFiles("#model-file", `${ROOT}/tests/fixtures/models/yolo26n-shapes.onnx`));
  assertGolden(picked, golden("yolo26n-shapes", "square-640x640"), "picked yolo26n-shapes.onnx");
  assert.match(await page.textContent("#model-status"), /^yolo26n-shapes\.onnx: detect, .*local file · threads build, \d+ threads?$/);
  await screenshot(page, "local-yolo26-picked");

  const message = await errorAfter(page, () => chooseModel(page, "not-yolo.onnx"));
  assert.match(message, /This model cannot be used \(not_yolo_model\)/);
  assert.match(await page.textContent("#model-status"), /not-yolo\.onnx: not loaded/);
  assert.equal(await page.textContent("#json"), "", "the previous model's results are still shown");
  await screenshot(page, "local-bad-model");

  // A model URL: missing, then a real one (downloaded with progress, then cached).
  const loadUrl = async (url) => {
    await page.fill("#model-url", url);
    await page.click("#model-url-form button");
  };
  const missing = await errorAfter(page, () => loadUrl(`${server.url}/tests/fixtures/models/missing.onnx`));
  assert.match(missing, /^Network error: could not download .*missing\.onnx: HTTP 404/);
  const byUrl = await predictWith(page, () => loadUrl(`${server.url}/tests/fixtures/models/yolov8n-shapes.onnx`));
  assertGolden(byUrl, golden("yolov8n-shapes", "square-640x640"), "yolov8n-shapes.onnx by URL");
  assert.match(await page.textContent("#model-status"), /^yolov8n-shapes\.onnx: detect, .*downloaded · threads build, \d+ threads?$/);
  // The browser's own lines about the 404 (its body is left unread, hence also ERR_ABORTED).
  assert.deepEqual(unexpected(problems, [404]).filter((p) => !p.includes("/missing.onnx")), []);
  await page.close();
});

test("remote: same results as local through the endpoint; wrong key → unauthorized; rate limit → retry in N s", T, async () => {
  const { page, problems } = await openPage(browser, { context: shared });
  await loadDemo(page);
  await page.check("input[name=mode][value=remote]");
  assert.equal(await page.inputValue("#endpoint"), server.url, "the endpoint defaults to the page's origin");
  assert.equal(await page.inputValue("#remote-model"), "yolo11n-shapes");

  // The key stays in memory unless "remember" is ticked.
  await page.fill("#api-key", "test-key");
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.check("#remember");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("yolo-wasm-demo.apiKey")), "test-key");
  await page.uncheck("#remember");
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);

  const response = await predictWith(page, () => page.click("#run"));
  assertGolden(response, golden("yolo11n-shapes", "square-640x640"), "remote square-640x640");
  assert.equal(response.metadata.model, "yolo11n-shapes", "answered by the server");
  await screenshot(page, "remote");

  await page.fill("#api-key", "wrong-key");
  const unauthorized = await errorAfter(page, () => page.click("#run"));
  assert.match(unauthorized, /^Unauthorized: .*HTTP 401/);
  assert.doesNotMatch(unauthorized, /wrong-key/, "the key must not be shown");
  assert.ok(await page.$eval("#canvas", (c) => c.classList.contains("stale")), "the previous results are not dimmed");
  await screenshot(page, "remote-unauthorized");

  await page.fill("#api-key", "limited-key"); // rate=2 per hour in tests/fixtures/server/keys.txt
  await predictWith(page, () => page.click("#run"));
  await predictWith(page, () => page.click("#run"));
  const limited = await errorAfter(page, () => page.click("#run"));
  assert.match(limited, /^Rate limited: .*Retry in \d+ s\b.*HTTP 429/);
  await screenshot(page, "remote-rate-limited");

  assert.deepEqual(unexpected(problems, [401, 429]), []);
  await page.close();
});

test("video file: per-frame results with a stride, drawn with `frame`", T, async () => {
  const { page, problems } = await openPage(browser, { context: shared });
  await loadDemo(page);
  const made = await recordClip(page);
  log(`test video: ${made} bytes`);
  await page.waitForFunction(() => !document.getElementById("video-start").disabled, null, { timeout: 30_000 });
  const duration = await page.evaluate(() => document.getElementById("video").duration);
  // ~2 s, but MediaRecorder stamps frames in real time: derive the expectation from what the page found.
  assert.ok(duration > 0.5 && Number.isFinite(duration), `duration ${duration}`);
  await page.fill("#video-fps", "10");
  await page.fill("#video-stride", "5");
  const response = await processVideo(page);
  const expected = Math.ceil(Math.floor(duration * 10 + 1e-6) / 5);
  log(`test video: ${duration.toFixed(3)} s → ${response.images.length} images[] entries`);
  assert.equal(response.images.length, expected, `one images[] entry per 5th frame of ${duration} s at 10 fps`);
  assert.equal(response.metadata.imageCount, expected);
  for (const im of response.images) assert.deepEqual(im.shape, [240, 320]);
  assert.ok(response.images.some((im) => im.results.length > 0), "no detections in any frame");
  assert.match(await page.textContent("#timing"), /FPS/);
  await screenshot(page, "video");
  // Scrubbing back to frame 0 redraws it (seek + draw with `frame: 0`).
  const before = await page.evaluate(() => document.getElementById("canvas").toDataURL());
  await page.fill("#frame", "0");
  await page.waitForFunction(() => document.getElementById("frame-out").textContent.startsWith("#0 "));
  const redrawn = await page.evaluate(() => document.getElementById("canvas").toDataURL());
  assert.notEqual(redrawn, before, "frame 0 was not redrawn");
  await screenshot(page, "video-frame-0");
  assert.deepEqual(problems, []);
  await page.close();
});

test("video file with the tracking toggle: every frame tracked, integer track_ids that persist, drawn", T, async () => {
  const { page, problems } = await openPage(browser, { context: shared });
  await loadDemo(page);
  assert.equal(await page.isVisible("#track"), false, "the toggle is for video and webcam, not still images");
  await recordClip(page);
  await page.waitForFunction(() => !document.getElementById("video-start").disabled, null, { timeout: 30_000 });
  assert.equal(await page.isVisible("#track"), true, "the tracking toggle shows for a video");
  await page.check("#track");
  await page.fill("#video-fps", "10");
  await page.fill("#video-stride", "2");
  const response = await processVideo(page);
  assert.equal(await page.getAttribute("#json", "data-tracked"), "true", "the frames went through track, not predict");
  const ids = response.images.map((im) => im.results.map((r) => r.track_id));
  log(`tracked video: ${response.images.length} frames, track ids ${JSON.stringify(ids)}`);
  assert.ok(response.images.length >= 3, `${response.images.length} frames`);
  for (const [i, frame] of ids.entries()) {
    assert.ok(frame.length > 0, `frame ${i}: nothing tracked`);
    for (const id of frame) assert.ok(Number.isInteger(id) && id >= 1, `frame ${i}: track_id ${id}`);
  }
  // IDs persist: some object keeps its ID through (nearly) the whole clip. (Which IDs exactly is the
  // tracker's parity with Ultralytics, tested on fixed frames in tests/web/tracking.rs; this clip is
  // recorded live, so its frames vary from run to run.)
  const frequency = new Map();
  for (const frame of ids) for (const id of new Set(frame)) frequency.set(id, (frequency.get(id) ?? 0) + 1);
  const steadiest = Math.max(...frequency.values());
  assert.ok(steadiest >= 0.8 * ids.length, `no ID lasts: ${JSON.stringify(ids)}`);
  await screenshot(page, "video-tracked");
  // Off again: the same video is predicted, without IDs.
  await page.uncheck("#track");
  const plain = await processVideo(page);
  assert.equal(await page.getAttribute("#json", "data-tracked"), "false");
  assert.ok(plain.images.every((im) => im.results.every((r) => r.track_id === undefined)), "untracked results carry no track_id");
  assert.deepEqual(problems, []);
  await page.close();
});

test("webcam with the tracking toggle: the live frames go through track (every result has a track_id)", T, async () => {
  const { page, problems } = await openPage(browser, { context: shared });
  await loadDemo(page);
  await page.check("input[name=source][value=webcam]");
  assert.equal(await page.isVisible("#track"), true, "the tracking toggle shows for the webcam");
  await page.check("#track");
  const before = await responseCount(page);
  await page.click("#webcam-start");
  await page.waitForFunction(
    (n) => Number(document.getElementById("json").dataset.count) >= n + 3 || document.getElementById("error").textContent,
    before,
    { timeout: INFERENCE_TIMEOUT },
  );
  assert.equal(await page.textContent("#error"), "");
  assert.equal(await page.getAttribute("#json", "data-tracked"), "true");
  const live = JSON.parse(await page.textContent("#json"));
  assert.ok(live.images[0].results.every((r) => Number.isInteger(r.track_id)), "a tracked webcam result without an integer track_id");
  await screenshot(page, "webcam-tracked");
  await page.click("#webcam-stop");
  assert.deepEqual(problems, []);
  await page.close();
});

test("webcam: live loop on Chromium's fake camera with FPS; refused / no camera → readable messages", T, async () => {
  const { page, problems } = await openPage(browser, { context: shared });
  await loadDemo(page);
  await page.check("input[name=source][value=webcam]");
  const seen = await responseCount(page);
  await page.click("#webcam-start");
  await page.waitForFunction((n) => Number(document.getElementById("json").dataset.count) >= n + 3, seen, { timeout: INFERENCE_TIMEOUT });
  assert.equal(await page.textContent("#error"), "");
  assert.match(await page.textContent("#timing"), /\d+\.\d FPS/);
  await screenshot(page, "webcam");
  await page.click("#webcam-stop");
  assert.deepEqual(problems, []);
  await page.close();

  // A context that does not grant the camera: getUserMedia is refused.
  const { ctx: refusing, page: r } = await openPage(browser, { permissions: [] });
  await loadDemo(r);
  await r.check("input[name=source][value=webcam]");
  await r.click("#webcam-start");
  await r.waitForFunction(() => document.getElementById("error").textContent !== "");
  assert.match(await r.textContent("#error"), /^Camera permission was refused/);
  await screenshot(r, "webcam-refused");
  await refusing.close();

  // A browser without the fake device: getUserMedia has no camera to give.
  const bare = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--no-first-run"],
  });
  try {
    const { page: p } = await openPage(bare);
    await loadDemo(p);
    await p.check("input[name=source][value=webcam]");
    await p.click("#webcam-start");
    await p.waitForFunction(() => document.getElementById("error").textContent !== "");
    assert.match(await p.textContent("#error"), /^No camera was found/);
    await screenshot(p, "webcam-none");
  } finally {
    await bare.close();
  }
});
