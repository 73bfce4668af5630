//! Requests per hour, per API key (per peer IP when the server runs open), over a sliding
//! window: a request is allowed when fewer than `limit` requests were allowed in the last hour.

use axum::http::{HeaderMap, HeaderValue};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Length of the window.
pub const WINDOW: Duration = Duration::from_secs(3600);

/// Whose requests are counted together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// An API key, by its index in the key store (the key itself is never stored twice).
    Key(usize),
    /// A peer address (open servers).
    Ip(IpAddr),
}

/// The outcome of one check, and what the `X-RateLimit-*` headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    /// Whether the request may go on.
    pub allowed: bool,
    /// Requests per hour.
    pub limit: u32,
    /// Requests left in the window after this one.
    pub remaining: u32,
    /// UNIX time (s) at which the oldest counted request leaves the window (a slot frees).
    pub reset_epoch: u64,
    /// Seconds until then (at least 1): `Retry-After` of a 429.
    pub retry_after: u64,
}

impl RateStatus {
    /// Adds `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (and `Retry-After`
    /// when refused) to a response's headers.
    pub fn apply(&self, headers: &mut HeaderMap) {
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset_epoch));
        if !self.allowed {
            headers.insert("retry-after", HeaderValue::from(self.retry_after));
        }
    }

    /// The body message of a 429.
    pub fn message(&self) -> String {
        format!("Rate limit exceeded: {} requests per hour; retry in {} s", self.limit, self.retry_after)
    }
}

/// Sliding-window counters of every bucket.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<Bucket, VecDeque<Instant>>>,
}

impl RateLimiter {
    /// A limiter with no history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a request of `bucket` against `limit` per hour (`0`: unlimited, returns `None`).
    pub fn check(&self, bucket: Bucket, limit: u32) -> Option<RateStatus> {
        self.check_at(bucket, limit, Instant::now(), SystemTime::now())
    }

    /// [`RateLimiter::check`] at a given time (tests).
    pub fn check_at(&self, bucket: Bucket, limit: u32, now: Instant, wall: SystemTime) -> Option<RateStatus> {
        if limit == 0 {
            return None;
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > 4096 {
            // Forget buckets whose requests all left the window (open servers see many IPs).
            buckets.retain(|_, q| q.back().is_some_and(|&t| now.duration_since(t) < WINDOW));
        }
        let q = buckets.entry(bucket).or_default();
        while q.front().is_some_and(|&t| now.duration_since(t) >= WINDOW) {
            q.pop_front();
        }
        let allowed = q.len() < limit as usize;
        if allowed {
            q.push_back(now);
        }
        let remaining = (limit as usize).saturating_sub(q.len()) as u32;
        // A slot frees when the oldest counted request leaves the window.
        let frees_in = q.front().map_or(Duration::ZERO, |&t| (t + WINDOW).saturating_duration_since(now));
        let epoch = wall.duration_since(UNIX_EPOCH).unwrap_or_default() + frees_in;
        let retry_after = frees_in.as_secs_f64().ceil().max(1.0) as u64;
        Some(RateStatus { allowed, limit, remaining, reset_epoch: epoch.as_secs_f64().ceil() as u64, retry_after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_counts_the_last_hour() {
        let rl = RateLimiter::new();
        let (t0, wall) = (Instant::now(), SystemTime::now());
        let b = Bucket::Key(0);
        let s1 = rl.check_at(b, 2, t0, wall).unwrap();
        assert!(s1.allowed && s1.remaining == 1);
        let s2 = rl.check_at(b, 2, t0 + Duration::from_secs(600), wall).unwrap();
        assert!(s2.allowed && s2.remaining == 0);
        let s3 = rl.check_at(b, 2, t0 + Duration::from_secs(1200), wall).unwrap();
        assert!(!s3.allowed);
        assert_eq!(s3.retry_after, 2400, "the first request leaves the window 40 min later");
        // An hour after the first request, one slot is free again; not two.
        let later = t0 + Duration::from_secs(3600);
        assert!(rl.check_at(b, 2, later, wall).unwrap().allowed);
        assert!(!rl.check_at(b, 2, later, wall).unwrap().allowed);
        // Other buckets are independent; 0 is unlimited.
        assert!(rl.check_at(Bucket::Key(1), 2, later, wall).unwrap().allowed);
        assert_eq!(rl.check_at(b, 0, later, wall), None);
    }

    #[test]
    fn headers_of_a_refusal() {
        let rl = RateLimiter::new();
        let b = Bucket::Ip(IpAddr::from([127, 0, 0, 1]));
        rl.check(b, 1);
        let s = rl.check(b, 1).unwrap();
        let mut h = HeaderMap::new();
        s.apply(&mut h);
        assert_eq!(h["x-ratelimit-limit"], "1");
        assert_eq!(h["x-ratelimit-remaining"], "0");
        assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 0);
        assert!(s.message().starts_with("Rate limit exceeded: 1 requests per hour; retry in"));
    }
}
