//! Purpose: the bot's one send path to Discord's REST API (replies, edits,
//! deletes, interaction answers) and attachment downloads.
//!
//! serenity only honours `DISCORD_API_URL` with its rate limiter off, so this
//! path keeps Discord's rate limits itself, as Discord documents them: it
//! reads `X-RateLimit-*` headers into per-route buckets and doesn't send into
//! an exhausted one, pauses every route after a global 429, and retries 429s
//! and 502/503/504 with backoff (other 5xx and timeouts only for idempotent
//! requests; a reply's POST carries an enforced nonce, which makes it
//! idempotent). A request is not given up after a fixed number of tries: it
//! waits its turn until it is sent, the caller stops wanting it, or its
//! deadline passes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use reqwest::{header::HeaderMap, Method, StatusCode, Url};
use serde::Serialize;

/// Time limit for one request.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Time limit for connecting.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// First wait after a 5xx; doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between two tries after a 5xx.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often a waiting request checks whether it is still wanted.
const RECHECK: Duration = Duration::from_millis(200);

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// The request could not be sent or its answer read.
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
    /// Discord answered with an error status.
    #[error("Discord answered {status} to {method} {route}")]
    Status {
        /// HTTP status.
        status: StatusCode,
        /// HTTP method.
        method: Method,
        /// The route.
        route: String,
        /// Discord's JSON error code, if it sent one.
        code: Option<u64>,
    },
    /// The deadline passed before Discord accepted the request.
    #[error("gave up on {0}: still not accepted at its deadline")]
    Abandoned(String),
    /// The caller stopped wanting it (the trigger was deleted, or shutdown).
    #[error("{0} no longer wanted")]
    Cancelled(String),
    /// A URL we refuse to fetch (not Discord's CDN).
    #[error("refusing to fetch from {0}")]
    ForeignHost(String),
}

/// What the bot counts about its REST traffic (for /metrics).
#[derive(Debug, Default)]
pub struct RestCounters {
    /// 429 answers for one route or resource (`X-RateLimit-Scope: user`/`shared`).
    pub rate_limited_route: AtomicU64,
    /// Global 429 answers.
    pub rate_limited_global: AtomicU64,
    /// 5xx answers and transport errors retried.
    pub retried: AtomicU64,
    /// Sends that waited for an exhausted bucket to reset.
    pub waited_for_bucket: AtomicU64,
}

/// How long to keep trying a request, and whether it is still wanted.
pub struct Patience<'a> {
    /// Give up when the next try could only start after this.
    pub deadline: Instant,
    /// Checked before every try and while waiting.
    pub wanted: &'a (dyn Fn() -> bool + Send + Sync),
}

impl Patience<'_> {
    /// Until `deadline`, always wanted.
    pub fn until(deadline: Instant) -> Patience<'static> {
        Patience {
            deadline,
            wanted: &|| true,
        }
    }
}

/// One route's rate limit as Discord last described it.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    remaining: u32,
    reset_at: Instant,
}

#[derive(Debug, Default)]
struct Limits {
    /// Route key -> Discord's bucket hash (routes may share a bucket).
    bucket_of: HashMap<String, String>,
    /// Bucket (hash or route key, plus the major parameter) -> state.
    buckets: HashMap<String, Bucket>,
    /// Every route waits until then after a global 429.
    global_until: Option<Instant>,
}

/// Entries kept before expired buckets are pruned.
const MAX_BUCKETS: usize = 10_000;

impl Limits {
    fn key(&self, route_key: &str, major: &str) -> String {
        match self.bucket_of.get(route_key) {
            Some(hash) => format!("{hash}:{major}"),
            None => format!("{route_key}:{major}"),
        }
    }

    /// When the request may go, or `None` for now (and then takes one use).
    fn wait(&mut self, route_key: &str, major: &str, now: Instant) -> Option<Instant> {
        if let Some(until) = self.global_until.filter(|&t| t > now) {
            return Some(until);
        }
        let key = self.key(route_key, major);
        if let Some(bucket) = self.buckets.get_mut(&key) {
            if bucket.reset_at <= now {
                self.buckets.remove(&key);
            } else if bucket.remaining == 0 {
                return Some(bucket.reset_at);
            } else {
                bucket.remaining -= 1;
            }
        }
        None
    }

