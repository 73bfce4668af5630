//! The `yolo-wasm predict` command: its JSON equals Ultralytics' golden output, and failures
//! exit non-zero with the error code on stderr.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::Command;
use yolo_wasm::schema::Response;

fn yolo_wasm(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_yolo-wasm")).args(args).output().expect("run yolo-wasm")
}

/// On both CPU executors (`--cpu-engine`): tract's plan and our program.
#[test]
fn predict_prints_the_hub_json_equal_to_ultralytics() {
    for engine in ["tract", "program"] {
        predict_equals_ultralytics_on(engine);
    }
    let out = yolo_wasm(&["predict", "--model", "m.onnx", "--image", "i.png", "--cpu-engine", "gpu"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("expected `tract` or `program`"), "{err}");
}

fn predict_equals_ultralytics_on(engine: &str) {
    let model = common::fixture("models/yolo11n-shapes-dynamic.onnx");
    let image = common::fixture("images/landscape-800x450.png");
    let out = yolo_wasm(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--image",
        image.to_str().unwrap(),
        "--imgsz",
        "480",
        "--conf",
        "0.1",
        "--iou",
        "0.7",
        "--cpu-engine",
        engine,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{engine}: {err}");
    assert!(!err.contains("tract's plan ran it"), "{engine}: {err}");
    let ours: Response = serde_json::from_slice(&out.stdout).expect("stdout is the HUB JSON");
    let case = common::cases()
        .into_iter()
        .find(|c| c.case == "yolo11n-shapes-dynamic__landscape-800x450__s480_c0.1_i0.7")
        .unwrap();
    let golden = common::golden(&case);
    assert_eq!(ours.images[0].shape, [450, 800]);
    assert_eq!(ours.metadata.model.as_deref(), Some("yolo11n-shapes-dynamic.onnx"));
    common::compare(&ours.images[0].results, &golden.images[0].results, &case.case).unwrap();
}

#[test]
fn failures_exit_non_zero_with_the_error_code() {
    let model = common::fixture("models/not-yolo.onnx");
    let image = common::fixture("images/tiny-37x23.png");
    let out = yolo_wasm(&["predict", "--model", model.to_str().unwrap(), "--image", image.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("[not_yolo_model]"));
    let good = common::fixture("models/yolo11n-shapes.onnx");
    let out =
        yolo_wasm(&["predict", "--model", good.to_str().unwrap(), "--image", image.to_str().unwrap(), "--conf", "2"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[invalid_argument]") && err.contains("conf"), "{err}");
}

#[test]
fn threads_two_gives_the_same_json_and_zero_is_refused() {
    let model = common::fixture("models/yolo11n-shapes.onnx");
    let image = common::fixture("images/bus.opencv.png");
    let (m, i) = (model.to_str().unwrap(), image.to_str().unwrap());
    let results = |threads: &str| {
        let out = yolo_wasm(&["predict", "--model", m, "--image", i, "--threads", threads]);
        assert!(out.status.success(), "--threads {threads}: {}", String::from_utf8_lossy(&out.stderr));
        let r: Response = serde_json::from_slice(&out.stdout).expect("stdout is the HUB JSON");
        serde_json::to_string(&r.images[0].results).unwrap()
    };
    let (one, two) = (results("1"), results("2"));
    assert_eq!(one, two, "--threads 2 changed the results");
    assert!(one.len() > 100, "no detections: {one}");
    let out = yolo_wasm(&["predict", "--model", m, "--image", i, "--threads", "0"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[invalid_argument]") && err.contains("`threads`: must be at least 1"), "{err}");
    let out = yolo_wasm(&["serve", "--model", m, "--port", "0", "--threads", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--threads must be at least 1"), "{err}");
}

/// The CLI's own decoder on a PNG with transparency and an `nms=True` export: Ultralytics' answer
/// to within its rounding (OpenCV keeps the stored colour and drops alpha; so does the `image`
/// crate here, and the browser build's `png_alpha` does the same for `Blob`s).
#[test]
fn transparent_png_and_nms_export_equal_ultralytics_to_its_rounding() {
    for case_name in [
        "yolo11n-seg-shapes__alpha-shapes-520x390__s640_c0.1_i0.7",
        "yolo11n-shapes-nms__alpha-shapes-520x390__s416_c0.1_i0.7",
    ] {
        let case = common::cases().into_iter().find(|c| c.case == case_name).unwrap();
        let model = common::fixture(&format!("models/{}", case.model));
        let image = common::fixture(&format!("images/{}", case.image));
        let (imgsz, conf, iou) = (case.imgsz.to_string(), case.conf.to_string(), case.iou.to_string());
        let out = yolo_wasm(&[
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--image",
            image.to_str().unwrap(),
            "--imgsz",
            &imgsz,
            "--conf",
            &conf,
            "--iou",
            &iou,
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let ours: Response = serde_json::from_slice(&out.stdout).expect("stdout is the HUB JSON");
        let golden = common::golden(&case);
        let e = common::compare(&ours.images[0].results, &golden.images[0].results, &case.case).unwrap();
        assert!(e.boxes <= 0.01 && e.conf <= 1e-5, "{case_name}: {e}");
    }
}

/// A PNG whose palette is not whole RGB entries (tests/fuzz_regressions.rs): the `png` crate
/// panicked inside the CLI's decoder; now `invalid_image` and a non-zero exit, no panic.
#[test]
fn a_malformed_palette_is_an_invalid_image_not_a_panic() {
    let model = common::fixture("models/yolo11n-shapes.onnx");
    let image = common::fixture("fuzz/png_alpha-png-crate-short-palette.png");
    let out = yolo_wasm(&["predict", "--model", model.to_str().unwrap(), "--image", image.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("[invalid_image]") && err.contains("palette of 197 bytes") && !err.contains("panicked"),
        "{err}"
    );
}
