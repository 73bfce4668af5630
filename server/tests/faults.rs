//! `yolo-wasm serve` under faults, over raw loopback sockets: header trickles and idle
//! keep-alive connections are cut, the connection cap refuses with 503, slow uploads succeed
//! while stalled ones get 408, the inference deadline counts from the upload's end, abandoned
//! requests run no inference, decompression bombs are refused from their header, the buffer
//! budget bounds what uploads hold, early refusals close promptly, and every refusal is logged.
//!
//! The only durations asserted are generous upper bounds on timeouts that are the feature under
//! test (a 1 s timeout must close within 10 s).

mod support;

use std::sync::atomic::Ordering;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The log output of this test binary (one subscriber for all tests).
fn log() -> &'static Capture {
    static LOG: OnceLock<Capture> = OnceLock::new();
    LOG.get_or_init(|| {
        let c = Capture::default();
        tracing_subscriber::fmt().with_writer(c.clone()).with_ansi(false).init();
        c
    })
}

/// Waits (at most 10 s) until the log has a line containing every one of `parts`.
async fn wait_for_log(parts: &[&str]) -> String {
    for _ in 0..100 {
        let text = String::from_utf8_lossy(&log().0.lock().unwrap()).into_owned();
        if let Some(line) = text.lines().find(|l| parts.iter().all(|p| l.contains(p))) {
            return line.to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no log line with {parts:?} in:\n{}", String::from_utf8_lossy(&log().0.lock().unwrap()));
}

/// Polls `f` every 20 ms for at most 10 s.
async fn eventually(what: &str, f: impl Fn() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for: {what}");
}

fn dedicated() -> String {
    fixture("models/yolo11n-shapes.onnx").to_string_lossy().into_owned()
}

async fn connect(url: &str) -> TcpStream {
    TcpStream::connect(url.trim_start_matches("http://")).await.unwrap()
}

/// Reads until the peer closes or `limit` passes; returns what was read and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let end = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(end, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
    }
}

/// Reads one answer (head and `content-length` body) from a kept-alive connection.
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "closed before a full answer: {}", String::from_utf8_lossy(&out));
        out.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&out).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length: ").map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0usize);
            if body.len() >= len {
                return text;
            }
        }
    }
}

const BOUNDARY: &str = "XyZfaultsBoundary";

/// A multipart body with a `file` part (and optional extra text fields).
fn multipart(file: &[u8], fields: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (name, value) in fields {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
        );
        b.extend_from_slice(value);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a.png\"\r\ncontent-type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

fn post_head(len: usize, extra: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: multipart/form-data; boundary={BOUNDARY}\r\ncontent-length: {len}\r\n{extra}\r\n"
    )
}

