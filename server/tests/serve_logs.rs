//! Access logs: one line per request with id, method, path, status, latency and model, and never
//! an API key or image bytes, checked on the captured log output in-process and on the real
//! binary's stderr (`yolo-wasm serve --port 0`, address read from its first stdout line).

mod support;

use reqwest::StatusCode;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use support::*;

const KEYS: &str = "alpha-secret-key-0001\nbeta-secret-key-0002 models=yolo11n-seg-shapes\n";
const IMAGE_MARKER: &str = "IMAGE-BYTES-MARKER-5f3c";

/// Requests that put keys and image bytes in front of the server.
async fn exercise(url: &str) {
    let marker = ("marker.png", IMAGE_MARKER.as_bytes().to_vec(), "image/png");
    let (status, _, _) = post(url, Some("alpha-secret-key-0001"), form(Some(MODEL_URL), Some(marker), &[])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = post(url, Some("wrong-secret-key-9999"), form(Some(MODEL_URL), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = post(url, Some("beta-secret-key-0002"), form(Some(MODEL_URL), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) =
        post(url, Some("alpha-secret-key-0001"), form(Some("no-such-model"), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn assert_clean(log: &str) {
    for secret in ["secret-key", IMAGE_MARKER] {
        assert!(!log.contains(secret), "{secret} leaked into the log:\n{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_lines_never_show_keys_or_images() {
    let capture = Capture::default();
    tracing_subscriber::fmt().with_writer(capture.clone()).with_ansi(false).init();
    let keys = keys_file(KEYS);
    let s = start(&["--keys", &keys]).await;
    exercise(&s.url).await;
    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("yolo_wasm::access")).collect();
    assert_eq!(lines.len(), 4, "{log}");
    for (line, status) in lines.iter().zip(["400", "401", "403", "404"]) {
        for part in ["request_id=", "method=POST", "path=/", "latency_ms=", &format!("status={status}")] {
            assert!(line.contains(part), "{part} in {line}");
        }
    }
    assert!(lines[2].contains("model=yolo11n-shapes") && lines[3].contains("model=no-such-model"), "{log}");
    assert_clean(&log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_prints_its_address_first_and_logs_to_stderr() {
    let keys = keys_file(KEYS);
    let models = fixture("models");
    let mut child = Command::new(env!("CARGO_BIN_EXE_yolo-wasm"))
        .args(["serve", "--port", "0", "--keys", &keys, "--models"])
        .arg(&models)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start yolo-wasm serve");
    let stdout = child.stdout.take().unwrap();
    let first = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let url = first.trim_end().strip_prefix("yolo-wasm serve: listening on ").unwrap_or_else(|| panic!("{first:?}"));
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"), "{url}");
    let health: serde_json::Value = client().get(format!("{url}/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    exercise(url).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert_eq!(log.lines().filter(|l| l.contains("yolo_wasm::access")).count(), 5, "{log}");
    assert!(!log.contains("OPEN"), "keys given: no open-server warning\n{log}");
    assert_clean(&log);
}

#[test]
fn open_servers_warn_and_refuse_non_loopback_hosts() {
    let models = fixture("models");
    let out = Command::new(env!("CARGO_BIN_EXE_yolo-wasm"))
        .args(["serve", "--port", "0", "--host", "0.0.0.0", "--models"])
        .arg(&models)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--keys") && err.contains("loopback"), "{err}");
    assert!(out.stdout.is_empty());

    let mut child = Command::new(env!("CARGO_BIN_EXE_yolo-wasm"))
        .args(["serve", "--port", "0", "--models"])
        .arg(&models)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("yolo-wasm serve: listening on http://127.0.0.1:"), "{line}");
    child.kill().unwrap();
    child.wait().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(err.contains("WARNING") && err.contains("OPEN"), "{err}");
}
