//! Reading request bodies with a size limit, and answering early without breaking the client.
//!
//! A server that answers (401, 413, 429…) while the client is still uploading and then closes
//! the connection makes most clients report a broken pipe instead of the answer. So before an
//! early answer the rest of the body is read and thrown away, up to a bound in bytes and time;
//! a client that sent `Expect: 100-continue` has not started uploading and gets the answer
//! directly.

use super::errors::ApiError;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use http_body_util::BodyExt;
use std::time::Duration;
use yolo_wasm::Code;

/// Longest time spent throwing away the rest of a refused upload.
pub const DISCARD_TIME: Duration = Duration::from_secs(10);

/// Most bytes thrown away for a refused upload whose limit is `limit`.
pub fn discard_cap(limit: usize) -> usize {
    limit.saturating_mul(2).max(8 << 20)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

fn expects_continue(headers: &HeaderMap) -> bool {
    headers.get(header::EXPECT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
}

/// Reads and drops what is left of `body` (at most `cap` bytes and [`DISCARD_TIME`]), so that
/// an early answer reaches the client. Skipped when the client waits for `100 Continue` or
/// announced more than `cap` bytes.
pub async fn discard(body: Body, headers: &HeaderMap, cap: usize) {
    if expects_continue(headers) || content_length(headers).is_some_and(|n| n > cap as u64) {
        return;
    }
    let mut body = body;
    let drain = async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len());
            if seen > cap {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DISCARD_TIME, drain).await;
}

/// The whole body, or 413 when it is (or announces to be) larger than `limit` bytes.
pub async fn read_limited(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, ApiError> {
    if content_length(headers).is_some_and(|n| n > limit as u64) {
        discard(body, headers, discard_cap(limit)).await;
        return Err(ApiError::too_large(limit));
    }
    let mut body = body;
    let mut buf = Vec::with_capacity(content_length(headers).map_or(64 << 10, |n| n as usize));
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::new(Code::InvalidBody, format!("Could not read the request body: {e}")))?;
        if let Some(data) = frame.data_ref() {
            if buf.len() + data.len() > limit {
                discard(body, &HeaderMap::new(), discard_cap(limit)).await;
                return Err(ApiError::too_large(limit));
            }
            buf.extend_from_slice(data);
        }
    }
    Ok(Bytes::from(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_by_announced_and_actual_size() {
        let ok = read_limited(Body::from(vec![1u8; 10]), &HeaderMap::new(), 10).await.unwrap();
        assert_eq!(ok.len(), 10);
        let err = read_limited(Body::from(vec![1u8; 11]), &HeaderMap::new(), 10).await.unwrap_err();
        assert_eq!(err.status, axum::http::StatusCode::PAYLOAD_TOO_LARGE);
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_LENGTH, 11.into());
        let err = read_limited(Body::from(vec![1u8; 11]), &h, 10).await.unwrap_err();
        assert_eq!(err.code, "payload_too_large");
    }
}
