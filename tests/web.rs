//! Browser tests (wasm-bindgen-test; `make test-web` runs them in Chromium, Firefox and WebKit,
//! scripts/with-engine.sh): the whole JS-facing API against the Ultralytics goldens, with the
//! same tolerances as the native parity test, and its errors.

#![cfg(target_arch = "wasm32")]

mod common;

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{
    Blob, BlobPropertyBag, CanvasRenderingContext2d, HtmlCanvasElement, HtmlImageElement, ImageBitmap, OffscreenCanvas,
    OffscreenCanvasRenderingContext2d, Url,
};
use yolo_wasm::schema::Response;
use yolo_wasm::web::LocalModel;

wasm_bindgen_test_configure!(run_in_browser);

const YOLO11N: &[u8] = include_bytes!("fixtures/models/yolo11n-shapes.onnx");
const YOLO11N_DYNAMIC: &[u8] = include_bytes!("fixtures/models/yolo11n-shapes-dynamic.onnx");
const YOLOV8N: &[u8] = include_bytes!("fixtures/models/yolov8n-shapes.onnx");
const NOT_YOLO: &[u8] = include_bytes!("fixtures/models/not-yolo.onnx");
const BAD_OUTPUT: &[u8] = include_bytes!("fixtures/models/bad-output.onnx");

macro_rules! image {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/images/", $name)) as &[u8]
    };
}
macro_rules! golden {
    ($case:literal) => {
        serde_json::from_str::<Response>(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/golden/",
            $case,
            ".json"
        )))
        .unwrap()
    };
}

// After the macros it uses (textual macro scope).
#[path = "web/alpha.rs"]
mod alpha;
#[path = "web/cpu_program.rs"]
mod cpu_program;
#[path = "web/draw.rs"]
mod draw_tests;
#[path = "web/gpu.rs"]
mod gpu;
#[path = "web/limits.rs"]
mod limits;
#[path = "web/nms.rs"]
mod nms;
#[path = "web/tasks.rs"]
mod tasks;
#[path = "web/tracking.rs"]
mod tracking;

async fn load(bytes: &[u8]) -> Result<LocalModel, JsValue> {
    LocalModel::from_source(Uint8Array::from(bytes).into()).await
}

fn options(imgsz: u32, conf: f64, iou: f64) -> JsValue {
    let o = js_sys::Object::new();
    Reflect::set(&o, &"imgsz".into(), &imgsz.into()).unwrap();
    Reflect::set(&o, &"conf".into(), &conf.into()).unwrap();
    Reflect::set(&o, &"iou".into(), &iou.into()).unwrap();
    o.into()
}

async fn predict(model: &LocalModel, source: JsValue, opts: JsValue) -> Result<Response, JsValue> {
    let v = JsFuture::from(model.predict(source, Some(opts))).await?;
    Ok(serde_wasm_bindgen::from_value(v).unwrap())
}

fn blob(bytes: &[u8], mime: &str) -> Blob {
    let parts = Array::of1(&Uint8Array::from(bytes));
    let bag = BlobPropertyBag::new();
    bag.set_type(mime);
    Blob::new_with_u8_array_sequence_and_options(&parts, &bag).unwrap()
}

async fn html_image(bytes: &[u8], mime: &str) -> HtmlImageElement {
    let url = Url::create_object_url_with_blob(&blob(bytes, mime)).unwrap();
    let img = HtmlImageElement::new().unwrap();
    img.set_src(&url);
    JsFuture::from(img.decode()).await.unwrap();
    img
}

async fn bitmap(bytes: &[u8], mime: &str) -> ImageBitmap {
    let window = web_sys::window().unwrap();
    let p = window.create_image_bitmap_with_blob(&blob(bytes, mime)).unwrap();
    JsFuture::from(p).await.unwrap().dyn_into().unwrap()
}

fn check(ours: &Response, golden: &Response, task: &str, what: &str) {
    assert_eq!(ours.images.len(), 1);
    assert_eq!(ours.images[0].shape, golden.images[0].shape, "{what}: shape");
    let e = common::compare(&ours.images[0].results, &golden.images[0].results, what).unwrap_or_else(|m| panic!("{m}"));
    let s = &ours.images[0].speed;
    console_log!(
        "{what}: {e}; preprocess {:.1} ms, inference {:.1} ms, postprocess {:.1} ms",
        s.preprocess,
        s.inference,
        s.postprocess
    );
    assert_eq!(ours.metadata.image_count, 1);
    assert_eq!(ours.metadata.task.as_deref(), Some(task));
}

