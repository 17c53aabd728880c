//! Purpose: Microsoft's live lookup for codes the knowledge base lacks:
//! ask `https://{host}/error?code=N` (only the number is sent), read its
//! table, remember the answer (found 7 days, not found 1 day), one request
//! per code at a time and at most `LIVE_LOOKUP_RATE` requests a second.
//!
//! The bot replies with the family fallback at once and edits the reply
//! when [`LiveLookup::describe`] answers; [`LiveLookup::cached`] tells it,
//! without any I/O, whether the answer is already known.
//!
//! - [`config`]: settings from the environment.
//! - [`cache`]: the [`LiveCache`] trait, [`MemoryCache`], the TTLs.
//! - [`page`]: the HTML page -> [`LiveEntry`].
//! - `http`, `stats`: request details; counters ([`LiveStats`]).
//! - [`embed`](mod@embed): [`LiveEntry`] -> fields beside the fallback embed.

pub mod cache;
pub mod config;
pub mod embed;
mod http;
pub mod page;
mod stats;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use dashmap::DashMap;
use tokio::sync::OnceCell;
use tokio::time::Instant;

use crate::code::AadstsCode;
use crate::render::lookup_host;

pub use cache::{CachedLookup, LiveCache, MemoryCache};
pub use config::{LiveConfig, LiveConfigError};
pub use embed::embed;
pub use http::MAX_PAGE;
pub use stats::{LiveCounters, LiveStats};

use http::{read_capped, request_error, retry_after};
use stats::bump;

/// How long a reply waits for the live lookup before it is sent with the
/// fallback alone (and edited when the answer comes).
pub const REPLY_WAIT: Duration = Duration::from_millis(1500);
/// The user agent of every request.
pub const USER_AGENT: &str = concat!(
    "aadsts-bot/",
    env!("CARGO_PKG_VERSION"),
    " (error code lookup)"
);
/// Answers kept in memory for [`LiveLookup::cached`].
const FRONT_CAPACITY: usize = 4096;
/// Longest pause honoured from a 429's `Retry-After`.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);
/// Pause after a 429 without `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(10);

/// What Microsoft's lookup page says about a code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LiveEntry {
    /// The message template, `{placeholders}` kept (at most 1,000 characters).
    pub message: String,
    /// The remediation line, when the page has one (at most 1,000 characters).
    pub remediation: Option<String>,
}

/// Why the live lookup gave no answer. None of these is cached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiveError {
    /// `LIVE_LOOKUP=off`.
    #[error("the live lookup is turned off")]
    Disabled,
    /// No complete answer within the request timeout (3 s).
    #[error("the live lookup did not answer in time")]
    Timeout,
    /// Microsoft answered 429 Too Many Requests.
    #[error("the live lookup is rate limited (HTTP 429)")]
    RateLimited,
    /// Too many requests are already waiting for their turn.
    #[error("too many live lookups are waiting")]
    Busy,
    /// An HTTP status other than 200 (or 404 with a page).
    #[error("the live lookup answered HTTP {0}")]
    Status(u16),
    /// Connecting or reading failed (the kind only, no URL).
    #[error("the live lookup request failed: {0}")]
    Request(&'static str),
    /// The answer is not a lookup page we can read.
    #[error("the live lookup page could not be read: {0}")]
    Malformed(&'static str),
}

/// Whether [`LiveLookup::cached`] knows the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheState {
    /// Nothing fresh in memory: call [`LiveLookup::describe`].
    Miss,
    /// Microsoft's page has no such code.
    NotFound,
    /// Microsoft's description.
    Found(LiveEntry),
}

/// What [`LiveLookup::describe_within`] has after its wait.
#[derive(Debug)]
pub enum Waited {
    /// The answer came in time.
    Ready(Result<Option<LiveEntry>, LiveError>),
    /// Still asking: send the fallback now, await this, then edit.
    Later(tokio::task::JoinHandle<Result<Option<LiveEntry>, LiveError>>),
}

