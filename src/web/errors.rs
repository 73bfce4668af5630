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
    let _ = Reflect::set(obj, &"code".into(), &e.code().into());
    if let Error::InvalidArgument { field, .. } = &e {
        let _ = Reflect::set(obj, &"field".into(), &field.as_str().into());
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
