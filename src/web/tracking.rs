//! Tracking in the browser: `Tracker` (ByteTrack over any HUB response, local or remote) and the
//! options parsing of `LocalModel.track` / `resetTracker`. The tracker runs on the calling
//! thread: it is cheap (microseconds per frame) next to the inference.

use super::bindings::to_value;
use super::errors::to_js;
use super::guard;
use super::js_options::Fields;
use crate::error::{Error, Result};
use crate::options::PredictOptions;
use crate::schema::Response;
use crate::track::{RawTrackerOptions, TrackerOptions};
use wasm_bindgen::prelude::*;

/// Keys of tracker options (Ultralytics' `bytetrack.yaml` names).
const TRACKER_KEYS: [&str; 6] =
    ["track_high_thresh", "track_low_thresh", "new_track_thresh", "track_buffer", "match_thresh", "fuse_score"];
/// Keys of `LocalModel.track` options.
const TRACK_KEYS: [&str; 3] = ["imgsz", "conf", "iou"];
/// `model.track`'s default confidence threshold (Ultralytics': the tracker needs low scores).
pub const TRACK_CONF_DEFAULT: f64 = 0.1;

/// Reads tracker options; `undefined`/`null` means `bytetrack.yaml`'s defaults.
pub fn tracker_options(value: &JsValue) -> Result<TrackerOptions> {
    let Some(f) = Fields::new(value, "options", &TRACKER_KEYS)? else { return Ok(TrackerOptions::default()) };
    TrackerOptions::from_raw(RawTrackerOptions {
        track_high_thresh: f.number("track_high_thresh")?,
        track_low_thresh: f.number("track_low_thresh")?,
        new_track_thresh: f.number("new_track_thresh")?,
        track_buffer: f.number("track_buffer")?,
        match_thresh: f.number("match_thresh")?,
        fuse_score: f.boolean("fuse_score")?,
    })
}

/// Reads `LocalModel.track` options: `predict`'s, with `conf` defaulting to 0.1.
pub fn track_options(value: &JsValue) -> Result<PredictOptions> {
    match Fields::new(value, "options", &TRACK_KEYS)? {
        None => PredictOptions::from_raw(None, Some(TRACK_CONF_DEFAULT), None),
        Some(f) => PredictOptions::from_raw(
            f.number("imgsz")?,
            Some(f.number("conf")?.unwrap_or(TRACK_CONF_DEFAULT)),
            f.number("iou")?,
        ),
    }
}

/// Multi-object tracking (ByteTrack, as Ultralytics' `model.track(persist=True)`) over
/// consecutive frames: detections gain a `track_id` that stays with the object.
#[wasm_bindgen]
pub struct Tracker {
    inner: crate::track::Tracker,
}

#[wasm_bindgen]
impl Tracker {
    /// A tracker with `bytetrack.yaml`'s settings, or those given. Throws a `YoloError`
    /// (`invalid_argument` naming the setting) for a bad one.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "TrackerOptions")] options: Option<JsValue>,
    ) -> Result<Tracker, JsValue> {
        guard::check()?;
        let options = tracker_options(&options.unwrap_or(JsValue::UNDEFINED)).map_err(to_js)?;
        Ok(Tracker { inner: crate::track::Tracker::new(options) })
    }

    /// Tracks the frames of a response (each `images[]` entry is the next frame, in order) and
    /// returns the response with tracked results (`track_id`, filtered boxes). Works on local
    /// and remote (`HubClient`) answers alike. Throws `invalid_argument` for a response that is
    /// not HUB-shaped or has no boxes (classification); the tracker is then unchanged.
    #[wasm_bindgen(unchecked_return_type = "HubResponse")]
    pub fn update(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "HubResponse")] response: JsValue,
    ) -> Result<JsValue, JsValue> {
        guard::check()?;
        let response: Response = serde_wasm_bindgen::from_value(response)
            .map_err(|e| to_js(Error::invalid_argument("response", format!("is not a HUB response: {e}"))))?;
        let tracked = track_response(&mut self.inner, response).map_err(to_js)?;
        to_value(&tracked)
    }

    /// Forgets every track; IDs start again from 1.
    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// Frames tracked since the start or the last `reset()`.
    #[wasm_bindgen(getter)]
    pub fn frames(&self) -> f64 {
        self.inner.frames() as f64
    }
}

/// Tracks every frame of a response; on a refused frame the tracker is left as it was.
pub fn track_response(tracker: &mut crate::track::Tracker, response: Response) -> Result<Response> {
    Ok(Response { images: tracker.update_all(response.images)?, metadata: response.metadata })
}
