//! Model bytes from a URL, an `ArrayBuffer`, a `Uint8Array` or a `Blob`/`File`, in a window or
//! a worker.

use super::errors::describe;
use crate::error::{Error, Result};
use js_sys::{ArrayBuffer, Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File, Url, WorkerGlobalScope};

/// Awaits a JS promise, mapping a rejection through `err`.
pub async fn await_js(p: Promise, err: impl Fn(String) -> Error) -> Result<JsValue> {
    JsFuture::from(p).await.map_err(|e| err(describe(&e)))
}

/// `fetch` of the current global scope (window or worker).
fn fetch(url: &str) -> Result<Promise> {
    let global = js_sys::global();
    if let Some(w) = global.dyn_ref::<web_sys::Window>() {
        return Ok(w.fetch_with_str(url));
    }
    if let Some(w) = global.dyn_ref::<WorkerGlobalScope>() {
        return Ok(w.fetch_with_str(url));
    }
    Err(Error::Network("no fetch in this JavaScript environment".into()))
}

/// Reads model bytes and a display name from a model source.
pub async fn model_bytes(src: &JsValue) -> Result<(Vec<u8>, String)> {
    if let Some(url) = src.as_string().or_else(|| src.dyn_ref::<Url>().map(Url::href)) {
        let resp = await_js(fetch(&url)?, |e| Error::Network(format!("cannot fetch {url}: {e}"))).await?;
        let resp: web_sys::Response =
            resp.dyn_into().map_err(|_| Error::Network(format!("fetch of {url} did not return a Response")))?;
        if !resp.ok() {
            return Err(Error::Network(format!(
                "fetch of {url} failed: HTTP {} {}",
                resp.status(),
                resp.status_text()
            )));
        }
        let buf = resp.array_buffer().map_err(|e| Error::Network(describe(&e)))?;
        let buf = await_js(buf, |e| Error::Network(format!("reading {url}: {e}"))).await?;
        let name = url.rsplit('/').next().unwrap_or(&url).split(['?', '#']).next().unwrap_or_default();
        return Ok((Uint8Array::new(&buf).to_vec(), name.to_string()));
    }
    if let Some(buf) = src.dyn_ref::<ArrayBuffer>() {
        return Ok((Uint8Array::new(buf).to_vec(), "model.onnx".into()));
    }
    if let Some(arr) = src.dyn_ref::<Uint8Array>() {
        return Ok((arr.to_vec(), "model.onnx".into()));
    }
    if let Some(blob) = src.dyn_ref::<Blob>() {
        let name = src.dyn_ref::<File>().map_or_else(|| "model.onnx".to_string(), File::name);
        let buf = await_js(blob.array_buffer(), |e| Error::InvalidModel(format!("cannot read the blob: {e}"))).await?;
        return Ok((Uint8Array::new(&buf).to_vec(), name));
    }
    Err(Error::invalid_argument(
        "source",
        "expected a URL string, URL, ArrayBuffer, Uint8Array, Blob or File holding an ONNX model",
    ))
}
