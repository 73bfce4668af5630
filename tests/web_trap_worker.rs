//! A WebAssembly trap (`unreachable`) inside a call's synchronous part, in a dedicated worker:
//! the promise rejects with `internal` (see `trap/mod.rs`). Needs `--features test-hooks`.

#![cfg(all(target_arch = "wasm32", feature = "test-hooks"))]

mod trap;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn a_trap_in_a_worker_rejects_with_internal_and_poisons_the_module() {
    assert!(web_sys::window().is_none(), "this test must run in a worker");
    trap::a_bug_rejects_and_poisons_the_module("trap", "WebAssembly trap").await;
}
