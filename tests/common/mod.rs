//! Shared helpers of the native integration tests: fixture paths, image decoding, the golden
//! index and the parity comparison (the same tolerances as the browser tests).

#![allow(dead_code)]

use serde::Deserialize;
use std::path::PathBuf;
use yolo_wasm::schema::{BoxCoords, Prediction, Response, Segments};

/// `tests/fixtures/<rel>` of the workspace (this module is shared by the root crate's tests
/// and the server's, so the folder is found from either manifest directory).
pub fn fixture(rel: &str) -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = here.ancestors().find(|d| d.join("tests/fixtures").is_dir()).unwrap_or(&here);
    root.join("tests/fixtures").join(rel)
}

/// Decodes an image fixture to RGB8.
pub fn rgb(rel: &str) -> image::RgbImage {
    image::open(fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}")).into_rgb8()
}

/// The pixels Ultralytics saw for a fixture image: JPEGs come with a lossless copy of
/// OpenCV's decode (`<stem>.opencv.png`), so the pipeline is tested apart from the JPEG decoder.
pub fn oracle_pixels(image: &str) -> image::RgbImage {
    match image.strip_suffix(".jpg") {
        Some(stem) => rgb(&format!("images/{stem}.opencv.png")),
        None => rgb(&format!("images/{image}")),
    }
}

/// One golden case written by tools/fixtures/make_fixtures.py.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub case: String,
    pub model: String,
    pub image: String,
    pub task: String,
    pub imgsz: u32,
    pub conf: f64,
    pub iou: f64,
}

/// Every golden case.
/// Every golden case of both indexes (`index.json`: detect; `tasks-index.json`: other tasks and
/// the YOLO26 end2end detect model).
pub fn cases() -> Vec<Case> {
    ["golden/index.json", "golden/tasks-index.json"]
        .iter()
        .filter(|rel| fixture(rel).exists())
        .flat_map(|rel| {
            let text = std::fs::read_to_string(fixture(rel)).expect("golden index");
            serde_json::from_str::<Vec<Case>>(&text).expect("golden index JSON")
        })
        .collect()
}

/// The golden (Ultralytics) response of a case.
pub fn golden(case: &Case) -> Response {
    let text = std::fs::read_to_string(fixture(&format!("golden/{}.json", case.case))).expect("golden file");
    serde_json::from_str(&text).expect("golden JSON")
}

/// Box, corner and keypoint coordinate tolerance in pixels.
pub const BOX_TOL: f64 = 1.0;
/// Confidence and keypoint-visibility tolerance.
pub const CONF_TOL: f64 = 1e-3;
/// Least IoU of a segment polygon's rasterised area with Ultralytics' polygon.
pub const MASK_IOU: f64 = 0.9;

/// Worst errors seen over a comparison.
#[derive(Debug, Clone, Copy)]
pub struct Errors {
    /// Largest box / OBB-corner coordinate error (px).
    pub boxes: f64,
    /// Largest confidence error.
    pub conf: f64,
    /// Largest keypoint coordinate error (px).
    pub keypoints: f64,
    /// Largest keypoint visibility error.
    pub visible: f64,
    /// Smallest polygon-area IoU.
    pub mask_iou: f64,
    /// Results compared.
    pub results: usize,
    /// Polygons compared, and how many were equal point for point (±1e-4 px).
    pub polygons: usize,
    pub polygons_exact: usize,
}

impl Default for Errors {
    fn default() -> Self {
        Errors {
            boxes: 0.0,
            conf: 0.0,
            keypoints: 0.0,
            visible: 0.0,
            mask_iou: 1.0,
            results: 0,
            polygons: 0,
            polygons_exact: 0,
        }
    }
}

impl Errors {
    /// The worst of both.
    pub fn merge(&mut self, o: &Errors) {
        self.boxes = self.boxes.max(o.boxes);
        self.conf = self.conf.max(o.conf);
        self.keypoints = self.keypoints.max(o.keypoints);
        self.visible = self.visible.max(o.visible);
        self.mask_iou = self.mask_iou.min(o.mask_iou);
        self.results += o.results;
        self.polygons += o.polygons;
        self.polygons_exact += o.polygons_exact;
    }
}

