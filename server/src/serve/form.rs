//! The multipart form of a predict request: `model`, `file`, `imgsz`, `conf`, `iou` (the HUB
//! Inference API's fields), and two extensions of ours for video uploads: `vid_stride` (every
//! n-th frame, Ultralytics' argument; default 1) and `track` (`true`: ByteTrack IDs across the
//! frames). Other fields are ignored, as the HUB ignores what it does not know.

use super::errors::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::request::Parts;
use yolo_wasm::options::{CONF_RANGE, IMGSZ_MAX, IMGSZ_MIN, IOU_RANGE};
use yolo_wasm::Code;
use yolo_wasm::PredictOptions;

/// Extensions Ultralytics treats as video (`VID_FORMATS`).
pub const VIDEO_EXTENSIONS: [&str; 12] =
    ["asf", "avi", "gif", "m4v", "mkv", "mov", "mp4", "mpeg", "mpg", "ts", "webm", "wmv"];

/// Longest accepted text field (bytes).
const MAX_TEXT: usize = 4096;

/// The uploaded image.
#[derive(Debug, Clone)]
pub struct Upload {
    /// File name sent by the client, if any.
    pub file_name: Option<String>,
    /// Content type sent by the client, if any.
    pub content_type: Option<String>,
    /// The bytes.
    pub bytes: Bytes,
}

/// A parsed predict form.
#[derive(Debug, Clone)]
pub struct PredictForm {
    /// The `model` field as sent.
    pub model: Option<String>,
    /// The `file` field.
    pub file: Upload,
    /// Validated `imgsz`, `conf`, `iou`.
    pub options: PredictOptions,
    /// Whether the file is a video (by content type or extension).
    pub video: bool,
    /// Process every `vid_stride`-th frame of a video (1–1000; default 1).
    pub vid_stride: u32,
    /// Track objects across the frames (`track=true`).
    pub track: bool,
}

/// Largest `vid_stride`.
pub const VID_STRIDE_MAX: u32 = 1000;

/// `vid_stride`: a whole number from 1 to [`VID_STRIDE_MAX`].
fn vid_stride(text: &str) -> Result<u32, ApiError> {
    text.trim().parse::<u32>().ok().filter(|v| (1..=VID_STRIDE_MAX).contains(v)).ok_or_else(|| {
        ApiError::argument("vid_stride", format!("must be an integer from 1 to {VID_STRIDE_MAX}, got {text:?}"))
    })
}

/// `track`: `true`/`false` (also `1`/`0`, any case).
fn boolean(field: &str, text: &str) -> Result<bool, ApiError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError::argument(field, format!("must be true or false, got {text:?}"))),
    }
}

fn multipart_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(Code::InvalidMultipart, format!("Could not read the multipart form: {e}"))
}

/// Parses a form field as a number; the message gives the field's range like
/// [`PredictOptions::from_raw`] does.
fn number(field: &str, text: &str) -> Result<f64, ApiError> {
    text.trim().parse::<f64>().map_err(|_| {
        let allowed = match field {
            "imgsz" => format!("an integer from {IMGSZ_MIN} to {IMGSZ_MAX}"),
            "conf" => format!("a number from {} to {}", CONF_RANGE.0, CONF_RANGE.1),
            _ => format!("a number from {} to {}", IOU_RANGE.0, IOU_RANGE.1),
        };
        ApiError::argument(field, format!("must be {allowed}, got {text:?}"))
    })
}

/// Whether an upload is a video (by content type or file extension).
pub fn is_video(upload: &Upload) -> bool {
    let by_type = upload.content_type.as_deref().is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("video/"));
    let by_ext = upload
        .file_name
        .as_deref()
        .and_then(|n| n.rsplit_once('.'))
        .is_some_and(|(_, ext)| VIDEO_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()));
    by_type || by_ext
}

/// Parses the multipart body of a request (whose headers are `parts`).
pub async fn parse(parts: Parts, body: Bytes) -> Result<PredictForm, ApiError> {
    let request = Request::from_parts(parts, Body::from(body));
    let mut multipart = Multipart::from_request(request, &()).await.map_err(|e| {
        ApiError::new(
            Code::InvalidMultipart,
            format!("Expected a multipart/form-data body with a `file` field ({})", e.body_text()),
        )
    })?;
    let (mut model, mut file) = (None, None);
    let (mut imgsz, mut conf, mut iou) = (None, None, None);
    let (mut stride, mut track) = (1, false);
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" => {
                if file.is_some() {
                    return Err(ApiError::argument("file", "send one file per request"));
                }
                let file_name = field.file_name().map(String::from);
                let content_type = field.content_type().map(String::from);
                let bytes = field.bytes().await.map_err(multipart_error)?;
                file = Some(Upload { file_name, content_type, bytes });
            }
            "model" | "imgsz" | "conf" | "iou" | "vid_stride" | "track" => {
                let raw = field.bytes().await.map_err(multipart_error)?;
                if raw.len() > MAX_TEXT {
                    return Err(ApiError::argument(&name, format!("is longer than {MAX_TEXT} bytes")));
                }
                let text = String::from_utf8(raw.to_vec()).map_err(|_| {
                    ApiError::argument(&name, format!("is not UTF-8 text: \"{}\"", super::errors::escape(&raw)))
                })?;
                match name.as_str() {
                    "model" => model = Some(text),
                    "imgsz" => imgsz = Some(number("imgsz", &text)?),
                    "conf" => conf = Some(number("conf", &text)?),
                    "vid_stride" => stride = vid_stride(&text)?,
                    "track" => track = boolean("track", &text)?,
                    _ => iou = Some(number("iou", &text)?),
                }
            }
            _ => {
                // Unknown fields are read and ignored.
                field.bytes().await.map_err(multipart_error)?;
            }
        }
    }
    let file = file.ok_or_else(|| {
        ApiError::new(Code::MissingFile, "Missing `file`: send the image as the multipart field `file`")
    })?;
    let video = is_video(&file);
    let options = PredictOptions::from_raw(imgsz, conf, iou)?;
    Ok(PredictForm { model, file, options, video, vid_stride: stride, track })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(name: Option<&str>, ct: Option<&str>) -> Upload {
        Upload { file_name: name.map(String::from), content_type: ct.map(String::from), bytes: Bytes::new() }
    }

    #[test]
    fn videos_by_type_or_extension() {
        assert!(is_video(&upload(Some("a.MP4"), None)));
        assert!(is_video(&upload(Some("clip.gif"), Some("image/gif"))));
        assert!(is_video(&upload(None, Some("video/webm"))));
        assert!(!is_video(&upload(Some("bus.jpg"), Some("image/jpeg"))));
        assert!(!is_video(&upload(Some("noext"), None)));
    }

    #[test]
    fn numbers_name_the_field_and_range() {
        let e = number("conf", "abc").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("conf"));
        assert!(e.message.contains("0.01 to 1"), "{}", e.message);
        assert_eq!(number("imgsz", " 640 ").unwrap(), 640.0);
    }

    #[test]
    fn video_fields_are_checked() {
        assert_eq!(vid_stride(" 3 ").unwrap(), 3);
        for bad in ["0", "1001", "1.5", "x"] {
            assert_eq!(vid_stride(bad).unwrap_err().field.as_deref(), Some("vid_stride"), "{bad}");
        }
        assert!(boolean("track", "TRUE").unwrap());
        assert!(!boolean("track", "0").unwrap());
        assert_eq!(boolean("track", "yes").unwrap_err().field.as_deref(), Some("track"));
    }
}
