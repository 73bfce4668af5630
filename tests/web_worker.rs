//! The same API inside a dedicated Web Worker (no `window`, no DOM): model bytes, `ImageData`
//! and `Blob` sources, against the Ultralytics goldens.

#![cfg(target_arch = "wasm32")]

mod common;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Blob, BlobPropertyBag};
use yolo_wasm::schema::Response;
use yolo_wasm::web::LocalModel;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

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
    let model = LocalModel::load(Uint8Array::from(YOLO11N).into()).await.unwrap();

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
