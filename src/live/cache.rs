//! Purpose: where answers of Microsoft's live lookup are kept between
//! requests: the [`LiveCache`] trait (the bot backs it with the store's
//! table, the CLI with [`MemoryCache`]) and the freshness rule.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::code::AadstsCode;

use super::LiveEntry;

/// How long a found description is trusted.
pub const FOUND_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// How long "Microsoft doesn't know this code" is trusted.
pub const NOT_FOUND_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// One remembered answer: the description, or `None` when Microsoft's page
/// had no such code, and when it was fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedLookup {
    /// What the page said; `None`: the page had no table for the code.
    pub entry: Option<LiveEntry>,
    /// When the page was asked (the TTL counts from here).
    pub fetched_at: SystemTime,
}

impl CachedLookup {
    /// Whether the answer may still be used at `now`: found answers for
    /// [`FOUND_TTL`], not-found ones for [`NOT_FOUND_TTL`]. A `fetched_at`
    /// in the future (a clock step back) counts as fresh.
    pub fn is_fresh(&self, now: SystemTime) -> bool {
        let ttl = if self.entry.is_some() {
            FOUND_TTL
        } else {
            NOT_FOUND_TTL
        };
        now.duration_since(self.fetched_at)
            .map_or(true, |age| age < ttl)
    }
}

/// Storage for live answers, keyed by code and sign-in host
/// (`login.microsoftonline.com`, `login.microsoftonline.us`, ...).
///
/// Implementations decide nothing about freshness: they return what was
/// put, and [`super::LiveLookup`] checks the age. Errors of a backing
/// database are the implementation's to log; a failed `get` is a miss.
pub trait LiveCache: Send + Sync {
    /// The answer last put for `(code, host)`, however old.
    fn get(&self, code: AadstsCode, host: &str) -> Option<CachedLookup>;
    /// Remembers an answer, replacing any older one.
    fn put(&self, code: AadstsCode, host: &str, value: &CachedLookup);
}

/// A [`LiveCache`] in memory, at most `capacity` answers (then stale ones
/// are dropped, and if none is stale the new answer is not kept).
#[derive(Debug)]
pub struct MemoryCache {
    map: Mutex<HashMap<(u32, String), CachedLookup>>,
    capacity: usize,
}

impl MemoryCache {
    /// Answers kept by [`MemoryCache::default`].
    pub const DEFAULT_CAPACITY: usize = 4096;

    /// An empty cache holding at most `capacity` answers.
    pub fn new(capacity: usize) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// How many answers are kept.
    pub fn len(&self) -> usize {
        self.map.lock().map_or(0, |m| m.len())
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl LiveCache for MemoryCache {
    fn get(&self, code: AadstsCode, host: &str) -> Option<CachedLookup> {
        let map = self.map.lock().ok()?;
        map.get(&(code.number(), host.to_owned())).cloned()
    }

    fn put(&self, code: AadstsCode, host: &str, value: &CachedLookup) {
        let Ok(mut map) = self.map.lock() else { return };
        let key = (code.number(), host.to_owned());
        if map.len() >= self.capacity && !map.contains_key(&key) {
            let now = SystemTime::now();
            map.retain(|_, v| v.is_fresh(now));
            if map.len() >= self.capacity {
                return;
            }
        }
        map.insert(key, value.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(n: u32) -> AadstsCode {
        AadstsCode::new(n).unwrap()
    }

    fn found(at: SystemTime) -> CachedLookup {
        CachedLookup {
            entry: Some(LiveEntry {
                message: "m".into(),
                remediation: None,
            }),
            fetched_at: at,
        }
    }

    fn missing(at: SystemTime) -> CachedLookup {
        CachedLookup {
            entry: None,
            fetched_at: at,
        }
    }

    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn found_answers_last_seven_days() {
        let t = SystemTime::UNIX_EPOCH + DAY * 100;
        assert!(found(t).is_fresh(t + DAY * 6));
        assert!(!found(t).is_fresh(t + DAY * 7));
    }

    #[test]
    fn not_found_answers_last_one_day() {
        let t = SystemTime::UNIX_EPOCH + DAY * 100;
        assert!(missing(t).is_fresh(t + DAY - Duration::from_secs(1)));
        assert!(!missing(t).is_fresh(t + DAY));
    }

    #[test]
    fn a_future_fetch_time_is_fresh() {
        let t = SystemTime::UNIX_EPOCH + DAY * 100;
        assert!(missing(t + DAY).is_fresh(t));
    }

    #[test]
    fn memory_cache_keys_by_code_and_host() {
        let c = MemoryCache::default();
        let now = SystemTime::now();
        c.put(code(50076), "login.microsoftonline.com", &found(now));
        assert_eq!(
            c.get(code(50076), "login.microsoftonline.com"),
            Some(found(now))
        );
        assert_eq!(c.get(code(50076), "login.microsoftonline.us"), None);
        assert_eq!(c.get(code(50077), "login.microsoftonline.com"), None);
        c.put(code(50076), "login.microsoftonline.com", &missing(now));
        assert_eq!(
            c.get(code(50076), "login.microsoftonline.com"),
            Some(missing(now))
        );
    }

    #[test]
    fn memory_cache_stays_within_capacity() {
        let c = MemoryCache::new(2);
        let old = SystemTime::UNIX_EPOCH;
        let now = SystemTime::now();
        c.put(code(1), "h", &missing(old));
        c.put(code(2), "h", &found(now));
        // Full: the stale answer makes room.
        c.put(code(3), "h", &found(now));
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(code(1), "h"), None);
        // Full of fresh answers: the new one is not kept.
        c.put(code(4), "h", &found(now));
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(code(4), "h"), None);
        // Replacing a kept answer always works.
        c.put(code(2), "h", &missing(now));
        assert_eq!(c.get(code(2), "h"), Some(missing(now)));
    }
}
