//! The threaded build only (feature `threads`): rayon's global pool on Web Workers, and running
//! a call's CPU-heavy part on it without ever blocking (or taking a blocking lock on) the calling
//! JS thread.
//!
//! - `initThreadPool(n)` (the package entry wraps [`start`]) hands the compiled module and the
//!   shared memory to the package's own bootstrap (`npm/pool.js`), which starts `n + 1` module
//!   workers from one file the package ships (`npm/pool_worker.js`, a literal
//!   `new Worker(new URL(…, import.meta.url))` that Vite, webpack and plain pages resolve): one
//!   *coordinator*, which builds rayon's global pool ([`super::pool_worker`]), and `n` helpers,
//!   each of which runs one of the pool's threads. Building the pool blocks until its threads run,
//!   which a page's main thread may not do (`memory.atomic.wait` traps there in Chromium), hence
//!   the coordinator; `n` is then recorded (`model::web_pool`).
//! - [`run`] (waiting first for a pool still starting) registers the work as a job, posts its id
//!   to the coordinator (the function the bootstrap resolved to), which `rayon::spawn`s it
//!   ([`super::pool_worker::run_job`]), and awaits the answer on a oneshot channel. The calling
//!   thread (a page's main thread or a dedicated worker) never touches rayon; its only locks are
//!   spin locks over `try_lock`.
//! - A failure on a pool thread must not leave the caller waiting: the job runs inside the trap
//!   trampoline of its own worker ([`guard::sync`]); a panic anywhere (the job or a helper thread)
//!   runs the global panic hook, which fails every job in flight ([`fail_all`]) before the thread
//!   aborts; a trap on a helper outside any job, or a dead worker, reaches the bootstrap, which
//!   calls the `on_death` callback here: it does the same. The caller's module is then poisoned:
//!   its state after a trap is unknown, and a later `initThreadPool` rejects `internal` like every
//!   call (through [`guard::promise`], before this module is asked).

use super::guard;
use crate::error::{Error, Result};
use crate::model::web_pool;
use futures_channel::oneshot;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use wasm_bindgen::prelude::*;

/// The most threads `initThreadPool` starts: a cap so that a machine reporting many cores does not
/// start dozens of workers (each instantiates the module: its own stack, glue and JS heap). Not
/// measured beyond 2 cores here (BENCHMARKS.md "Browser threads").
pub const MAX_THREADS: usize = 16;

/// Set once `start` was called (the pool can be built only once per module instance); cleared
/// when a start fails before the pool was built, so that a later call may try again.
static STARTED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// The pool's start while it is under way (on the thread that called `initThreadPool`, the one
    /// whose `predict` calls must wait for it rather than run on one thread meanwhile).
    static STARTING: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
    /// Posts a job id to the coordinator: what the bootstrap resolved to (the calling thread only).
    static POST_JOB: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

/// Starts the global pool with `threads` workers through `bootstrap` (the package's
/// `startPool(module, memory, threads, onDeath)`, which resolves to a `postJob(id)` function once
/// every thread runs); resolves to `threads` then. A second call resolves at once if it asks for
/// the running size and rejects (`invalid_argument`) otherwise; a failed start rejects
/// `internal` with the bootstrap's reason. The workers are asked for before this returns, so a
/// `predict` right after it waits for them.
#[wasm_bindgen(js_name = "__startThreadPool", skip_typescript)]
pub fn start(threads: usize, bootstrap: js_sys::Function) -> js_sys::Promise {
    let begun = begin(threads, &bootstrap);
    guard::promise(async move {
        let starting = match begun {
            Err(e) => return Err(super::errors::to_js(e)),
            Ok(None) => return Ok(JsValue::from(threads)),
            Ok(Some(starting)) => starting,
        };
        let started = wasm_bindgen_futures::JsFuture::from(starting).await;
        STARTING.with(|s| *s.borrow_mut() = None);
        let post = match started {
            Ok(post) => post
                .dyn_into::<js_sys::Function>()
                .map_err(|_| "the bootstrap did not resolve to a function".to_string()),
            Err(e) => Err(super::errors::describe(&e)),
        };
        match post {
            Ok(post) => {
                POST_JOB.with(|p| *p.borrow_mut() = Some(post));
                web_pool::set_pool_threads(threads);
                Ok(JsValue::from(threads))
            }
            Err(reason) => {
                STARTED.store(false, Ordering::Release);
                let msg = format!("cannot start {threads} worker threads: {reason}");
                Err(super::errors::to_js(Error::Internal(msg)))
            }
        }
    })
}

/// Checks the request and calls the bootstrap: `Ok(None)` when a pool of this size already runs,
/// `Ok(Some(promise))` while it starts.
fn begin(threads: usize, bootstrap: &js_sys::Function) -> Result<Option<js_sys::Promise>> {
    if let Some(reason) = guard::poisoned() {
        return Err(Error::Internal(reason));
    }
    if !(1..=MAX_THREADS).contains(&threads) {
        return Err(Error::invalid_argument("threads", format!("must be between 1 and {MAX_THREADS} (got {threads})")));
    }
    if STARTED.swap(true, Ordering::AcqRel) {
        let running = web_pool::pool_threads();
        if running == threads {
            return Ok(None);
        }
        let msg = if running == 0 {
            "the thread pool is being started by an earlier call".to_string()
        } else {
            format!("the thread pool already runs {running} threads; it can be started once per module instance")
        };
        return Err(Error::invalid_argument("threads", msg));
    }
    let on_death = Closure::<dyn Fn(String)>::new(|reason: String| {
        fail_all(&reason);
        guard::poison(&reason);
    });
    let called = bootstrap.call4(
        &JsValue::NULL,
        &wasm_bindgen::module(),
        &wasm_bindgen::memory(),
        &JsValue::from(threads),
        on_death.as_ref(),
    );
    // Lives as long as a pool worker may die: the module's life.
    on_death.forget();
    let starting = match called.map(|p| p.dyn_into::<js_sys::Promise>()) {
        Ok(Ok(promise)) => promise,
        Ok(Err(_)) => js_sys::Promise::reject(&"the bootstrap did not return a promise".into()),
        Err(e) => js_sys::Promise::reject(&e),
    };
    STARTING.with(|s| *s.borrow_mut() = Some(starting.clone()));
    Ok(Some(starting))
}

