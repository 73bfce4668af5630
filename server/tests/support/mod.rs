//! Shared helpers of the server's integration tests: an in-process `yolo-wasm serve` on
//! `127.0.0.1:0`, multipart forms, temporary files.

#![allow(dead_code)]

use clap::Parser;
use reqwest::multipart::{Form, Part};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use yolo_wasm_server::serve::{AppState, ServeArgs, Server};

/// The HUB model URL of the static 640 detect fixture.
pub const MODEL_URL: &str = "https://hub.ultralytics.com/models/yolo11n-shapes";

/// `tests/fixtures/<rel>` of the workspace.
pub fn fixture(rel: &str) -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = here.ancestors().find(|d| d.join("tests/fixtures").is_dir()).unwrap_or(&here);
    root.join("tests/fixtures").join(rel)
}

/// The bytes of a fixture.
pub fn fixture_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A fresh temporary folder.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "yolo-wasm-serve-test-{}-{tag}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A keys file with `text`; returns its path.
pub fn keys_file(text: &str) -> String {
    let path = temp_dir("keys").join("keys.txt");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// A server running in this test's runtime.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its shared state (admission slots, …).
    pub state: Arc<AppState>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Starts `yolo-wasm serve <args> --port 0` in-process (`--models` defaults to the fixtures).
pub async fn start(args: &[&str]) -> TestServer {
    let models = fixture("models").to_string_lossy().into_owned();
    let mut all = vec!["serve", "--host", "127.0.0.1", "--port", "0"];
    if !args.contains(&"--model") && !args.contains(&"--models") {
        all.extend(["--models", models.as_str()]);
    }
    all.extend_from_slice(args);
    let config = ServeArgs::try_parse_from(&all).expect("flags").into_config().expect("config");
    let server = Server::bind(config).await.expect("bind");
    let url = format!("http://{}", server.local_addr().unwrap());
    let state = server.state();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    TestServer { url, state, _stop: stop }
}

/// An HTTP client that does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A predict form: optional `model`, optional `file` (name, bytes, content type), more text fields.
pub fn form(model: Option<&str>, file: Option<(&str, Vec<u8>, &str)>, fields: &[(&str, &str)]) -> Form {
    let mut f = Form::new();
    if let Some(m) = model {
        f = f.text("model", m.to_string());
    }
    if let Some((name, bytes, ct)) = file {
        f = f.part("file", Part::bytes(bytes).file_name(name.to_string()).mime_str(ct).unwrap());
    }
    for (k, v) in fields {
        f = f.text(k.to_string(), v.to_string());
    }
    f
}

/// A small valid PNG fixture as a `file` part.
pub fn tiny_png() -> (&'static str, Vec<u8>, &'static str) {
    ("tiny-37x23.png", fixture_bytes("images/tiny-37x23.png"), "image/png")
}

/// POSTs a form to `url` with an optional key; returns status, headers and JSON body.
pub async fn post(
    url: &str,
    key: Option<&str>,
    form: Form,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, serde_json::Value) {
    let mut req = client().post(url).multipart(form);
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    let res = req.send().await.expect("request");
    let (status, headers) = (res.status(), res.headers().clone());
    let text = res.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, headers, json)
}

/// Asserts an error body: exactly `error` (non-empty), `code` and, when given, `field`.
pub fn assert_error(body: &serde_json::Value, code: &str, field: Option<&str>) {
    let obj = body.as_object().unwrap_or_else(|| panic!("not an object: {body}"));
    assert_eq!(obj.get("code").and_then(|c| c.as_str()), Some(code), "{body}");
    assert!(obj.get("error").and_then(|e| e.as_str()).is_some_and(|e| !e.is_empty()), "{body}");
    assert_eq!(obj.get("field").and_then(|f| f.as_str()), field, "{body}");
    let expected = 2 + usize::from(field.is_some());
    assert_eq!(obj.len(), expected, "only error, code (and field): {body}");
}

/// A `MakeWriter` appending log output to a shared buffer (`String::from_utf8_lossy(&c.0.lock())`).
#[derive(Clone, Default)]
pub struct Capture(pub Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A PNG declaring `w`×`h` RGBA pixels, all zero (compresses ~1000:1): a decompression bomb.
pub fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().unwrap();
    let mut stream = writer.stream_writer().unwrap();
    let row = vec![0u8; w as usize * 4];
    for _ in 0..h {
        std::io::Write::write_all(&mut stream, &row).unwrap();
    }
    stream.finish().unwrap();
    drop(writer);
    out
}
