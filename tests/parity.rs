//! Native parity: for every golden case made by Ultralytics on the same ONNX files, our JSON has
//! the same results in the same order, boxes within 1 px and confidences within 1e-3.

mod common;

use std::collections::HashMap;
use yolo_wasm::{Pixels, PredictOptions, YoloModel};

#[test]
fn every_golden_case_matches_ultralytics() {
    let cases: Vec<_> = common::cases().into_iter().filter(|c| c.task == "detect").collect();
    assert!(cases.len() >= 80, "expected the full detect golden set, found {}", cases.len());
    let mut models: HashMap<String, YoloModel> = HashMap::new();
    let mut worst = common::Errors::default();
    let (mut failures, mut results) = (Vec::new(), 0);
    for case in &cases {
        let model = models.entry(case.model.clone()).or_insert_with(|| {
            let bytes = std::fs::read(common::fixture(&format!("models/{}", case.model))).unwrap();
            YoloModel::load(&bytes, case.model.clone()).unwrap()
        });
        let img = common::oracle_pixels(&case.image);
        let px = Pixels::new(img.width(), img.height(), 3, img.as_raw()).unwrap();
        let opts = PredictOptions::from_raw(Some(case.imgsz as f64), Some(case.conf), Some(case.iou)).unwrap();
        let ours = model.predict(&px, &opts).unwrap();
        let golden = common::golden(case);
        assert_eq!(ours.shape, golden.images[0].shape, "{}: shape", case.case);
        match common::compare(&ours.results, &golden.images[0].results, &case.case) {
            Ok(e) => {
                worst.boxes = worst.boxes.max(e.boxes);
                worst.conf = worst.conf.max(e.conf);
                results += e.results;
            }
            Err(msg) => failures.push(msg),
        }
    }
    println!(
        "parity: {} cases, {} results, max box error {:.4} px, max confidence error {:.6}",
        cases.len(),
        results,
        worst.boxes,
        worst.conf
    );
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