impl std::fmt::Display for Errors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} results, max box/corner error {:.4} px, max confidence error {:.6}",
            self.results, self.boxes, self.conf
        )?;
        if self.keypoints > 0.0 || self.visible > 0.0 {
            write!(f, ", max keypoint error {:.4} px, max visible error {:.6}", self.keypoints, self.visible)?;
        }
        if self.polygons > 0 {
            write!(
                f,
                ", {} polygons ({} equal point for point), min mask IoU {:.4}",
                self.polygons, self.polygons_exact, self.mask_iou
            )?;
        }
        Ok(())
    }
}

fn corners(b: &Option<BoxCoords>) -> Vec<f64> {
    match b {
        Some(BoxCoords::Rect(r)) => vec![r.x1, r.y1, r.x2, r.y2],
        Some(BoxCoords::Obb(o)) => vec![o.x1, o.y1, o.x2, o.y2, o.x3, o.y3, o.x4, o.y4],
        None => vec![],
    }
}

fn max_diff(a: &[f64], b: &[f64]) -> Option<f64> {
    (a.len() == b.len()).then(|| a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max))
}

/// Per-result errors, or `None` when the results cannot be the same detection.
fn result_errors(a: &Prediction, b: &Prediction) -> Option<Errors> {
    if a.class != b.class || a.name != b.name {
        return None;
    }
    let mut e = Errors { results: 1, ..Errors::default() };
    e.conf = (a.confidence - b.confidence).abs();
    e.boxes = max_diff(&corners(&a.bbox), &corners(&b.bbox))?;
    match (&a.keypoints, &b.keypoints) {
        (None, None) => {}
        (Some(ka), Some(kb)) => {
            e.keypoints = max_diff(&ka.x, &kb.x)?.max(max_diff(&ka.y, &kb.y)?);
            e.visible = match (&ka.visible, &kb.visible) {
                (None, None) => 0.0,
                (Some(va), Some(vb)) => max_diff(va, vb)?,
                _ => return None,
            };
        }
        _ => return None,
    }
    match (&a.segments, &b.segments) {
        (None, None) => {}
        (Some(sa), Some(sb)) => {
            e.polygons = 1;
            let exact = max_diff(&sa.x, &sb.x).zip(max_diff(&sa.y, &sb.y)).is_some_and(|(x, y)| x.max(y) <= 1e-4);
            e.polygons_exact = usize::from(exact);
            e.mask_iou = if exact { 1.0 } else { polygon_iou(sa, sb) };
        }
        _ => return None,
    }
    let ok = e.conf <= CONF_TOL
        && e.boxes <= BOX_TOL
        && e.keypoints <= BOX_TOL
        && e.visible <= CONF_TOL
        && e.mask_iou >= MASK_IOU;
    ok.then_some(e)
}

/// IoU of the areas two polygons cover (even-odd rule), sampled 4×4 per pixel.
pub fn polygon_iou(a: &Segments, b: &Segments) -> f64 {
    const SUB: f64 = 4.0;
    let all_y = a.y.iter().chain(&b.y);
    let (y0, y1) = all_y.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if !y0.is_finite() {
        return 1.0; // both empty
    }
    let (mut inter, mut union) = (0usize, 0usize);
    let rows = ((y1 - y0) * SUB).ceil() as usize + 1;
    for r in 0..rows {
        let y = y0 + (r as f64 + 0.5) / SUB;
        let (sa, sb) = (spans(a, y), spans(b, y));
        let (ia, ib) = (covered(&sa), covered(&sb));
        let both = intersect(&sa, &sb);
        inter += both;
        union += ia + ib - both;
    }
    if union == 0 {
        // Both polygons are degenerate (lines or points): compare their vertices instead.
        let same = max_diff(&a.x, &b.x).zip(max_diff(&a.y, &b.y)).is_some_and(|(x, y)| x.max(y) <= BOX_TOL);
        return if same { 1.0 } else { 0.0 };
    }
    inter as f64 / union as f64
}

