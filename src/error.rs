//! One error type for the whole crate, with a stable machine-readable code per variant (from the
//! registry in [`crate::codes`]).
//!
//! The wasm layer turns every [`Error`] into a JS `Error` whose `name` is `"YoloError"` and whose
//! `code` is [`Error::code`]; the native server answers with [`Code::status`].

use crate::codes::Code;

/// Everything that can go wrong between model bytes / pixels / options and a response.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// An option or argument is out of range, of the wrong type, or unknown.
    #[error("invalid argument `{field}`: {message}")]
    InvalidArgument {
        /// The option's name as the user spelled it (`imgsz`, `conf`, …).
        field: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The bytes are not a readable ONNX model (truncated, corrupt, unsupported operator…).
    #[error("invalid model: {0}")]
    InvalidModel(String),
    /// A valid ONNX model that carries no (or unusable) Ultralytics YOLO metadata.
    #[error("not a YOLO model: {0}")]
    NotYoloModel(String),
    /// A YOLO model whose outputs do not match what its task requires.
    #[error("unsupported model: {0}")]
    UnsupportedModel(String),
    /// The image could not be read or has an unusable size.
    #[error("invalid image: {0}")]
    InvalidImage(String),
    /// The image is over a documented size limit (the message names the limit).
    #[error("image too large: {0}")]
    ImageTooLarge(String),
    /// The inference engine failed while running the model.
    #[error("inference failed: {0}")]
    Inference(String),
    /// WebGPU was asked for and no adapter or device is available.
    #[error("WebGPU unavailable: {0}")]
    WebGpuUnavailable(String),
    /// The GPU device was lost; the model must be loaded again.
    #[error("GPU device lost: {0}")]
    DeviceLost(String),
    /// Fetching a resource (e.g. a model URL) failed.
    #[error("network error: {0}")]
    Network(String),
    /// A bug: a panic or a WebAssembly trap (the wasm module must be reloaded).
    #[error("internal error: {0}")]
    Internal(String),
    /// A remote HUB inference call failed (its own code: `unauthorized`, `rate_limited`, …).
    #[error("{0}")]
    Remote(Box<RemoteError>),
}

impl Error {
    /// Stable code, the same in Rust, in JS (`err.code`) and in the server's JSON.
    pub fn code(&self) -> Code {
        match self {
            Error::InvalidArgument { .. } => Code::InvalidArgument,
            Error::InvalidModel(_) => Code::InvalidModel,
            Error::NotYoloModel(_) => Code::NotYoloModel,
            Error::UnsupportedModel(_) => Code::UnsupportedModel,
            Error::InvalidImage(_) => Code::InvalidImage,
            Error::ImageTooLarge(_) => Code::ImageTooLarge,
            Error::Inference(_) => Code::InferenceFailed,
            Error::Network(_) => Code::Network,
            Error::WebGpuUnavailable(_) => Code::WebgpuUnavailable,
            Error::DeviceLost(_) => Code::DeviceLost,
            Error::Internal(_) => Code::Internal,
            Error::Remote(r) => r.code,
        }
    }

    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid_argument(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument { field: field.into(), message: message.into() }
    }
}

impl From<RemoteError> for Error {
    fn from(e: RemoteError) -> Self {
        Error::Remote(Box::new(e))
    }
}

/// `X-RateLimit-*` values of an answer, when present.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: Option<u64>,
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// When the window frees a slot, UNIX seconds.
    pub reset: Option<f64>,
}

impl RateLimit {
    /// Whether no header was present.
    pub fn is_empty(&self) -> bool {
        self.limit.is_none() && self.remaining.is_none() && self.reset.is_none()
    }
}

impl From<crate::gpu::GpuError> for Error {
    fn from(e: crate::gpu::GpuError) -> Error {
        use crate::gpu::GpuError;
        match e {
            GpuError::Unavailable(m) => Error::WebGpuUnavailable(m),
            GpuError::Lost(m) => Error::DeviceLost(format!("{m}; load the model again")),
            GpuError::Failed(m) => Error::Inference(format!("WebGPU: {m}")),
        }
    }
}

/// A failed remote call (HUB Inference API or a compatible endpoint).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteError {
    /// What kind of failure: the server's own code when it sent a known one, else from the status.
    pub code: Code,
    /// HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Readable message (the server's own when it sent one).
    pub message: String,
    /// Seconds to wait before retrying (`Retry-After`), when given.
    pub retry_after_seconds: Option<f64>,
    /// Rate-limit headers, when given.
    pub rate_limit: RateLimit,
}

impl RemoteError {
    /// A failure without an HTTP answer.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        RemoteError {
            code,
            status: None,
            message: message.into(),
            retry_after_seconds: None,
            rate_limit: RateLimit::default(),
        }
    }
}

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(s) => write!(f, "HTTP {s}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
