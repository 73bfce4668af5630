//! The threaded build only (feature `threads`): starting rayon's global pool on Web Workers and
//! running an inference on it without ever blocking the calling JS thread.
//!
//! - `initThreadPool(n)` (the package entry wraps [`start`]) starts `n` workers through
//!   wasm-bindgen-rayon and records `n` (`model::web_pool`).
//! - [`run`] hands the CPU-heavy part of a call to the pool (`rayon::spawn`) and awaits its
//!   answer on a oneshot channel: the calling thread (a page's main thread, which may never block,
//!   or a dedicated worker) stays free; the pool's threads do all the work, tract's matrix
//!   products spread over them.
//! - A failure on a pool thread must not leave the caller waiting: the job runs inside the trap
//!   trampoline of its own worker ([`guard::sync`]); a panic anywhere (the job or a helper thread;
//!   allocation failures panic too, `-Z oom=panic`) runs the global panic hook, which fails every
//!   job in flight ([`fail_all`]) before the thread aborts. The module is then poisoned: its state
//!   after a trap is unknown.

use super::guard;
use crate::error::{Error, Result};
use crate::model::web_pool;
use futures_channel::oneshot;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use wasm_bindgen::prelude::*;

/// The most threads `initThreadPool` starts: beyond this, on the machines measured, more
/// workers cost memory (each one instantiates the module) without speeding one inference up.
pub const MAX_THREADS: usize = 16;

/// Set once `start` was called (the pool can be built only once per module instance).
static STARTED: AtomicBool = AtomicBool::new(false);

/// Starts the global pool with `threads` workers; resolves once they all run. A second call
/// resolves at once if it asks for the running size and rejects (`invalid_argument`) otherwise.
#[wasm_bindgen(js_name = "__startThreadPool", skip_typescript)]
pub fn start(threads: usize) -> js_sys::Promise {
    guard::promise(async move {
        if !(1..=MAX_THREADS).contains(&threads) {
            let msg = format!("must be between 1 and {MAX_THREADS} (got {threads})");
            return Err(super::errors::to_js(Error::invalid_argument("threads", msg)));
        }
        if STARTED.swap(true, Ordering::AcqRel) {
            let running = web_pool::pool_threads();
            if running == threads {
                return Ok(JsValue::from(running));
            }
            let msg = if running == 0 {
                "the thread pool is being started by an earlier call".to_string()
            } else {
                format!("the thread pool already runs {running} threads; it can be started once per module instance")
            };
            return Err(super::errors::to_js(Error::invalid_argument("threads", msg)));
        }
        let started = wasm_bindgen_futures::JsFuture::from(wasm_bindgen_rayon::init_thread_pool(threads)).await;
        if let Err(e) = started {
            STARTED.store(false, Ordering::Release);
            let msg = format!("cannot start {threads} worker threads: {}", super::errors::describe(&e));
            return Err(super::errors::to_js(Error::Internal(msg)));
        }
        web_pool::set_pool_threads(threads);
        Ok(JsValue::from(threads))
    })
}

/// The threads inference uses now: the pool's size, or 1 before `initThreadPool`.
#[wasm_bindgen(js_name = "__threadCount", skip_typescript)]
pub fn thread_count() -> usize {
    web_pool::pool_threads().max(1)
}

/// A job's way to fail from the panic hook: sends `internal` on its channel if it is still open.
type Fail = Box<dyn FnOnce(String) + Send>;

/// The jobs in flight, by id, for [`fail_all`].
static IN_FLIGHT: Mutex<Vec<(u64, Fail)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Locks `IN_FLIGHT` without ever blocking in `memory.atomic.wait` (not allowed on a page's
/// main thread): spins on `try_lock`; the lock is only held for a push or a removal.
fn in_flight() -> MutexGuard<'static, Vec<(u64, Fail)>> {
    loop {
        match IN_FLIGHT.try_lock() {
            Ok(g) => return g,
            Err(TryLockError::Poisoned(p)) => return p.into_inner(),
            Err(TryLockError::WouldBlock) => std::hint::spin_loop(),
        }
    }
}

/// Fails every job in flight with `internal: <reason>` (from the panic hook, on whatever thread
/// panicked), so that no caller waits for an answer a dead thread will never send.
pub fn fail_all(reason: &str) {
    let jobs = std::mem::take(&mut *in_flight());
    for (_, fail) in jobs {
        fail(reason.to_string());
    }
}

/// Runs `f` on the pool when there is one (the caller awaits without blocking), else inline
/// through the trap trampoline as the single-thread builds do. `Err` (always `internal`) means a
/// trap or panic: the calling module is poisoned then too, as [`guard::sync`] does for inline work.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    if web_pool::pool_threads() == 0 {
        return guard::sync(f);
    }
    let (tx, rx) = oneshot::channel::<Result<T>>();
    let tx = Arc::new(Mutex::new(Some(tx)));
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let fail_tx = tx.clone();
    in_flight().push((
        id,
        Box::new(move |reason| {
            if let Some(tx) = take(&fail_tx) {
                let _ = tx.send(Err(Error::Internal(reason)));
            }
        }),
    ));
    rayon::spawn(move || {
        // The trampoline of this worker: a trap inside becomes `Err` here instead of killing the
        // worker with the caller still waiting.
        let out = guard::sync(move || web_pool::install(f));
        in_flight().retain(|(i, _)| *i != id);
        if let Some(tx) = take(&tx) {
            let _ = tx.send(out);
        }
    });
    let out = match rx.await {
        Ok(out) => out,
        Err(_) => Err(Error::Internal("an inference thread stopped without an answer".into())),
    };
    if let Err(e) = &out {
        guard::poison(&format!("on a worker thread: {e}"));
    }
    out
}

/// Takes the sender out of its slot (spinning like [`in_flight`]: the main thread may call this).
fn take<S>(slot: &Mutex<Option<S>>) -> Option<S> {
    loop {
        match slot.try_lock() {
            Ok(mut g) => return g.take(),
            Err(TryLockError::Poisoned(p)) => return p.into_inner().take(),
            Err(TryLockError::WouldBlock) => std::hint::spin_loop(),
        }
    }
}