/// Benchmarks only (bench/run.mjs `--tunes`): tract-linalg's thresholds below which a matrix
/// product (`panels`, default 64) or an element-wise op (`elements`, default 32768) runs on one
/// thread. Global; `0` keeps a threshold as it is.
#[wasm_bindgen(js_name = "__threadingThresholds", skip_typescript)]
pub fn threading_thresholds(panels: usize, elements: usize) -> Vec<usize> {
    use tract_linalg::multithread as mt;
    if panels > 0 {
        mt::set_threading_panel_threshold(panels);
    }
    if elements > 0 {
        mt::set_threading_element_threshold(elements);
    }
    vec![mt::current_threading_panel_threshold(), mt::current_threading_element_threshold()]
}

/// The threads inference uses now: the pool's size, or 1 before `initThreadPool`.
#[wasm_bindgen(js_name = "__threadCount", skip_typescript)]
pub fn thread_count() -> usize {
    web_pool::pool_threads().max(1)
}

/// A job's way to fail from the panic hook: sends `internal` on its channel if it is still open.
type Fail = Box<dyn FnOnce(String) + Send>;

/// Work handed to the pool.
pub(super) type Job = Box<dyn FnOnce() + Send>;

/// The jobs in flight, by id, for [`fail_all`].
static IN_FLIGHT: Mutex<Vec<(u64, Fail)>> = Mutex::new(Vec::new());
/// Jobs posted to the coordinator and not yet spawned, by id.
pub(super) static QUEUED: Mutex<Vec<(u64, Job)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Locks `m` without ever blocking in `memory.atomic.wait` (not allowed on a page's main thread):
/// spins on `try_lock`. The locks here are only held for a push, a removal or a take.
pub(super) fn spin_lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    loop {
        match m.try_lock() {
            Ok(g) => return g,
            Err(TryLockError::Poisoned(p)) => return p.into_inner(),
            Err(TryLockError::WouldBlock) => std::hint::spin_loop(),
        }
    }
}

fn in_flight() -> MutexGuard<'static, Vec<(u64, Fail)>> {
    spin_lock(&IN_FLIGHT)
}

/// Fails every job in flight with `internal: <reason>` (from the panic hook, on whatever thread
/// panicked), so that no caller waits for an answer a dead thread will never send.
pub fn fail_all(reason: &str) {
    // Jobs not spawned yet are dropped (their closures own nothing the caller waits on).
    drop(std::mem::take(&mut *spin_lock(&QUEUED)));
    let jobs = std::mem::take(&mut *in_flight());
    for (_, fail) in jobs {
        fail(reason.to_string());
    }
}

/// Runs `f` on the pool when there is one (the caller awaits without blocking), else inline
/// through the trap trampoline as the single-thread builds do. `Err` (always `internal`) means a
/// trap or panic: the calling module is poisoned then too, as [`guard::sync`] does for inline work.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    // `initThreadPool()` not awaited yet (e.g. started while the model loads): wait for the pool
    // (its failure is that call's to report; this one then runs on one thread).
    if let Some(starting) = STARTING.with(|s| s.borrow().clone()) {
        let _ = wasm_bindgen_futures::JsFuture::from(starting).await;
    }
    run_now(f).await
}

/// As [`run`], but while the pool is still starting `f` runs here at once instead of waiting
/// (loading a model: single-threaded work in tract, which can overlap the pool's start).
pub async fn run_now<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
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
    let job: Job = Box::new(move || {
        // The trampoline of this worker: a trap inside becomes `Err` here instead of killing the
        // worker with the caller still waiting.
        let out = guard::sync(move || web_pool::install(f));
        in_flight().retain(|(i, _)| *i != id);
        if let Some(tx) = take(&tx) {
            let _ = tx.send(out);
        }
    });
    spin_lock(&QUEUED).push((id, job));
    if let Err(e) = post_job(id) {
        spin_lock(&QUEUED).retain(|(i, _)| *i != id);
        in_flight().retain(|(i, _)| *i != id);
        return Err(Error::Internal(format!("cannot reach the thread pool: {}", super::errors::describe(&e))));
    }
    let out = match rx.await {
        Ok(out) => out,
        Err(_) => Err(Error::Internal("an inference thread stopped without an answer".into())),
    };
    if let Err(e) = &out {
        guard::poison(&format!("on a worker thread: {e}"));
    }
    out
}

/// Hands job `id` to the coordinator through the function the bootstrap resolved to.
fn post_job(id: u64) -> std::result::Result<(), JsValue> {
    let post = POST_JOB.with(|p| p.borrow().clone());
    match post {
        Some(post) => post.call1(&JsValue::NULL, &JsValue::from(id as f64)).map(drop),
        None => Err("the thread pool is not running".into()),
    }
}

/// Takes the sender out of its slot (with [`spin_lock`]: the main thread may call this).
fn take<S>(slot: &Mutex<Option<S>>) -> Option<S> {
    spin_lock(slot).take()
}
