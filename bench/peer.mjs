// Pre- and post-processing for the onnxruntime-web peer, in plain JS, doing the same work as
// yolo-wasm so that the peer's "pre + post" is measured too:
//
// pre:  (default, `letterboxCanvas`) the browser's bilinear resize, see below; or (`?pre=js`,
//       `letterbox`) Ultralytics letterbox of RGBA ImageData to the square input (scale to fit, centred,
//       grey 114 padding), bilinear resize with OpenCV's INTER_LINEAR half-pixel taps (float
//       weights, borders clamped), straight into a planar NCHW Float32Array of RGB / 255.
//       Separable, each source row resized horizontally once (two cached rows), only the image
//       area written (the padding is one fill()).
// post: dense head [1, 4 + nc (+ nm), anchors]: best class per anchor (class-major scan, so
//       memory is read sequentially), candidates with score > conf, xywh → xyxy, sort by score,
//       greedy class-aware NMS (class offset 7680, IoU > iou suppresses, at most 300 kept), boxes
//       mapped back to image pixels and clipped.
//       Segment also: per kept box, mask logits = coefficients · prototypes over the prototype
//       cells the box reaches, bilinear upsampling (PyTorch align_corners=False) to input pixels
//       inside the box only, foreground where logit > 0, empty masks dropped, outer contours
//       traced (Suzuki–Abe border following as OpenCV findContours RETR_EXTERNAL /
//       CHAIN_APPROX_SIMPLE) and several parts joined (Ultralytics merge_multi_segment), points
//       mapped back to image pixels. This is a JS port of the same algorithms yolo-wasm runs.

export const CLASS_OFFSET = 7680;
export const MAX_NMS = 30000;
export const MAX_DET = 300;

/** Letterbox `img` (ImageData, RGBA) into a `[1, 3, size, size]` Float32Array. */
export function letterbox(img, size) {
  const { width: w, height: h, data } = img;
  const r = Math.min(size / h, size / w);
  const nw = Math.max(1, Math.round(w * r));
  const nh = Math.max(1, Math.round(h * r));
  const top = (size - nh) >> 1;
  const left = (size - nw) >> 1;
  const plane = size * size;
  const out = new Float32Array(3 * plane).fill(114 / 255);
  const xt = taps(w, nw);
  const yt = taps(h, nh);
  // Horizontal taps as byte offsets into an RGBA row.
  const xo0 = new Int32Array(nw);
  const xo1 = new Int32Array(nw);
  for (let x = 0; x < nw; x++) {
    xo0[x] = xt.i0[x] * 4;
    xo1[x] = xt.i1[x] * 4;
  }
  const rows = [new Float32Array(nw * 3), new Float32Array(nw * 3)];
  const rowOf = [-1, -1];
  const hresize = (slot, y) => {
    const row = rows[slot];
    const base = y * w * 4;
    for (let x = 0, o = 0; x < nw; x++, o += 3) {
      const p0 = base + xo0[x];
      const p1 = base + xo1[x];
      const a = xt.w0[x];
      const b = xt.w1[x];
      row[o] = data[p0] * a + data[p1] * b;
      row[o + 1] = data[p0 + 1] * a + data[p1 + 1] * b;
      row[o + 2] = data[p0 + 2] * a + data[p1 + 2] * b;
    }
    rowOf[slot] = y;
  };
  const k = 1 / 255;
  for (let dy = 0; dy < nh; dy++) {
    const r0 = yt.i0[dy];
    const r1 = yt.i1[dy];
    if (rowOf[0] !== r0 && rowOf[1] === r0) {
      rows.reverse();
      rowOf.reverse();
    }
    if (rowOf[0] !== r0) hresize(0, r0);
    if (rowOf[1] !== r1) hresize(1, r1);
    const b0 = yt.w0[dy] * k;
    const b1 = yt.w1[dy] * k;
    const h0 = rows[0];
    const h1 = rows[1];
    let at = (top + dy) * size + left;
    for (let x = 0, o = 0; x < nw; x++, o += 3, at++) {
      out[at] = h0[o] * b0 + h1[o] * b1;
      out[plane + at] = h0[o + 1] * b0 + h1[o + 1] * b1;
      out[2 * plane + at] = h0[o + 2] * b0 + h1[o + 2] * b1;
    }
  }
  return { tensor: out, r, top, left, size };
}

let canvas = null;
let ctx = null;

/**
 * The same letterbox through the browser's own resize (the usual way in ort-web apps, and the
 * faster one here): `createImageBitmap` with `resizeQuality: "low"` (bilinear), drawn centred on a
 * grey canvas, read back with `getImageData`, converted to NCHW / 255. Differs from the OpenCV
 * taps by at most one grey level (bus.jpg) or not at all (1920×1080 → 640×360).
 */
