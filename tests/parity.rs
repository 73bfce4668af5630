//! Native parity: for every golden case made by Ultralytics on the same ONNX files, our results
//! are the same in the same order — classes equal, boxes / OBB corners / keypoints within 1 px,
//! confidences and keypoint visibilities within 1e-3, segment polygons with area IoU ≥ 0.9.
//!
//! Every case runs on tract's plan (the default CPU engine), and once more on our own CPU program
//! (`every_golden_case_matches_on_the_cpu_program`).
//!
//! `YOLO_WASM_TEST_THREADS=N` runs every case on an `N`-thread pool (default 1; `tests/threads.rs`
//! checks 2 threads on a subset in every `make test-native`).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{Case, Errors};
use std::collections::HashMap;
use yolo_wasm::model::CpuEngine;
use yolo_wasm::{Pixels, PredictOptions, Threads, YoloModel};

/// The inference threads of the run (`YOLO_WASM_TEST_THREADS`, default 1).
fn threads() -> Threads {
    let n = std::env::var("YOLO_WASM_TEST_THREADS").ok().map_or(1, |v| v.parse().expect("YOLO_WASM_TEST_THREADS"));
    Threads::new(n).expect("threads")
}

/// Runs every golden case `pick` selects on tract's plan; panics listing the cases that differ.
fn check(label: &str, min_cases: usize, pick: impl Fn(&Case) -> bool) -> Errors {
    check_on(CpuEngine::Tract, label, min_cases, pick)
}

/// Runs every golden case `pick` selects on `engine`; panics listing the cases that differ.
fn check_on(engine: CpuEngine, label: &str, min_cases: usize, pick: impl Fn(&Case) -> bool) -> Errors {
    let cases: Vec<Case> = common::cases().into_iter().filter(|c| pick(c)).collect();
    assert!(cases.len() >= min_cases, "{label}: expected ≥ {min_cases} golden cases, found {}", cases.len());
    let mut models: HashMap<String, YoloModel> = HashMap::new();
    let threads = threads();
    let mut worst = Errors::default();
    let mut failures = Vec::new();
    for case in &cases {
        let model = models.entry(case.model.clone()).or_insert_with(|| {
            let bytes = std::fs::read(common::fixture(&format!("models/{}", case.model))).unwrap();
            YoloModel::load_on(&bytes, case.model.clone(), engine).unwrap().with_threads(threads.clone())
        });
        let img = common::oracle_pixels(&case.image);
        let px = Pixels::new(img.width(), img.height(), 3, img.as_raw()).unwrap();
        let opts = PredictOptions::from_raw(Some(case.imgsz as f64), Some(case.conf), Some(case.iou)).unwrap();
        let ours = model.predict(&px, &opts).unwrap_or_else(|e| panic!("{}: {e}", case.case));
        if let Some(why) = model.cpu_engine_fallback() {
            panic!("{}: the {} engine fell back to tract's plan: {why}", case.case, engine.name());
        }
        let golden = common::golden(case);
        assert_eq!(ours.shape, golden.images[0].shape, "{}: shape", case.case);
        match common::compare(&ours.results, &golden.images[0].results, &case.case) {
            Ok(e) => worst.merge(&e),
            Err(msg) => failures.push(msg),
        }
    }
    let (n, t) = (cases.len(), threads.count());
    println!("parity {label}: {n} cases on {} at {t} thread(s), {worst}", engine.name());
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
    worst
}

fn is_yolo26(c: &Case) -> bool {
    c.model.starts_with("yolo26")
}

#[test]
fn detect_matches_ultralytics() {
    check("detect", 80, |c| c.task == "detect" && !is_yolo26(c));
}

#[test]
fn segment_matches_ultralytics() {
    let e = check("segment", 14, |c| c.task == "segment" && !is_yolo26(c));
    assert!(e.polygons >= 50, "too few polygons compared ({})", e.polygons);
}

#[test]
fn pose_matches_ultralytics() {
    let e = check("pose", 14, |c| c.task == "pose" && !is_yolo26(c));
    assert!(e.results >= 100, "too few keypoint sets compared ({})", e.results);
}

#[test]
fn obb_matches_ultralytics() {
    check("obb", 6, |c| c.task == "obb" && !is_yolo26(c));
}

#[test]
fn classify_matches_ultralytics() {
    check("classify", 6, |c| c.task == "classify");
}

#[test]
fn every_golden_case_matches_on_the_cpu_program() {
    // Every task, YOLOv8 / YOLO11 / YOLO26, static and dynamic exports, `nms=True`: all of them
    // on our own program (the reference kernels today), under the same tolerances.
    let e = check_on(CpuEngine::Program, "every case", 200, |_| true);
    assert!(e.polygons >= 50 && e.results >= 500, "too few results compared ({e})");
}

#[test]
fn polygon_iou_measures_area_overlap() {
    use yolo_wasm::schema::Segments;
    let square =
        |x0: f64, y0: f64, s: f64| Segments { x: vec![x0, x0, x0 + s, x0 + s], y: vec![y0, y0 + s, y0 + s, y0] };
    assert!((common::polygon_iou(&square(0.0, 0.0, 10.0), &square(0.0, 0.0, 10.0)) - 1.0).abs() < 1e-9);
    // Shifted by half its width: overlap 50, union 150.
    let iou = common::polygon_iou(&square(0.0, 0.0, 10.0), &square(5.0, 0.0, 10.0));
    assert!((iou - 1.0 / 3.0).abs() < 0.01, "{iou}");
    assert_eq!(common::polygon_iou(&square(0.0, 0.0, 10.0), &square(50.0, 50.0, 10.0)), 0.0);
}

#[test]
fn nms_exports_match_ultralytics() {
    // `nms=True` exports of YOLOv8 / YOLO11 (src/model/embedded_nms.rs), static and dynamic: the
    // cases above include them; this names them so that losing them fails.
    for (task, min_cases) in [("detect", 56), ("segment", 28), ("pose", 14), ("obb", 12)] {
        let e = check(&format!("nms=True {task}"), min_cases, |c| c.model.contains("-nms") && c.task == task);
        assert!(e.results >= 20, "{task}: too few nms=True results compared ({})", e.results);
    }
}

#[test]
fn end2end_yolo26_matches_ultralytics() {
    // YOLO26 exports end in the one-to-one head, no NMS: detect [1, 300, 6], segment
    // [1, 300, 38] + protos, pose [1, 300, 6 + K·D], OBB [1, 300, 7].
    for (task, min_cases) in [("detect", 14), ("segment", 14), ("pose", 14), ("obb", 6)] {
        let e = check(&format!("end2end {task} (YOLO26)"), min_cases, |c| is_yolo26(c) && c.task == task);
        assert!(e.results >= 20, "{task}: too few end2end results compared ({})", e.results);
    }
}