type Key = (u32, &'static str);
type Outcome = Result<Option<LiveEntry>, LiveError>;

/// The live lookup: cheap to clone (clones share caches, limits and
/// counters), so a spawned task can hold one.
#[derive(Clone)]
pub struct LiveLookup {
    inner: Arc<Inner>,
}

struct Inner {
    config: LiveConfig,
    client: reqwest::Client,
    cache: Arc<dyn LiveCache>,
    front: DashMap<Key, CachedLookup>,
    in_flight: Mutex<HashMap<Key, Arc<OnceCell<Outcome>>>>,
    next_slot: Mutex<Option<Instant>>,
    counters: LiveCounters,
}

impl std::fmt::Debug for LiveLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveLookup")
            .field("config", &self.inner.config)
            .field("stats", &self.inner.counters.snapshot())
            .finish_non_exhaustive()
    }
}

impl LiveLookup {
    /// A lookup with these settings, remembering answers in `cache`
    /// (and in memory, for [`LiveLookup::cached`]).
    pub fn new(config: LiveConfig, cache: Arc<dyn LiveCache>) -> Self {
        // No cookie store (reqwest keeps none without its `cookies`
        // feature), no redirects: one GET with the code and nothing else.
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "live lookup client: using reqwest's defaults");
                reqwest::Client::new()
            });
        Self {
            inner: Arc::new(Inner {
                config,
                client,
                cache,
                front: DashMap::new(),
                in_flight: Mutex::new(HashMap::new()),
                next_slot: Mutex::new(None),
                counters: LiveCounters::default(),
            }),
        }
    }

    /// Whether the lookup may ask Microsoft at all.
    pub fn is_enabled(&self) -> bool {
        self.inner.config.enabled
    }

    /// The settings in use.
    pub fn config(&self) -> &LiveConfig {
        &self.inner.config
    }

    /// The counters for `/metrics`.
    pub fn counters(&self) -> &LiveCounters {
        &self.inner.counters
    }

    /// The page asked for `code` on `host` (`LIVE_LOOKUP_URL` replaces
    /// `https://{host}`); hosts other than the known sign-in hosts are
    /// asked on the public cloud's.
    pub fn page_url(&self, code: AadstsCode, host: &str) -> String {
        let base = match &self.inner.config.base_url {
            Some(base) => base.clone(),
            None => format!("https://{}", lookup_host(Some(host))),
        };
        format!("{base}/error?code={}", code.number())
    }

    /// The answer for `(code, host)` if memory holds a fresh one. Never
    /// does I/O, never waits: for deciding whether a reply can show
    /// Microsoft's description at once. `Miss` when turned off.
    pub fn cached(&self, code: AadstsCode, host: &str) -> CacheState {
        if !self.is_enabled() {
            return CacheState::Miss;
        }
        let key = (code.number(), lookup_host(Some(host)));
        match self.inner.front.get(&key) {
            Some(c) if c.is_fresh(SystemTime::now()) => match &c.entry {
                Some(e) => CacheState::Found(e.clone()),
                None => CacheState::NotFound,
            },
            _ => CacheState::Miss,
        }
    }

    /// Microsoft's description of `code` on `host`: `Ok(None)` when its
    /// page doesn't know the code. From memory or the [`LiveCache`] when
    /// fresh; else one request, shared by everyone asking for the same
    /// code and host meanwhile, within the rate limit and the timeout.
    pub async fn describe(
        &self,
        code: AadstsCode,
        host: &str,
    ) -> Result<Option<LiveEntry>, LiveError> {
        if !self.is_enabled() {
            return Err(LiveError::Disabled);
        }
        let host = lookup_host(Some(host));
        let key = (code.number(), host);
        if let Some(hit) = self.fresh_in_memory(key) {
            bump(&self.inner.counters.cache_hits);
            return Ok(hit);
        }
        let cell = {
            let Ok(mut map) = self.inner.in_flight.lock() else {
                return Err(LiveError::Request("internal lock"));
            };
            map.entry(key).or_default().clone()
        };
        let outcome = cell.get_or_init(|| self.resolve(code, host)).await.clone();
        if let Ok(mut map) = self.inner.in_flight.lock() {
            if map.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                map.remove(&key);
            }
        }
        outcome
    }

    /// [`LiveLookup::describe`] on a task of its own, waited for at most
    /// `wait` (the bot uses [`REPLY_WAIT`]): the answer, or the task to
    /// await after the fallback reply has been sent. Needs a Tokio runtime.
    pub async fn describe_within(&self, code: AadstsCode, host: &str, wait: Duration) -> Waited {
        let this = self.clone();
        let host = lookup_host(Some(host));
        let mut task = tokio::spawn(async move { this.describe(code, host).await });
        match tokio::time::timeout(wait, &mut task).await {
            Ok(joined) => Waited::Ready(joined.unwrap_or(Err(LiveError::Request("task ended")))),
            Err(_) => Waited::Later(task),
        }
    }

    fn fresh_in_memory(&self, key: Key) -> Option<Option<LiveEntry>> {
        let c = self.inner.front.get(&key)?;
        c.is_fresh(SystemTime::now()).then(|| c.entry.clone())
    }

    /// The single flight's body: caches first, then the page.
    async fn resolve(&self, code: AadstsCode, host: &'static str) -> Outcome {
        let key = (code.number(), host);
        // An answer may have landed while this caller queued for the cell.
        if let Some(hit) = self.fresh_in_memory(key) {
            bump(&self.inner.counters.cache_hits);
            return Ok(hit);
        }
        if let Some(stored) = self.inner.cache.get(code, host) {
            if stored.is_fresh(SystemTime::now()) {
                bump(&self.inner.counters.cache_hits);
                let entry = stored.entry.clone();
                self.remember_in_memory(key, stored);
                return Ok(entry);
            }
        }
        let outcome = self.fetch(code, host).await;
        match &outcome {
            Ok(entry) => {
                if entry.is_none() {
                    bump(&self.inner.counters.not_found);
                }
                let value = CachedLookup {
                    entry: entry.clone(),
                    fetched_at: SystemTime::now(),
                };
                self.inner.cache.put(code, host, &value);
                self.remember_in_memory(key, value);
            }
            Err(e) => {
                bump(&self.inner.counters.errors);
                if matches!(e, LiveError::Malformed(_)) {
                    // The page may have changed shape: worth an operator's look.
                    tracing::warn!(code = code.number(), host, error = %e, "live lookup page not understood");
                } else {
                    tracing::debug!(code = code.number(), host, error = %e, "live lookup failed");
                }
            }
        }
        outcome
    }

    fn remember_in_memory(&self, key: Key, value: CachedLookup) {
        let front = &self.inner.front;
        if front.len() >= FRONT_CAPACITY && !front.contains_key(&key) {
            let now = SystemTime::now();
            front.retain(|_, v| v.is_fresh(now));
            if front.len() >= FRONT_CAPACITY {
                return;
            }
        }
        front.insert(key, value);
    }

    /// Waits for this request's turn under the rate limit.
    async fn wait_turn(&self) -> Result<(), LiveError> {
        let slot = {
            let Ok(mut next) = self.inner.next_slot.lock() else {
                return Err(LiveError::Request("internal lock"));
            };
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            if slot.duration_since(now) > self.inner.config.max_queue {
                return Err(LiveError::Busy);
            }
            *next = Some(slot + self.inner.config.interval());
            slot
        };
        tokio::time::sleep_until(slot).await;
        Ok(())
    }

    /// No request before `until` (after a 429).
    fn pause_until(&self, until: Instant) {
        if let Ok(mut next) = self.inner.next_slot.lock() {
            *next = Some(next.map_or(until, |n| n.max(until)));
        }
    }

    async fn fetch(&self, code: AadstsCode, host: &'static str) -> Outcome {
        self.wait_turn().await?;
        bump(&self.inner.counters.requests);
        let url = self.page_url(code, host);
        let request = async {
            let response = self
                .inner
                .client
                .get(&url)
                .header(reqwest::header::ACCEPT, "text/html")
                .send()
                .await
                .map_err(request_error)?;
            let status = response.status().as_u16();
            if status == 429 {
                let pause = retry_after(response.headers()).unwrap_or(DEFAULT_RETRY_AFTER);
                self.pause_until(Instant::now() + pause.min(MAX_RETRY_AFTER));
                bump(&self.inner.counters.rate_limited);
                return Err(LiveError::RateLimited);
            }
            if status != 200 && status != 404 {
                return Err(LiveError::Status(status));
            }
            let body = read_capped(response).await?;
            page::parse(&body, code)
        };
        match tokio::time::timeout(self.inner.config.timeout, request).await {
            Ok(outcome) => outcome,
            Err(_) => Err(LiveError::Timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(config: LiveConfig) -> LiveLookup {
        LiveLookup::new(config, Arc::new(MemoryCache::default()))
    }

    fn code(n: u32) -> AadstsCode {
        AadstsCode::new(n).unwrap()
    }

    #[test]
    fn the_page_url_carries_only_the_code() {
        let l = lookup(LiveConfig::default());
        assert_eq!(
            l.page_url(code(50058), "login.microsoftonline.com"),
            "https://login.microsoftonline.com/error?code=50058"
        );
        assert_eq!(
            l.page_url(code(50058), "login.microsoftonline.us"),
            "https://login.microsoftonline.us/error?code=50058"
        );
    }

    #[test]
    fn unknown_hosts_are_asked_on_the_public_cloud() {
        let l = lookup(LiveConfig::default());
        assert_eq!(
            l.page_url(code(1), "evil.example"),
            "https://login.microsoftonline.com/error?code=1"
        );
    }

    #[test]
    fn the_base_url_replaces_the_host() {
        let l = lookup(LiveConfig {
            base_url: Some("http://127.0.0.1:9".into()),
            ..LiveConfig::default()
        });
        assert_eq!(
            l.page_url(code(7), "login.microsoftonline.us"),
            "http://127.0.0.1:9/error?code=7"
        );
    }

    #[tokio::test]
    async fn turned_off_it_asks_nothing() {
        let l = lookup(LiveConfig {
            enabled: false,
            ..LiveConfig::default()
        });
        assert_eq!(
            l.describe(code(1), "login.microsoftonline.com").await,
            Err(LiveError::Disabled)
        );
        assert_eq!(
            l.cached(code(1), "login.microsoftonline.com"),
            CacheState::Miss
        );
        assert_eq!(l.counters().snapshot(), LiveStats::default());
    }

    #[tokio::test]
    async fn a_fresh_stored_answer_is_used_without_a_request() {
        let store = Arc::new(MemoryCache::default());
        let entry = LiveEntry {
            message: "stored".into(),
            remediation: None,
        };
        store.put(
            code(9),
            "login.microsoftonline.com",
            &CachedLookup {
                entry: Some(entry.clone()),
                fetched_at: SystemTime::now(),
            },
        );
        // Port 9 (discard) on loopback: a request would fail.
        let l = LiveLookup::new(
            LiveConfig {
                base_url: Some("http://127.0.0.1:9".into()),
                ..LiveConfig::default()
            },
            store,
        );
        assert_eq!(
            l.cached(code(9), "login.microsoftonline.com"),
            CacheState::Miss
        );
        assert_eq!(
            l.describe(code(9), "login.microsoftonline.com").await,
            Ok(Some(entry.clone()))
        );
        assert_eq!(
            l.cached(code(9), "login.microsoftonline.com"),
            CacheState::Found(entry)
        );
        let s = l.counters().snapshot();
        assert_eq!((s.requests, s.cache_hits), (0, 1));
    }

    #[tokio::test]
    async fn a_stale_stored_answer_is_asked_again() {
        let store = Arc::new(MemoryCache::default());
        store.put(
            code(9),
            "login.microsoftonline.com",
            &CachedLookup {
                entry: None,
                fetched_at: SystemTime::now() - cache::NOT_FOUND_TTL,
            },
        );
        let l = LiveLookup::new(
            LiveConfig {
                base_url: Some("http://127.0.0.1:9".into()),
                ..LiveConfig::default()
            },
            store,
        );
        assert!(l
            .describe(code(9), "login.microsoftonline.com")
            .await
            .is_err());
        let s = l.counters().snapshot();
        assert_eq!((s.requests, s.cache_hits, s.errors), (1, 0, 1));
    }
}
