//! The WebAssembly front door: `LocalModel` and helpers, exported with wasm-bindgen.
//!
//! Everything here works in a window and in a Web Worker: no DOM-only API is needed on the
//! path from model bytes and pixels to a response.

mod bindings;
mod device;
mod draw;
mod errors;
mod guard;
mod hub_client;
mod js_options;
mod loader;
#[cfg(feature = "threads")]
mod pool;
#[cfg(feature = "threads")]
mod pool_worker;
mod source;
mod tracking;
mod types;

pub use bindings::LocalModel;
pub use device::{DeviceChoice, LoadOptions};
pub use draw::draw;
pub use hub_client::HubClient;
pub use tracking::Tracker;

use wasm_bindgen::prelude::*;

/// Runs once when the module is instantiated: readable panic messages in the console, and the
/// trap guard ([`guard`]: a panic is a bug; every input-derived failure is a `YoloError`, and a
/// bug rejects with `internal` instead of hanging).
#[wasm_bindgen(start, skip_typescript)]
fn start() {
    guard::install();
    crate::model::gemm::link();
}

/// Test builds only (`--features test-hooks`): a call that fails the way a bug would, to test
/// that its promise still settles. `kind`: `"panic"` (a Rust panic in the synchronous part),
/// `"trap"` (a WebAssembly `unreachable` there), `"async-trap"` (`unreachable` in the async part,
/// outside the trampoline).
#[cfg(feature = "test-hooks")]
#[wasm_bindgen(js_name = "__testTrap", skip_typescript)]
#[allow(clippy::panic)]
pub fn test_trap(kind: String) -> js_sys::Promise {
    guard::promise(async move {
        // Yield once, as real work does (the failure then happens inside the futures queue).
        let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&JsValue::NULL)).await;
        match kind.as_str() {
            "panic" => guard::sync(|| panic!("test panic on purpose")).map_err(errors::to_js),
            "trap" => guard::sync(|| core::arch::wasm32::unreachable()).map_err(errors::to_js),
            "async-trap" => core::arch::wasm32::unreachable(),
            _ => Ok(JsValue::UNDEFINED),
        }
    })
}

/// Test builds only: puts this package's panic hook back (wasm-bindgen-test installs its own over
/// it when a test starts).
#[cfg(feature = "test-hooks")]
pub fn reinstall_panic_hook() {
    guard::install();
}