export async function letterboxCanvas(img, size) {
  const r = Math.min(size / img.height, size / img.width);
  const nw = Math.max(1, Math.round(img.width * r));
  const nh = Math.max(1, Math.round(img.height * r));
  const top = (size - nh) >> 1;
  const left = (size - nw) >> 1;
  if (!canvas || canvas.width !== size) {
    canvas = new OffscreenCanvas(size, size);
    ctx = canvas.getContext("2d", { willReadFrequently: true });
  }
  const bmp = await createImageBitmap(img, { resizeWidth: nw, resizeHeight: nh, resizeQuality: "low" });
  ctx.fillStyle = "rgb(114, 114, 114)";
  ctx.fillRect(0, 0, size, size);
  ctx.drawImage(bmp, left, top);
  bmp.close();
  const d = ctx.getImageData(0, 0, size, size).data;
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  const k = 1 / 255;
  for (let i = 0, p = 0; i < plane; i++, p += 4) {
    out[i] = d[p] * k;
    out[plane + i] = d[p + 1] * k;
    out[2 * plane + i] = d[p + 2] * k;
  }
  return { tensor: out, r, top, left, size };
}

/** OpenCV INTER_LINEAR taps of one axis (fraction zeroed where the tap leaves the image). */
function taps(src, dst) {
  const scale = src / dst;
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w0 = new Float32Array(dst);
  const w1 = new Float32Array(dst);
  const last = src - 1;
  for (let d = 0; d < dst; d++) {
    const f = (d + 0.5) * scale - 0.5;
    let s = Math.floor(f);
    let frac = f - s;
    if (s < 0 || s >= last) {
      frac = 0;
      s = Math.min(Math.max(s, 0), last);
    }
    i0[d] = s;
    i1[d] = Math.min(s + 1, last);
    w0[d] = 1 - frac;
    w1[d] = frac;
  }
  return { i0, i1, w0, w1 };
}

/**
 * Decode + NMS of a dense head `out` (Float32Array, `[1, features, n]`), `nc` classes.
 * Returns kept `{ a, score, cls, box: [x1, y1, x2, y2] }` (input pixels), best first.
 */
export function detect(out, n, nc, conf, iou) {
  const best = new Float32Array(n).fill(-Infinity);
  const cls = new Int32Array(n);
  for (let c = 0; c < nc; c++) {
    const base = (4 + c) * n;
    for (let a = 0; a < n; a++) {
      const s = out[base + a];
      if (s > best[a]) {
        best[a] = s;
        cls[a] = c;
      }
    }
  }
  let cands = [];
  for (let a = 0; a < n; a++) {
    if (best[a] > conf) cands.push(a);
  }
  cands.sort((p, q) => best[q] - best[p] || p - q);
  if (cands.length > MAX_NMS) cands = cands.slice(0, MAX_NMS);
  const m = cands.length;
  const bx = new Float32Array(m * 4);
  const area = new Float32Array(m);
  for (let i = 0; i < m; i++) {
    const a = cands[i];
    const off = cls[a] * CLASS_OFFSET;
    const cx = out[a];
    const cy = out[n + a];
    const hw = out[2 * n + a] / 2;
    const hh = out[3 * n + a] / 2;
    bx[4 * i] = cx - hw + off;
    bx[4 * i + 1] = cy - hh + off;
    bx[4 * i + 2] = cx + hw + off;
    bx[4 * i + 3] = cy + hh + off;
    area[i] = (bx[4 * i + 2] - bx[4 * i]) * (bx[4 * i + 3] - bx[4 * i + 1]);
  }
  const suppressed = new Uint8Array(m);
  const keep = [];
  for (let i = 0; i < m && keep.length < MAX_DET; i++) {
    if (suppressed[i]) continue;
    const a = cands[i];
    const off = cls[a] * CLASS_OFFSET;
    keep.push({
      a,
      score: best[a],
      cls: cls[a],
      box: [bx[4 * i] - off, bx[4 * i + 1] - off, bx[4 * i + 2] - off, bx[4 * i + 3] - off],
    });
    const x1 = bx[4 * i];
    const y1 = bx[4 * i + 1];
    const x2 = bx[4 * i + 2];
    const y2 = bx[4 * i + 3];
    for (let j = i + 1; j < m; j++) {
      if (suppressed[j]) continue;
      const w = Math.min(x2, bx[4 * j + 2]) - Math.max(x1, bx[4 * j]);
      if (w <= 0) continue;
      const h = Math.min(y2, bx[4 * j + 3]) - Math.max(y1, bx[4 * j + 1]);
      if (h <= 0) continue;
      const inter = w * h;
      if (inter / (area[i] + area[j] - inter) > iou) suppressed[j] = 1;
    }
  }
  return keep;
}

