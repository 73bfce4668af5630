//! The same API inside a dedicated Web Worker (no `window`, no DOM): model bytes, `ImageData`
//! and `Blob` sources, against the Ultralytics goldens.

#![cfg(target_arch = "wasm32")]

mod common;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Blob, BlobPropertyBag, OffscreenCanvas, OffscreenCanvasRenderingContext2d};
use yolo_wasm::render::class_color;
use yolo_wasm::schema::{BoxCoords, Response};
use yolo_wasm::web::{draw, LocalModel};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[path = "web/tracking.rs"]
mod tracking;

const YOLO11N: &[u8] = include_bytes!("fixtures/models/yolo11n-shapes.onnx");
const SQUARE: &[u8] = include_bytes!("fixtures/images/square-640x640.png");
const PORTRAIT: &[u8] = include_bytes!("fixtures/images/portrait-360x720.png");

fn golden(text: &str) -> Response {
    serde_json::from_str(text).unwrap()
}

async fn predict(model: &LocalModel, source: JsValue) -> Response {
    let v = JsFuture::from(model.predict(source, None)).await.unwrap();
    serde_wasm_bindgen::from_value(v).unwrap()
}

#[wasm_bindgen_test]
async fn predicts_inside_a_worker() {
    assert!(web_sys::window().is_none(), "this test must run in a worker");
    let model = LocalModel::from_source(Uint8Array::from(YOLO11N).into()).await.unwrap();

    let data = common::image_data(SQUARE);
    let ours = predict(&model, data.into()).await;
    let want = golden(include_str!("fixtures/golden/yolo11n-shapes__square-640x640__s640_c0.25_i0.45.json"));
    common::compare(&ours.images[0].results, &want.images[0].results, "worker ImageData").unwrap();

    let bag = BlobPropertyBag::new();
    bag.set_type("image/png");
    let blob = Blob::new_with_u8_array_sequence_and_options(&Array::of1(&Uint8Array::from(PORTRAIT)), &bag).unwrap();
    let ours = predict(&model, blob.into()).await;
    let want = golden(include_str!("fixtures/golden/yolo11n-shapes__portrait-360x720__s640_c0.25_i0.45.json"));
    common::compare(&ours.images[0].results, &want.images[0].results, "worker Blob").unwrap();
}

/// Our own CPU program (`cpuEngine: "program"`) inside a worker, against the same goldens.
#[wasm_bindgen_test]
async fn predicts_on_the_cpu_program_inside_a_worker() {
    use yolo_wasm::model::CpuEngine;
    use yolo_wasm::web::{DeviceChoice, LoadOptions};
    let options = LoadOptions { device: DeviceChoice::Cpu, cpu_engine: CpuEngine::Program };
    let model = LocalModel::from_source_with(Uint8Array::from(YOLO11N).into(), options).await.unwrap();
    let info = model.info().unwrap();
    let engine = js_sys::Reflect::get(&info, &"cpuEngine".into()).unwrap().as_string();
    let reason = js_sys::Reflect::get(&info, &"cpuEngineReason".into()).unwrap();
    assert_eq!(engine.as_deref(), Some("program"));
    assert!(reason.is_undefined(), "fell back to tract's plan: {reason:?}");
    for (image, golden_text, what) in [
        (SQUARE, include_str!("fixtures/golden/yolo11n-shapes__square-640x640__s640_c0.25_i0.45.json"), "square"),
        (PORTRAIT, include_str!("fixtures/golden/yolo11n-shapes__portrait-360x720__s640_c0.25_i0.45.json"), "portrait"),
    ] {
        let ours = predict(&model, common::image_data(image).into()).await;
        let want = golden(golden_text);
        common::compare(&ours.images[0].results, &want.images[0].results, what).unwrap();
    }
}

