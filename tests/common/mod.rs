//! Shared helpers of the native integration tests: fixture paths, image decoding, the golden
//! index and the parity comparison (the same tolerances as the browser tests).

#![allow(dead_code)]

use serde::Deserialize;
use std::path::PathBuf;
use yolo_wasm::schema::{BoxCoords, Prediction, Response};

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

/// Box coordinate tolerance in pixels.
pub const BOX_TOL: f64 = 1.0;
/// Confidence tolerance.
pub const CONF_TOL: f64 = 1e-3;

/// Worst errors seen over a comparison.
#[derive(Debug, Default, Clone, Copy)]
pub struct Errors {
    pub boxes: f64,
    pub conf: f64,
    pub results: usize,
}

fn corners(b: &Option<BoxCoords>) -> Vec<f64> {
    match b {
        Some(BoxCoords::Rect(r)) => vec![r.x1, r.y1, r.x2, r.y2],
        Some(BoxCoords::Obb(o)) => vec![o.x1, o.y1, o.x2, o.y2, o.x3, o.y3, o.x4, o.y4],
        None => vec![],
    }
}

fn box_error(a: &Prediction, b: &Prediction) -> Option<f64> {
    let (ca, cb) = (corners(&a.bbox), corners(&b.bbox));
    (ca.len() == cb.len()).then(|| ca.iter().zip(&cb).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max))
}

fn matches(a: &Prediction, b: &Prediction) -> bool {
    a.class == b.class
        && a.name == b.name
        && (a.confidence - b.confidence).abs() <= CONF_TOL
        && box_error(a, b).is_some_and(|e| e <= BOX_TOL)
}

/// Compares our results with Ultralytics': same count, same classes in the same order, boxes
/// within [`BOX_TOL`] px, confidences within [`CONF_TOL`]. Results whose confidences tie within
/// the tolerance may come in either order (their order is float noise). Returns the worst errors.
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
    let mut e = Errors { results: ours.len(), ..Errors::default() };
    for i in 0..ours.len() {
        let b = &theirs[i];
        if !matches(ours[i], b) {
            let tie = (i + 1..ours.len())
                .take_while(|&j| (ours[j].confidence - ours[i].confidence).abs() <= CONF_TOL)
                .find(|&j| matches(ours[j], b));
            match tie {
                Some(j) => ours.swap(i, j),
                None => return Err(format!("{what}: result {i} differs:\n ours   {:?}\n theirs {b:?}", ours[i])),
            }
        }
        e.conf = e.conf.max((ours[i].confidence - b.confidence).abs());
        e.boxes = e.boxes.max(box_error(ours[i], b).unwrap_or(f64::INFINITY));
    }
    Ok(e)
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
