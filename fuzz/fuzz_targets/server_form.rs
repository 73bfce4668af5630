//! The predict endpoint's multipart form (`serve::form::parse`): the fuzz bytes are the body of a
//! `multipart/form-data` request whose boundary is taken from the input's first line.
#![no_main]

use axum::body::Bytes;
use axum::http::{header, Method, Request};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use yolo_wasm_server::serve::form;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().expect("runtime"))
}

fuzz_target!(|data: &[u8]| {
    // `boundary\n body…`; no newline: a fixed boundary and the whole input as the body.
    let (boundary, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) if i <= 70 => (String::from_utf8_lossy(&data[..i]).into_owned(), &data[i + 1..]),
        _ => ("FUZZ".to_string(), data),
    };
    let Ok(request) = Request::builder()
        .method(Method::POST)
        .uri("/")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(())
    else {
        return;
    };
    let (parts, ()) = request.into_parts();
    let body = Bytes::copy_from_slice(body);
    if let Ok(f) = runtime().block_on(form::parse(parts, body)) {
        assert!(f.options.validate().is_ok());
        assert!(!form::is_video(&f.file));
    }
});
