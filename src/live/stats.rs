//! Purpose: the live lookup's counters, and their names for `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters for `/metrics` (monotonic since start).
#[derive(Debug, Default)]
pub struct LiveCounters {
    pub(super) requests: AtomicU64,
    pub(super) cache_hits: AtomicU64,
    pub(super) not_found: AtomicU64,
    pub(super) errors: AtomicU64,
    pub(super) rate_limited: AtomicU64,
}

/// A copy of [`LiveCounters`] at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct LiveStats {
    /// HTTP requests sent to the lookup page.
    pub requests: u64,
    /// Answers served from a cache (memory or [`super::LiveCache`]).
    pub cache_hits: u64,
    /// Requests whose page had no such code.
    pub not_found: u64,
    /// Lookups that ended in a [`super::LiveError`] (429s included).
    pub errors: u64,
    /// 429 answers from Microsoft.
    pub rate_limited: u64,
}

impl LiveStats {
    /// `(name, help, value)` for each counter, Prometheus-style names
    /// without the `aadsts_` prefix (`live_requests_total`, ...).
    pub fn metrics(&self) -> [(&'static str, &'static str, u64); 5] {
        [
            (
                "live_requests_total",
                "Requests sent to Microsoft's lookup page.",
                self.requests,
            ),
            (
                "live_cache_hits_total",
                "Live lookups answered from a cache.",
                self.cache_hits,
            ),
            (
                "live_not_found_total",
                "Lookup pages without the code.",
                self.not_found,
            ),
            (
                "live_errors_total",
                "Live lookups that failed (429s included).",
                self.errors,
            ),
            (
                "live_rate_limited_total",
                "429 answers from the lookup page.",
                self.rate_limited,
            ),
        ]
    }
}

impl LiveCounters {
    /// The current values.
    pub fn snapshot(&self) -> LiveStats {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        LiveStats {
            requests: get(&self.requests),
            cache_hits: get(&self.cache_hits),
            not_found: get(&self.not_found),
            errors: get(&self.errors),
            rate_limited: get(&self.rate_limited),
        }
    }
}

pub(super) fn bump(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}
