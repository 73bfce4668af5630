//! Structured access logs: one line per request on stderr with a request id (sent back as
//! `X-Request-Id`), method, path, status, latency and model id.
//!
//! Only these fields are logged: never headers (so never the API key), query strings or bodies.

use super::predict::LoggedModel;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Target of the access-log events.
pub const TARGET: &str = "yolo_wasm::access";

/// The request id of a request (in its extensions).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A new request id: a per-process prefix (start time) and a counter.
pub fn new_request_id() -> String {
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let prefix = PREFIX.get_or_init(|| {
        let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        format!("{:08x}", (t.as_nanos() as u64 ^ u64::from(std::process::id())) as u32)
    });
    format!("{prefix}-{:06}", NEXT_ID.fetch_add(1, Ordering::Relaxed))
}

/// A client's own `X-Request-Id`, kept when it is short and plain (so it cannot forge log text).
fn client_request_id(value: Option<&HeaderValue>) -> Option<String> {
    let v = value?.to_str().ok()?;
    let plain = !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    plain.then(|| v.to_string())
}

/// Middleware: gives the request an id, runs it, logs one line, returns `X-Request-Id`.
pub async fn access_log(mut request: Request, next: Next) -> Response {
    let id = client_request_id(request.headers().get("x-request-id")).unwrap_or_else(new_request_id);
    request.extensions_mut().insert(RequestId(id.clone()));
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let start = Instant::now();
    let mut response = next.run(request).await;
    let latency_ms = (start.elapsed().as_secs_f64() * 1e4).round() / 10.0;
    let model = response.extensions().get::<LoggedModel>().map_or("-", |m| m.0.as_str());
    tracing::info!(
        target: TARGET,
        request_id = %id,
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_ms,
        model = %model,
        "request"
    );
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// Target of the connection events (refused, timed out, malformed: no request to log).
pub const CONN_TARGET: &str = "yolo_wasm::conn";

/// A connection over `--max-connections`, answered 503 and closed.
pub fn connection_refused(peer: SocketAddr, cap: usize) {
    tracing::warn!(target: CONN_TARGET, peer = %peer, max_connections = cap, "connection refused: too many open connections");
}

/// Why hyper ended a connection with an error, in a few stable words.
pub fn connection_error_kind(e: &hyper::Error) -> &'static str {
    if e.is_timeout() {
        "header timeout"
    } else if e.is_parse_too_large() {
        "request head too large (431)"
    } else if e.is_parse_version_h2() {
        "HTTP/2 preface on an HTTP/1 server"
    } else if e.is_parse() {
        "malformed request (400)"
    } else if e.is_incomplete_message() {
        "closed by the client mid-request"
    } else if e.is_body_write_aborted() || e.is_canceled() || e.is_closed() {
        "closed while answering"
    } else {
        "connection error"
    }
}

/// A connection hyper ended with an error (header timeout, parse error, 431, reset…). Only
/// hyper's error kind and message are logged, never request bytes.
pub fn connection_failed(peer: SocketAddr, e: &hyper::Error) {
    let kind = connection_error_kind(e);
    tracing::warn!(target: CONN_TARGET, peer = %peer, kind, error = %e, "connection closed");
}

/// `accept` failed (e.g. out of file descriptors).
pub fn accept_failed(e: &std::io::Error) {
    tracing::error!(target: CONN_TARGET, error = %e, "accept failed; retrying shortly");
}

/// Requests were still running when the shutdown grace period ended.
pub fn shutdown_cut(grace: std::time::Duration) {
    tracing::warn!(target: CONN_TARGET, grace_s = grace.as_secs(), "shutdown: requests still running after the grace period were cut");
}

/// A request whose answer could no longer be sent, so its work was skipped.
pub fn job_skipped(request_id: &str, stage: &str) {
    tracing::info!(target: TARGET, request_id = %request_id, stage, "job skipped: the client left or the deadline passed");
}

/// Installs the stderr log subscriber (info level; `YOLO_WASM_LOG=debug|warn|…` changes it).
pub fn init() {
    let level = std::env::var("YOLO_WASM_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_kept_only_when_plain() {
        assert_eq!(client_request_id(Some(&HeaderValue::from_static("abc-123"))).as_deref(), Some("abc-123"));
        assert_eq!(client_request_id(Some(&HeaderValue::from_static("a b"))), None);
        assert_eq!(client_request_id(Some(&HeaderValue::from_static("x=\"y\""))), None);
        assert_eq!(client_request_id(None), None);
        assert_ne!(new_request_id(), new_request_id());
    }
}
