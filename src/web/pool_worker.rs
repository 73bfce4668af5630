//! The threaded build only (feature `threads`): what the pool's workers run (`npm/pool_worker.js`
//! calls these after instantiating the module on the shared memory).
//!
//! - The coordinator calls [`build`]: rayon's global pool of `n` threads, whose spawn handler does
//!   not start threads itself but queues each thread's [`rayon::ThreadBuilder`] for a helper.
//!   `build_global` returns once every thread runs ("primed"), which is why it runs on a worker.
//! - Each helper calls [`helper`]: it takes one queued builder (waiting for it: a worker may block)
//!   and runs that pool thread for the module's life.
//! - The coordinator then hands each job posted by the calling thread to the pool ([`run_job`]).
//!
//! The bootstrap (`npm/pool.js`) starts the helpers and the coordinator together and asks for the
//! build only once every one of them has instantiated the module, so `build` never waits for a
//! helper that cannot start.

use super::pool::{spin_lock, Job, QUEUED};
use std::sync::{Condvar, Mutex, PoisonError};
use wasm_bindgen::prelude::*;

/// The pool threads' builders, queued by the coordinator's spawn handler for the helpers.
static BUILDERS: Mutex<Vec<rayon::ThreadBuilder>> = Mutex::new(Vec::new());
/// Signalled when a builder is queued.
static QUEUED_BUILDER: Condvar = Condvar::new();

/// On the coordinator: builds rayon's global pool with `threads` threads, run by the helpers;
/// returns once they all run. Fails (with rayon's reason) if this module's global pool exists.
#[wasm_bindgen(js_name = "__poolBuild", skip_typescript)]
pub fn build(threads: usize) -> Result<(), JsValue> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("yolo-wasm pool {i}"))
        .spawn_handler(|thread| {
            BUILDERS.lock().unwrap_or_else(PoisonError::into_inner).push(thread);
            QUEUED_BUILDER.notify_one();
            Ok(())
        })
        .build_global()
        .map_err(|e| JsValue::from_str(&format!("rayon: {e}")))
}

/// On a helper: waits for one of the pool's threads and runs it (for the module's life; it
/// returns only if the pool ends).
#[wasm_bindgen(js_name = "__poolHelper", skip_typescript)]
pub fn helper() {
    let mut queue = BUILDERS.lock().unwrap_or_else(PoisonError::into_inner);
    let thread = loop {
        if let Some(thread) = queue.pop() {
            break thread;
        }
        queue = QUEUED_BUILDER.wait(queue).unwrap_or_else(PoisonError::into_inner);
    };
    drop(queue);
    thread.run();
}

/// On the coordinator: spawns the queued job `id` on the pool (an unknown id is ignored: its job
/// was already failed and dropped).
#[wasm_bindgen(js_name = "__runJob", skip_typescript)]
pub fn run_job(id: f64) {
    let mut queued = spin_lock(&QUEUED);
    let job: Option<Job> = queued.iter().position(|(i, _)| *i as f64 == id).map(|k| queued.swap_remove(k).1);
    drop(queued);
    if let Some(job) = job {
        rayon::spawn(job);
    }
}
