//! Reading request bodies with a size limit, a read timeout and the shared buffer budget, and
//! answering early without breaking the client.
//!
//! A server that answers (401, 413, 429…) while the client is still uploading and then closes
//! the connection makes most clients report a broken pipe instead of the answer. So before an
//! early answer the rest of the body is read and thrown away, up to a bound in bytes and time,
//! and only while it keeps arriving; when it is not read to its end (it stalled, was larger than
//! announced or than the bound, or the client waits for `100 Continue`), the answer carries
//! `Connection: close` and the connection is closed right after it.

use super::budget::{Budget, Reservation};
use super::errors::ApiError;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use http_body_util::BodyExt;
use std::time::Duration;
use tokio::time::Instant;
use yolo_wasm::Code;

/// Longest time spent throwing away the rest of a refused upload.
pub const DISCARD_TIME: Duration = Duration::from_secs(10);

/// Throwing away stops when nothing arrives for this long.
pub const DISCARD_STALL: Duration = Duration::from_secs(1);

/// Bytes per second of upload that extend the body deadline by one second: an upload steadily
/// faster than this never times out; a trickle slower than this does, after about
/// `--body-timeout-s`. Independently, `--body-timeout-s` without any byte is a stall: 408.
pub const BODY_MIN_RATE: f64 = 1024.0;

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

/// Reads and drops what is left of `body` (at most `cap` bytes, [`DISCARD_TIME`] in all and
/// [`DISCARD_STALL`] between chunks), so that an early answer reaches the client. Skipped when
/// the client waits for `100 Continue` or announced more than `cap` bytes. Returns whether the
/// body was read to its end; if not, the answer must close the connection.
pub async fn discard(body: Body, headers: &HeaderMap, cap: usize) -> bool {
    if expects_continue(headers) || content_length(headers).is_some_and(|n| n > cap as u64) {
        return false;
    }
    let mut body = body;
    let end = Instant::now() + DISCARD_TIME;
    let mut seen = 0usize;
    loop {
        let stall = (Instant::now() + DISCARD_STALL).min(end);
        match tokio::time::timeout_at(stall, body.frame()).await {
            Ok(None) => return true,
            Ok(Some(Ok(frame))) => {
                seen += frame.data_ref().map_or(0, |d| d.len());
                if seen > cap {
                    return false;
                }
            }
            Ok(Some(Err(_))) | Err(_) => return false,
        }
    }
}

/// Discards the rest of `body` (see [`discard`]) and returns `error`, closing the connection
/// when the body could not be read to its end.
pub async fn refuse(body: Body, headers: &HeaderMap, cap: usize, error: ApiError) -> ApiError {
    if discard(body, headers, cap).await {
        error
    } else {
        error.closing()
    }
}

/// How a body may be read.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits<'a> {
    /// Largest body (bytes): 413 beyond.
    pub max: usize,
    /// Time allowed for the body (`--body-timeout-s`), extended by one second per
    /// [`BODY_MIN_RATE`] bytes received, and also the longest wait for any next chunk: 408
    /// beyond. `None`: no limit.
    pub timeout: Option<Duration>,
    /// The shared budget of buffered bytes: 503 when it cannot cover the body.
    pub budget: &'a Budget,
}

fn timed_out(timeout: Duration) -> ApiError {
    ApiError::new(
        Code::RequestTimeout,
        format!(
            "The request body did not arrive in time (--body-timeout-s {} s, extended by 1 s per {} bytes received)",
            timeout.as_secs_f64(),
            BODY_MIN_RATE
        ),
    )
    .closing()
}

fn budget_spent(budget: &Budget) -> ApiError {
    ApiError::new(
        Code::ServerBusy,
        format!(
            "Server busy: the uploads being received already fill its buffer of {} MiB (--max-buffered-mb); retry shortly",
            budget.total_bytes() >> 20
        ),
    )
    .retry_after(1)
}