/// Predicts `source` with a detect model and compares with the golden response `want`.
async fn check_case(model: &LocalModel, source: JsValue, opts: JsValue, want: Response, what: &str) {
    check_task(model, source, opts, want, "detect", what).await;
}

/// Predicts `source` with a `task` model and compares with the golden response `want`.
async fn check_task(model: &LocalModel, source: JsValue, opts: JsValue, want: Response, task: &str, what: &str) {
    let ours = predict(model, source, opts).await.unwrap();
    check(&ours, &want, task, what);
}

fn error_code(e: &JsValue) -> (String, String) {
    let get = |k: &str| Reflect::get(e, &k.into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
    (get("name"), get("code"))
}

#[wasm_bindgen_test]
async fn static_model_image_data_and_html_image() {
    let model = load(YOLO11N).await.unwrap();
    let info: yolo_wasm_info::Info = serde_wasm_bindgen::from_value(model.info().unwrap()).unwrap();
    assert_eq!((info.task.as_str(), info.imgsz, info.names.len()), ("detect", [640, 640], 3));

    check_case(
        &model,
        common::image_data(image!("square-640x640.png")).into(),
        options(640, 0.25, 0.45),
        golden!("yolo11n-shapes__square-640x640__s640_c0.25_i0.45"),
        "yolo11n square ImageData",
    )
    .await;

    let img = html_image(image!("large-1920x1080.png"), "image/png").await;
    check_case(
        &model,
        img.into(),
        options(640, 0.1, 0.7),
        golden!("yolo11n-shapes__large-1920x1080__s640_c0.1_i0.7"),
        "yolo11n large HTMLImageElement",
    )
    .await;

    let bmp = bitmap(image!("tiny-37x23.png"), "image/png").await;
    check_case(
        &model,
        bmp.into(),
        JsValue::UNDEFINED,
        golden!("yolo11n-shapes__tiny-37x23__s640_c0.25_i0.45"),
        "yolo11n tiny ImageBitmap, default options",
    )
    .await;
}

#[wasm_bindgen_test]
async fn canvases_and_model_url() {
    // The model by URL string (a blob: URL, fetched like any http(s) URL).
    let url = Url::create_object_url_with_blob(&blob(YOLO11N, "application/octet-stream")).unwrap();
    let model = LocalModel::from_source(JsValue::from(url.as_str())).await.unwrap();
    let data = common::image_data(image!("odd-333x517.png"));
    let want = golden!("yolo11n-shapes__odd-333x517__s640_c0.25_i0.45");

    let document = web_sys::window().unwrap().document().unwrap();
    let canvas: HtmlCanvasElement = document.create_element("canvas").unwrap().dyn_into().unwrap();
    canvas.set_width(data.width());
    canvas.set_height(data.height());
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    ctx.put_image_data(&data, 0.0, 0.0).unwrap();
    check_case(&model, canvas.into(), options(640, 0.25, 0.45), want.clone(), "yolo11n odd HTMLCanvasElement").await;

    let off = OffscreenCanvas::new(data.width(), data.height()).unwrap();
    let octx: OffscreenCanvasRenderingContext2d = off.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    octx.put_image_data(&data, 0.0, 0.0).unwrap();
    check_case(&model, off.into(), options(640, 0.25, 0.45), want, "yolo11n odd OffscreenCanvas").await;

    let missing = LocalModel::from_source(JsValue::from("blob:null/no-such-model")).await.map(|_| ()).unwrap_err();
    assert_eq!(error_code(&missing).1, "network");
}

/// The dynamic export at two sizes (320 from `ImageData`, 480 from a PNG `Blob`); `on` names
/// the executor in the messages.
async fn check_dynamic_sizes(model: &LocalModel, on: &str) {
    check_case(
        model,
        common::image_data(image!("landscape-800x450.png")).into(),
        options(320, 0.25, 0.45),
        golden!("yolo11n-shapes-dynamic__landscape-800x450__s320_c0.25_i0.45"),
        &format!("yolo11n dynamic landscape 320 {on}"),
    )
    .await;
    check_case(
        model,
        blob(image!("portrait-360x720.png"), "image/png").into(),
        options(480, 0.1, 0.7),
        golden!("yolo11n-shapes-dynamic__portrait-360x720__s480_c0.1_i0.7"),
        &format!("yolo11n dynamic portrait 480 Blob {on}"),
    )
    .await;
}

#[wasm_bindgen_test]
async fn dynamic_model_at_other_sizes() {
    check_dynamic_sizes(&load(YOLO11N_DYNAMIC).await.unwrap(), "on tract's plan").await;
}

#[wasm_bindgen_test]
async fn yolov8_with_browser_decoded_jpeg() {
    let model = load(YOLOV8N).await.unwrap();
    check_case(
        &model,
        blob(image!("odd-333x517.png"), "image/png").into(),
        options(640, 0.25, 0.45),
        golden!("yolov8n-shapes__odd-333x517__s640_c0.25_i0.45"),
        "yolov8n odd Blob",
    )
    .await;
    // The browser's JPEG decoder (libjpeg-turbo in Chromium, Firefox and WebKitGTK) against
    // OpenCV's, through the whole pipeline.
    check_case(
        &model,
        blob(image!("zidane.jpg"), "image/jpeg").into(),
        options(640, 0.25, 0.45),
        golden!("yolov8n-shapes__zidane__s640_c0.25_i0.45"),
        "yolov8n zidane.jpg Blob",
    )
    .await;
}

#[wasm_bindgen_test]
async fn errors_are_typed() {
    for (bytes, code) in [
        (&YOLO11N[..YOLO11N.len() / 2], "invalid_model"),
        (&b"not an onnx file"[..], "invalid_model"),
        (NOT_YOLO, "not_yolo_model"),
    ] {
        let err = load(bytes).await.map(|_| ()).unwrap_err();
        assert_eq!(error_code(&err), ("YoloError".into(), code.into()));
        assert!(err.is_instance_of::<js_sys::Error>());
    }
    let err = LocalModel::from_source(JsValue::from(42)).await.map(|_| ()).unwrap_err();
    assert_eq!(error_code(&err).1, "invalid_argument");

    let bad = load(BAD_OUTPUT).await.unwrap();
    let err = predict(&bad, common::image_data(image!("tiny-37x23.png")).into(), JsValue::UNDEFINED).await.unwrap_err();
    assert_eq!(error_code(&err).1, "unsupported_model");

    let model = load(YOLO11N).await.unwrap();
    let src = || JsValue::from(common::image_data(image!("tiny-37x23.png")));
    for (opts, field) in [
        (options(16, 0.25, 0.45), "imgsz"),
        (options(640, 0.0, 0.45), "conf"),
        (options(640, 0.25, 0.99), "iou"),
        (js_sys::JSON::parse(r#"{"confidence": 0.5}"#).unwrap(), "confidence"),
        (js_sys::JSON::parse(r#"{"conf": "0.5"}"#).unwrap(), "conf"),
        (JsValue::from("fast"), "options"),
    ] {
        let err = predict(&model, src(), opts).await.unwrap_err();
        assert_eq!(error_code(&err), ("YoloError".into(), "invalid_argument".into()));
        assert_eq!(Reflect::get(&err, &"field".into()).unwrap().as_string().as_deref(), Some(field));
    }
    let err = predict(&model, JsValue::from("img.png"), JsValue::UNDEFINED).await.unwrap_err();
    assert_eq!(error_code(&err).1, "invalid_argument");
    let err = predict(&model, blob(b"garbage", "image/png").into(), JsValue::UNDEFINED).await.unwrap_err();
    assert_eq!(error_code(&err).1, "invalid_image");
    // The model still works after all of that.
    assert!(predict(&model, src(), JsValue::UNDEFINED).await.is_ok());
}

mod yolo_wasm_info {
    /// The subset of `model.info` this test reads.
    #[derive(serde::Deserialize)]
    pub struct Info {
        pub task: String,
        pub imgsz: [u32; 2],
        pub names: std::collections::BTreeMap<String, String>,
    }
}
