//! The HUB Inference API seen from a client: how an HTTP answer becomes either a validated
//! [`Response`] or a typed [`RemoteError`]. Pure logic (no I/O), shared by the wasm client and
//! testable natively.
//!
//! - Code: the body's own `code` when the registry ([`Code::parse`]) knows it (so `yolo-wasm
//!   serve`'s `timeout`, `server_busy`, `model_forbidden`, … reach JS as sent); else from the
//!   status ([`Code::from_status`]).
//! - The server's message comes from `error`, `message`, `detail` or `details.message` of a JSON
//!   body (HUB-family servers use all four), else from a short text body.
//! - `Retry-After` is seconds or an HTTP-date; `X-RateLimit-Reset` a UNIX time or an ISO date.
//! - A 200 body must parse into the HUB schema; otherwise `bad_response` says where it is wrong.

use crate::codes::Code;
use crate::error::{RateLimit, RemoteError};
use crate::schema::Response;
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The headers this module reads, as the transport found them.
#[derive(Debug, Clone, Default)]
pub struct AnswerHeaders {
    /// `Retry-After`.
    pub retry_after: Option<String>,
    /// `X-RateLimit-Limit`.
    pub limit: Option<String>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<String>,
    /// `X-RateLimit-Reset`.
    pub reset: Option<String>,
}

/// Interprets an HTTP answer. `now` is the current UNIX time in seconds (from the caller's clock:
/// wasm has no `SystemTime::now`).
pub fn interpret(status: u16, headers: &AnswerHeaders, body: &str, now: f64) -> Result<Response, RemoteError> {
    let rate_limit = RateLimit {
        limit: headers.limit.as_deref().and_then(|v| v.trim().parse().ok()),
        remaining: headers.remaining.as_deref().and_then(|v| v.trim().parse().ok()),
        reset: headers.reset.as_deref().and_then(parse_reset),
    };
    if (200..300).contains(&status) {
        return validate(body).map_err(|message| RemoteError {
            code: Code::BadResponse,
            status: Some(status),
            message,
            retry_after_seconds: None,
            rate_limit,
        });
    }
    let code = server_code(body).unwrap_or_else(|| Code::from_status(status));
    let message = server_message(body).unwrap_or_else(|| match code {
        Code::BadResponse => format!("unexpected HTTP status {status}"),
        _ => format!("the server answered {status} without a message"),
    });
    Err(RemoteError {
        code,
        status: Some(status),
        message,
        retry_after_seconds: headers.retry_after.as_deref().and_then(|v| parse_retry_after(v, now)),
        rate_limit,
    })
}

/// Parses and checks a 200 body: the HUB response schema, with `imageCount` equal to the number
/// of images. The error names where the body is wrong.
pub fn validate(body: &str) -> Result<Response, String> {
    let de = &mut serde_json::Deserializer::from_str(body);
    let resp: Response = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." { String::new() } else { format!(" at `{path}`") };
        format!("the body is not a HUB inference response{at}: {}", e.inner())
    })?;
    if resp.metadata.image_count as usize != resp.images.len() {
        return Err(format!(
            "the body is not a HUB inference response: metadata.imageCount is {} but there are {} images",
            resp.metadata.image_count,
            resp.images.len()
        ));
    }
    for (i, img) in resp.images.iter().enumerate() {
        if let Some((j, p)) = img.results.iter().enumerate().find(|(_, p)| !(0.0..=1.0).contains(&p.confidence)) {
            return Err(format!("images[{i}].results[{j}].confidence is {}, outside [0, 1]", p.confidence));
        }
    }
    Ok(resp)
}

/// The server's message in an error body: JSON `error`, `message`, `detail` (string, or FastAPI's
/// list of `{msg}`) or `details.message`; else the text itself when short and not HTML.
pub fn server_message(body: &str) -> Option<String> {
    let text = body.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        let pick = |v: &Value| -> Option<String> {
            match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Value::Array(items) => {
                    let msgs: Vec<String> =
                        items.iter().filter_map(|i| i.get("msg").and_then(Value::as_str).map(str::to_string)).collect();
                    (!msgs.is_empty()).then(|| msgs.join("; "))
                }
                _ => None,
            }
        };
        return ["error", "message", "detail"]
            .iter()
            .find_map(|k| v.get(k).and_then(pick))
            .or_else(|| v.get("details").and_then(|d| d.get("message")).and_then(pick));
    }
    (text.len() <= 300 && !text.starts_with('<')).then(|| text.to_string())
}

/// The body's `code`, when it is a JSON object whose `code` the registry knows and which is an
/// error code of a failed answer (never `bad_response` / `aborted`, which only a client decides).
pub fn server_code(body: &str) -> Option<Code> {
    let v: Value = serde_json::from_str(body.trim()).ok()?;
    let code = Code::parse(v.get("code")?.as_str()?)?;
    (!matches!(code, Code::BadResponse | Code::Aborted | Code::Network)).then_some(code)
}