/// Sample columns (at 1/4 px) inside the polygon on the line `y`, as half-open index spans.
fn spans(p: &Segments, y: f64) -> Vec<(i64, i64)> {
    let n = p.x.len();
    let mut xs = Vec::new();
    for i in 0..n {
        let j = (i + 1) % n;
        let (ya, yb) = (p.y[i], p.y[j]);
        if (ya <= y) != (yb <= y) {
            xs.push(p.x[i] + (y - ya) / (yb - ya) * (p.x[j] - p.x[i]));
        }
    }
    xs.sort_by(f64::total_cmp);
    xs.chunks_exact(2).map(|c| ((c[0] * 4.0 - 0.5).ceil() as i64, (c[1] * 4.0 - 0.5).ceil() as i64)).collect()
}

fn covered(s: &[(i64, i64)]) -> usize {
    s.iter().map(|&(a, b)| (b - a).max(0) as usize).sum()
}

fn intersect(a: &[(i64, i64)], b: &[(i64, i64)]) -> usize {
    let mut n = 0;
    for &(a0, a1) in a {
        for &(b0, b1) in b {
            n += (a1.min(b1) - a0.max(b0)).max(0) as usize;
        }
    }
    n
}

/// Compares our results with Ultralytics': same count, same classes in the same order, boxes (or
/// OBB corners) and keypoints within [`BOX_TOL`] px, confidences and visibilities within
/// [`CONF_TOL`], segment polygons with area IoU ≥ [`MASK_IOU`]. Results whose confidences tie
/// within the tolerance may come in either order (their order is float noise). Returns the
/// worst errors.
pub fn compare(ours: &[Prediction], theirs: &[Prediction], what: &str) -> Result<Errors, String> {
    if ours.len() != theirs.len() {
        return Err(format!(
            "{what}: {} results, Ultralytics has {}\n ours: {:?}\n theirs: {:?}",
            ours.len(),
            theirs.len(),
            ours.iter().map(|p| (p.class, p.confidence)).collect::<Vec<_>>(),
            theirs.iter().map(|p| (p.class, p.confidence)).collect::<Vec<_>>()
        ));
    }
    let mut ours: Vec<&Prediction> = ours.iter().collect();
    let mut total = Errors::default();
    for i in 0..ours.len() {
        let b = &theirs[i];
        let e = match result_errors(ours[i], b) {
            Some(e) => e,
            None => {
                let tie = (i + 1..ours.len())
                    .take_while(|&j| (ours[j].confidence - ours[i].confidence).abs() <= CONF_TOL)
                    .find_map(|j| result_errors(ours[j], b).map(|e| (j, e)));
                match tie {
                    Some((j, e)) => {
                        ours.swap(i, j);
                        e
                    }
                    None => {
                        return Err(format!("{what}: result {i} differs:\n ours   {:?}\n theirs {b:?}", ours[i]));
                    }
                }
            }
        };
        total.merge(&e);
    }
    Ok(total)
}

/// Decodes a PNG in Rust (not by the browser) into an `ImageData` whose pixels live in a JS
/// array (an `ImageData` made from a slice of wasm memory would alias memory Rust may reuse).
#[cfg(target_arch = "wasm32")]
pub fn image_data(png: &[u8]) -> web_sys::ImageData {
    let rgba = image::load_from_memory(png).unwrap().into_rgba8();
    let pixels = js_sys::Uint8ClampedArray::new_with_length(rgba.as_raw().len() as u32);
    pixels.copy_from(rgba.as_raw());
    web_sys::ImageData::new_with_js_u8_clamped_array_and_sh(&pixels, rgba.width(), rgba.height()).unwrap()
}

/// One video golden case written by tools/fixtures/make_video_fixtures.py: Ultralytics'
/// `predict` or `track` (ByteTrack, `persist=True`) on a fixture video.
#[derive(Debug, Clone, Deserialize)]
pub struct VideoCase {
    pub case: String,
    /// `predict` or `track`.
    pub kind: String,
    pub model: String,
    pub task: String,
    pub video: String,
    pub conf: f64,
    pub iou: f64,
    pub vid_stride: u32,
    pub frames: usize,
}

/// Every video golden case.
pub fn video_cases() -> Vec<VideoCase> {
    let text = std::fs::read_to_string(fixture("golden/video/index.json")).expect("video golden index");
    serde_json::from_str(&text).expect("video golden index JSON")
}

/// The golden response of a video case (one `images[]` entry per frame).
pub fn video_golden(case: &VideoCase) -> Response {
    let text =
        std::fs::read_to_string(fixture(&format!("golden/video/{}.json", case.case))).expect("video golden file");
    serde_json::from_str(&text).expect("video golden JSON")
}

