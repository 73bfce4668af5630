//! One error type for the whole crate, with a stable machine-readable code per variant.
//!
//! The wasm layer turns every [`Error`] into a JS `Error` whose `name` is `"YoloError"` and whose
//! `code` is [`Error::code`]; the native server maps the same codes onto HTTP statuses.

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
    /// The inference engine failed while running the model.
    #[error("inference failed: {0}")]
    Inference(String),
    /// Fetching a resource (e.g. a model URL) failed.
    #[error("network error: {0}")]
    Network(String),
    /// A remote HUB inference call failed (its own code: `unauthorized`, `rate_limited`, …).
    #[error("{0}")]
    Remote(Box<crate::hub::RemoteError>),
}

impl Error {
    /// Stable code, the same in Rust, in JS (`err.code`) and in the server's JSON.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidArgument { .. } => "invalid_argument",
            Error::InvalidModel(_) => "invalid_model",
            Error::NotYoloModel(_) => "not_yolo_model",
            Error::UnsupportedModel(_) => "unsupported_model",
            Error::InvalidImage(_) => "invalid_image",
            Error::Inference(_) => "inference_failed",
            Error::Network(_) => "network",
            Error::Remote(r) => r.code.as_str(),
        }
    }

    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid_argument(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument { field: field.into(), message: message.into() }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
