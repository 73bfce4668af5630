//! Every promise this package returns settles, whatever happens inside.
//!
//! In WebAssembly a Rust panic aborts (a trap), and a trap unwinds the wasm stack straight to the
//! JavaScript that called in, leaving Rust state half-updated: an `async` export whose future
//! traps would leave its promise pending forever (its task is gone). So:
//!
//! - every exported async API goes through [`promise`], which registers the promise's `reject`
//!   with a small pure-JS registry (below) and rejects at once when the module is poisoned;
//! - the CPU-heavy synchronous part of a call (load, predict, serialising a response) runs
//!   through [`sync`], a JS trampoline that calls back into wasm inside `try`/`catch`: a trap
//!   there is certainly ours, is caught, poisons the module and becomes `Error::Internal`;
//! - the panic hook poisons the module before the trap happens (with the panic's message);
//! - an uncaught `WebAssembly.RuntimeError` reported to the global scope (`error` /
//!   `unhandledrejection` events) while a call of ours is pending poisons it too (a trap in an
//!   async part, e.g. out of memory while copying pixels).
//!
//! Poisoning rejects every pending promise with a `YoloError` of code `internal`, and from then
//! on every call of the module rejects (or throws) `internal` at once: its state is unknown
//! after a trap, so the page must load the module again (a new worker, or a reload). The
//! registry is plain JS so that it keeps working when the wasm instance cannot run any more.

use crate::error::Error;
use std::future::Future;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
const pending = new Set();
let poisoned;

function internalError(detail) {
  const e = new Error(`internal error: ${detail}. The yolo-wasm module is in an unknown state; load it again (a new worker or page) to go on`);
  e.name = "YoloError";
  e.code = "internal";
  return e;
}

export function poison(detail) {
  if (poisoned === undefined) poisoned = String(detail);
  const rejects = [...pending];
  pending.clear();
  for (const reject of rejects) reject(internalError(poisoned));
}

export function poisonedReason() {
  return poisoned;
}

export function internal(detail) {
  return internalError(detail);
}

export function track(promise) {
  if (poisoned !== undefined) return Promise.reject(internalError(poisoned));
  return new Promise((resolve, reject) => {
    pending.add(reject);
    promise.then(
      (v) => { pending.delete(reject); resolve(v); },
      (e) => { pending.delete(reject); reject(e); },
    );
  });
}

export function callGuarded(f) {
  try {
    f();
    return undefined;
  } catch (e) {
    const detail = e instanceof WebAssembly.RuntimeError
      ? `WebAssembly trap (${e.message})`
      : `uncaught exception inside the module (${e?.message ?? e})`;
    poison(detail);
    return poisoned;
  }
}

let installed = false;
export function install() {
  if (installed || typeof globalThis.addEventListener !== "function") return;
  installed = true;
  const onTrap = (err) => {
    if (pending.size > 0 && typeof WebAssembly === "object" && err instanceof WebAssembly.RuntimeError) {
      poison(`WebAssembly trap (${err.message})`);
    }
  };
  globalThis.addEventListener("error", (ev) => onTrap(ev.error));
  globalThis.addEventListener("unhandledrejection", (ev) => onTrap(ev.reason));
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = poison)]
    fn js_poison(detail: &str);
    #[wasm_bindgen(js_name = poisonedReason)]
    fn js_poisoned_reason() -> Option<String>;
    #[wasm_bindgen(js_name = internal)]
    fn js_internal(detail: &str) -> JsValue;
    #[wasm_bindgen(js_name = track)]
    fn js_track(promise: js_sys::Promise) -> js_sys::Promise;
    #[wasm_bindgen(js_name = callGuarded)]
    fn js_call_guarded(f: &js_sys::Function) -> Option<String>;
    #[wasm_bindgen(js_name = install)]
    fn js_install();
}

/// Installs the panic hook and the global trap listener (once, at module start).
pub fn install() {
    js_install();
    std::panic::set_hook(Box::new(|info| {
        // The hook is global: in the threaded build it also runs on the pool's threads, where the
        // caller waiting for the job is on another thread; fail its job first.
        #[cfg(feature = "threads")]
        super::pool::fail_all(&format!("panic: {info}"));
        console_error_panic_hook::hook(info);
        js_poison(&format!("panic: {info}"));
    }));
}

/// Poisons the module for `detail` (a trap or panic seen on another thread).
#[cfg(feature = "threads")]
pub fn poison(detail: &str) {
    js_poison(detail);
}

/// Why the module is poisoned, if it is.
pub fn poisoned() -> Option<String> {
    js_poisoned_reason()
}

/// Fails with `internal` when the module is poisoned: for synchronous exports.
pub fn check() -> Result<(), JsValue> {
    match poisoned() {
        Some(reason) => Err(js_internal(&reason)),
        None => Ok(()),
    }
}

/// An exported async API's promise: rejects with `internal` at once when the module is poisoned,
/// and whenever it becomes poisoned before the future completes.
pub fn promise<F>(future: F) -> js_sys::Promise
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    if let Some(reason) = poisoned() {
        return js_sys::Promise::reject(&js_internal(&reason));
    }
    js_track(wasm_bindgen_futures::future_to_promise(future))
}

/// Runs `f` (synchronous, CPU-heavy work) through the JS trampoline: a trap inside becomes
/// `Error::Internal` (and poisons the module) instead of unwinding through the caller.
pub fn sync<T: 'static>(f: impl FnOnce() -> T + 'static) -> Result<T, Error> {
    if let Some(reason) = poisoned() {
        return Err(Error::Internal(reason));
    }
    let out = std::rc::Rc::new(std::cell::RefCell::new(None));
    let slot = out.clone();
    let closure = Closure::once_into_js(move || {
        *slot.borrow_mut() = Some(f());
    });
    if let Some(reason) = js_call_guarded(closure.unchecked_ref()) {
        return Err(Error::Internal(reason));
    }
    let value = out.borrow_mut().take();
    value.ok_or_else(|| Error::Internal("the guarded call returned nothing".into()))
}