/// The untracked `predict` case made with the same model, video and arguments as a `track` case
/// (the detections Ultralytics' tracker was fed).
pub fn predict_case_of(track: &VideoCase) -> VideoCase {
    let name = track.case.replacen("track__", "predict__", 1);
    video_cases().into_iter().find(|c| c.case == name).unwrap_or_else(|| panic!("no predict case {name}"))
}

/// Worst errors and ID counts of a tracked comparison.
#[derive(Debug, Default, Clone, Copy)]
pub struct TrackErrors {
    /// Box, confidence, keypoint and mask errors over every result.
    pub errors: Errors,
    /// Frames compared.
    pub frames: usize,
    /// Results that carried a `track_id` on both sides (each compared for equality).
    pub ids_compared: usize,
}

/// Compares tracked results frame by frame: in every frame the same results in the same order,
/// each with the same `track_id` (or none on both sides), class and name, and a box, confidence,
/// keypoints and polygon within the parity tolerances.
pub fn compare_tracked(ours: &Response, theirs: &Response, what: &str) -> Result<TrackErrors, String> {
    if ours.images.len() != theirs.images.len() {
        return Err(format!("{what}: {} frames, Ultralytics has {}", ours.images.len(), theirs.images.len()));
    }
    let mut total = TrackErrors::default();
    for (f, (a, b)) in ours.images.iter().zip(&theirs.images).enumerate() {
        let ids = |im: &yolo_wasm::schema::ImageResult| im.results.iter().map(|p| p.track_id).collect::<Vec<_>>();
        if ids(a) != ids(b) {
            return Err(format!("{what}: frame {f}: track IDs {:?}, Ultralytics has {:?}", ids(a), ids(b)));
        }
        for (i, (pa, pb)) in a.results.iter().zip(&b.results).enumerate() {
            let e =
                compare(std::slice::from_ref(pa), std::slice::from_ref(pb), &format!("{what}: frame {f} result {i}"))?;
            total.errors.merge(&e);
            total.ids_compared += usize::from(pa.track_id.is_some());
        }
        total.frames += 1;
    }
    Ok(total)
}

/// The frames of a fixture GIF as RGBA (each frame composed onto the canvas, as FFmpeg and
/// OpenCV give them), at most `max` of them.
pub fn gif_frames(bytes: &[u8], max: usize) -> Vec<image::RgbaImage> {
    use image::AnimationDecoder;
    let decoder = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(bytes)).expect("GIF header");
    decoder.into_frames().take(max).map(|f| f.expect("GIF frame").into_buffer()).collect()
}

/// The browser engine running the wasm tests (`make test-web` runs them in all three), from the
/// user agent: what a test may expect of the engine, where it differs, follows from it.
#[cfg(target_arch = "wasm32")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Chromium,
    Firefox,
    WebKit,
}

#[cfg(target_arch = "wasm32")]
pub fn engine() -> Engine {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap();
    let ua = js_sys::Reflect::get(&navigator, &"userAgent".into()).unwrap().as_string().unwrap_or_default();
    if ua.contains("Firefox/") {
        Engine::Firefox
    } else if ua.contains("Chrome/") {
        Engine::Chromium
    } else if ua.contains("AppleWebKit/") {
        Engine::WebKit
    } else {
        panic!("unknown browser engine: {ua}")
    }
}

/// Whether this page or worker has `navigator.gpu`, asserted against what each engine gave when
/// measured: Chromium (SwiftShader, `--enable-unsafe-webgpu`) and Firefox (wgpu on lavapipe, the
/// prefs in webdriver.json) have WebGPU, WebKitGTK has none. So a WebGPU test can check
/// `webgpu_unavailable` where there is no WebGPU without letting an engine lose it unnoticed.
#[cfg(target_arch = "wasm32")]
pub fn has_webgpu() -> bool {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap();
    let gpu = js_sys::Reflect::get(&navigator, &"gpu".into()).unwrap();
    let has = !gpu.is_undefined() && !gpu.is_null();
    let engine = engine();
    assert_eq!(has, engine != Engine::WebKit, "navigator.gpu in {engine:?}");
    has
}