    fn update(&mut self, route_key: &str, major: &str, headers: &HeaderMap, now: Instant) {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(hash) = header("x-ratelimit-bucket") {
            self.bucket_of.insert(route_key.to_owned(), hash.to_owned());
        }
        let remaining = header("x-ratelimit-remaining").and_then(|v| v.parse::<u32>().ok());
        let reset_after = header("x-ratelimit-reset-after").and_then(seconds);
        if let (Some(remaining), Some(reset_after)) = (remaining, reset_after) {
            let key = self.key(route_key, major);
            self.buckets.insert(
                key,
                Bucket {
                    remaining,
                    reset_at: now + reset_after,
                },
            );
        }
        if self.buckets.len() > MAX_BUCKETS {
            self.buckets.retain(|_, b| b.reset_at > now);
        }
        if self.bucket_of.len() > MAX_BUCKETS {
            self.bucket_of.clear();
        }
    }

    fn limited(
        &mut self,
        route_key: &str,
        major: &str,
        global: bool,
        wait: Duration,
        now: Instant,
    ) {
        if global {
            self.global_until = Some(now + wait);
        } else {
            let key = self.key(route_key, major);
            self.buckets.insert(
                key,
                Bucket {
                    remaining: 0,
                    reset_at: now + wait,
                },
            );
        }
    }
}

/// A Discord REST client for the bot's own messages.
pub struct Rest {
    client: reqwest::Client,
    downloads: reqwest::Client,
    api: Url,
    auth: String,
    limits: Mutex<Limits>,
    /// One request per route and resource on the wire at a time, so each
    /// one starts from the bucket the previous answer left (as serenity's
    /// rate limiter does); waits and backoffs happen outside the turn.
    on_the_wire: super::turns::Turns<(String, String)>,
    /// Counters for the metrics endpoint.
    pub counters: RestCounters,
}

// The token sits in `auth`; never print it.
impl std::fmt::Debug for Rest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rest")
            .field("api", &self.api.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct RateLimitBody {
    retry_after: Option<f64>,
    #[serde(default)]
    global: bool,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    code: Option<u64>,
}

#[derive(serde::Deserialize)]
struct Created {
    id: serenity::MessageId,
}

/// The bot's own user, as `GET /users/@me` answers.
#[derive(Debug, serde::Deserialize)]
pub struct Me {
    /// Its id.
    pub id: serenity::UserId,
}

/// What `GET /gateway/bot` answers.
#[derive(Debug, serde::Deserialize)]
pub struct GatewayBot {
    /// The number of shards Discord recommends.
    pub shards: u32,
}

/// Discord's error code for "interaction has already been acknowledged":
/// an earlier try of the same answer landed.
const ALREADY_ACKNOWLEDGED: u64 = 40060;

fn seconds(v: &str) -> Option<Duration> {
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(24.0 * 3600.0)))
}

