//! The threaded wasm build only (feature `threads`): how many threads rayon's global pool has,
//! and tract's executor for an inference.
//!
//! The pool itself is started from JavaScript (`initThreadPool`, `src/web/pool.rs`): one Web
//! Worker per thread, sharing this module's memory. Until then (and in the single-thread
//! builds) inference runs on the calling thread exactly as before.

use std::sync::atomic::{AtomicUsize, Ordering};
use tract_linalg::multithread::{multithread_tract_scope, Executor};

/// Threads of the global pool; 0 while there is none.
static POOL_THREADS: AtomicUsize = AtomicUsize::new(0);

/// The number of threads of the global pool, 0 while none is started.
pub fn pool_threads() -> usize {
    POOL_THREADS.load(Ordering::Acquire)
}

/// Records that the global pool runs `n` threads (called once it is ready).
pub(crate) fn set_pool_threads(n: usize) {
    POOL_THREADS.store(n, Ordering::Release);
}

/// Runs `f` (tract work) with rayon's global pool as tract's executor when the pool has more
/// than one thread; else on the calling thread alone. tract splits work between output tiles or
/// rows, never inside a sum, so results do not depend on the thread count.
pub(crate) fn install<R>(f: impl FnOnce() -> R) -> R {
    if pool_threads() > 1 {
        multithread_tract_scope(Executor::RayonGlobal, f)
    } else {
        f()
    }
}
