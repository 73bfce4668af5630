//! Bounded work and memory in the browser: long thin images on the classifier (the crop window
//! only), the image limits as typed errors, and wasm memory that stops growing.

use super::*;

const CLASSIFIER: &[u8] = include_bytes!("../fixtures/models/yolo11n-cls-shapes.onnx");

async fn predict_js(model: &LocalModel, source: JsValue) -> Result<Response, JsValue> {
    let v = JsFuture::from(model.predict(source, None)).await?;
    Ok(serde_wasm_bindgen::from_value(v).unwrap())
}

fn code_of(err: &JsValue) -> String {
    Reflect::get(err, &"code".into()).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

/// Bytes of the module's linear memory (it only grows, in 64 KiB pages).
fn wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64
}

#[wasm_bindgen_test]
async fn a_classifier_reads_long_thin_images_at_the_cost_of_its_crop() {
    let model = load(CLASSIFIER).await.unwrap();
    for (w, h) in [(16_384, 1), (1, 16_384)] {
        let image = web_sys::ImageData::new_with_sw(w, h).unwrap();
        let res = predict_js(&model, image.into()).await.unwrap();
        assert_eq!(res.images[0].shape, [h, w]);
        assert_eq!(res.images[0].results.len(), 3, "top-5 of the 3 classes");
    }
}

#[wasm_bindgen_test]
async fn images_over_the_limit_are_typed_errors() {
    let model = load(CLASSIFIER).await.unwrap();
    let image = web_sys::ImageData::new_with_sw(16_385, 1).unwrap();
    let err = predict_js(&model, image.into()).await.map(|_| ()).unwrap_err();
    assert_eq!(code_of(&err), "image_too_large", "{err:?}");
    let message = Reflect::get(&err, &"message".into()).unwrap().as_string().unwrap();
    assert!(message.contains("16384"), "the message names the limit: {message}");
    // The module is unharmed: the next call works.
    let ok = web_sys::ImageData::new_with_sw(64, 48).unwrap();
    assert_eq!(predict_js(&model, ok.into()).await.unwrap().images[0].shape, [48, 64]);
}

/// 200 predictions and 20 load/free cycles: after a warm-up, the module's memory does not grow.
/// (Linear memory never shrinks, so any leak shows as growth.)
#[wasm_bindgen_test]
async fn wasm_memory_stops_growing_after_warm_up() {
    let image = || web_sys::ImageData::new_with_sw(96, 64).unwrap();
    let cycle = |n: usize| async move {
        for _ in 0..n {
            let model = load(CLASSIFIER).await.unwrap();
            predict_js(&model, image().into()).await.unwrap();
            drop(model); // what `model.free()` does from JS
        }
    };
    let model = load(CLASSIFIER).await.unwrap();
    for _ in 0..20 {
        predict_js(&model, image().into()).await.unwrap();
    }
    cycle(3).await;
    let warm = wasm_memory_bytes();
    for _ in 0..200 {
        predict_js(&model, image().into()).await.unwrap();
    }
    cycle(20).await;
    let after = wasm_memory_bytes();
    web_sys::console::log_1(
        &format!("wasm memory: {warm} bytes after warm-up, {after} after 200 predictions and 20 load/free cycles")
            .into(),
    );
    assert_eq!(after, warm, "wasm memory grew from {warm} to {after} bytes");
}