impl Rest {
    /// A client for the API at `api_base` (e.g. `https://discord.com`);
    /// attachment downloads time out after `download_timeout`.
    pub fn new(api_base: &str, token: &str, download_timeout: Duration) -> anyhow::Result<Self> {
        let user_agent = concat!(
            "DiscordBot (https://github.com/aadsts-bot, ",
            env!("CARGO_PKG_VERSION"),
            ")"
        );
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let api = Url::parse(&format!("{}/api/v10/", api_base.trim_end_matches('/')))?;
        let allowed = api.clone();
        // A redirect is followed only to Discord's CDN (or the API host).
        let downloads = reqwest::Client::builder()
            .timeout(download_timeout)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() < 3 && is_discord_cdn(&allowed, attempt.url()) {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .build()?;
        Ok(Self {
            client,
            downloads,
            api,
            auth: format!("Bot {token}"),
            limits: Mutex::new(Limits::default()),
            on_the_wire: super::turns::Turns::default(),
            counters: RestCounters::default(),
        })
    }

    fn limits(&self) -> std::sync::MutexGuard<'_, Limits> {
        self.limits.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The bot's own user: checks the token once at start-up.
    pub async fn current_user(&self) -> Result<Me, RestError> {
        let patience = Patience::until(Instant::now() + TIMEOUT);
        Ok(self
            .send(Method::GET, "users/@me", None::<&()>, &patience)
            .await?
            .json()
            .await?)
    }

    /// The gateway URL and recommended shard count.
    pub async fn gateway_bot(&self) -> Result<GatewayBot, RestError> {
        let patience = Patience::until(Instant::now() + TIMEOUT);
        Ok(self
            .send(Method::GET, "gateway/bot", None::<&()>, &patience)
            .await?
            .json()
            .await?)
    }

    /// Posts a message; returns its id. The body should carry an enforced
    /// nonce so that a retry after a lost answer can't post twice.
    pub async fn create_message(
        &self,
        channel: u64,
        body: &impl Serialize,
        patience: &Patience<'_>,
    ) -> Result<u64, RestError> {
        let route = format!("channels/{channel}/messages");
        let created: Created = self
            .send(Method::POST, &route, Some(body), patience)
            .await?
            .json()
            .await?;
        Ok(created.id.get())
    }

    /// Edits one of our messages.
    pub async fn edit_message(
        &self,
        channel: u64,
        message: u64,
        body: &impl Serialize,
        patience: &Patience<'_>,
    ) -> Result<(), RestError> {
        let route = format!("channels/{channel}/messages/{message}");
        self.send(Method::PATCH, &route, Some(body), patience)
            .await
            .map(drop)
    }

    /// Deletes a message; one that is already gone counts as deleted.
    pub async fn delete_message(
        &self,
        channel: u64,
        message: u64,
        patience: &Patience<'_>,
    ) -> Result<(), RestError> {
        let route = format!("channels/{channel}/messages/{message}");
        match self
            .send(Method::DELETE, &route, None::<&()>, patience)
            .await
        {
            Err(RestError::Status { status, .. }) if status == StatusCode::NOT_FOUND => Ok(()),
            other => other.map(drop),
        }
    }

    /// Answers an interaction. A retry whose earlier try landed (Discord
    /// says "already acknowledged") counts as answered.
    pub async fn answer_interaction(
        &self,
        interaction: u64,
        token: &str,
        body: &serenity::CreateInteractionResponse,
        patience: &Patience<'_>,
    ) -> Result<(), RestError> {
        let route = format!("interactions/{interaction}/{token}/callback");
        match self.send(Method::POST, &route, Some(body), patience).await {
            Err(RestError::Status {
                code: Some(ALREADY_ACKNOWLEDGED),
                ..
            }) => Ok(()),
            other => other.map(drop),
        }
    }

    /// Replaces the answer of an interaction answered with a deferral
    /// (`PATCH webhooks/{app}/{token}/messages/@original`). The token is
    /// good for 15 minutes.
    pub async fn edit_interaction_answer(
        &self,
        application: u64,
        token: &str,
        body: &impl Serialize,
        patience: &Patience<'_>,
    ) -> Result<(), RestError> {
        let route = format!("webhooks/{application}/{token}/messages/@original");
        self.send(Method::PATCH, &route, Some(body), patience)
            .await
            .map(drop)
    }

    async fn send(
        &self,
        method: Method,
        route: &str,
        body: Option<&impl Serialize>,
        patience: &Patience<'_>,
    ) -> Result<reqwest::Response, RestError> {
        let url = self
            .api
            .join(route)
            .map_err(|_| RestError::ForeignHost(route.to_owned()))?;
        let (route_key, major) = route_key(&method, route);
        // Every request we send is idempotent: GET, PATCH and DELETE by
        // nature, message POSTs by their enforced nonce, interaction
        // answers by Discord refusing a second one.
        let mut backoff = FIRST_BACKOFF;
        loop {
            if !(patience.wanted)() {
                return Err(RestError::Cancelled(route_key));
            }
            let turn = self
                .on_the_wire
                .take((route_key.clone(), major.clone()))
                .await;
            let now = Instant::now();
            let wait = self.limits().wait(&route_key, &major, now);
            if let Some(until) = wait {
                drop(turn);
                if until > patience.deadline {
                    return Err(RestError::Abandoned(route_key));
                }
                self.counters
                    .waited_for_bucket
                    .fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(RECHECK.min(until - now)).await;
                continue;
            }
            let mut req = self
                .client
                .request(method.clone(), url.clone())
                .header(reqwest::header::AUTHORIZATION, &self.auth);
            if let Some(body) = body {
                req = req.json(body);
            }
            let retry_in = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    self.limits()
                        .update(&route_key, &major, resp.headers(), Instant::now());
                    if status.is_success() {
                        return Ok(resp);
                    }
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        let (wait, global) = self.rate_limited(resp).await;
                        self.limits()
                            .limited(&route_key, &major, global, wait, Instant::now());
                        tracing::warn!(%method, route = %route_key, global, wait_ms = wait.as_millis() as u64, "rate limited by Discord");
                        continue;
                    }
                    if !status.is_server_error() {
                        let code = resp.json::<ErrorBody>().await.ok().and_then(|b| b.code);
                        return Err(RestError::Status {
                            status,
                            method,
                            route: route_key,
                            code,
                        });
                    }
                    tracing::warn!(%method, route = %route_key, status = status.as_u16(), "Discord answered a server error; retrying");
                    backoff
                }
                Err(e) => {
                    tracing::warn!(%method, route = %route_key, "request failed ({}); retrying", transport_kind(&e));
                    backoff
                }
            };
            drop(turn);
            self.counters.retried.fetch_add(1, Ordering::Relaxed);
            let resume = Instant::now() + retry_in;
            if resume > patience.deadline {
                return Err(RestError::Abandoned(route_key));
            }
            while Instant::now() < resume {
                if !(patience.wanted)() {
                    return Err(RestError::Cancelled(route_key));
                }
                tokio::time::sleep(RECHECK.min(resume - Instant::now())).await;
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Reads a 429: how long to wait (the body's `retry_after`, else the
    /// `Retry-After` header, else one second) and whether it is global.
    async fn rate_limited(&self, resp: reqwest::Response) -> (Duration, bool) {
        let headers = resp.headers().clone();
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let scope_global = header("x-ratelimit-scope") == Some("global")
            || header("x-ratelimit-global") == Some("true");
        let from_header = header("retry-after").and_then(seconds);
        let body = resp.json::<RateLimitBody>().await.ok();
        let global = scope_global || body.as_ref().is_some_and(|b| b.global);
        let wait = body
            .and_then(|b| b.retry_after)
            .and_then(|s| seconds(&s.to_string()))
            .or(from_header)
            .unwrap_or(Duration::from_secs(1));
        let counter = if global {
            &self.counters.rate_limited_global
        } else {
            &self.counters.rate_limited_route
        };
        counter.fetch_add(1, Ordering::Relaxed);
        (wait, global)
    }

    /// Downloads an attachment of at most `max` bytes from Discord's CDN (or
    /// from the configured API host, which is where a test's fake serves
    /// them). `Ok(None)` when it is larger, whatever size it declared.
    pub async fn fetch_attachment(
        &self,
        url: &str,
        max: usize,
    ) -> Result<Option<Vec<u8>>, RestError> {
        let parsed =
            Url::parse(url).map_err(|_| RestError::ForeignHost("an unparsable URL".into()))?;
        if !is_discord_cdn(&self.api, &parsed) {
            return Err(RestError::ForeignHost(
                parsed.host_str().unwrap_or("?").to_owned(),
            ));
        }
        let mut resp = self.downloads.get(parsed).send().await?;
        if !resp.status().is_success() {
            return Err(RestError::Status {
                status: resp.status(),
                method: Method::GET,
                route: "attachment".into(),
                code: None,
            });
        }
        if resp.content_length().is_some_and(|n| n > max as u64) {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            if bytes.len() + chunk.len() > max {
                return Ok(None);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Some(bytes))
    }
}

/// Discord's CDN over https, or the API host itself (the fake in tests).
fn is_discord_cdn(api: &Url, url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let cdn =
        url.scheme() == "https" && matches!(host, "cdn.discordapp.com" | "media.discordapp.net");
    let same_as_api =
        url.scheme() == api.scheme() && url.host() == api.host() && url.port() == api.port();
    cdn || same_as_api
}

/// The rate-limit route of a request and its major parameter: message ids
/// are folded (`channels/1/messages/:id`), the channel id is the major
/// parameter, interaction ids and tokens are hidden from logs.
fn route_key(method: &Method, route: &str) -> (String, String) {
    let parts: Vec<&str> = route.split('/').collect();
    match parts.as_slice() {
        ["channels", channel, "messages", _message] => (
            format!("{method} channels/:channel/messages/:id"),
            (*channel).to_owned(),
        ),
        ["channels", channel, rest @ ..] => (
            format!("{method} channels/:channel/{}", rest.join("/")),
            (*channel).to_owned(),
        ),
        ["interactions", id, _token, "callback"] => (
            format!("{method} interactions/:id/:token/callback"),
            (*id).to_owned(),
        ),
        ["webhooks", app, _token, rest @ ..] => (
            format!("{method} webhooks/:app/:token/{}", rest.join("/")),
            (*app).to_owned(),
        ),
        _ => (format!("{method} {route}"), String::new()),
    }
}

/// What kind of transport failure, without the URL (which may hold a token).
fn transport_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "bad answer"
    } else {
        "transport error"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_discord_cdn_or_the_api_host_is_fetched() {
        let api = Url::parse("http://127.0.0.1:4000/api/v10/").unwrap();
        let ok = |u: &str| is_discord_cdn(&api, &Url::parse(u).unwrap());
        assert!(ok("https://cdn.discordapp.com/attachments/1/2/log.txt"));
        assert!(ok("https://media.discordapp.net/attachments/1/2/log.txt"));
        assert!(ok("http://127.0.0.1:4000/attachments/1/2/log.txt"));
        assert!(!ok("http://127.0.0.1:4001/attachments/1/2/log.txt"));
        assert!(!ok("http://cdn.discordapp.com/attachments/1/2/log.txt"));
        assert!(!ok("https://evil.example/attachments/log.txt"));
        assert!(!ok("https://cdn.discordapp.com.evil.example/x"));
    }

    #[test]
    fn debug_hides_the_token() {
        let rest = Rest::new("https://discord.com", "secret-token", TIMEOUT).unwrap();
        assert!(!format!("{rest:?}").contains("secret-token"));
    }

    #[test]
    fn routes_fold_message_ids_and_hide_tokens() {
        let (key, major) = route_key(&Method::PATCH, "channels/1/messages/2");
        assert_eq!(
            (key.as_str(), major.as_str()),
            ("PATCH channels/:channel/messages/:id", "1")
        );
        let (key, _) = route_key(&Method::POST, "interactions/5/secret-token/callback");
        assert!(!key.contains("secret-token"));
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn an_exhausted_bucket_waits_for_its_reset() {
        let mut l = Limits::default();
        let t0 = Instant::now();
        let route = "POST channels/:channel/messages";
        assert_eq!(l.wait(route, "1", t0), None);
        l.update(
            route,
            "1",
            &headers(&[
                ("x-ratelimit-bucket", "abc"),
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset-after", "2.5"),
            ]),
            t0,
        );
        let until = l.wait(route, "1", t0).expect("must wait");
        assert_eq!(until - t0, Duration::from_millis(2500));
        assert_eq!(
            l.wait(route, "2", t0),
            None,
            "another channel is another bucket"
        );
        assert_eq!(l.wait(route, "1", until), None, "reset");
    }

    #[test]
    fn remaining_uses_are_counted_down() {
        let mut l = Limits::default();
        let t0 = Instant::now();
        let route = "POST channels/:channel/messages";
        l.update(
            route,
            "1",
            &headers(&[
                ("x-ratelimit-remaining", "2"),
                ("x-ratelimit-reset-after", "1"),
            ]),
            t0,
        );
        assert_eq!(l.wait(route, "1", t0), None);
        assert_eq!(l.wait(route, "1", t0), None);
        assert!(l.wait(route, "1", t0).is_some());
    }

    #[test]
    fn a_global_limit_pauses_every_route() {
        let mut l = Limits::default();
        let t0 = Instant::now();
        l.limited(
            "POST channels/:channel/messages",
            "1",
            true,
            Duration::from_secs(1),
            t0,
        );
        assert!(l
            .wait("DELETE channels/:channel/messages/:id", "9", t0)
            .is_some());
        assert!(l
            .wait(
                "DELETE channels/:channel/messages/:id",
                "9",
                t0 + Duration::from_secs(1)
            )
            .is_none());
    }
}
