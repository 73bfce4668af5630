//! The contour tracer against OpenCV: every mask in `fixtures/contours/cases.json` (made by
//! tools/fixtures/make_contour_fixtures.py with OpenCV and Ultralytics) gives exactly OpenCV's
//! `findContours(RETR_EXTERNAL, CHAIN_APPROX_SIMPLE)` points in OpenCV's order, and exactly
//! Ultralytics' merged polygon.

mod common;

use serde::Deserialize;
use yolo_wasm::pipeline::contours::{external_contours, mask_polygon, Point};

#[derive(Deserialize)]
struct Fixture {
    opencv: String,
    cases: Vec<MaskCase>,
}

#[derive(Deserialize)]
struct MaskCase {
    kind: String,
    height: usize,
    width: usize,
    rows: Vec<String>,
    contours: Vec<Vec<Point>>,
    merged: Vec<Point>,
}

fn fixture() -> Fixture {
    let text = std::fs::read_to_string(common::fixture("contours/cases.json")).expect("contour fixture");
    serde_json::from_str(&text).expect("contour fixture JSON")
}

fn mask(case: &MaskCase) -> Vec<u8> {
    assert_eq!(case.rows.len(), case.height);
    case.rows.iter().flat_map(|r| r.bytes().map(|b| u8::from(b == b'1'))).collect()
}

#[test]
fn contours_equal_opencv_point_for_point() {
    let fx = fixture();
    assert!(fx.cases.len() >= 200, "fixture has {} masks", fx.cases.len());
    let mut multi = 0;
    for (n, case) in fx.cases.iter().enumerate() {
        let got = external_contours(&mask(case), case.width, case.height);
        assert_eq!(
            got, case.contours,
            "mask {n} ({}, {}×{}), OpenCV {}",
            case.kind, case.width, case.height, fx.opencv
        );
        multi += usize::from(case.contours.len() > 1);
    }
    assert!(multi >= 50, "too few multi-part masks ({multi}) to exercise ordering");
}

#[test]
fn merged_polygons_equal_ultralytics() {
    for (n, case) in fixture().cases.iter().enumerate() {
        assert_eq!(mask_polygon(&mask(case), case.width, case.height), case.merged, "mask {n} ({})", case.kind);
    }
}
