//! `LocalModel`: an ONNX export run in the browser, answering in the HUB JSON.

use super::errors::to_js;
use super::{guard, js_options, loader, source, tracking};
use crate::pipeline::preprocess::Pixels;
use crate::pipeline::YoloModel;
use crate::track::Tracker;
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// Serialises a response (or info) into the plain JS objects the TypeScript types describe.
pub(super) fn to_value<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
        .map_err(|e| to_js(crate::Error::Inference(format!("cannot convert the result to JS: {e}"))))
}

/// A YOLO ONNX export loaded into tract, run locally: nothing leaves the machine.
///
/// `free()` (generated) releases the model's memory at once; otherwise it is released when the
/// JS object is garbage-collected.
#[wasm_bindgen]
pub struct LocalModel {
    inner: Arc<YoloModel>,
    /// The tracker of `track()` (persists across calls, like Ultralytics' `persist=True`).
    tracker: Rc<RefCell<Tracker>>,
}

#[wasm_bindgen]
impl LocalModel {
    /// Loads an Ultralytics ONNX export from a URL, `ArrayBuffer`, `Uint8Array` or `Blob`/`File`.
    /// Rejects with a `YoloError` (`invalid_model`, `not_yolo_model`, `unsupported_model`,
    /// `network`, `invalid_argument`, `internal`).
    #[wasm_bindgen(unchecked_return_type = "Promise<LocalModel>")]
    pub fn load(#[wasm_bindgen(unchecked_param_type = "ModelSource")] source: JsValue) -> js_sys::Promise {
        guard::promise(async move { LocalModel::from_source(source).await.map(JsValue::from) })
    }

    /// The model's metadata: task, class names, export size, stride…
    #[wasm_bindgen(getter, unchecked_return_type = "ModelInfo")]
    pub fn info(&self) -> Result<JsValue, JsValue> {
        guard::check()?;
        to_value(self.inner.info())
    }

    /// Predicts one image; resolves to the HUB response object. Options are validated before
    /// any work (`invalid_argument` naming the field).
    /// (Declared for TypeScript in `types.rs`, where `options` can be marked optional.)
    #[wasm_bindgen(skip_typescript)]
    pub fn predict(&self, source: JsValue, options: Option<JsValue>) -> js_sys::Promise {
        let options = js_options::parse(&options.unwrap_or(JsValue::UNDEFINED));
        self.run(source, options, None)
    }

    /// Predicts the next frame of a video or stream and tracks it with this model's tracker:
    /// results gain `track_id` (as Ultralytics' `model.track(persist=True)`). `conf` defaults to
    /// 0.1. Classification models have no boxes to track (`invalid_argument`).
    #[wasm_bindgen(skip_typescript)]
    pub fn track(&self, source: JsValue, options: Option<JsValue>) -> js_sys::Promise {
        let options = tracking::track_options(&options.unwrap_or(JsValue::UNDEFINED));
        self.run(source, options, Some(self.tracker.clone()))
    }

    /// Starts this model's tracking over (IDs from 1), with `bytetrack.yaml`'s settings or
    /// those given. Throws `invalid_argument` for a bad setting (the tracker is then unchanged).
    #[wasm_bindgen(js_name = resetTracker, skip_typescript)]
    pub fn reset_tracker(&self, options: Option<JsValue>) -> Result<(), JsValue> {
        guard::check()?;
        let options = tracking::tracker_options(&options.unwrap_or(JsValue::UNDEFINED)).map_err(to_js)?;
        *self.tracker.borrow_mut() = Tracker::new(options);
        Ok(())
    }
}

impl LocalModel {
    /// Decodes, infers (on the pool in the threaded build) and, with a tracker, tracks one frame.
    fn run(
        &self,
        source: JsValue,
        options: crate::Result<crate::PredictOptions>,
        tracker: Option<Rc<RefCell<Tracker>>>,
    ) -> js_sys::Promise {
        let model = self.inner.clone();
        let tracking = tracker.is_some();
        guard::promise(async move {
            let options = options.map_err(to_js)?;
            if tracking && model.info().task == crate::Task::Classify {
                return Err(to_js(crate::Error::invalid_argument(
                    "model",
                    "a classification model has no boxes to track",
                )));
            }
            let rgba = source::pixels(&source).await.map_err(to_js)?;
            let mut response = heavy(true, move || {
                let px = Pixels::new(rgba.width, rgba.height, 4, &rgba.data)?;
                let image = model.predict(&px, &options)?;
                Ok(model.response(vec![image]))
            })
            .await
            .and_then(|r: crate::Result<_>| r)
            .map_err(to_js)?;
            if let Some(t) = tracker {
                // Frames are tracked in the order their inferences finish.
                response = tracking::track_response(&mut t.borrow_mut(), response).map_err(to_js)?;
            }
            to_value(&response)
        })
    }
}

/// Runs the CPU-heavy part of a call through the trap trampoline: in the threaded build, once
/// `initThreadPool` has run, on the pool (this thread awaits without blocking; a pool still
/// starting is waited for unless `wait` is false); else right here.
async fn heavy<T: Send + 'static>(wait: bool, f: impl FnOnce() -> T + Send + 'static) -> crate::Result<T> {
    #[cfg(feature = "threads")]
    {
        if wait {
            super::pool::run(f).await
        } else {
            super::pool::run_now(f).await
        }
    }
    #[cfg(not(feature = "threads"))]
    {
        let _ = wait;
        guard::sync(f)
    }
}

impl LocalModel {
    /// What `LocalModel.load` resolves to, for Rust callers (tests): reads the bytes, then parses
    /// and plans the model inside the trap guard.
    pub async fn from_source(source: JsValue) -> Result<LocalModel, JsValue> {
        let (bytes, name) = loader::model_bytes(&source).await.map_err(to_js)?;
        // In the threaded build this runs on the pool too once it is up (the calling thread then
        // never runs tract while pool threads may hold tract's locks); while the pool is still
        // starting (no pool thread runs tract yet) it runs here, overlapping the start.
        let model = heavy(false, move || YoloModel::load(&bytes, name)).await.and_then(|r| r).map_err(to_js)?;
        Ok(LocalModel { inner: Arc::new(model), tracker: Rc::new(RefCell::new(Tracker::new(Default::default()))) })
    }
}
