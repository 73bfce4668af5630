//! A video upload's work: probe, check the limits, then decode and infer frame by frame (one
//! decoded frame in memory at a time), optionally tracking, into one response with an `images[]`
//! entry per frame. Runs on the blocking pool inside the request's slot and `--timeout-s`.

use super::errors::ApiError;
use super::form::Upload;
use super::AppState;
use crate::video::{self, Frames, TempVideo, VideoError};
use std::sync::atomic::Ordering;
use tokio_util::sync::CancellationToken;
use yolo_wasm::schema::Response as HubResponse;
use yolo_wasm::track::{Tracker, TrackerOptions};
use yolo_wasm::{Code, Pixels, PredictOptions, YoloModel};

impl From<VideoError> for ApiError {
    fn from(e: VideoError) -> Self {
        ApiError::new(e.code, e.message)
    }
}

/// What a video job needs besides the model.
pub struct VideoRequest<'a> {
    /// The upload (dropped, with its budget, once copied to disk).
    pub file: Upload,
    /// `imgsz`, `conf`, `iou`.
    pub options: PredictOptions,
    /// Every n-th frame.
    pub vid_stride: u32,
    /// Track across frames.
    pub track: bool,
    /// Set when the answer can no longer be sent.
    pub cancel: &'a CancellationToken,
}

/// Runs a video request. `release` is called once the upload's bytes are no longer held.
pub fn run(
    state: &AppState,
    yolo: &YoloModel,
    req: VideoRequest<'_>,
    release: impl FnOnce(),
    skipped: impl Fn(&str) -> ApiError,
) -> Result<HubResponse, ApiError> {
    if !state.video_decoder {
        return Err(ApiError::new(
            Code::VideoNotSupported,
            "Video uploads are not supported here: this server found no `ffmpeg`/`ffprobe` at start. \
             Install FFmpeg, or send single images (PNG, JPEG, WebP, BMP, TIFF)",
        ));
    }
    let temp = TempVideo::write(&req.file.bytes)?;
    drop(req.file);
    release();
    let info = video::probe(temp.path())?;
    video::check(&info, req.vid_stride, &state.video)?;
    let mut frames = Frames::open(temp.path(), &info, req.vid_stride, &state.video)?;
    let mut tracker = req.track.then(|| Tracker::new(TrackerOptions::default()));
    let mut images = Vec::new();
    loop {
        if req.cancel.is_cancelled() {
            return Err(skipped(&format!("video frame {}", frames.count())));
        }
        let Some(rgb) = frames.next_frame()? else { break };
        let pixels = Pixels::new(info.width, info.height, 3, rgb)?;
        state.jobs.inferences.fetch_add(1, Ordering::Relaxed);
        let mut image = yolo.predict(&pixels, &req.options)?;
        if let Some(t) = tracker.as_mut() {
            image = t.update(image)?;
        }
        images.push(image);
    }
    state.jobs.decoded.fetch_add(1, Ordering::Relaxed);
    if images.is_empty() {
        return Err(ApiError::new(Code::InvalidVideo, "the video has no frames to process"));
    }
    Ok(yolo.response(images))
}
