//! Bad input gets a typed error, never a panic: truncated and foreign models, wrong outputs,
//! bad pixel buffers, out-of-range options.

mod common;

use yolo_wasm::{Error, Pixels, PredictOptions, YoloModel};

fn load(rel: &str) -> Vec<u8> {
    std::fs::read(common::fixture(rel)).unwrap()
}

fn code_of(r: Result<YoloModel, Error>) -> &'static str {
    r.map(|_| ()).unwrap_err().code().as_str()
}

#[test]
fn truncated_and_garbage_models_are_invalid_model() {
    let bytes = load("models/yolo11n-shapes.onnx");
    for cut in [0, 1, 100, 4096, bytes.len() / 2, bytes.len() - 1] {
        assert_eq!(code_of(YoloModel::load(&bytes[..cut], "t")), "invalid_model", "cut at {cut}");
    }
    assert_eq!(code_of(YoloModel::load(b"definitely not protobuf \xff\xfe", "g")), "invalid_model");
}

#[test]
fn onnx_without_yolo_metadata_is_not_yolo_model() {
    let err = YoloModel::load(&load("models/not-yolo.onnx"), "n").unwrap_err();
    assert_eq!(err.code(), "not_yolo_model");
    assert!(err.to_string().contains("metadata"), "{err}");
}

#[test]
fn outputs_that_do_not_fit_the_task_are_unsupported_model() {
    let model = YoloModel::load(&load("models/bad-output.onnx"), "b").unwrap();
    let rgb = vec![0u8; 64 * 64 * 3];
    let px = Pixels::new(64, 64, 3, &rgb).unwrap();
    let err = model.predict(&px, &PredictOptions::default()).unwrap_err();
    assert_eq!(err.code(), "unsupported_model", "{err}");
}

#[test]
fn outputs_that_do_not_match_the_declared_task_are_unsupported_model() {
    // Each claims a task its outputs do not have (tools/fixtures/make_fixtures.py, error_models).
    for (file, says) in [
        ("bad-segment.onnx", "prototype"),
        ("bad-pose.onnx", "pose"),
        ("bad-obb.onnx", "obb"),
        ("bad-classify.onnx", "classify"),
    ] {
        let model = YoloModel::load(&load(&format!("models/{file}")), file).unwrap();
        let rgb = vec![90u8; 64 * 64 * 3];
        let px = Pixels::new(64, 64, 3, &rgb).unwrap();
        let err = model.predict(&px, &PredictOptions::default()).unwrap_err();
        assert_eq!(err.code(), "unsupported_model", "{file}: {err}");
        assert!(err.to_string().contains(says), "{file}: {err}");
    }
}

#[test]
fn options_out_of_range_fail_before_any_work() {
    let model = YoloModel::load(&load("models/yolo11n-shapes.onnx"), "m").unwrap();
    let rgb = vec![0u8; 8 * 8 * 3];
    let px = Pixels::new(8, 8, 3, &rgb).unwrap();
    let bad = PredictOptions { imgsz: 640, conf: 2.0, iou: 0.45 };
    match model.predict(&px, &bad).unwrap_err() {
        Error::InvalidArgument { field, .. } => assert_eq!(field, "conf"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn pinned_tract_version_is_reported() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let pin = format!("tract-onnx = {{ version = \"={}\"", yolo_wasm::pipeline::TRACT_VERSION);
    assert!(manifest.contains(&pin), "Cargo.toml must pin {pin}");
}

#[test]
fn a_classifier_on_a_long_thin_image_computes_only_its_crop() {
    // 16384×1 used to cost a full 3,670,016×224 resize (2.5 GB, 11 s); now the 224×224 window.
    let model = YoloModel::load(&load("models/yolo11n-cls-shapes.onnx"), "cls").unwrap();
    let px = vec![128u8; 16_384 * 3];
    for (w, h) in [(16_384, 1), (1, 16_384)] {
        let image = model.predict(&Pixels::new(w, h, 3, &px).unwrap(), &PredictOptions::default()).unwrap();
        assert_eq!(image.shape, [h, w]);
        assert_eq!(image.results.len(), 3);
    }
}

#[test]
fn images_over_the_limits_are_image_too_large_before_any_work() {
    // The check reads only the declared size: an empty buffer shows nothing was allocated for it.
    for (w, h) in [(16_385, 1), (1, 16_385), (8_000, 8_000)] {
        let err = Pixels::new(w, h, 3, &[]).unwrap_err();
        assert_eq!(err.code(), "image_too_large", "{w}×{h}: {err}");
    }
}

#[test]
fn a_model_declaring_a_huge_input_is_refused_at_load() {
    // Metadata `imgsz` beyond the limit on a dynamic export (no fixed graph input).
    let limit = yolo_wasm::limits::MAX_MODEL_INPUT;
    let props: std::collections::BTreeMap<String, String> = [
        ("task", "detect".to_string()),
        ("names", "{0: 'a'}".to_string()),
        ("imgsz", format!("[{}, {}]", limit + 1, limit + 1)),
        ("stride", "32".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let err = yolo_wasm::ModelInfo::from_props(&props, true).unwrap_err();
    assert!(err.to_string().contains(&limit.to_string()), "{err}");
}
