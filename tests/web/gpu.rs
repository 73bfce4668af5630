//! The WebGPU executor in the browser (Chromium's SwiftShader adapter, `--enable-unsafe-webgpu`
//! in webdriver.json; Firefox's wgpu on Mesa's lavapipe, prefs in webdriver.json): with
//! `device: "webgpu"`, one golden case of every task and of every YOLO26 layout under the parity
//! tolerances; `"auto"` choosing the CPU on a software adapter and saying so; the load options'
//! errors; a lost device giving `device_lost`, then recovering. In an engine without WebGPU
//! (WebKitGTK: no `navigator.gpu`, `common::has_webgpu`) each WebGPU test checks instead that
//! `device: "webgpu"` rejects `webgpu_unavailable` and `"auto"` runs the CPU, saying why.

use super::*;
use yolo_wasm::web::DeviceChoice;

/// Loads `bytes` on `choice`.
async fn load_on(bytes: &[u8], choice: DeviceChoice) -> Result<LocalModel, JsValue> {
    LocalModel::from_source_on(Uint8Array::from(bytes).into(), choice).await
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Device {
    device: String,
    adapter: Option<String>,
    device_reason: Option<String>,
}

fn device_of(model: &LocalModel) -> Device {
    serde_wasm_bindgen::from_value(model.info().unwrap()).unwrap()
}

/// Without WebGPU, `device: "webgpu"` rejects `webgpu_unavailable`, naming what is missing.
fn assert_unavailable(loaded: Result<LocalModel, JsValue>, what: &str) {
    let Err(err) = loaded else { panic!("{what}: loaded on WebGPU without navigator.gpu") };
    assert_eq!(error_code(&err), ("YoloError".into(), "webgpu_unavailable".into()), "{what}");
    let message = Reflect::get(&err, &"message".into()).unwrap().as_string().unwrap_or_default();
    assert!(message.contains("`navigator.gpu` is missing"), "{what}: {message}");
}

/// One golden case: the model, the image, the options, Ultralytics' answer, the task.
pub(super) struct TaskCase {
    pub model: &'static [u8],
    pub image: JsValue,
    pub opts: JsValue,
    pub want: Response,
    pub task: &'static str,
    pub what: &'static str,
}

/// Detect: YOLO11 and YOLOv8.
pub(super) fn detect_cases() -> Vec<TaskCase> {
    vec![
        TaskCase {
            model: YOLO11N,
            image: common::image_data(image!("large-1920x1080.png")).into(),
            opts: options(640, 0.1, 0.7),
            want: golden!("yolo11n-shapes__large-1920x1080__s640_c0.1_i0.7"),
            task: "detect",
            what: "yolo11n detect",
        },
        TaskCase {
            model: YOLOV8N,
            image: blob(image!("zidane.jpg"), "image/jpeg").into(),
            opts: options(640, 0.25, 0.45),
            want: golden!("yolov8n-shapes__zidane__s640_c0.25_i0.45"),
            task: "detect",
            what: "yolov8n detect",
        },
    ]
}

/// Segment, pose, OBB and classify (YOLO11).
pub(super) fn other_task_cases() -> Vec<TaskCase> {
    use super::tasks::{CLASSIFY, OBB, POSE, SEGMENT};
    vec![
        TaskCase {
            model: SEGMENT,
            image: blob(image!("bus.jpg"), "image/jpeg").into(),
            opts: options(640, 0.1, 0.7),
            want: golden!("yolo11n-seg-shapes__bus__s640_c0.1_i0.7"),
            task: "segment",
            what: "yolo11n segment",
        },
        TaskCase {
            model: POSE,
            image: common::image_data(image!("portrait-360x720.png")).into(),
            opts: options(640, 0.1, 0.7),
            want: golden!("yolo11n-pose-shapes__portrait-360x720__s640_c0.1_i0.7"),
            task: "pose",
            what: "yolo11n pose",
        },
        TaskCase {
            model: OBB,
            image: common::image_data(image!("obb-300x700.png")).into(),
            opts: options(640, 0.25, 0.45),
            want: golden!("yolo11n-obb-shapes__obb-300x700__s640_c0.25_i0.45"),
            task: "obb",
            what: "yolo11n obb",
        },
        TaskCase {
            model: CLASSIFY,
            image: common::image_data(image!("cls-200x120.png")).into(),
            opts: JsValue::UNDEFINED,
            want: golden!("yolo11n-cls-shapes__cls-200x120__s224_c0.25_i0.45"),
            task: "classify",
            what: "yolo11n classify",
        },
    ]
}

/// The four YOLO26 layouts (end-to-end heads).
pub(super) fn yolo26_cases() -> Vec<TaskCase> {
    use super::tasks::{YOLO26, YOLO26_OBB, YOLO26_POSE, YOLO26_SEGMENT};
    vec![
        TaskCase {
            model: YOLO26,
            image: common::image_data(image!("large-1920x1080.png")).into(),
            opts: options(640, 0.1, 0.7),
            want: golden!("yolo26n-shapes__large-1920x1080__s640_c0.1_i0.7"),
            task: "detect",
            what: "yolo26 detect",
        },
        TaskCase {
            model: YOLO26_SEGMENT,
            image: blob(image!("bus.jpg"), "image/jpeg").into(),
            opts: options(640, 0.1, 0.7),
            want: golden!("yolo26n-seg-shapes__bus__s640_c0.1_i0.7"),
            task: "segment",
            what: "yolo26 segment",
        },
        TaskCase {
            model: YOLO26_POSE,
            image: common::image_data(image!("portrait-360x720.png")).into(),
            opts: options(640, 0.1, 0.7),
            want: golden!("yolo26n-pose-shapes__portrait-360x720__s640_c0.1_i0.7"),
            task: "pose",
            what: "yolo26 pose",
        },
        TaskCase {
            model: YOLO26_OBB,
            image: common::image_data(image!("obb-640x480.png")).into(),
            opts: options(640, 0.1, 0.7),
            want: golden!("yolo26n-obb-shapes__obb-640x480__s640_c0.1_i0.7"),
            task: "obb",
            what: "yolo26 obb",
        },
    ]
}

/// A case on WebGPU (`device: "webgpu"`); without WebGPU, the `webgpu_unavailable` rejection.
pub(super) async fn gpu_case(c: TaskCase) {
    let what = c.what;
    if !common::has_webgpu() {
        return assert_unavailable(load_on(c.model, DeviceChoice::WebGpu).await, what);
    }
    let m = load_on(c.model, DeviceChoice::WebGpu).await.unwrap();
    let d = device_of(&m);
    assert_eq!(d.device, "webgpu", "{what}: {:?}", d.device_reason);
    let label = format!("{what} on WebGPU ({})", d.adapter.unwrap_or_default());
    check_task(&m, c.image, c.opts, c.want, c.task, &label).await;
}

#[wasm_bindgen_test]
async fn webgpu_detect_matches_ultralytics() {
    for c in detect_cases() {
        gpu_case(c).await;
    }
}

#[wasm_bindgen_test]
async fn webgpu_other_tasks_match_ultralytics() {
    for c in other_task_cases() {
        gpu_case(c).await;
    }
}

#[wasm_bindgen_test]
async fn webgpu_yolo26_layouts_match_ultralytics() {
    for c in yolo26_cases() {
        gpu_case(c).await;
    }
}

/// Chromium's adapter is SwiftShader, Firefox's a fallback adapter (wgpu on lavapipe, no name
/// given): both software, so "auto" keeps the CPU. Without WebGPU it says that instead.
#[wasm_bindgen_test]
async fn auto_picks_the_cpu_on_a_software_adapter_and_says_so() {
    let model = load_on(YOLO11N, DeviceChoice::Auto).await.unwrap();
    let d = device_of(&model);
    assert_eq!(d.device, "cpu");
    let why = d.device_reason.unwrap_or_default();
    if common::has_webgpu() {
        assert!(why.contains("software"), "the reason should name the software adapter: {why}");
        match common::engine() {
            common::Engine::Firefox => assert!(why.contains("a fallback adapter"), "{why}"),
            _ => assert!(d.adapter.unwrap_or_default().to_lowercase().contains("swiftshader"), "{why}"),
        }
    } else {
        assert!(why.contains("`navigator.gpu` is missing"), "{why}");
        assert_eq!(d.adapter, None);
    }
    // "cpu" says it was asked for.
    let d = device_of(&load_on(YOLO11N, DeviceChoice::Cpu).await.unwrap());
    assert_eq!((d.device.as_str(), d.device_reason.as_deref()), ("cpu", Some("`device: \"cpu\"` was asked for")));
}

#[wasm_bindgen_test]
async fn load_options_are_checked() {
    let bytes = || JsValue::from(Uint8Array::from(YOLO11N));
    for (opts, field) in [
        (r#"{"device": "gpu"}"#, "device"),
        (r#"{"device": 1}"#, "device"),
        (r#"{"devices": "cpu"}"#, "devices"),
        (r#"{"cpuEngine": "onnx"}"#, "cpuEngine"),
        (r#"{"device": "cpu", "cpuEngine": true}"#, "cpuEngine"),
        (r#""webgpu""#, "options"),
    ] {
        let err =
            JsFuture::from(LocalModel::load(bytes(), Some(js_sys::JSON::parse(opts).unwrap()))).await.unwrap_err();
        assert_eq!(error_code(&err), ("YoloError".into(), "invalid_argument".into()), "{opts}");
        assert_eq!(Reflect::get(&err, &"field".into()).unwrap().as_string().as_deref(), Some(field), "{opts}");
    }
    let v = JsFuture::from(LocalModel::load(bytes(), Some(js_sys::JSON::parse(r#"{"device": "cpu"}"#).unwrap())))
        .await
        .unwrap();
    let info = Reflect::get(&v, &"info".into()).unwrap();
    assert_eq!(Reflect::get(&info, &"device".into()).unwrap().as_string().as_deref(), Some("cpu"));
}

/// Needs the `test-hooks` feature (`make test-web` passes it) for `__testLoseDevice`.
#[cfg(feature = "test-hooks")]
#[wasm_bindgen_test]
async fn a_lost_device_is_device_lost_then_the_model_reloads() {
    if !common::has_webgpu() {
        return assert_unavailable(load_on(YOLO11N, DeviceChoice::WebGpu).await, "device loss");
    }
    let model = load_on(YOLO11N, DeviceChoice::WebGpu).await.unwrap();
    assert_eq!(device_of(&model).device, "webgpu");
    let src = || JsValue::from(common::image_data(image!("square-640x640.png")));
    JsFuture::from(model.test_lose_device()).await.unwrap();
    let err = predict(&model, src(), JsValue::UNDEFINED).await.unwrap_err();
    assert_eq!(error_code(&err), ("YoloError".into(), "device_lost".into()));
    // The next call makes a new device and program, and answers as before.
    let ours = predict(&model, src(), options(640, 0.25, 0.45)).await.unwrap();
    check(&ours, &golden!("yolo11n-shapes__square-640x640__s640_c0.25_i0.45"), "detect", "after a device loss");
}
