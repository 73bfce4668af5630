//! A WebAssembly trap in a call's async part (outside the synchronous trampoline), in a page: the
//! global `error` listener sees the `RuntimeError` while the call is pending and rejects it with
//! `internal` (see `trap/mod.rs`). Needs `--features test-hooks`.

#![cfg(all(target_arch = "wasm32", feature = "test-hooks"))]

mod trap;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_trap_in_async_code_rejects_with_internal_and_poisons_the_module() {
    trap::a_bug_rejects_and_poisons_the_module("async-trap", "WebAssembly trap").await;
}
