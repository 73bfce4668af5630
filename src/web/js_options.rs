//! JS option objects → typed options, with errors naming the offending field. Unknown keys and
//! values of the wrong type are errors (a typo like `confidence` must not be silently ignored).

use crate::error::{Error, Result};
use crate::options::PredictOptions;
use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

/// Keys of `LocalModel.predict` options.
const LOCAL_KEYS: [&str; 3] = ["imgsz", "conf", "iou"];
/// Keys of `HubClient.predict` options.
const REMOTE_KEYS: [&str; 6] = ["imgsz", "conf", "iou", "model", "signal", "retries"];

/// A JS object read field by field.
pub struct Fields<'a> {
    obj: &'a Object,
}

impl<'a> Fields<'a> {
    /// Checks that `value` is a plain object holding only `known` keys; `None` for
    /// `undefined`/`null`. `what` names the whole argument in errors.
    pub fn new(value: &'a JsValue, what: &str, known: &[&str]) -> Result<Option<Self>> {
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        let obj: &Object = value
            .dyn_ref::<Object>()
            .filter(|_| value.is_object())
            .ok_or_else(|| Error::invalid_argument(what, format!("must be an object with {}", known.join(", "))))?;
        for key in Object::keys(obj).iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(Error::invalid_argument(key, format!("unknown option; expected {}", known.join(", "))));
            }
        }
        Ok(Some(Fields { obj }))
    }

    fn get(&self, field: &str) -> Result<Option<JsValue>> {
        let v = Reflect::get(self.obj, &field.into()).map_err(|_| Error::invalid_argument(field, "cannot be read"))?;
        Ok((!v.is_undefined() && !v.is_null()).then_some(v))
    }

    /// A number field.
    pub fn number(&self, field: &str) -> Result<Option<f64>> {
        self.get(field)?
            .map(|v| {
                v.as_f64()
                    .ok_or_else(|| Error::invalid_argument(field, format!("must be a number, got {}", type_name(&v))))
            })
            .transpose()
    }

    /// A string field.
    pub fn string(&self, field: &str) -> Result<Option<String>> {
        self.get(field)?
            .map(|v| {
                v.as_string()
                    .ok_or_else(|| Error::invalid_argument(field, format!("must be a string, got {}", type_name(&v))))
            })
            .transpose()
    }

    /// A boolean field.
    pub fn boolean(&self, field: &str) -> Result<Option<bool>> {
        self.get(field)?
            .map(|v| {
                v.as_bool().ok_or_else(|| {
                    Error::invalid_argument(field, format!("must be true or false, got {}", type_name(&v)))
                })
            })
            .transpose()
    }

    /// A finite number within `lo..=hi`.
    pub fn number_in(&self, field: &str, lo: f64, hi: f64) -> Result<Option<f64>> {
        self.number(field)?
            .map(|v| {
                if v.is_finite() && (lo..=hi).contains(&v) {
                    Ok(v)
                } else {
                    Err(Error::invalid_argument(field, format!("must be a number from {lo} to {hi}, got {v}")))
                }
            })
            .transpose()
    }

    /// A whole number `0..=max`.
    pub fn count(&self, field: &str, max: u32) -> Result<Option<u32>> {
        self.number(field)?
            .map(|v| {
                if v.fract() == 0.0 && (0.0..=max as f64).contains(&v) {
                    Ok(v as u32)
                } else {
                    Err(Error::invalid_argument(field, format!("must be an integer from 0 to {max}, got {v}")))
                }
            })
            .transpose()
    }

    /// The HUB prediction options (`imgsz`, `conf`, `iou`) of this object.
    pub fn predict_options(&self) -> Result<PredictOptions> {
        PredictOptions::from_raw(self.number("imgsz")?, self.number("conf")?, self.number("iou")?)
    }

    /// An `AbortSignal` field.
    pub fn signal(&self, field: &str) -> Result<Option<AbortSignal>> {
        self.get(field)?
            .map(|v| v.dyn_into::<AbortSignal>().map_err(|_| Error::invalid_argument(field, "must be an AbortSignal")))
            .transpose()
    }
}

/// Reads `LocalModel.predict` options `{ imgsz?, conf?, iou? }`; `undefined`/`null` means all defaults.
pub fn parse(value: &JsValue) -> Result<PredictOptions> {
    match Fields::new(value, "options", &LOCAL_KEYS)? {
        None => Ok(PredictOptions::default()),
        Some(f) => f.predict_options(),
    }
}

/// `HubClient.predict` options.
pub struct RemoteOptions {
    /// The HUB ranges, validated like the local path's.
    pub predict: PredictOptions,
    /// HUB model URL or id.
    pub model: Option<String>,
    /// Caller's abort signal.
    pub signal: Option<AbortSignal>,
    /// Retries of this call (overrides the client's).
    pub retries: Option<u32>,
}

/// Most retries a caller may ask for.
pub const MAX_RETRIES: u32 = 10;

/// Reads `HubClient.predict` options `{ model?, imgsz?, conf?, iou?, signal?, retries? }`.
pub fn parse_remote(value: &JsValue) -> Result<RemoteOptions> {
    let Some(f) = Fields::new(value, "options", &REMOTE_KEYS)? else {
        return Ok(RemoteOptions { predict: PredictOptions::default(), model: None, signal: None, retries: None });
    };
    let model = f.string("model")?.map(|m| m.trim().to_string());
    if model.as_deref() == Some("") {
        return Err(Error::invalid_argument("model", "must not be empty"));
    }
    Ok(RemoteOptions {
        predict: f.predict_options()?,
        model,
        signal: f.signal("signal")?,
        retries: f.count("retries", MAX_RETRIES)?,
    })
}

fn type_name(v: &JsValue) -> String {
    v.js_typeof().as_string().unwrap_or_else(|| "unknown".into())
}
