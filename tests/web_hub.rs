//! Browser tests of `HubClient` (Chromium, Firefox, WebKit) against a real `yolo-wasm serve` started by
//! scripts/with-test-server.sh (`make test-web`): the remote answer equals `LocalModel.predict`
//! on the same model and image, and every error code is produced by a real exchange.

#![cfg(target_arch = "wasm32")]

mod common;

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{AbortController, Blob, BlobPropertyBag};
use yolo_wasm::schema::Response;
use yolo_wasm::web::{HubClient, LocalModel, Tracker};

wasm_bindgen_test_configure!(run_in_browser);

const MODEL: &[u8] = include_bytes!("fixtures/models/yolo11n-shapes.onnx");
const BUS: &[u8] = include_bytes!("fixtures/images/bus.jpg");
const ODD: &[u8] = include_bytes!("fixtures/images/odd-333x517.png");
const MODEL_URL: &str = "https://hub.ultralytics.com/models/yolo11n-shapes";
const KEY: &str = "test-key";

#[wasm_bindgen(inline_js = r#"
export function capture_console() {
  const lines = [];
  for (const k of ["log", "info", "warn", "error", "debug"]) {
    const orig = console[k].bind(console);
    console[k] = (...args) => { lines.push(args.map(String).join(" ")); orig(...args); };
  }
  return lines;
}
export function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }
"#)]
extern "C" {
    fn capture_console() -> Array;
    fn sleep(ms: u32) -> Promise;
}

