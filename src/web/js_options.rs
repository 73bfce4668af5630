//! JS options object → [`PredictOptions`], with errors naming the offending field.

use crate::error::{Error, Result};
use crate::options::PredictOptions;
use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

const KNOWN: [&str; 3] = ["imgsz", "conf", "iou"];

/// Reads `{ imgsz?, conf?, iou? }`; `undefined`/`null` means all defaults. Unknown keys and
/// non-numbers are errors (a typo like `confidence` must not be silently ignored).
pub fn parse(value: &JsValue) -> Result<PredictOptions> {
    if value.is_undefined() || value.is_null() {
        return Ok(PredictOptions::default());
    }
    let obj: &Object = value
        .dyn_ref::<Object>()
        .filter(|_| value.is_object())
        .ok_or_else(|| Error::invalid_argument("options", "must be an object like { imgsz, conf, iou }"))?;
    for key in Object::keys(obj).iter() {
        let key = key.as_string().unwrap_or_default();
        if !KNOWN.contains(&key.as_str()) {
            return Err(Error::invalid_argument(key, "unknown option; expected imgsz, conf or iou"));
        }
    }
    let number = |field: &str| -> Result<Option<f64>> {
        let v = Reflect::get(obj, &field.into()).map_err(|_| Error::invalid_argument(field, "cannot be read"))?;
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        v.as_f64()
            .map(Some)
            .ok_or_else(|| Error::invalid_argument(field, format!("must be a number, got {}", type_name(&v))))
    };
    PredictOptions::from_raw(number("imgsz")?, number("conf")?, number("iou")?)
}

fn type_name(v: &JsValue) -> String {
    v.js_typeof().as_string().unwrap_or_else(|| "unknown".into())
}
