//! Shared body of the trap tests (`web_trap*.rs`): a bug inside a call (a Rust panic, a
//! WebAssembly trap in the synchronous part, a trap in the async part) must reject the call's
//! promise with `internal` within a second, reject calls already pending, and leave the module
//! in the documented after-state: every later call rejects (or throws) `internal` at once.
//! Each kind poisons its module for good, so each runs in its own test binary.

use js_sys::{Array, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use yolo_wasm::web::LocalModel;

const CLASSIFIER: &[u8] = include_bytes!("../fixtures/models/yolo11n-cls-shapes.onnx");

/// `promise`, or a rejection naming `what` if it has not settled within `ms` (a hang guard).
async fn settle_within(promise: Promise, ms: u32, what: &str) -> Result<JsValue, JsValue> {
    let what = what.to_string();
    let timer = Promise::new(&mut |_resolve, reject| {
        let what = what.clone();
        gloo_timers::callback::Timeout::new(ms, move || {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from(format!("HANG: {what} did not settle within {ms} ms")));
        })
        .forget();
    });
    JsFuture::from(Promise::race(&Array::of2(&promise, &timer))).await
}

fn prop(v: &JsValue, key: &str) -> String {
    Reflect::get(v, &key.into()).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

/// Asserts `err` is a `YoloError` with code `internal` whose message contains `needle`.
fn assert_internal(err: &JsValue, needle: &str, what: &str) {
    assert!(err.is_instance_of::<js_sys::Error>(), "{what}: not an Error: {err:?}");
    assert_eq!(prop(err, "name"), "YoloError", "{what}: {err:?}");
    assert_eq!(prop(err, "code"), "internal", "{what}: {err:?}");
    let message = prop(err, "message");
    assert!(message.contains(needle), "{what}: message {message:?} should mention {needle:?}");
    assert!(message.contains("load it again"), "{what}: message {message:?} should say what to do");
}

/// Runs `kind` (see `yolo_wasm::web::test_trap`) and checks the promise and the after-state.
pub async fn a_bug_rejects_and_poisons_the_module(kind: &str, needle: &str) {
    // wasm-bindgen-test replaced the package's panic hook with its own: put ours back.
    yolo_wasm::web::reinstall_panic_hook();
    let model = LocalModel::from_source(Uint8Array::from(CLASSIFIER).into()).await.unwrap();
    let image = web_sys::ImageData::new_with_sw(32, 32).unwrap();
    // Alive: a prediction works before the bug.
    settle_within(model.predict(image.clone().into(), None), 60_000, "predict before").await.unwrap();

    // A call started before the bug is pending while it happens: it must be rejected too.
    let pending = model.predict(image.clone().into(), None);
    let err = settle_within(yolo_wasm::web::test_trap(kind.into()), 1_000, kind).await.unwrap_err();
    assert_internal(&err, needle, kind);
    match settle_within(pending, 1_000, "the call pending at the bug").await {
        // It may have finished before the bug ran (the queue runs it first): that is fine too.
        Ok(_) => {}
        Err(e) => assert_internal(&e, needle, "pending call"),
    }

    // After-state: every later call rejects / throws `internal` at once.
    let again = settle_within(model.predict(image.into(), None), 1_000, "predict after").await.unwrap_err();
    assert_internal(&again, needle, "predict after the bug");
    let load = settle_within(LocalModel::load(Uint8Array::from(CLASSIFIER).into(), None), 1_000, "load after").await;
    assert_internal(&load.unwrap_err(), needle, "load after the bug");
    assert_internal(&model.info().unwrap_err(), needle, "info after the bug");
}
