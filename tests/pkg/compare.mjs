// Results against Ultralytics' golden files with the native parity tolerances (tests/common/mod.rs,
// the same rules in JS for the package's browser tests): same count, same classes in order, boxes /
// OBB corners / keypoints within 1 px, confidences and visibilities within 1e-3, mask polygons with
// area IoU >= 0.9; results whose confidences tie within 1e-3 may come in either order.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../e2e/harness.mjs";

const GOLDEN_DIR = join(ROOT, "tests", "fixtures", "golden");

/** A golden file's first image: `{ results, shape, … }`. */
export const goldenImage = (name) => JSON.parse(readFileSync(join(GOLDEN_DIR, `${name}.json`))).images[0];

/** One golden case per fixture model (every task, YOLO26 included): its PNG case at conf 0.25 with the most results. */
export function oneCasePerModel() {
  const all = [...JSON.parse(readFileSync(join(GOLDEN_DIR, "index.json"))), ...JSON.parse(readFileSync(join(GOLDEN_DIR, "tasks-index.json")))];
  const best = new Map();
  for (const c of all) {
    // The pages read images through createImageBitmap: the transparent PNGs (alpha-*) are exact only
    // as a Blob (tests/web/alpha.rs covers them in every engine).
    if (!c.image.endsWith(".png") || c.image.startsWith("alpha-") || c.conf !== 0.25) continue;
    if (!best.has(c.model) || c.results > best.get(c.model).results) best.set(c.model, c);
  }
  return [...best.values()].sort((a, b) => a.model.localeCompare(b.model));
}

export const BOX_TOL = 1;
export const CONF_TOL = 1e-3;
export const MASK_IOU = 0.9;

const CORNERS = ["x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4"];
const corners = (box) => (box ? CORNERS.filter((k) => k in box).map((k) => box[k]) : []);

function maxDiff(a, b) {
  if (a.length !== b.length) return undefined;
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

/** Sample columns (at 1/4 px) inside the polygon on line `y`, as half-open spans (even-odd rule). */
function spans(p, y) {
  const xs = [];
  for (let i = 0; i < p.x.length; i++) {
    const j = (i + 1) % p.x.length;
    const [ya, yb] = [p.y[i], p.y[j]];
    if (ya <= y !== yb <= y) xs.push(p.x[i] + ((y - ya) / (yb - ya)) * (p.x[j] - p.x[i]));
  }
  xs.sort((a, b) => a - b);
  const out = [];
  for (let k = 0; k + 1 < xs.length; k += 2) out.push([Math.ceil(xs[k] * 4 - 0.5), Math.ceil(xs[k + 1] * 4 - 0.5)]);
  return out;
}

const covered = (s) => s.reduce((n, [a, b]) => n + Math.max(0, b - a), 0);
const intersect = (a, b) => a.reduce((n, [a0, a1]) => n + b.reduce((m, [b0, b1]) => m + Math.max(0, Math.min(a1, b1) - Math.max(a0, b0)), 0), 0);

/** IoU of the areas two polygons cover, sampled 4×4 per pixel. */
export function polygonIou(a, b) {
  const ys = [...a.y, ...b.y];
  if (ys.length === 0) return 1;
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  let [inter, union] = [0, 0];
  const rows = Math.ceil((y1 - y0) * 4) + 1;
  for (let r = 0; r < rows; r++) {
    const y = y0 + (r + 0.5) / 4;
    const [sa, sb] = [spans(a, y), spans(b, y)];
    const both = intersect(sa, sb);
    inter += both;
    union += covered(sa) + covered(sb) - both;
  }
  if (union === 0) {
    const same = maxDiff(a.x, b.x) <= BOX_TOL && maxDiff(a.y, b.y) <= BOX_TOL;
    return same ? 1 : 0;
  }
  return inter / union;
}

/** Why two results cannot be the same detection within the tolerances, or null when they can. */
function mismatch(a, b) {
  if (a.class !== b.class || a.name !== b.name) return `class ${a.class} ${a.name} vs ${b.class} ${b.name}`;
  if (Math.abs(a.confidence - b.confidence) > CONF_TOL) return `confidence ${a.confidence} vs ${b.confidence}`;
  const box = maxDiff(corners(a.box), corners(b.box));
  if (!(box <= BOX_TOL)) return `box ${JSON.stringify(a.box)} vs ${JSON.stringify(b.box)}`;
  if (Boolean(a.keypoints) !== Boolean(b.keypoints)) return "keypoints present in one only";
  if (a.keypoints) {
    const [ka, kb] = [a.keypoints, b.keypoints];
    if (!(Math.max(maxDiff(ka.x, kb.x), maxDiff(ka.y, kb.y)) <= BOX_TOL)) return "keypoints differ by more than 1 px";
    if (Boolean(ka.visible) !== Boolean(kb.visible)) return "keypoint visibility present in one only";
    if (ka.visible && !(maxDiff(ka.visible, kb.visible) <= CONF_TOL)) return "keypoint visibilities differ";
  }
  if (Boolean(a.segments) !== Boolean(b.segments)) return "segments present in one only";
  if (a.segments) {
    const iou = polygonIou(a.segments, b.segments);
    if (!(iou >= MASK_IOU)) return `mask IoU ${iou.toFixed(4)}`;
  }
  return null;
}

/**
 * Throws (with the first difference) unless `ours` (a HUB image entry's `results`) matches the
 * golden `theirs`; returns the number of results compared.
 */
export function compareResults(ours, theirs, what) {
  if (ours.length !== theirs.length) {
    throw new Error(`${what}: ${ours.length} results, Ultralytics has ${theirs.length}`);
  }
  const mine = [...ours];
  for (let i = 0; i < mine.length; i++) {
    const why = mismatch(mine[i], theirs[i]);
    if (why === null) continue;
    let j = i + 1;
    for (; j < mine.length && Math.abs(mine[j].confidence - mine[i].confidence) <= CONF_TOL; j++) {
      if (mismatch(mine[j], theirs[i]) === null) break;
    }
    if (j < mine.length && Math.abs(mine[j].confidence - mine[i].confidence) <= CONF_TOL) {
      [mine[i], mine[j]] = [mine[j], mine[i]];
    } else {
      throw new Error(`${what}: result ${i} differs (${why})`);
    }
  }
  return mine.length;
}