/// The server's URL, from scripts/with-test-server.sh.
fn server() -> String {
    match option_env!("YOLO_WASM_TEST_SERVER") {
        Some(url) => url.to_string(),
        None => panic!(
            "YOLO_WASM_TEST_SERVER is not set: run these tests through `make test-web` (scripts/with-test-server.sh)"
        ),
    }
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

fn client(key: &str, url: &str, timeout_ms: Option<u32>) -> HubClient {
    let mut opts = vec![("apiKey", key.into()), ("url", url.into())];
    if let Some(t) = timeout_ms {
        opts.push(("timeoutMs", t.into()));
    }
    HubClient::new(object(&opts)).unwrap()
}

fn blob(bytes: &[u8], mime: &str) -> Blob {
    let bag = BlobPropertyBag::new();
    bag.set_type(mime);
    Blob::new_with_u8_array_sequence_and_options(&Array::of1(&Uint8Array::from(bytes)), &bag).unwrap()
}

fn opts(model: &str) -> JsValue {
    object(&[("model", model.into()), ("imgsz", 640.into()), ("conf", 0.25.into()), ("iou", 0.45.into())])
}

async fn remote(hub: &HubClient, source: JsValue, options: JsValue) -> Result<Response, JsValue> {
    let v = JsFuture::from(hub.predict(source, Some(options))).await?;
    Ok(serde_wasm_bindgen::from_value(v).unwrap())
}

fn field(e: &JsValue, k: &str) -> JsValue {
    Reflect::get(e, &k.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Asserts a `YoloError` with `code` (and `status` when given); returns it.
fn expect_code(r: Result<Response, JsValue>, code: &str, status: Option<u16>) -> JsValue {
    let e = r.map(|_| ()).expect_err(&format!("expected {code}"));
    assert_eq!(field(&e, "name").as_string().as_deref(), Some("YoloError"));
    assert_eq!(field(&e, "code").as_string().as_deref(), Some(code), "{:?}", field(&e, "message"));
    assert_eq!(field(&e, "status").as_f64().map(|s| s as u16), status, "{code}: status");
    e
}

#[wasm_bindgen_test]
async fn remote_equals_local() {
    let local = LocalModel::from_source(Uint8Array::from(MODEL).into()).await.unwrap();
    let hub = client(KEY, &server(), None);
    for (bytes, mime, golden) in [
        (BUS, "image/jpeg", "yolo11n-shapes__bus__s640_c0.25_i0.45"),
        (ODD, "image/png", "yolo11n-shapes__odd-333x517__s640_c0.25_i0.45"),
    ] {
        let ours = remote(&hub, blob(bytes, mime).into(), opts(MODEL_URL)).await.unwrap();
        let opts_local = object(&[("imgsz", 640.into()), ("conf", 0.25.into()), ("iou", 0.45.into())]);
        let v = JsFuture::from(local.predict(blob(bytes, mime).into(), Some(opts_local))).await.unwrap();
        let here: Response = serde_wasm_bindgen::from_value(v).unwrap();
        assert_eq!(ours.images[0].shape, here.images[0].shape);
        let e =
            common::compare(&ours.images[0].results, &here.images[0].results, golden).unwrap_or_else(|m| panic!("{m}"));
        console_log!("remote vs local {golden}: {e}");
        assert_eq!(ours.metadata.model.as_deref(), Some(MODEL_URL));
        assert_eq!(ours.metadata.image_count, 1);
        assert!(ours.metadata.function_time_call.is_some() && ours.metadata.function_time_alive.is_some());
    }
    // A drawable source is uploaded as a lossless PNG: the same pixels, the same answer.
    let data = common::image_data(ODD);
    let a = remote(&hub, data.clone().into(), opts("yolo11n-shapes")).await.unwrap();
    let v = JsFuture::from(local.predict(data.into(), None)).await.unwrap();
    let b: Response = serde_wasm_bindgen::from_value(v).unwrap();
    common::compare(&a.images[0].results, &b.images[0].results, "ImageData as PNG").unwrap_or_else(|m| panic!("{m}"));
}

/// A video file is sent as it is; the endpoint answers every frame and the client checks the
/// N-frame answer. Each frame equals Ultralytics' `predict` on the same video, and the package's
/// `Tracker` over that answer gives Ultralytics' `model.track` IDs.
#[wasm_bindgen_test]
async fn a_video_upload_answers_every_frame_and_tracks_like_ultralytics() {
    const VIDEO: &[u8] = include_bytes!("fixtures/videos/shapes-cross.mp4");
    let golden = |text: &str| serde_json::from_str::<Response>(text).unwrap();
    let want =
        golden(include_str!("fixtures/golden/video/predict__yolo11n-shapes__shapes-cross.mp4__c0.25_i0.45_v1.json"));
    let tracked =
        golden(include_str!("fixtures/golden/video/track__yolo11n-shapes__shapes-cross.mp4__c0.25_i0.45_v1.json"));
    let hub = client(KEY, &server(), None);
    let ours = remote(&hub, blob(VIDEO, "video/mp4").into(), opts(MODEL_URL)).await.unwrap();
    assert_eq!(ours.images.len(), 48);
    assert_eq!(ours.metadata.image_count, 48);
    for (f, (a, b)) in ours.images.iter().zip(&want.images).enumerate() {
        common::compare(&a.results, &b.results, &format!("video frame {f}")).unwrap_or_else(|m| panic!("{m}"));
    }
    let js = serde::Serialize::serialize(&ours, &serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
        .unwrap();
    let mut tracker = Tracker::new(None).unwrap();
    let ids: Response = serde_wasm_bindgen::from_value(tracker.update(js).unwrap()).unwrap();
    let t = common::compare_tracked(&ids, &tracked, "remote video tracked").unwrap_or_else(|m| panic!("{m}"));
    console_log!("remote video: {} frames, {} IDs compared, {}", t.frames, t.ids_compared, t.errors);
}

/// The endpoint's own codes (sent in its JSON bodies) reach JS as sent.
#[wasm_bindgen_test]
async fn http_errors_have_codes_statuses_and_messages() {
    let url = server();
    let img = || JsValue::from(blob(ODD, "image/png"));
    let e =
        expect_code(remote(&client("wrong-key", &url, None), img(), opts(MODEL_URL)).await, "unauthorized", Some(401));
    assert!(!field(&e, "message").as_string().unwrap_or_default().is_empty());
    expect_code(
        remote(&client("restricted-key", &url, None), img(), opts(MODEL_URL)).await,
        "model_forbidden",
        Some(403),
    );
    let hub = client(KEY, &url, None);
    expect_code(remote(&hub, img(), opts("no-such-model")).await, "model_not_found", Some(404));
    let e = expect_code(
        remote(&hub, blob(b"not an image", "image/png").into(), opts(MODEL_URL)).await,
        "invalid_image",
        Some(400),
    );
    console_log!("400 message: {:?}", field(&e, "message"));
    let big = vec![7u8; 5 << 20];
    expect_code(remote(&hub, blob(&big, "image/png").into(), opts(MODEL_URL)).await, "payload_too_large", Some(413));
    expect_code(remote(&hub, img(), opts("bad-output")).await, "unsupported_model", Some(500));

    let limited = client("limited-key", &url, None);
    for _ in 0..2 {
        remote(&limited, img(), opts(MODEL_URL)).await.unwrap();
    }
    let e = expect_code(remote(&limited, img(), opts(MODEL_URL)).await, "rate_limited", Some(429));
    assert!(field(&e, "retryAfterSeconds").as_f64().is_some_and(|s| s > 0.0));
    let rl = field(&e, "rateLimit");
    assert_eq!(field(&rl, "limit").as_f64(), Some(2.0));
    assert_eq!(field(&rl, "remaining").as_f64(), Some(0.0));
    assert!(field(&rl, "reset").as_f64().is_some_and(|r| r > js_sys::Date::now() / 1000.0 - 1.0));
}

#[wasm_bindgen_test]
async fn overload_gives_server_busy() {
    // One inference at a time and a queue of 2: of 10 simultaneous requests some must be refused.
    let hub = client(KEY, &server(), None);
    let calls = Array::new();
    for _ in 0..10 {
        calls.push(&hub.predict(blob(BUS, "image/jpeg").into(), Some(opts(MODEL_URL))));
    }
    let settled = JsFuture::from(Promise::all_settled(&calls)).await.unwrap();
    // The endpoint's own code (`server_busy`) is kept, not the status's generic `unavailable`.
    let (mut ok, mut unavailable) = (0, 0);
    for s in Array::from(&settled).iter() {
        if field(&s, "status").as_string().as_deref() == Some("fulfilled") {
            ok += 1;
        } else {
            let e = field(&s, "reason");
            assert_eq!(field(&e, "code").as_string().as_deref(), Some("server_busy"), "{:?}", field(&e, "message"));
            assert_eq!(field(&e, "status").as_f64(), Some(503.0));
            unavailable += 1;
        }
    }
    assert!(ok >= 1 && unavailable >= 1, "ok {ok}, unavailable {unavailable}");
}

#[wasm_bindgen_test]
async fn transport_failures_and_client_side_codes() {
    let url = server();
    let img = || JsValue::from(blob(ODD, "image/png"));
    // Nothing listens on port 9 of loopback.
    expect_code(remote(&client(KEY, "http://127.0.0.1:9/", None), img(), opts(MODEL_URL)).await, "network", None);
    expect_code(remote(&client(KEY, &url, Some(1)), img(), opts(MODEL_URL)).await, "timeout", None);

    let ctl = AbortController::new().unwrap();
    let o = opts(MODEL_URL);
    Reflect::set(&o, &"signal".into(), &ctl.signal()).unwrap();
    let call = client(KEY, &url, None).predict(blob(BUS, "image/jpeg").into(), Some(o));
    JsFuture::from(sleep(5)).await.unwrap();
    ctl.abort();
    let r = JsFuture::from(call).await.map(|_| Response { images: vec![], metadata: Default::default() });
    expect_code(r, "aborted", None);

    // A real 200 whose body is not a HUB response.
    let not_hub = client(KEY, "data:application/json,%7B%22hello%22%3A1%7D", None);
    let e = expect_code(remote(&not_hub, img(), opts(MODEL_URL)).await, "bad_response", Some(200));
    assert!(field(&e, "message").as_string().unwrap_or_default().contains("images"), "{:?}", field(&e, "message"));

    // Validation happens before anything is sent, with the local path's rules.
    let hub = client(KEY, &url, None);
    let bad = object(&[("model", MODEL_URL.into()), ("conf", 2.into())]);
    let e = expect_code(remote(&hub, img(), bad).await, "invalid_argument", None);
    assert_eq!(field(&e, "field").as_string().as_deref(), Some("conf"));
    let shared = client(KEY, "https://predict.ultralytics.com", None);
    let e = expect_code(remote(&shared, img(), JsValue::UNDEFINED).await, "invalid_argument", None);
    assert_eq!(field(&e, "field").as_string().as_deref(), Some("model"));
    for bad in
        [object(&[]), object(&[("apiKey", "".into())]), object(&[("apiKey", "k".into()), ("url", "ftp://x".into())])]
    {
        let e = HubClient::new(bad).map(|_| ()).unwrap_err();
        assert_eq!(field(&e, "code").as_string().as_deref(), Some("invalid_argument"));
    }
}

#[wasm_bindgen_test]
async fn the_key_never_reaches_the_console_or_errors() {
    let secret = "test-key";
    let lines = capture_console();
    let url = server();
    let hub = client(secret, &url, None);
    let ok = remote(&hub, blob(ODD, "image/png").into(), opts(MODEL_URL)).await.unwrap();
    assert_eq!(ok.images.len(), 1);
    let mut texts = Vec::new();
    for r in [
        remote(&hub, blob(ODD, "image/png").into(), opts("no-such-model")).await,
        remote(&client(secret, "http://127.0.0.1:9/", None), blob(ODD, "image/png").into(), opts(MODEL_URL)).await,
        remote(&client(secret, &url, Some(1)), blob(ODD, "image/png").into(), opts(MODEL_URL)).await,
    ] {
        let e = r.map(|_| ()).unwrap_err();
        texts.push(js_sys::JSON::stringify(&e).map(String::from).unwrap_or_default());
        texts.push(field(&e, "message").as_string().unwrap_or_default());
    }
    let logged: Vec<String> = lines.iter().filter_map(|l| l.as_string()).collect();
    for t in logged.iter().chain(&texts) {
        assert!(!t.contains(secret), "the API key leaked: {t}");
    }
    assert!(!hub.url().contains(secret));
}
