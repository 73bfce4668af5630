//! Bounded concurrency with a bounded queue: at most `concurrency` requests run inference at
//! once, at most `queue` more wait for a slot, and any request beyond that is refused at once
//! (503) rather than piling up.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The server's inference slots and waiting room. Cloning shares them.
#[derive(Debug, Clone)]
pub struct Admission {
    slots: Arc<Semaphore>,
    in_system: Arc<AtomicUsize>,
    capacity: usize,
}

/// Refusal: every slot is busy and the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// A request admitted into the system (running or queued); leaving frees its place.
#[derive(Debug)]
pub struct Waiting {
    admission: Admission,
}

/// A request holding an inference slot; dropping it frees the slot and the place.
#[derive(Debug)]
pub struct Ticket {
    _permit: OwnedSemaphorePermit,
    _place: Waiting,
}

impl Admission {
    /// `concurrency` slots (at least 1) and a queue of `queue` places.
    pub fn new(concurrency: usize, queue: usize) -> Self {
        let concurrency = concurrency.max(1);
        Admission {
            slots: Arc::new(Semaphore::new(concurrency)),
            in_system: Arc::new(AtomicUsize::new(0)),
            capacity: concurrency + queue,
        }
    }

    /// Takes a place (running or queued), or refuses when slots and queue are all taken.
    /// Also usable by tests and tools to occupy the server deterministically.
    pub fn try_enter(&self) -> Result<Waiting, Busy> {
        let admitted =
            self.in_system.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.capacity).then_some(n + 1));
        admitted.map(|_| Waiting { admission: self.clone() }).map_err(|_| Busy)
    }

    /// Requests running or queued.
    pub fn in_system(&self) -> usize {
        self.in_system.load(Ordering::Acquire)
    }
}

impl Waiting {
    /// Waits for an inference slot.
    pub async fn ready(self) -> Ticket {
        let slots = self.admission.slots.clone();
        // The semaphore is never closed, so acquiring cannot fail; if it ever did, running
        // without a slot would be wrong, so wait forever and let the request's timeout answer.
        match slots.acquire_owned().await {
            Ok(permit) => Ticket { _permit: permit, _place: self },
            Err(_) => std::future::pending().await,
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.admission.in_system.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn queue_bounds_the_requests_in_the_system() {
        let a = Admission::new(1, 1);
        let running = a.try_enter().unwrap().ready().await;
        let queued = a.try_enter().unwrap();
        assert_eq!(a.try_enter().unwrap_err(), Busy);
        drop(running);
        let _t = queued.ready().await;
        assert_eq!(a.in_system(), 1);
        assert!(a.try_enter().is_ok());
    }
}
