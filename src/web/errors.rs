//! [`Error`] → JS `Error` with `name = "YoloError"`, a stable `code` and, for bad arguments,
//! the `field`.

use crate::error::Error;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

/// Converts a crate error into the JS error every exported function throws or rejects with.
pub fn to_js(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("YoloError");
    let obj: &JsValue = err.as_ref();
    // Setting plain data properties on a fresh Error object cannot fail.
    let _ = Reflect::set(obj, &"code".into(), &e.code().as_str().into());
    match &e {
        Error::InvalidArgument { field, .. } => {
            let _ = Reflect::set(obj, &"field".into(), &field.as_str().into());
        }
        Error::Remote(r) => {
            if let Some(status) = r.status {
                let _ = Reflect::set(obj, &"status".into(), &status.into());
            }
            if let Some(s) = r.retry_after_seconds {
                let _ = Reflect::set(obj, &"retryAfterSeconds".into(), &s.into());
            }
            if !r.rate_limit.is_empty() {
                let rl = js_sys::Object::new();
                let num = |v: Option<f64>| v.map_or(JsValue::UNDEFINED, JsValue::from);
                let _ = Reflect::set(&rl, &"limit".into(), &num(r.rate_limit.limit.map(|v| v as f64)));
                let _ = Reflect::set(&rl, &"remaining".into(), &num(r.rate_limit.remaining.map(|v| v as f64)));
                let _ = Reflect::set(&rl, &"reset".into(), &num(r.rate_limit.reset));
                let _ = Reflect::set(obj, &"rateLimit".into(), &rl);
            }
        }
        _ => {}
    }
    err.into()
}

/// A readable text of whatever JS threw (an `Error`'s message, or its string form).
pub fn describe(v: &JsValue) -> String {
    if let Some(e) = v.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    v.as_string().unwrap_or_else(|| format!("{v:?}"))
}