/** Maps an input-pixel coordinate back to the original image, clipped. */
function back(v, pad, r, max) {
  return Math.min(Math.max((v - pad) / r, 0), max);
}

/** Full post-processing; returns `[{ class, confidence, box, segments? }]` in image pixels. */
export function postprocess(outputs, lb, img, { nc, task, conf, iou }) {
  const [out0, protos] = outputs;
  const n = out0.dims[2];
  const data = out0.data;
  const kept = detect(data, n, nc, conf, iou);
  const { r, top, left, size } = lb;
  const W = img.width;
  const H = img.height;
  const results = [];
  for (const k of kept) {
    const box = {
      x1: back(k.box[0], left, r, W),
      y1: back(k.box[1], top, r, H),
      x2: back(k.box[2], left, r, W),
      y2: back(k.box[3], top, r, H),
    };
    const res = { class: k.cls, confidence: k.score, box };
    if (task === "segment") {
      const [, nm, mh, mw] = protos.dims;
      const coeffs = new Float32Array(nm);
      for (let j = 0; j < nm; j++) coeffs[j] = data[(4 + nc + j) * n + k.a];
      const mask = boxMask(protos.data, nm, mh, mw, coeffs, k.box, size, size);
      if (!mask) continue;
      const pts = mergeParts(externalContours(mask.bits, mask.width, mask.height));
      const x = new Array(pts.length);
      const y = new Array(pts.length);
      for (let i = 0; i < pts.length; i++) {
        x[i] = back(pts[i][0] + mask.x0, left, r, W);
        y[i] = back(pts[i][1] + mask.y0, top, r, H);
      }
      res.segments = { x, y };
    }
    results.push(res);
  }
  return results;
}

function span(lo, hi, size) {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return [0, 0];
  const start = Math.min(Math.max(Math.ceil(lo), 0), size);
  const end = Math.min(Math.max(Math.ceil(hi), 0), size);
  return [start, Math.max(end, start)];
}

