//! Native only: how many threads tract may use for one inference.
//!
//! A [`Threads`] is built once (one rayon pool) and cloned into every model that should use it:
//! cloning shares the pool, it never starts threads. `Threads::new(1)` (and
//! [`Threads::default`]) is the single-thread path exactly: no pool, no executor override,
//! tract runs on the calling thread as it always did.
//!
//! Inference runs inside tract-linalg's `multithread_tract_scope`, a thread-local override of
//! its executor: the matrix products, packing, convolutions and element-wise ops big enough to
//! pass tract's thresholds are split over the pool; the calling thread waits meanwhile. tract
//! splits work only between output tiles or rows, never inside a sum, so results are
//! bit-identical at any thread count (checked by `tests/threads.rs`).

use crate::error::{Error, Result};
use std::sync::Arc;
use tract_linalg::multithread::{multithread_tract_scope, Executor};

/// The thread budget of an inference: one thread, or a shared rayon pool.
#[derive(Debug, Clone, Default)]
pub struct Threads {
    /// `None`: the calling thread alone.
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl Threads {
    /// `n` threads: `1` = the calling thread only; more = a new rayon pool of `n` threads,
    /// named `yolo-wasm-N`. `0` is an error, as is a pool the OS refuses to start.
    pub fn new(n: usize) -> Result<Threads> {
        match n {
            0 => Err(Error::invalid_argument("threads", "must be at least 1")),
            1 => Ok(Threads::default()),
            n => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .thread_name(|i| format!("yolo-wasm-{i}"))
                .build()
                .map(|pool| Threads { pool: Some(Arc::new(pool)) })
                .map_err(|e| Error::Internal(format!("cannot start {n} inference threads: {e}"))),
        }
    }

    /// The number of threads of the pool (1 without one).
    pub fn count(&self) -> usize {
        self.pool.as_ref().map_or(1, |p| p.current_num_threads())
    }

    /// Runs `f` (tract work) with this thread budget. A panic inside `f` still restores the
    /// calling thread's executor before it unwinds further.
    pub(crate) fn install<R>(&self, f: impl FnOnce() -> R) -> R {
        let Some(pool) = &self.pool else { return f() };
        let executor = Executor::MultiThread(pool.clone());
        let result = multithread_tract_scope(executor, || std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

/// The threads a machine offers (`std::thread::available_parallelism`, 1 when unknown).
pub fn available() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_refused_one_is_no_pool() {
        let e = Threads::new(0).unwrap_err();
        assert_eq!(e.code(), "invalid_argument");
        assert!(e.to_string().contains("threads"), "{e}");
        let one = Threads::new(1).unwrap();
        assert!(one.pool.is_none());
        assert_eq!(one.count(), 1);
        let two = Threads::new(2).unwrap();
        assert_eq!(two.count(), 2);
        // Clones share the pool.
        let clone = two.clone();
        assert!(Arc::ptr_eq(two.pool.as_ref().unwrap(), clone.pool.as_ref().unwrap()));
        assert!(available() >= 1);
    }

    #[test]
    fn the_scope_is_set_inside_and_restored_after_a_panic() {
        use tract_linalg::multithread::current_tract_executor;
        let two = Threads::new(2).unwrap();
        let inside = two.install(current_tract_executor);
        assert!(matches!(inside, Executor::MultiThread(p) if p.current_num_threads() == 2));
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| two.install(|| panic!("on purpose"))));
        assert!(caught.is_err());
        assert!(matches!(current_tract_executor(), Executor::SingleThread));
        assert!(matches!(Threads::new(1).unwrap().install(current_tract_executor), Executor::SingleThread));
    }
}
