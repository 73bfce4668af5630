//! The one registry of error codes: every stable `code` this project emits — in Rust
//! ([`crate::Error::code`]), in JS (`YoloError.code`), and in the endpoint's JSON error bodies —
//! with its HTTP status and meaning, defined here and nowhere else.
//!
//! The server builds its answers from [`Code::status`]; the HTTP client keeps a server's `code`
//! when [`Code::parse`] knows it; the TypeScript union `YoloErrorCode` and the demo's messages are
//! checked against [`Code::ALL`] by `tests/error_registry.rs`.

/// Declares [`Code`] and its tables from one list of `Variant => "code", status, "meaning"`.
macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, $status:literal, $meaning:literal; )*) => {
        /// A stable, machine-readable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as it appears in JSON and in JS (`err.code`).
            pub const fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The HTTP status an endpoint answers with for this code.
            pub const fn status(self) -> u16 {
                match self { $(Code::$variant => $status,)* }
            }

            /// One line on what the code means (documentation, `RELIABILITY.md`).
            pub const fn meaning(self) -> &'static str {
                match self { $(Code::$variant => $meaning,)* }
            }

            /// The code named `s`, if the registry has it.
            pub fn parse(s: &str) -> Option<Code> {
                match s { $($name => Some(Code::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    // The caller's input.
    /// An option, argument or form field is out of range, of the wrong type, or unknown.
    InvalidArgument => "invalid_argument", 400, "an option or form field is out of range, of the wrong type, or unknown (see `field`)";
    /// The image cannot be decoded or has an unusable size.
    InvalidImage => "invalid_image", 400, "the image cannot be decoded or has an unusable size";
    /// The image is larger than the documented pixel limit.
    ImageTooLarge => "image_too_large", 413, "the image has more pixels (or a longer side) than the documented limit";
    /// The video cannot be decoded.
    InvalidVideo => "invalid_video", 400, "the video cannot be decoded (a damaged file, or no video stream)";
    /// The video is over one of the endpoint's video limits.
    VideoTooLarge => "video_too_large", 413, "the video has more frames, pixels per frame or seconds than the endpoint's limit (the message names it)";
    // The model.
    /// The bytes are not a readable ONNX model.
    InvalidModel => "invalid_model", 500, "the bytes are not a readable ONNX model";
    /// A valid ONNX model without usable Ultralytics YOLO metadata.
    NotYoloModel => "not_yolo_model", 500, "a valid ONNX model without usable Ultralytics metadata";
    /// A YOLO model whose inputs or outputs do not fit its task or the documented limits.
    UnsupportedModel => "unsupported_model", 500, "a YOLO model whose inputs or outputs do not fit its task or the size limits";
    /// The inference engine failed while running the model.
    InferenceFailed => "inference_failed", 500, "the inference engine failed while running the model";
    /// `device: "webgpu"` asked for, and this browser or machine gives no usable WebGPU device.
    WebgpuUnavailable => "webgpu_unavailable", 503, "`device: \"webgpu\"` was asked for and no WebGPU adapter or device is available here";
    /// The GPU device was lost (driver reset, memory pressure, `free()`); load the model again.
    DeviceLost => "device_lost", 503, "the GPU device was lost (driver reset, memory pressure, or the model was freed); load the model again";
    /// A bug: a panic or a WebAssembly trap. The wasm module must be reloaded.
    Internal => "internal", 500, "a bug (a panic or a WebAssembly trap); in the browser the module must be reloaded";
    // Transport, seen by the client.
    /// No HTTP answer at all (DNS, refused connection, CORS, offline), or a failed model download.
    Network => "network", 502, "no HTTP answer (DNS, refused connection, CORS, offline), or a model download failed";
    /// The caller's timeout elapsed, or the endpoint's request timeout.
    Timeout => "timeout", 504, "no result within the time limit (the client's `timeoutMs`, the endpoint's `--timeout-s`)";
    /// The caller's `AbortSignal` fired.
    Aborted => "aborted", 499, "the caller's AbortSignal fired";
    /// An answer that is not what the HUB API promises.
    BadResponse => "bad_response", 502, "an answer that is not what the HUB Inference API promises";
    // HTTP answers of the HUB API and of `yolo-wasm serve`.
    /// 401: the API key is missing or wrong.
    Unauthorized => "unauthorized", 401, "the API key is missing or wrong";
    /// 403: the key may not use this model or endpoint.
    Forbidden => "forbidden", 403, "the key may not use this model or endpoint";
    /// 403 from `yolo-wasm serve`: the key's `models=` list excludes the model.
    ModelForbidden => "model_forbidden", 403, "the key's `models=` list does not include this model";
    /// 404: unknown path, model or endpoint.
    NotFound => "not_found", 404, "unknown path, model or endpoint";
    /// 404 from `yolo-wasm serve`: no such model file.
    ModelNotFound => "model_not_found", 404, "no model with this ID on the endpoint";
    /// 405: wrong method for the path.
    MethodNotAllowed => "method_not_allowed", 405, "wrong HTTP method for this path";
    /// 408: the request body did not arrive in time.
    RequestTimeout => "request_timeout", 408, "the request (headers or body) did not arrive within the endpoint's read timeout";
    /// 413: the upload is larger than the endpoint accepts.
    PayloadTooLarge => "payload_too_large", 413, "the upload is larger than the endpoint accepts";
    /// 400: the form has no `file` field.
    MissingFile => "missing_file", 400, "the form has no `file` field";
    /// 400: the body is not a well-formed multipart form.
    InvalidMultipart => "invalid_multipart", 400, "the body is not a well-formed multipart/form-data form";
    /// 400: the body could not be read (the client went away).
    InvalidBody => "invalid_body", 400, "the request body could not be read";
    /// 415: a video upload to an endpoint that does not decode video (no FFmpeg).
    VideoNotSupported => "video_not_supported", 415, "a video upload to an endpoint that does not decode video (`yolo-wasm serve` without FFmpeg)";
    /// 429: over the rate limit.
    RateLimited => "rate_limited", 429, "over the key's (or address's) rate limit; see `retryAfterSeconds`";
    /// 500-class failure of the server without a more precise code.
    ServerError => "server_error", 500, "the server failed without a more precise code";
    /// 503: the service is unavailable or overloaded.
    Unavailable => "unavailable", 503, "the service is unavailable or overloaded";
    /// 503 from `yolo-wasm serve`: every slot busy and the queue full.
    ServerBusy => "server_busy", 503, "every inference slot is busy and the queue is full";
}

impl Code {
    /// The code a client gives an HTTP status when the body names no known code.
    pub fn from_status(status: u16) -> Code {
        match status {
            400 | 415 | 422 => Code::InvalidArgument,
            401 => Code::Unauthorized,
            403 => Code::Forbidden,
            404 => Code::NotFound,
            408 => Code::RequestTimeout,
            413 => Code::PayloadTooLarge,
            429 => Code::RateLimited,
            503 => Code::Unavailable,
            504 => Code::Timeout,
            500..=599 => Code::ServerError,
            _ => Code::BadResponse,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for &c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert_eq!(Code::parse(c.as_str()), Some(c));
            assert!(c.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{c}");
            assert!((400..600).contains(&c.status()), "{c}: {}", c.status());
        }
        assert_eq!(Code::parse("nope"), None);
    }

    #[test]
    fn statuses_map_back_to_codes() {
        for (status, code) in [
            (400, Code::InvalidArgument),
            (401, Code::Unauthorized),
            (403, Code::Forbidden),
            (404, Code::NotFound),
            (413, Code::PayloadTooLarge),
            (415, Code::InvalidArgument),
            (429, Code::RateLimited),
            (500, Code::ServerError),
            (502, Code::ServerError),
            (503, Code::Unavailable),
            (504, Code::Timeout),
            (302, Code::BadResponse),
        ] {
            assert_eq!(Code::from_status(status), code, "{status}");
        }
    }
}