/// `Retry-After` as seconds from now: a non-negative number of seconds, or an HTTP-date.
pub fn parse_retry_after(value: &str, now: f64) -> Option<f64> {
    let v = value.trim();
    if let Ok(s) = v.parse::<f64>() {
        return (s.is_finite() && s >= 0.0).then_some(s);
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some((unix_seconds(at) - now).max(0.0))
}

/// `X-RateLimit-Reset` as UNIX seconds: an integer epoch or an ISO-8601 date.
pub fn parse_reset(value: &str) -> Option<f64> {
    let v = value.trim();
    if let Ok(s) = v.parse::<f64>() {
        return s.is_finite().then_some(s);
    }
    humantime::parse_rfc3339_weak(v).ok().map(unix_seconds)
}

fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"{"images":[{"results":[{"box":{"x1":1,"x2":2,"y1":3,"y2":4},"class":0,"confidence":0.5,"name":"a"}],"shape":[10,20],"speed":{"inference":1,"postprocess":1,"preprocess":1}}],"metadata":{"imageCount":1,"model":"m","version":{}}}"#;

    fn headers(retry: Option<&str>) -> AnswerHeaders {
        AnswerHeaders {
            retry_after: retry.map(str::to_string),
            limit: Some("100".into()),
            remaining: Some("0".into()),
            reset: Some("1764331200".into()),
        }
    }

    #[test]
    fn statuses_map_to_codes() {
        for (status, code) in [
            (400, "invalid_argument"),
            (401, "unauthorized"),
            (403, "forbidden"),
            (404, "not_found"),
            (413, "payload_too_large"),
            (415, "invalid_argument"),
            (429, "rate_limited"),
            (500, "server_error"),
            (502, "server_error"),
            (503, "unavailable"),
            (504, "timeout"),
            (302, "bad_response"),
        ] {
            let err = interpret(status, &AnswerHeaders::default(), "", 0.0).unwrap_err();
            assert_eq!((err.code.as_str(), err.status), (code, Some(status)));
        }
    }

    #[test]
    fn a_known_server_code_is_kept() {
        let err = interpret(504, &AnswerHeaders::default(), r#"{"error":"no result","code":"timeout"}"#, 0.0);
        assert_eq!(err.unwrap_err().code, Code::Timeout);
        let busy = interpret(503, &AnswerHeaders::default(), r#"{"error":"busy","code":"server_busy"}"#, 0.0);
        assert_eq!(busy.unwrap_err().code, Code::ServerBusy);
        let forbidden = interpret(403, &AnswerHeaders::default(), r#"{"error":"no","code":"model_forbidden"}"#, 0.0);
        assert_eq!(forbidden.unwrap_err().code, Code::ModelForbidden);
        // Unknown or client-only codes fall back to the status.
        let odd = interpret(500, &AnswerHeaders::default(), r#"{"error":"x","code":"weird"}"#, 0.0);
        assert_eq!(odd.unwrap_err().code, Code::ServerError);
        let spoof = interpret(500, &AnswerHeaders::default(), r#"{"error":"x","code":"bad_response"}"#, 0.0);
        assert_eq!(spoof.unwrap_err().code, Code::ServerError);
    }

    #[test]
    fn messages_come_from_every_hub_style_body() {
        assert_eq!(server_message(r#"{"error":"Invalid API key"}"#).as_deref(), Some("Invalid API key"));
        assert_eq!(server_message(r#"{"success":false,"message":"No file","data":{}}"#).as_deref(), Some("No file"));
        assert_eq!(server_message(r#"{"detail":"Not Found"}"#).as_deref(), Some("Not Found"));
        assert_eq!(
            server_message(r#"{"detail":[{"msg":"field required"},{"msg":"bad"}]}"#).as_deref(),
            Some("field required; bad")
        );
        assert_eq!(server_message(r#"{"details":{"message":"boom","line":3}}"#).as_deref(), Some("boom"));
        assert_eq!(server_message("Service Unavailable").as_deref(), Some("Service Unavailable"));
        assert_eq!(server_message("<html><body>502</body></html>"), None);
        assert_eq!(server_message("   "), None);
    }

    #[test]
    fn rate_limit_answer_carries_retry_and_headers() {
        let err = interpret(429, &headers(Some("120")), r#"{"error":"Rate limit exceeded"}"#, 0.0).unwrap_err();
        assert_eq!(err.code, Code::RateLimited);
        assert_eq!(err.retry_after_seconds, Some(120.0));
        assert_eq!(err.rate_limit, RateLimit { limit: Some(100), remaining: Some(0), reset: Some(1764331200.0) });
        assert_eq!(err.message, "Rate limit exceeded");
    }

    #[test]
    fn retry_after_and_reset_accept_dates() {
        // Sun, 06 Nov 1994 08:49:37 GMT = 784111777.
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111700.0), Some(77.0));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111800.0), Some(0.0), "past dates: now");
        assert_eq!(parse_retry_after("-3", 0.0), None);
        assert_eq!(parse_retry_after("soon", 0.0), None);
        assert_eq!(parse_reset("2026-02-21T12:34:56.000Z"), Some(1771677296.0));
        assert_eq!(parse_reset("1771677296"), Some(1771677296.0));
    }

    #[test]
    fn ok_bodies_are_validated_with_a_path() {
        assert_eq!(interpret(200, &AnswerHeaders::default(), OK, 0.0).unwrap().images[0].shape, [10, 20]);
        let missing = OK.replace(r#""shape":[10,20],"#, "");
        let err = interpret(200, &AnswerHeaders::default(), &missing, 0.0).unwrap_err();
        assert_eq!(err.code, Code::BadResponse);
        assert!(err.message.contains("images[0]") && err.message.contains("shape"), "{}", err.message);
        let html = interpret(200, &AnswerHeaders::default(), "<html>hi</html>", 0.0).unwrap_err();
        assert_eq!(html.code, Code::BadResponse);
        let count = OK.replace(r#""imageCount":1"#, r#""imageCount":2"#);
        assert!(validate(&count).unwrap_err().contains("imageCount"));
        let conf = OK.replace(r#""confidence":0.5"#, r#""confidence":5"#);
        assert!(validate(&conf).unwrap_err().contains("confidence"));
    }
}