/** Bilinear taps (PyTorch, align_corners=False) of output coordinates `from..to`. */
function taps1d(from, to, scale, inSize) {
  const n = to - from;
  const t = { i0: new Int32Array(n), i1: new Int32Array(n), w0: new Float32Array(n), w1: new Float32Array(n) };
  for (let k = 0; k < n; k++) {
    const src = Math.max(scale * (from + k + 0.5) - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const w1 = Math.min(Math.max(src - i0, 0), 1);
    t.i0[k] = i0;
    t.i1[k] = i0 < inSize - 1 ? i0 + 1 : i0;
    t.w0[k] = 1 - w1;
    t.w1[k] = w1;
  }
  return t;
}

/** Binary mask of one box (input pixels), or null when empty. */
function boxMask(pdata, nm, mh, mw, coeffs, bbox, ih, iw) {
  const [x0, x1] = span(bbox[0], bbox[2], iw);
  const [y0, y1] = span(bbox[1], bbox[3], ih);
  const width = x1 - x0;
  const height = y1 - y0;
  if (width === 0 || height === 0) return null;
  const xt = taps1d(x0, x1, mw / iw, mw);
  const yt = taps1d(y0, y1, mh / ih, mh);
  const px0 = xt.i0[0];
  const px1 = xt.i1[width - 1] + 1;
  const py0 = yt.i0[0];
  const py1 = yt.i1[height - 1] + 1;
  const cw = px1 - px0;
  const logits = new Float32Array(cw * (py1 - py0));
  const plane = mh * mw;
  for (let k = 0; k < nm; k++) {
    const c = coeffs[k];
    const p = k * plane;
    for (let py = py0; py < py1; py++) {
      const src = p + py * mw + px0;
      const dst = (py - py0) * cw;
      for (let i = 0; i < cw; i++) logits[dst + i] += c * pdata[src + i];
    }
  }
  // Column taps relative to the logits window.
  const c0 = new Int32Array(width);
  const c1 = new Int32Array(width);
  for (let c = 0; c < width; c++) {
    c0[c] = xt.i0[c] - px0;
    c1[c] = xt.i1[c] - px0;
  }
  const { w0: xw0, w1: xw1 } = xt;
  const bits = new Uint8Array(width * height);
  let any = 0;
  for (let rr = 0; rr < height; rr++) {
    const ra = (yt.i0[rr] - py0) * cw;
    const rb = (yt.i1[rr] - py0) * cw;
    const yw0 = yt.w0[rr];
    const yw1 = yt.w1[rr];
    const o = rr * width;
    for (let c = 0; c < width; c++) {
      const t = logits[ra + c0[c]] * xw0[c] + logits[ra + c1[c]] * xw1[c];
      const b = logits[rb + c0[c]] * xw0[c] + logits[rb + c1[c]] * xw1[c];
      const v = t * yw0 + b * yw1 > 0 ? 1 : 0;
      bits[o + c] = v;
      any |= v;
    }
  }
  return any ? { x0, y0, width, height, bits } : null;
}

const MOVES = [
  [1, 0], [1, -1], [0, -1], [-1, -1], [-1, 0], [-1, 1], [0, 1], [1, 1],
];
const RIGHT_BOUND = -126; // OpenCV: nbd | -128 as int8

/** Outer contours of a binary mask in OpenCV's order; points `[x, y]`. */
export function externalContours(mask, width, height) {
  const stride = width + 2;
  const rows = height + 2;
  const px = new Int8Array(stride * rows);
  for (let y = 0; y < height; y++) {
    const s = y * width;
    const d = (y + 1) * stride + 1;
    for (let x = 0; x < width; x++) px[d + x] = mask[s + x] !== 0 ? 1 : 0;
  }
  const deltas = new Int32Array(16);
  for (let i = 0; i < 16; i++) deltas[i] = MOVES[i % 8][1] * stride + MOVES[i % 8][0];
  const found = [];
  for (let y = 1; y < rows - 1; y++) {
    const row = y * stride;
    let prev = 0;
    let lastBorder = row;
    for (let x = 1; x < stride - 1; x++) {
      const i = row + x;
      const p = px[i];
      if (p === prev) continue;
      if (prev === 0 && p === 1 && px[lastBorder] <= 0) {
        found.push(follow(px, deltas, i, x - 1, y - 1));
        prev = px[i];
        continue;
      }
      if ((p & -2) !== 0) lastBorder = i;
      prev = p;
    }
  }
  found.reverse();
  return found;
}

function follow(px, deltas, start, ox, oy) {
  const pts = [];
  let s = 4;
  let first;
  for (;;) {
    s = (s + 7) & 7;
    if (s === 4) {
      px[start] = RIGHT_BOUND;
      pts.push([ox, oy]);
      return pts;
    }
    const i = start + deltas[s];
    if (px[i] !== 0) {
      first = i;
      break;
    }
  }
  let x = ox;
  let y = oy;
  let cur = start;
  let prevS = s ^ 4;
  for (;;) {
    const sFrom = s;
    let next = cur;
    while (s < 15) {
      s++;
      next = cur + deltas[s];
      if (px[next] !== 0) break;
    }
    s &= 7;
    if (s !== 0 && s - 1 < sFrom) px[cur] = RIGHT_BOUND;
    else if (px[cur] === 1) px[cur] = 2;
    if (s !== prevS) {
      pts.push([x, y]);
      prevS = s;
    }
    x += MOVES[s][0];
    y += MOVES[s][1];
    if (next === start && cur === first) break;
    cur = next;
    s = (s + 4) & 7;
  }
  return pts;
}

/** Ultralytics merge_multi_segment: one closed walk through all parts. */
export function mergeParts(parts) {
  const n = parts.length;
  if (n === 0) return [];
  if (n === 1) return parts[0];
  const links = Array.from({ length: n }, () => []);
  for (let i = 1; i < n; i++) {
    const [a, b] = closestPair(parts[i - 1], parts[i]);
    links[i - 1].push(a);
    links[i].push(b);
  }
  const rolled = [];
  const out = [];
  for (let i = 0; i < n; i++) {
    let idx = links[i].slice();
    let seg = parts[i].slice();
    if (idx.length === 2 && idx[0] > idx[1]) {
      const last = seg.length - 1;
      idx = idx.map((v) => last - v);
      seg.reverse();
    }
    seg = seg.slice(idx[0]).concat(seg.slice(0, idx[0]));
    seg.push(seg[0]);
    if (i === 0 || i === n - 1) for (const p of seg) out.push(p);
    else for (let j = 0; j <= idx[1] - idx[0]; j++) out.push(seg[j]);
    rolled.push(seg);
  }
  for (let i = n - 2; i >= 1; i--) {
    const skip = Math.abs(links[i][1] - links[i][0]);
    for (let j = skip; j < rolled[i].length; j++) out.push(rolled[i][j]);
  }
  return out;
}

function closestPair(a, b) {
  let best = Infinity;
  let bi = 0;
  let bj = 0;
  for (let i = 0; i < a.length; i++) {
    const [px, py] = a[i];
    for (let j = 0; j < b.length; j++) {
      const dx = px - b[j][0];
      const dy = py - b[j][1];
      const d = dx * dx + dy * dy;
      if (d < best) {
        best = d;
        bi = i;
        bj = j;
      }
    }
  }
  return [bi, bj];
}
