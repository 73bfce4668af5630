//! HUB Inference API answers as a client sees them, written as a tiny HTTP answer:
//!
//! ```text
//! <status> <now>
//! retry-after: <v>
//! x-ratelimit-limit: <v>
//! x-ratelimit-remaining: <v>
//! x-ratelimit-reset: <v>
//!
//! <body>
//! ```
//!
//! (any line may be missing or malformed) through `interpret`, `validate`, `server_message`,
//! `server_code`, `parse_retry_after` and `parse_reset`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yolo_wasm::hub::{self, AnswerHeaders};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (head, body) = text.split_once("\n\n").unwrap_or(("", &text));
    let mut lines = head.lines();
    let first = lines.next().unwrap_or_default();
    let mut words = first.split_whitespace();
    let status: u16 = words.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let now: f64 = words.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
    let mut headers = AnswerHeaders::default();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = Some(value.to_string());
        match name.trim().to_ascii_lowercase().as_str() {
            "retry-after" => headers.retry_after = value,
            "x-ratelimit-limit" => headers.limit = value,
            "x-ratelimit-remaining" => headers.remaining = value,
            "x-ratelimit-reset" => headers.reset = value,
            _ => {}
        }
    }
    match hub::interpret(status, &headers, body, now) {
        Ok(resp) => assert_eq!(resp.metadata.image_count as usize, resp.images.len()),
        Err(e) => {
            assert_eq!(e.status, Some(status));
            if let Some(s) = e.retry_after_seconds {
                assert!(s >= 0.0, "retry after {s}");
            }
        }
    }
    if let Ok(resp) = hub::validate(body) {
        let _ = serde_json::to_string(&resp).expect("a valid response serialises");
    }
    let _ = hub::server_message(body);
    let _ = hub::server_code(body);
    if let Some(v) = &headers.retry_after {
        let _ = hub::parse_retry_after(v, now);
    }
    if let Some(v) = &headers.reset {
        let _ = hub::parse_reset(v);
    }
});
