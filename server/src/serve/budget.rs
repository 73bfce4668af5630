//! A global bound on the request bytes held in memory (`--max-buffered-mb`).
//!
//! Every upload is buffered whole before its form is parsed, so without a bound, many slow or
//! stalled uploads could pin any amount of memory before admission ever sees them. Each request
//! reserves its buffer from one shared budget as the bytes arrive (all of the announced
//! `Content-Length` at once, else chunk by chunk); a request the budget cannot cover is refused
//! at once with 503 rather than waiting. The reservation lives until the request's job has
//! decoded the image, since the upload's bytes live that long.

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Granularity of the budget (permits are KiB).
const UNIT: usize = 1024;

/// Copies of an upload that may be alive at once: the received body, the form parser's buffer
/// and the `file` field it returns.
pub const BODY_COPIES: usize = 3;

/// The shared budget. Cloning shares it.
#[derive(Debug, Clone)]
pub struct Budget {
    permits: Arc<Semaphore>,
    total_units: usize,
}

/// Bytes reserved by one request; dropping it gives them back.
#[derive(Debug, Default)]
pub struct Reservation {
    permit: Option<OwnedSemaphorePermit>,
    units: usize,
}

/// Refusal: the budget is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spent;

fn units(bytes: usize) -> usize {
    bytes.saturating_mul(BODY_COPIES).div_ceil(UNIT)
}

impl Budget {
    /// A budget of `bytes` (at least 1 KiB).
    pub fn new(bytes: usize) -> Self {
        let total_units = (bytes / UNIT).clamp(1, Semaphore::MAX_PERMITS);
        Budget { permits: Arc::new(Semaphore::new(total_units)), total_units }
    }

    /// Bytes the budget holds in all.
    pub fn total_bytes(&self) -> usize {
        self.total_units * UNIT
    }

    /// Bytes reserved right now by all requests.
    pub fn reserved_bytes(&self) -> usize {
        (self.total_units - self.permits.available_permits()) * UNIT
    }

    /// Grows `reservation` so that it covers a body buffer of `bytes` (times [`BODY_COPIES`]),
    /// or refuses without waiting.
    pub fn cover(&self, reservation: &mut Reservation, bytes: usize) -> Result<(), Spent> {
        let want = units(bytes);
        if want <= reservation.units {
            return Ok(());
        }
        let more = u32::try_from(want - reservation.units).map_err(|_| Spent)?;
        let permit = self.permits.clone().try_acquire_many_owned(more).map_err(|_| Spent)?;
        match &mut reservation.permit {
            Some(p) => p.merge(permit),
            None => reservation.permit = Some(permit),
        }
        reservation.units = want;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_bounded_and_given_back() {
        let b = Budget::new(30 * UNIT);
        let mut r1 = Reservation::default();
        b.cover(&mut r1, 5 * UNIT).unwrap();
        assert_eq!(b.reserved_bytes(), 15 * UNIT);
        b.cover(&mut r1, 6 * UNIT).unwrap();
        assert_eq!(b.reserved_bytes(), 18 * UNIT);
        let mut r2 = Reservation::default();
        assert_eq!(b.cover(&mut r2, 5 * UNIT), Err(Spent));
        b.cover(&mut r2, 4 * UNIT).unwrap();
        drop(r1);
        assert_eq!(b.reserved_bytes(), 12 * UNIT);
        drop(r2);
        assert_eq!(b.reserved_bytes(), 0);
    }
}
