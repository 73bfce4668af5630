//! A Rust panic inside a call, in a page: the promise rejects with `internal` (see `trap/mod.rs`).
//! Needs `--features test-hooks` (the Makefile's `test-web` passes it).

#![cfg(all(target_arch = "wasm32", feature = "test-hooks"))]

mod trap;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_panic_rejects_with_internal_and_poisons_the_module() {
    trap::a_bug_rejects_and_poisons_the_module("panic", "test panic on purpose").await;
}