#[wasm_bindgen_test]
async fn draws_on_an_offscreen_canvas_inside_a_worker() {
    assert!(web_sys::window().is_none(), "this test must run in a worker");
    let model = LocalModel::from_source(Uint8Array::from(YOLO11N).into()).await.unwrap();
    let data = common::image_data(SQUARE);
    let v = JsFuture::from(model.predict(data.into(), None)).await.unwrap();
    let res: Response = serde_wasm_bindgen::from_value(v.clone()).unwrap();
    let first = &res.images[0].results[0];
    let Some(BoxCoords::Rect(b)) = first.bbox else { panic!("detect box expected") };

    // A black canvas as large as the image; no pixel ratio in a worker (1), 2 px lines.
    let canvas = OffscreenCanvas::new(640, 640).unwrap();
    let ctx: OffscreenCanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    ctx.set_fill_style_str("#000000");
    ctx.fill_rect(0.0, 0.0, 640.0, 640.0);
    draw(canvas.clone().into(), JsValue::NULL, v, None).unwrap();
    // The bottom edge is a 2 px line centred on y2: row floor(y2) is fully covered.
    let (x, y) = (((b.x1 + b.x2) / 2.0).round(), b.y2.floor());
    let px = ctx.get_image_data(x, y, 1.0, 1.0).unwrap().data().0;
    let c = class_color(first.class);
    let want = [(c >> 16) as u8, (c >> 8) as u8, c as u8];
    let close = px.iter().zip(want).all(|(a, b)| (*a as i32 - b as i32).abs() <= 3);
    assert!(close, "pixel {:?} at ({x}, {y}) should be the class colour {want:?}", &px[..3]);
}

/// WebGPU inside a dedicated worker (`navigator.gpu` there: SwiftShader in Chromium, lavapipe in
/// Firefox); in an engine without WebGPU (WebKitGTK) `webgpu_unavailable`.
#[wasm_bindgen_test]
async fn predicts_on_webgpu_inside_a_worker() {
    use yolo_wasm::web::DeviceChoice;
    assert!(web_sys::window().is_none(), "this test must run in a worker");
    let loaded = LocalModel::from_source_on(Uint8Array::from(YOLO11N).into(), DeviceChoice::WebGpu).await;
    if !common::has_webgpu() {
        let Err(err) = loaded else { panic!("loaded on WebGPU without navigator.gpu") };
        let get = |k: &str| js_sys::Reflect::get(&err, &k.into()).unwrap().as_string().unwrap_or_default();
        assert_eq!(
            (get("name").as_str(), get("code").as_str()),
            ("YoloError", "webgpu_unavailable"),
            "{}",
            get("message")
        );
        return;
    }
    let model = loaded.unwrap();
    let device = js_sys::Reflect::get(&model.info().unwrap(), &"device".into()).unwrap();
    assert_eq!(device.as_string().as_deref(), Some("webgpu"));
    let ours = predict(&model, common::image_data(SQUARE).into()).await;
    let want = golden(include_str!("fixtures/golden/yolo11n-shapes__square-640x640__s640_c0.25_i0.45.json"));
    common::compare(&ours.images[0].results, &want.images[0].results, "worker WebGPU").unwrap();
}

/// In a worker: a transparent PNG `Blob` decoded in wasm (no `document`, `OffscreenCanvas`
/// elsewhere) gives Ultralytics' answer to within its rounding, and an `nms=True` export
/// (its embedded NMS on tract's inference graph) answers like Ultralytics.
#[wasm_bindgen_test]
async fn transparent_pngs_and_nms_exports_inside_a_worker() {
    assert!(web_sys::window().is_none(), "this test must run in a worker");
    let png = |bytes: &[u8]| {
        let bag = BlobPropertyBag::new();
        bag.set_type("image/png");
        Blob::new_with_u8_array_sequence_and_options(&Array::of1(&Uint8Array::from(bytes)), &bag).unwrap()
    };
    let model = LocalModel::from_source(Uint8Array::from(YOLO11N).into()).await.unwrap();
    let ours = predict(&model, png(include_bytes!("fixtures/images/alpha-shapes-520x390.png")).into()).await;
    let want = golden(include_str!("fixtures/golden/yolo11n-shapes__alpha-shapes-520x390__s640_c0.25_i0.45.json"));
    let e = common::compare(&ours.images[0].results, &want.images[0].results, "worker alpha Blob").unwrap();
    assert!(e.boxes <= 0.01 && e.conf <= 1e-5, "worker alpha Blob: {e}");

    let nms = include_bytes!("fixtures/models/yolo11n-seg-shapes-nms.onnx");
    let model = LocalModel::from_source(Uint8Array::from(&nms[..]).into()).await.unwrap();
    let opts = js_sys::Object::new();
    js_sys::Reflect::set(&opts, &"imgsz".into(), &416.into()).unwrap();
    let v = JsFuture::from(model.predict(png(PORTRAIT).into(), Some(opts.into()))).await.unwrap();
    let ours: Response = serde_wasm_bindgen::from_value(v).unwrap();
    let want = golden(include_str!("fixtures/golden/yolo11n-seg-shapes-nms__portrait-360x720__s416_c0.25_i0.45.json"));
    common::compare(&ours.images[0].results, &want.images[0].results, "worker nms=True segment").unwrap();
}