fn status_of(answer: &str) -> u16 {
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn json_of(answer: &str) -> serde_json::Value {
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {answer}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_trickle_is_cut_after_the_header_timeout_and_logged() {
    log();
    let s = start(&["--header-timeout-s", "1"]).await;
    let mut c = connect(&s.url).await;
    c.write_all(b"GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\nx-trickle: ").await.unwrap();
    let started = Instant::now();
    let mut closed = false;
    // One byte every 200 ms for at most 10 s: a 1 s header timeout must cut it long before.
    for _ in 0..50 {
        if c.write_all(b"a").await.is_err() {
            closed = true;
            break;
        }
        if let Ok(Ok(0) | Err(_)) = tokio::time::timeout(Duration::from_millis(200), c.read(&mut [0u8; 64])).await {
            closed = true;
            break;
        }
    }
    assert!(closed, "a trickled header was still open after {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(10));
    wait_for_log(&["yolo_wasm::conn", "header timeout"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let s = start(&["--header-timeout-s", "1"]).await;
    let mut c = connect(&s.url).await;
    c.write_all(b"GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n").await.unwrap();
    let answer = read_answer(&mut c).await;
    assert_eq!(status_of(&answer), 200, "{answer}");
    assert!(!answer.to_ascii_lowercase().contains("connection: close"), "kept alive: {answer}");
    let (rest, closed) = read_until_closed(&mut c, Duration::from_secs(10)).await;
    assert!(closed && rest.is_empty(), "idle connection still open after 10 s: {rest:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_get_503_and_are_logged() {
    log();
    let s = start(&["--max-connections", "2"]).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut c = connect(&s.url).await;
        c.write_all(b"GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n").await.unwrap();
        assert_eq!(status_of(&read_answer(&mut c).await), 200);
        held.push(c);
    }
    let mut third = connect(&s.url).await;
    let (answer, closed) = read_until_closed(&mut third, Duration::from_secs(10)).await;
    assert!(closed, "{answer}");
    assert_eq!(status_of(&answer), 503, "{answer}");
    assert_error(&json_of(&answer), "server_busy", None);
    wait_for_log(&["yolo_wasm::conn", "connection refused", "max_connections=2"]).await;
    // A closed connection frees its place.
    drop(held.pop());
    let mut ok = false;
    for _ in 0..50 {
        if client().get(format!("{}/health", s.url)).send().await.is_ok_and(|r| r.status() == 200) {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "the freed place was not given to a new connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_heads_get_431_and_a_log_line() {
    log();
    let s = start(&[]).await;
    let mut c = connect(&s.url).await;
    let big = format!("GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: {}\r\n\r\n", "a".repeat(100 << 10));
    let _ = c.write_all(big.as_bytes()).await;
    let (answer, _) = read_until_closed(&mut c, Duration::from_secs(10)).await;
    assert_eq!(status_of(&answer), 431, "{answer}");
    wait_for_log(&["yolo_wasm::conn", "request head too large"]).await;
    let mut c = connect(&s.url).await;
    c.write_all(b"NOT HTTP AT ALL\r\n\r\n").await.unwrap();
    let (answer, _) = read_until_closed(&mut c, Duration::from_secs(10)).await;
    assert_eq!(status_of(&answer), 400, "{answer}");
    wait_for_log(&["yolo_wasm::conn", "malformed request"]).await;
}

/// Sends `body` after `head` in `pieces` pieces spread over `over`.
async fn send_slowly(c: &mut TcpStream, head: &str, body: &[u8], pieces: usize, over: Duration) {
    c.write_all(head.as_bytes()).await.unwrap();
    let step = body.len().div_ceil(pieces);
    for chunk in body.chunks(step) {
        tokio::time::sleep(over / pieces as u32).await;
        c.write_all(chunk).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_steady_upload_succeeds_and_a_stalled_one_gets_408() {
    log();
    let model = dedicated();
    let s = start(&["--model", &model, "--body-timeout-s", "6"]).await;
    let body = multipart(&tiny_png().1, &[]);
    let mut slow = connect(&s.url).await;
    send_slowly(&mut slow, &post_head(body.len(), ""), &body, 10, Duration::from_secs(4)).await;
    let answer = read_answer(&mut slow).await;
    assert_eq!(status_of(&answer), 200, "{answer}");
    assert_eq!(json_of(&answer)["images"][0]["shape"], serde_json::json!([23, 37]));

    let mut stalled = connect(&s.url).await;
    stalled.write_all(post_head(body.len(), "").as_bytes()).await.unwrap();
    stalled.write_all(&body[..body.len() / 2]).await.unwrap();
    let started = Instant::now();
    let (answer, closed) = read_until_closed(&mut stalled, Duration::from_secs(20)).await;
    assert_eq!(status_of(&answer), 408, "{answer}");
    assert_error(&json_of(&answer), "request_timeout", None);
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
    assert!(closed && started.elapsed() < Duration::from_secs(20));
    wait_for_log(&["yolo_wasm::access", "status=408"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inference_deadline_counts_from_the_end_of_the_upload() {
    let model = dedicated();
    // The upload takes 4 s; the 3 s timeout starts when it is complete.
    let s = start(&["--model", &model, "--timeout-s", "3", "--body-timeout-s", "10"]).await;
    let body = multipart(&tiny_png().1, &[]);
    let mut c = connect(&s.url).await;
    send_slowly(&mut c, &post_head(body.len(), ""), &body, 8, Duration::from_secs(4)).await;
    let answer = read_answer(&mut c).await;
    assert_eq!(status_of(&answer), 200, "{answer}");
    assert_eq!(s.state.jobs.inferences.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_abandoned_before_their_job_starts_run_no_inference() {
    let model = dedicated();
    // Deadline passes while the request waits for the only slot.
    let s = start(&["--model", &model, "--concurrency", "1", "--timeout-s", "0.5"]).await;
    let held = s.state.admission.try_enter().unwrap().ready().await;
    let (status, _, body) = post(&s.url, None, form(None, Some(tiny_png()), &[])).await;
    assert_eq!(status, 504, "{body}");
    assert_error(&body, "timeout", None);
    eventually("the timed-out job is skipped", || s.state.jobs.skipped.load(Ordering::Relaxed) == 1).await;
    drop(held);
    // The client goes away while its request waits for the only slot (no timeout at all).
    let s2 = start(&["--model", &model, "--concurrency", "1", "--timeout-s", "0"]).await;
    let held = s2.state.admission.try_enter().unwrap().ready().await;
    let body = multipart(&tiny_png().1, &[]);
    let mut c = connect(&s2.url).await;
    c.write_all(post_head(body.len(), "").as_bytes()).await.unwrap();
    c.write_all(&body).await.unwrap();
    eventually("the request is queued", || s2.state.admission.in_system() == 2).await;
    drop(c);
    eventually("the abandoned job is skipped", || s2.state.jobs.skipped.load(Ordering::Relaxed) == 1).await;
    eventually("its queue place is freed", || s2.state.admission.in_system() == 1).await;
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    for st in [&s.state, &s2.state] {
        assert_eq!(st.jobs.decoded.load(Ordering::Relaxed), 0);
        assert_eq!(st.jobs.inferences.load(Ordering::Relaxed), 0);
    }
    // The counters do count: a request that waits for nothing runs.
    let (status, _, body) = post(&s2.url, None, form(None, Some(tiny_png()), &[])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(s2.state.jobs.inferences.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_png_bomb_is_refused_from_its_header() {
    let model = dedicated();
    let s = start(&["--model", &model]).await;
    let bomb = tokio::task::spawn_blocking(|| png_bomb(8000, 8000)).await.unwrap();
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    let (status, _, body) = post(&s.url, None, form(None, Some(("bomb.png", bomb, "image/png")), &[])).await;
    assert_eq!(status, 413, "{body}");
    assert_error(&body, "image_too_large", None);
    assert!(body["error"].as_str().unwrap().contains("8000×8000"), "{body}");
    assert_eq!(s.state.jobs.decoded.load(Ordering::Relaxed), 0, "refused before decoding");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_buffer_budget_bounds_what_uploads_hold() {
    let s = start(&["--max-body-mb", "2", "--max-buffered-mb", "8"]).await;
    let len = 2_000_000;
    // One upload of 2 MB, withheld at its last half: it holds 3 × 2 MB of the 8 MiB budget.
    let mut first = connect(&s.url).await;
    first.write_all(post_head(len, "").as_bytes()).await.unwrap();
    first.write_all(&vec![b'a'; len / 2]).await.unwrap();
    eventually("the first upload holds its share", || s.state.budget.reserved_bytes() >= 3 * len).await;
    // A second one cannot be covered: refused at once, and its connection closed.
    let mut second = connect(&s.url).await;
    second.write_all(post_head(len, "").as_bytes()).await.unwrap();
    second.write_all(&vec![b'a'; 1000]).await.unwrap();
    let (answer, closed) = read_until_closed(&mut second, Duration::from_secs(10)).await;
    assert_eq!(status_of(&answer), 503, "{answer}");
    assert_error(&json_of(&answer), "server_busy", None);
    assert!(answer.contains("--max-buffered-mb") && closed, "{answer}");
    // The first one leaving gives its share back.
    drop(first);
    eventually("the budget is given back", || s.state.budget.reserved_bytes() == 0).await;
    let (status, _, body) = post(&s.url, None, form(Some(MODEL_URL), Some(tiny_png()), &[])).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_refusal_with_an_inflated_length_closes_promptly() {
    let keys = keys_file("the-only-key\n");
    let s = start(&["--keys", &keys]).await;
    let mut c = connect(&s.url).await;
    // Announces 1 MB, sends 100 bytes, then waits for the answer.
    c.write_all(post_head(1_000_000, "x-api-key: wrong\r\n").as_bytes()).await.unwrap();
    c.write_all(&[b'a'; 100]).await.unwrap();
    let started = Instant::now();
    let (answer, closed) = read_until_closed(&mut c, Duration::from_secs(20)).await;
    let took = started.elapsed();
    assert_eq!(status_of(&answer), 401, "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
    assert!(closed, "{answer}");
    // It used to wait for the missing bytes for 10 s; now it stops after a 1 s stall.
    assert!(took < Duration::from_secs(6), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_that_are_not_utf8_are_shown_escaped() {
    let model = dedicated();
    let s = start(&["--model", &model]).await;
    let body = multipart(&tiny_png().1, &[("conf", b"0.\xff5")]);
    let mut c = connect(&s.url).await;
    c.write_all(post_head(body.len(), "").as_bytes()).await.unwrap();
    c.write_all(&body).await.unwrap();
    let answer = read_answer(&mut c).await;
    assert_eq!(status_of(&answer), 400, "{answer}");
    let json = json_of(&answer);
    assert_error(&json, "invalid_argument", Some("conf"));
    assert!(json["error"].as_str().unwrap().contains("0.\\xff5"), "{json}");
}

#[test]
fn oversized_headers_are_refused_before_decoding() {
    for (w, h) in [(16_385, 1), (8000, 8000)] {
        let err = yolo_wasm_server::decode::decode_pixels(&png_bomb(w, h), "bomb").unwrap_err();
        assert_eq!(err.code(), "image_too_large", "{w}×{h}: {err}");
    }
}
