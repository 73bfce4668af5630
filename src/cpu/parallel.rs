//! The CPU program's threads: the same pool tract's plan runs on — natively the session's
//! `--threads` pool, in the threaded wasm build rayon's global pool on Web Workers — read from
//! tract-linalg's current executor, which `Session::run` installs around both engines. Without
//! a pool (one thread, the single-thread wasm builds) every job runs on the calling thread.
//!
//! Jobs split a step between output tiles, never inside a sum, so results are bit-identical at
//! any thread count (`tests/threads.rs`).

#[cfg(any(not(target_arch = "wasm32"), feature = "threads"))]
use tract_onnx::tract_core::tract_linalg::multithread::{current_tract_executor, Executor};

/// How many threads the current executor runs (1 without a pool).
pub(crate) fn threads() -> usize {
    #[cfg(any(not(target_arch = "wasm32"), feature = "threads"))]
    match current_tract_executor() {
        Executor::SingleThread => 1,
        Executor::MultiThread(pool) => pool.current_num_threads(),
        Executor::RayonGlobal => rayon::current_num_threads(),
    }
    #[cfg(not(any(not(target_arch = "wasm32"), feature = "threads")))]
    1
}

/// Runs `f` on every job, split over the current executor's threads; returns when all are done.
pub(crate) fn for_each<T: Send>(jobs: Vec<T>, f: impl Fn(T) + Sync + Send) {
    #[cfg(any(not(target_arch = "wasm32"), feature = "threads"))]
    {
        use rayon::prelude::*;
        match current_tract_executor() {
            Executor::SingleThread => jobs.into_iter().for_each(f),
            Executor::MultiThread(pool) => pool.install(|| jobs.into_par_iter().for_each(f)),
            Executor::RayonGlobal => jobs.into_par_iter().for_each(f),
        }
    }
    #[cfg(not(any(not(target_arch = "wasm32"), feature = "threads")))]
    jobs.into_iter().for_each(f)
}