/// The whole body and the budget it holds; 413 when it is (or announces to be) larger than the
/// limit, 408 when it does not arrive in time, 503 when the budget cannot cover it.
pub async fn read_limited(
    body: Body,
    headers: &HeaderMap,
    limits: BodyLimits<'_>,
) -> Result<(Bytes, Reservation), ApiError> {
    let cap = discard_cap(limits.max);
    let announced = content_length(headers);
    if announced.is_some_and(|n| n > limits.max as u64) {
        return Err(refuse(body, headers, cap, ApiError::too_large(limits.max)).await);
    }
    let mut reservation = Reservation::default();
    // `announced` ≤ max here, so it fits in usize.
    let initial = announced.map_or(64 << 10, |n| n as usize);
    if limits.budget.cover(&mut reservation, initial).is_err() {
        return Err(refuse(body, headers, cap, budget_spent(limits.budget)).await);
    }
    let mut body = body;
    let mut buf = Vec::with_capacity(initial);
    let started = Instant::now();
    loop {
        let next = match limits.timeout {
            Some(t) => {
                let earned = Duration::from_secs_f64(buf.len() as f64 / BODY_MIN_RATE);
                let deadline = (started + t + earned).min(Instant::now() + t);
                tokio::time::timeout_at(deadline, body.frame()).await.map_err(|_| timed_out(t))?
            }
            None => body.frame().await,
        };
        let Some(frame) = next else { break };
        let frame =
            frame.map_err(|e| ApiError::new(Code::InvalidBody, format!("Could not read the request body: {e}")))?;
        if let Some(data) = frame.data_ref() {
            if buf.len() + data.len() > limits.max {
                return Err(refuse(body, &HeaderMap::new(), cap, ApiError::too_large(limits.max)).await);
            }
            if buf.len() + data.len() > buf.capacity() {
                let grown = (buf.len() + data.len()).max(buf.capacity() * 2).min(limits.max);
                if limits.budget.cover(&mut reservation, grown).is_err() {
                    return Err(refuse(body, &HeaderMap::new(), cap, budget_spent(limits.budget)).await);
                }
                buf.reserve_exact(grown - buf.len());
            }
            buf.extend_from_slice(data);
        }
    }
    Ok((Bytes::from(buf), reservation))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(budget: &Budget, max: usize) -> BodyLimits<'_> {
        BodyLimits { max, timeout: None, budget }
    }

    #[tokio::test]
    async fn limits_by_announced_and_actual_size() {
        let budget = Budget::new(1 << 20);
        let (ok, held) = read_limited(Body::from(vec![1u8; 10]), &HeaderMap::new(), limits(&budget, 10)).await.unwrap();
        assert_eq!(ok.len(), 10);
        drop(held);
        let err = read_limited(Body::from(vec![1u8; 11]), &HeaderMap::new(), limits(&budget, 10)).await.unwrap_err();
        assert_eq!(err.status, axum::http::StatusCode::PAYLOAD_TOO_LARGE);
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_LENGTH, 11.into());
        let err = read_limited(Body::from(vec![1u8; 11]), &h, limits(&budget, 10)).await.unwrap_err();
        assert_eq!(err.code, "payload_too_large");
        assert_eq!(budget.reserved_bytes(), 0);
    }

    #[tokio::test]
    async fn the_budget_refuses_what_it_cannot_cover() {
        let budget = Budget::new(100 << 10);
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_LENGTH, (40usize << 10).into());
        let err = read_limited(Body::from(vec![1u8; 40 << 10]), &h, limits(&budget, 1 << 20)).await.unwrap_err();
        assert_eq!((err.code.as_str(), err.retry_after), ("server_busy", Some(1)));
        h.insert(header::CONTENT_LENGTH, (20usize << 10).into());
        let (_, held) = read_limited(Body::from(vec![1u8; 20 << 10]), &h, limits(&budget, 1 << 20)).await.unwrap();
        assert_eq!(budget.reserved_bytes(), 60 << 10);
        drop(held);
        assert_eq!(budget.reserved_bytes(), 0);
    }
}
