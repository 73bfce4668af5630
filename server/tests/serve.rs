//! `yolo-wasm serve` in-process on loopback, through a real HTTP client: HUB-shaped answers equal
//! to Ultralytics' golden output in both styles, every error status with its JSON body, rate-limit
//! and CORS headers, static files. Nothing here asserts a duration.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use reqwest::StatusCode;
use support::*;
use yolo_wasm::schema::Response;

const GOLDEN_CASE: &str = "yolo11n-shapes__landscape-800x450__s640_c0.25_i0.45";

fn landscape() -> (&'static str, Vec<u8>, &'static str) {
    ("landscape-800x450.png", fixture_bytes("images/landscape-800x450.png"), "image/png")
}

/// Checks a success body against the golden case and HUB's exact metadata keys.
fn assert_golden(body: &serde_json::Value, model: &str) {
    let meta = body["metadata"].as_object().expect("metadata");
    let keys: Vec<&str> = meta.keys().map(String::as_str).collect();
    assert_eq!(keys, ["functionTimeAlive", "functionTimeCall", "imageCount", "model", "version"], "{body}");
    assert_eq!(meta["model"], model);
    assert_eq!(meta["imageCount"], 1);
    assert!(meta["functionTimeAlive"].as_f64().is_some_and(|t| t >= 0.0));
    assert!(meta["functionTimeCall"].as_f64().is_some_and(|t| t >= 0.0));
    assert_eq!(meta["version"]["tract"], yolo_wasm::pipeline::TRACT_VERSION);
    assert!(meta["version"]["yolo-wasm"].is_string());
    let ours: Response = serde_json::from_value(body.clone()).expect("HUB schema");
    let case = common::cases().into_iter().find(|c| c.case == GOLDEN_CASE).expect("golden case");
    let golden = common::golden(&case);
    assert_eq!(ours.images.len(), 1);
    assert_eq!(ours.images[0].shape, [450, 800]);
    common::compare(&ours.images[0].results, &golden.images[0].results, GOLDEN_CASE).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_style_answers_like_ultralytics_for_urls_and_bare_ids() {
    let s = start(&[]).await;
    let hub_args = [("imgsz", "640"), ("conf", "0.25"), ("iou", "0.45")];
    let (status, headers, body) = post(&s.url, Some("any"), form(Some(MODEL_URL), Some(landscape()), &hub_args)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    assert_golden(&body, MODEL_URL);
    // Open server: rate limited per IP at the shared default of 100/hour.
    assert_eq!(headers["x-ratelimit-limit"], "100");
    assert_eq!(headers["x-ratelimit-remaining"], "99");
    // A bare id, on /predict, with default arguments (HUB's 640 / 0.25 / 0.45).
    let (status, _, body) =
        post(&format!("{}/predict", s.url), None, form(Some("yolo11n-shapes"), Some(landscape()), &[])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_golden(&body, "yolo11n-shapes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedicated_style_ignores_the_model_field_and_has_no_rate_limit() {
    let model = fixture("models/yolo11n-shapes.onnx").to_string_lossy().into_owned();
    let s = start(&["--model", &model]).await;
    let (status, headers, body) = post(&s.url, None, form(None, Some(landscape()), &[])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_golden(&body, "yolo11n-shapes.onnx");
    assert!(headers.get("x-ratelimit-limit").is_none(), "dedicated style: rate limit off by default");
    let (status, _, body) = post(&s.url, None, form(Some("something-else"), Some(landscape()), &[])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["metadata"]["model"], "yolo11n-shapes.onnx");
}

/// `--cpu-engine program`: the endpoint's models run on our own CPU program, with the same answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cpu_program_answers_like_ultralytics() {
    let model = fixture("models/yolo11n-shapes.onnx").to_string_lossy().into_owned();
    let s = start(&["--model", &model, "--cpu-engine", "program"]).await;
    let (status, _, body) = post(&s.url, None, form(None, Some(landscape()), &[])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_golden(&body, "yolo11n-shapes.onnx");
}

/// A PNG with transparency uploaded to the endpoint: Ultralytics' answer to within its rounding
/// (the server decodes the stored colour and ignores alpha, as OpenCV does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transparent_pngs_answer_like_ultralytics() {
    let model = fixture("models/yolo11n-shapes.onnx").to_string_lossy().into_owned();
    let s = start(&["--model", &model]).await;
    let image = ("alpha.png", fixture_bytes("images/alpha-shapes-520x390.png"), "image/png");
    let (status, _, body) = post(&s.url, None, form(None, Some(image), &[("conf", "0.1"), ("iou", "0.7")])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ours: Response = serde_json::from_value(body).expect("HUB schema");
    let name = "yolo11n-shapes__alpha-shapes-520x390__s640_c0.1_i0.7";
    let case = common::cases().into_iter().find(|c| c.case == name).expect("golden case");
    let e = common::compare(&ours.images[0].results, &common::golden(&case).images[0].results, name).unwrap();
    assert!(e.boxes <= 0.01 && e.conf <= 1e-5, "{name}: {e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argument_file_and_model_errors() {
    let s = start(&[]).await;
    let (status, _, body) = post(&s.url, None, form(Some(MODEL_URL), Some(tiny_png()), &[("conf", "2")])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "invalid_argument", Some("conf"));
    let msg = body["error"].as_str().unwrap();
    assert!(msg.contains("conf") && msg.contains("0.01") && msg.contains('1'), "{msg}");
    for (field, value) in [("imgsz", "31"), ("imgsz", "abc"), ("iou", "0.96")] {
        let (status, _, body) = post(&s.url, None, form(Some(MODEL_URL), Some(tiny_png()), &[(field, value)])).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&body, "invalid_argument", Some(field));
    }
    let (status, _, body) = post(&s.url, None, form(Some(MODEL_URL), None, &[("conf", "0.5")])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "missing_file", None);
    let junk = ("junk.png", b"these bytes are no image".to_vec(), "image/png");
    let (status, _, body) = post(&s.url, None, form(Some(MODEL_URL), Some(junk), &[])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "invalid_image", None);
    let (status, _, body) = post(&s.url, None, form(None, Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "invalid_argument", Some("model"));
    let (status, _, body) = post(&s.url, None, form(Some("../models/yolo11n-shapes"), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "invalid_argument", Some("model"));
    let (status, _, body) =
        post(&s.url, None, form(Some("https://hub.ultralytics.com/models/no-such-model"), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "model_not_found", None);
    // Videos (by extension or content type) go to FFmpeg: bytes that are no video are 400.
    let video = ("clip.mp4", vec![0u8; 64], "application/octet-stream");
    let (status, _, body) = post(&s.url, None, form(Some(MODEL_URL), Some(video), &[])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_error(&body, "invalid_video", None);
    let video = ("blob", vec![0u8; 64], "video/webm");
    let (status, _, body) = post(&s.url, None, form(Some(MODEL_URL), Some(video), &[])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "invalid_video", None);
    // Not multipart at all.
    let res = client().post(&s.url).body("{}").header("content-type", "application/json").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_error(&res.json().await.unwrap(), "invalid_multipart", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_that_cannot_run_are_server_errors() {
    let s = start(&[]).await;
    let (status, _, body) = post(&s.url, None, form(Some("bad-output"), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_error(&body, "unsupported_model", None);
    let (status, _, body) = post(&s.url, None, form(Some("not-yolo"), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_error(&body, "not_yolo_model", None);
    let bad = fixture("models/bad-output.onnx").to_string_lossy().into_owned();
    let d = start(&["--model", &bad]).await;
    let (status, _, body) = post(&d.url, None, form(None, Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_error(&body, "unsupported_model", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_and_model_restrictions() {
    let keys =
        keys_file("# test keys\ngood-key-123\nshapes-only models=yolo11n-shapes\nseg-only models=yolo11n-seg-shapes\n");
    let s = start(&["--keys", &keys]).await;
    for key in [None, Some("wrong-key"), Some("good-key-12"), Some("good-key-1234")] {
        let (status, headers, body) = post(&s.url, key, form(Some(MODEL_URL), Some(tiny_png()), &[])).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{key:?}");
        assert_error(&body, "unauthorized", None);
        assert!(headers.get("x-ratelimit-limit").is_none(), "no rate-limit headers before authentication");
    }
    let (status, _, body) = post(&s.url, Some("seg-only"), form(Some(MODEL_URL), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "model_forbidden", None);
    // Restricted keys learn nothing about models they may not use: 403 before 404.
    let (status, _, _) = post(&s.url, Some("seg-only"), form(Some("no-such-model"), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Valid keys get past authentication (here to the file check).
    for key in ["good-key-123", "shapes-only"] {
        let (status, headers, body) = post(&s.url, Some(key), form(Some(MODEL_URL), None, &[])).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_error(&body, "missing_file", None);
        assert_eq!(headers["x-ratelimit-limit"], "100");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_headers_and_429() {
    let keys = keys_file("limited rate=2\nfree rate=0\n");
    let s = start(&["--keys", &keys]).await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    // Every authenticated call counts, whatever its outcome (here: no file).
    for remaining in ["1", "0"] {
        let (status, headers, _) = post(&s.url, Some("limited"), form(Some(MODEL_URL), None, &[])).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(headers["x-ratelimit-limit"], "2");
        assert_eq!(headers["x-ratelimit-remaining"], remaining);
        assert!(headers.get("retry-after").is_none());
    }
    let (status, headers, body) = post(&s.url, Some("limited"), form(Some(MODEL_URL), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_error(&body, "rate_limited", None);
    assert_eq!(headers["x-ratelimit-limit"], "2");
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    let reset: u64 = headers["x-ratelimit-reset"].to_str().unwrap().parse().unwrap();
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 3600, "{retry}");
    assert!(reset > now && reset <= now + 3601 + 60, "{reset} vs {now}");
    let msg = body["error"].as_str().unwrap();
    assert!(msg.starts_with("Rate limit exceeded: 2 requests per hour; retry in "), "{msg}");
    // rate=0: unlimited, no headers.
    let (status, headers, _) = post(&s.url, Some("free"), form(Some(MODEL_URL), None, &[])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(headers.get("x-ratelimit-limit").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_limit_is_413() {
    let s = start(&["--max-body-mb", "1"]).await;
    let big = ("big.png", vec![7u8; 3 << 20], "image/png");
    let (status, _, body) = post(&s.url, None, form(Some(MODEL_URL), Some(big), &[])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&body, "payload_too_large", None);
    // A body without Content-Length (chunked) is limited too.
    let addr = s.url.trim_start_matches("http://").to_string();
    let answer = tokio::task::spawn_blocking(move || chunked_post(&addr, 24, 64 << 10)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"code\":\"payload_too_large\""), "{answer}");
}

/// Sends a chunked POST of `chunks` × `size` bytes over a plain socket; returns the answer text.
fn chunked_post(addr: &str, chunks: usize, size: usize) -> String {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(addr).unwrap();
    let head = "POST / HTTP/1.1\r\nHost: test\r\nContent-Type: multipart/form-data; boundary=XYZ\r\n\
                Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    tcp.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b'x'; size];
    for _ in 0..chunks {
        tcp.write_all(format!("{size:x}\r\n").as_bytes()).unwrap();
        tcp.write_all(&chunk).unwrap();
        tcp.write_all(b"\r\n").unwrap();
    }
    tcp.write_all(b"0\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_queue_is_503_and_slow_inference_is_504() {
    let s = start(&["--concurrency", "1", "--queue", "0"]).await;
    // Occupy the only slot the way a running inference does.
    let busy = s.state.admission.try_enter().unwrap().ready().await;
    let (status, headers, body) = post(&s.url, None, form(Some(MODEL_URL), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_error(&body, "server_busy", None);
    assert_eq!(headers["retry-after"], "1");
    drop(busy);
    let (status, _, body) = post(&s.url, None, form(Some(MODEL_URL), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::OK, "the slot is free again: {body}");

    // With a queue place, a request waits for the held slot until its timeout.
    let t = start(&["--concurrency", "1", "--queue", "1", "--timeout-s", "0.2"]).await;
    let _busy = t.state.admission.try_enter().unwrap().ready().await;
    let (status, _, body) = post(&t.url, None, form(Some(MODEL_URL), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert_error(&body, "timeout", None);
    assert_eq!(t.state.admission.in_system(), 1, "the timed-out request left the queue");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_requests_beyond_the_queue_are_refused_not_queued() {
    let s = start(&["--concurrency", "1", "--queue", "0"]).await;
    let calls = (0..4).map(|_| {
        let url = s.url.clone();
        tokio::spawn(async move { post(&url, None, form(Some(MODEL_URL), Some(tiny_png()), &[])).await })
    });
    let mut ok = 0;
    for call in calls {
        let (status, headers, body) = call.await.unwrap();
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_error(&body, "server_busy", None);
                assert_eq!(headers["retry-after"], "1");
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(ok >= 1, "at least the first request runs");
    assert_eq!(s.state.admission.in_system(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_preflight_and_exposed_headers() {
    let s = start(&[]).await;
    let res = client()
        .request(reqwest::Method::OPTIONS, &s.url)
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-api-key,content-type")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    let allow_headers = h["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(allow_headers.contains("x-api-key") && allow_headers.contains("content-type"), "{allow_headers}");
    let methods = h["access-control-allow-methods"].to_str().unwrap();
    for m in ["GET", "POST", "OPTIONS"] {
        assert!(methods.contains(m), "{methods}");
    }
    let res = client()
        .post(&s.url)
        .header("origin", "https://app.example")
        .multipart(form(Some(MODEL_URL), None, &[]))
        .send()
        .await
        .unwrap();
    let exposed = res.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    for name in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after", "x-request-id"] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
    assert_eq!(res.headers()["access-control-allow-origin"], "*");

    let only = start(&["--cors-origin", "https://allowed.example"]).await;
    for (origin, allowed) in [("https://allowed.example", true), ("https://other.example", false)] {
        let res = client().get(format!("{}/health", only.url)).header("origin", origin).send().await.unwrap();
        let acao = res.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_string());
        assert_eq!(acao.as_deref() == Some(origin), allowed, "{origin}: {acao:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_mounts_health_and_request_ids() {
    let dir = temp_dir("www");
    std::fs::write(dir.join("index.html"), "<p>demo</p>").unwrap();
    std::fs::write(dir.join("m.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("w.mjs"), "export {}").unwrap();
    std::fs::write(dir.join("a.js"), "1").unwrap();
    let mount = format!("/www={}", dir.display());
    let s = start(&["--static", &mount]).await;
    let c = client();
    let res = c.get(format!("{}/", s.url)).send().await.unwrap();
    assert!(res.status().is_redirection());
    assert_eq!(res.headers()["location"], "/www/");
    let res = c.get(format!("{}/www", s.url)).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/www/");
    let res = c.get(format!("{}/www/", s.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "<p>demo</p>");
    for (file, ct) in [("m.wasm", "application/wasm"), ("w.mjs", "text/javascript"), ("a.js", "text/javascript")] {
        let res = c.get(format!("{}/www/{file}", s.url)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with(ct), "{file}");
    }
    let res = c.get(format!("{}/www/../Cargo.toml", s.url)).send().await.unwrap();
    assert!(!res.status().is_success());

    let res = c.get(format!("{}/health", s.url)).header("x-request-id", "client-id-7").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "client-id-7");
    assert_eq!(res.json::<serde_json::Value>().await.unwrap(), serde_json::json!({"status": "ok"}));
    let res = c.get(format!("{}/nowhere", s.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!res.headers()["x-request-id"].is_empty());
    assert_error(&res.json().await.unwrap(), "not_found", None);
    let res = c.get(format!("{}/predict", s.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);

    // Without /www, GET / says how to use the API.
    let plain = start(&[]).await;
    let res = c.get(format!("{}/", plain.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);

    // No isolation headers unless asked for.
    let res = c.get(format!("{}/www/a.js", s.url)).send().await.unwrap();
    for name in ["cross-origin-opener-policy", "cross-origin-embedder-policy", "cross-origin-resource-policy"] {
        assert!(res.headers().get(name).is_none(), "{name} sent without --cross-origin-isolation");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_isolation_headers_on_static_files() {
    let dir = temp_dir("iso");
    std::fs::write(dir.join("index.html"), "<p>demo</p>").unwrap();
    std::fs::write(dir.join("m.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let mount = format!("/www={}", dir.display());
    let s = start(&["--static", &mount, "--cross-origin-isolation"]).await;
    let c = client();
    // Pages, modules and wasm alike (a worker's script and the module need them as the page does).
    for path in ["/www/", "/www/index.html", "/www/m.wasm"] {
        let res = c.get(format!("{}{path}", s.url)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["cross-origin-opener-policy"], "same-origin", "{path}");
        assert_eq!(res.headers()["cross-origin-embedder-policy"], "require-corp", "{path}");
        assert_eq!(res.headers()["cross-origin-resource-policy"], "same-origin", "{path}");
    }
    // The API answers keep CORS (other origins call it) and are not affected.
    let res = c.get(format!("{}/health", s.url)).header("origin", "https://app.example").send().await.unwrap();
    assert!(res.headers().get("cross-origin-embedder-policy").is_none());
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn an_open_server_must_be_on_loopback() {
    let models = fixture("models").to_string_lossy().into_owned();
    let parse = |args: &[&str]| {
        let mut all = vec!["serve", "--models", models.as_str(), "--port", "0"];
        all.extend_from_slice(args);
        <yolo_wasm_server::serve::ServeArgs as clap::Parser>::try_parse_from(all).unwrap().into_config().unwrap()
    };
    let err = yolo_wasm_server::serve::Server::bind(parse(&["--host", "0.0.0.0"])).await.unwrap_err();
    assert!(err.contains("--keys") && err.contains("loopback"), "{err}");
    assert!(yolo_wasm_server::serve::Server::bind(parse(&["--host", "localhost"])).await.is_ok());
}
