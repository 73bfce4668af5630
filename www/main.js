// Minimal demo of the local path: load an ONNX export, predict an image, draw the HUB JSON.
import init, { LocalModel } from "../pkg/yolo_wasm.js";

const $ = (id) => document.getElementById(id);
const PALETTE = ["#FF3838", "#FF9D97", "#FF701F", "#FFB21D", "#CFD231", "#48F90A", "#92CC17", "#3DDB86", "#1A9334", "#00D4BB",
  "#2C99A8", "#00C2FF", "#344593", "#6473FF", "#0018EC", "#8438FF", "#520085", "#CB38FF", "#FF95C8", "#FF37C7"];
let model = null;
let image = null;

function showError(e) {
  $("error").textContent = e ? `${e.name}${e.code ? ` [${e.code}]` : ""}: ${e.message}` : "";
}

async function loadModel(source, label) {
  $("model-status").textContent = `Loading ${label}…`;
  $("run").disabled = true;
  try {
    model = await LocalModel.load(source);
    const info = model.info;
    $("model-status").textContent = `${label}: ${info.task}, ${Object.keys(info.names).length} classes, ` +
      `${info.imgsz.join("×")}${info.dynamic ? " (dynamic)" : ""}`;
    $("run").disabled = !image;
    showError(null);
  } catch (e) {
    model = null;
    $("model-status").textContent = "No model loaded.";
    showError(e);
  }
}

async function loadImage(blob) {
  image = await createImageBitmap(blob);
  $("run").disabled = !model;
  draw(null);
}

function draw(response) {
  const canvas = $("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  if (!response) return;
  const lw = Math.max(2, Math.round(Math.max(image.width, image.height) / 320));
  ctx.lineWidth = lw;
  ctx.font = `${6 * lw + 4}px system-ui, sans-serif`;
  ctx.textBaseline = "top";
  for (const r of response.images[0].results) {
    if (!r.box) continue;
    const colour = PALETTE[r.class % PALETTE.length];
    const { x1, y1, x2, y2 } = r.box;
    ctx.strokeStyle = colour;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const label = `${r.name} ${r.confidence.toFixed(2)}`;
    const h = 6 * lw + 8;
    const w = ctx.measureText(label).width + 6;
    const y = y1 >= h ? y1 - h : y1;
    ctx.fillStyle = colour;
    ctx.fillRect(x1, y, w, h);
    ctx.fillStyle = "#fff";
    ctx.fillText(label, x1 + 3, y + 2);
  }
}

async function run() {
  if (!model || !image) return;
  $("run").disabled = true;
  try {
    const options = { imgsz: Number($("imgsz").value), conf: Number($("conf").value), iou: Number($("iou").value) };
    const res = await model.predict(image, options);
    draw(res);
    $("json").textContent = JSON.stringify(res, null, 2);
    const s = res.images[0].speed;
    $("timing").textContent = `preprocess ${s.preprocess.toFixed(1)} ms · inference ${s.inference.toFixed(1)} ms · postprocess ${s.postprocess.toFixed(1)} ms`;
    showError(null);
  } catch (e) {
    showError(e);
  } finally {
    $("run").disabled = false;
  }
}

for (const id of ["imgsz", "conf", "iou"]) {
  $(id).addEventListener("input", () => { $(`${id}-out`).textContent = $(id).value; });
}
$("run").addEventListener("click", run);
$("model-file").addEventListener("change", (ev) => {
  const f = ev.target.files[0];
  if (f) loadModel(f, f.name);
});
$("image-file").addEventListener("change", (ev) => {
  const f = ev.target.files[0];
  if (f) loadImage(f).then(run, showError);
});
$("sample").addEventListener("change", () => loadSample().then(run, showError));

async function loadSample() {
  const resp = await fetch(`../tests/fixtures/images/${$("sample").value}`);
  await loadImage(await resp.blob());
}

await init();
await Promise.all([loadModel("../tests/fixtures/models/yolo11n-shapes.onnx", "yolo11n-shapes.onnx"), loadSample()]);
await run();
