//! The WebAssembly front door: `LocalModel` and helpers, exported with wasm-bindgen.
//!
//! Everything here works in a window and in a Web Worker: no DOM-only API is needed on the
//! path from model bytes and pixels to a response.

mod bindings;
mod draw;
mod errors;
mod hub_client;
mod js_options;
mod loader;
mod source;
mod types;

pub use bindings::LocalModel;
pub use draw::draw;
pub use hub_client::HubClient;

use wasm_bindgen::prelude::*;

/// Runs once when the module is instantiated: readable panic messages in the console (a
/// panic is a bug; every input-derived failure is a `YoloError`).
#[wasm_bindgen(start, skip_typescript)]
fn start() {
    console_error_panic_hook::set_once();
    crate::model::gemm::link();
}
