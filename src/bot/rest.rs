//! Purpose: the bot's own send path for auto-replies (create, edit, delete
//! a message) and attachment downloads.
//!
//! serenity only honours `DISCORD_API_URL` with its rate limiter off, and
//! then hands 429 answers back without their `retry_after`. This path reads
//! `retry_after` (body or `Retry-After` header), waits, and sends again, so
//! each reply is delivered exactly once: a 429 means Discord did not act on
//! the request, while other failures are not retried (the request may have
//! landed).

use std::time::Duration;

use poise::serenity_prelude as serenity;
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;

/// Tries per request when Discord keeps answering 429.
const MAX_ATTEMPTS: u32 = 5;
/// Longest wait we accept from a 429 before giving up on that reply.
const MAX_WAIT: Duration = Duration::from_secs(30);
/// Time limit for one request.
const TIMEOUT: Duration = Duration::from_secs(10);

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
        /// The route, without ids' values beyond the path.
        route: String,
    },
    /// Still rate limited after every attempt, or asked to wait too long.
    #[error("still rate limited on {0}")]
    RateLimited(String),
    /// A URL we refuse to fetch (not Discord's CDN).
    #[error("refusing to fetch from {0}")]
    ForeignHost(String),
}

/// What the bot counts about its REST traffic.
#[derive(Debug, Default)]
pub struct RestCounters {
    /// 429 answers received (and waited out).
    pub rate_limited: std::sync::atomic::AtomicU64,
}

/// A small Discord REST client for the auto-reply path.
pub struct Rest {
    client: reqwest::Client,
    api: Url,
    auth: String,
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
}

#[derive(serde::Deserialize)]
struct Created {
    id: serenity::MessageId,
}

impl Rest {
    /// A client for the API at `api_base` (e.g. `https://discord.com`).
    pub fn new(api_base: &str, token: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .user_agent(concat!(
                "DiscordBot (https://github.com/aadsts-bot, ",
                env!("CARGO_PKG_VERSION"),
                ")"
            ))
            .build()?;
        let api = Url::parse(&format!("{}/api/v10/", api_base.trim_end_matches('/')))?;
        Ok(Self {
            client,
            api,
            auth: format!("Bot {token}"),
            counters: RestCounters::default(),
        })
    }

    /// Posts a message; returns its id.
    pub async fn create_message(
        &self,
        channel: u64,
        body: &impl Serialize,
    ) -> Result<u64, RestError> {
        let route = format!("channels/{channel}/messages");
        let created: Created = self
            .send(Method::POST, &route, Some(body))
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
    ) -> Result<(), RestError> {
        let route = format!("channels/{channel}/messages/{message}");
        self.send(Method::PATCH, &route, Some(body)).await.map(drop)
    }

    /// Deletes a message; one that is already gone counts as deleted.
    pub async fn delete_message(&self, channel: u64, message: u64) -> Result<(), RestError> {
        let route = format!("channels/{channel}/messages/{message}");
        match self.send(Method::DELETE, &route, None::<&()>).await {
            Err(RestError::Status { status, .. }) if status == StatusCode::NOT_FOUND => Ok(()),
            other => other.map(drop),
        }
    }

    async fn send(
        &self,
        method: Method,
        route: &str,
        body: Option<&impl Serialize>,
    ) -> Result<reqwest::Response, RestError> {
        let url = self
            .api
            .join(route)
            .map_err(|_| RestError::ForeignHost(route.to_owned()))?;
        for attempt in 1..=MAX_ATTEMPTS {
            let mut req = self
                .client
                .request(method.clone(), url.clone())
                .header(reqwest::header::AUTHORIZATION, &self.auth);
            if let Some(body) = body {
                req = req.json(body);
            }
            let resp = req.send().await?;
            let status = resp.status();
            if status.is_success() {
                return Ok(resp);
            }
            if status != StatusCode::TOO_MANY_REQUESTS {
                return Err(RestError::Status {
                    status,
                    method,
                    route: route.to_owned(),
                });
            }
            self.counters
                .rate_limited
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let wait = retry_after(resp).await;
            tracing::warn!(%method, route, attempt, wait_ms = wait.as_millis() as u64, "rate limited by Discord");
            if wait > MAX_WAIT || attempt == MAX_ATTEMPTS {
                break;
            }
            tokio::time::sleep(wait).await;
        }
        Err(RestError::RateLimited(route.to_owned()))
    }

    /// Downloads an attachment of at most `max` bytes from Discord's CDN (or
    /// from the configured API host, which is where a test's fake serves
    /// them). `Ok(None)` when it is larger.
    pub async fn fetch_attachment(
        &self,
        url: &str,
        max: usize,
    ) -> Result<Option<Vec<u8>>, RestError> {
        let parsed =
            Url::parse(url).map_err(|_| RestError::ForeignHost("an unparsable URL".into()))?;
        if !self.is_discord_cdn(&parsed) {
            return Err(RestError::ForeignHost(
                parsed.host_str().unwrap_or("?").to_owned(),
            ));
        }
        let mut resp = self.client.get(parsed).send().await?;
        if !resp.status().is_success() {
            return Err(RestError::Status {
                status: resp.status(),
                method: Method::GET,
                route: "attachment".into(),
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

    fn is_discord_cdn(&self, url: &Url) -> bool {
        let host = url.host_str().unwrap_or_default();
        let cdn = url.scheme() == "https"
            && matches!(host, "cdn.discordapp.com" | "media.discordapp.net");
        let same_as_api = url.scheme() == self.api.scheme()
            && url.host() == self.api.host()
            && url.port() == self.api.port();
        cdn || same_as_api
    }
}

/// How long a 429 asks us to wait: the body's `retry_after` (seconds,
/// fractional), else the `Retry-After` header, else one second.
async fn retry_after(resp: reqwest::Response) -> Duration {
    let header = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<f64>().ok());
    let body = resp
        .json::<RateLimitBody>()
        .await
        .ok()
        .and_then(|b| b.retry_after);
    let secs = body
        .or(header)
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(1.0);
    Duration::from_secs_f64(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_discord_cdn_or_the_api_host_is_fetched() {
        let rest = Rest::new("http://127.0.0.1:4000", "t").unwrap();
        let ok = |u: &str| rest.is_discord_cdn(&Url::parse(u).unwrap());
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
        let rest = Rest::new("https://discord.com", "secret-token").unwrap();
        assert!(!format!("{rest:?}").contains("secret-token"));
    }
}
