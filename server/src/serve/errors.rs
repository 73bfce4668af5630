//! The JSON error body of every failed request: `{"error": "<message>", "code": "<code>"}`, plus
//! `"field"` for argument errors, with the HTTP status that the registry ([`Code::status`]) gives
//! each code.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use yolo_wasm::Code;

/// A request that failed: HTTP status, stable machine-readable code, readable message.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// Stable code (`invalid_argument`, `unauthorized`, `rate_limited`, …).
    pub code: Code,
    /// Readable message.
    pub message: String,
    /// The form field at fault, for argument errors.
    pub field: Option<String>,
    /// Seconds sent in `Retry-After` (429, 503).
    pub retry_after: Option<u64>,
    /// Whether the answer closes the connection (`Connection: close`): the request's body was
    /// not read to its end.
    pub close: bool,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    /// An error with a code (its status from the registry) and a message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        // Every registry status is a valid 4xx/5xx (tested in `yolo_wasm::codes`).
        let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError { status, code, message: message.into(), field: None, retry_after: None, close: false }
    }

    /// 400 `invalid_argument` naming the form field at fault.
    pub fn argument(field: &str, message: impl Into<String>) -> Self {
        let message = format!("invalid argument `{field}`: {}", message.into());
        ApiError { field: Some(field.to_string()), ..Self::new(Code::InvalidArgument, message) }
    }

    /// 401 `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(Code::Unauthorized, message)
    }

    /// 413 `payload_too_large`.
    pub fn too_large(limit_bytes: usize) -> Self {
        let mb = limit_bytes as f64 / (1024.0 * 1024.0);
        Self::new(
            Code::PayloadTooLarge,
            format!("Request body larger than the server's limit of {mb} MB (--max-body-mb)"),
        )
    }

    /// Adds a `Retry-After` header of `seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Closes the connection after this answer (`Connection: close`).
    pub fn closing(mut self) -> Self {
        self.close = true;
        self
    }

    /// A core-crate error with the registry's status for its code: the caller's input (arguments,
    /// image) is a 4xx; a model that cannot be loaded or run is the server's problem, a 500.
    pub fn from_core(e: &yolo_wasm::Error) -> Self {
        let field = match e {
            yolo_wasm::Error::InvalidArgument { field, .. } => Some(field.clone()),
            _ => None,
        };
        ApiError { field, ..ApiError::new(e.code(), e.to_string()) }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl From<yolo_wasm::Error> for ApiError {
    fn from(e: yolo_wasm::Error) -> Self {
        ApiError::from_core(&e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body { error: &self.message, code: self.code.as_str(), field: self.field.as_deref() };
        // Serialising three strings cannot fail; fall back to a fixed body all the same.
        let json =
            serde_json::to_vec(&body).unwrap_or_else(|_| br#"{"error":"internal error","code":"internal"}"#.to_vec());
        let mut response = (self.status, json).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(s) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.close {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// Bytes from a client shown in a message: printable ASCII as is, anything else escaped
/// (`\xff`, `\n`), so a value that is not UTF-8 (or would forge a log line) stays visible.
pub fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_is_not_plain_text() {
        assert_eq!(escape(b"ab\xffc\n"), "ab\\xffc\\n");
        assert_eq!(escape("é".as_bytes()), "\\xc3\\xa9");
    }

    #[test]
    fn core_errors_map_to_statuses() {
        let e = ApiError::from(yolo_wasm::Error::invalid_argument("conf", "must be a number from 0.01 to 1, got 2"));
        assert_eq!(
            (e.status, e.code.as_str(), e.field.as_deref()),
            (StatusCode::BAD_REQUEST, "invalid_argument", Some("conf"))
        );
        let e = ApiError::from(yolo_wasm::Error::UnsupportedModel("x".into()));
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.code, "unsupported_model");
    }
}
