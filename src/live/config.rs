//! Purpose: the live lookup's settings (`LIVE_LOOKUP`, `LIVE_LOOKUP_URL`,
//! `LIVE_LOOKUP_RATE`), read once and checked loudly.

use std::time::Duration;

/// Settings of [`super::LiveLookup`].
#[derive(Debug, Clone, PartialEq)]
pub struct LiveConfig {
    /// Whether Microsoft's page is asked at all (`LIVE_LOOKUP`, default on).
    pub enabled: bool,
    /// Where the page lives instead of `https://{host}` (`LIVE_LOOKUP_URL`,
    /// scheme and authority, no trailing slash); tests point it at 127.0.0.1.
    pub base_url: Option<String>,
    /// Requests per second at most, over every code and host
    /// (`LIVE_LOOKUP_RATE`, default 1).
    pub rate: f64,
    /// How long one request may take, answer included (3 s).
    pub timeout: Duration,
    /// How long a request may wait for its turn under the rate limit before
    /// it is refused as busy (20 s).
    pub max_queue: Duration,
}

/// Requests per second when `LIVE_LOOKUP_RATE` is unset.
pub const DEFAULT_RATE: f64 = 1.0;
/// The highest `LIVE_LOOKUP_RATE` accepted.
pub const MAX_RATE: f64 = 1000.0;
/// The request timeout.
pub const TIMEOUT: Duration = Duration::from_secs(3);
/// How long a request may queue for the rate limit.
pub const MAX_QUEUE: Duration = Duration::from_secs(20);

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            base_url: None,
            rate: DEFAULT_RATE,
            timeout: TIMEOUT,
            max_queue: MAX_QUEUE,
        }
    }
}

/// A live lookup setting that can't be used (the value is shown: none of
/// these settings is a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiveConfigError {
    /// `LIVE_LOOKUP` is not on/off.
    #[error("Invalid LIVE_LOOKUP: {0:?} (use on or off)")]
    Switch(String),
    /// `LIVE_LOOKUP_URL` is not an http(s) URL of a host.
    #[error("Invalid LIVE_LOOKUP_URL: {0:?} (use http(s)://host[:port], no path or query)")]
    Url(String),
    /// `LIVE_LOOKUP_RATE` is not a number of requests per second.
    #[error("Invalid LIVE_LOOKUP_RATE: {0:?} (requests per second, more than 0, at most 1000)")]
    Rate(String),
}

impl LiveConfig {
    /// Reads `LIVE_LOOKUP`, `LIVE_LOOKUP_URL` and `LIVE_LOOKUP_RATE` through
    /// `get` (e.g. `|k| std::env::var(k).ok()`); unset or empty values keep
    /// their defaults.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, LiveConfigError> {
        let get = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut config = Self::default();
        if let Some(v) = get("LIVE_LOOKUP") {
            config.enabled = match v.to_ascii_lowercase().as_str() {
                "on" | "true" | "1" | "yes" => true,
                "off" | "false" | "0" | "no" => false,
                _ => return Err(LiveConfigError::Switch(v)),
            };
        }
        if let Some(v) = get("LIVE_LOOKUP_URL") {
            config.base_url = Some(base_url(&v).ok_or(LiveConfigError::Url(v))?);
        }
        if let Some(v) = get("LIVE_LOOKUP_RATE") {
            config.rate = match v.parse::<f64>() {
                Ok(r) if r > 0.0 && r <= MAX_RATE => r,
                _ => return Err(LiveConfigError::Rate(v)),
            };
        }
        Ok(config)
    }

    /// The time between two requests under [`LiveConfig::rate`].
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.rate.clamp(f64::MIN_POSITIVE, MAX_RATE))
            .min(Duration::from_secs(3600))
    }
}

/// `http(s)://host[:port]` with at most a trailing `/`, returned without it.
fn base_url(v: &str) -> Option<String> {
    let url = reqwest::Url::parse(v).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    plain.then(|| v.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<LiveConfig, LiveConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        LiveConfig::from_lookup(|k| pairs.iter().find(|(p, _)| p == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn nothing_set_means_on_public_pages_one_per_second() {
        let c = read(&[]).unwrap();
        assert_eq!(c, LiveConfig::default());
        assert!(c.enabled);
        assert_eq!(c.base_url, None);
        assert_eq!(c.interval(), Duration::from_secs(1));
        assert_eq!(c.timeout, Duration::from_secs(3));
    }

    #[test]
    fn off_turns_it_off() {
        for v in ["off", "OFF", "false", "0", "no"] {
            assert!(!read(&[("LIVE_LOOKUP", v)]).unwrap().enabled, "{v}");
        }
        assert!(read(&[("LIVE_LOOKUP", "on")]).unwrap().enabled);
        assert!(read(&[("LIVE_LOOKUP", "")]).unwrap().enabled);
    }

    #[test]
    fn a_bad_switch_is_refused() {
        assert_eq!(
            read(&[("LIVE_LOOKUP", "maybe")]),
            Err(LiveConfigError::Switch("maybe".into()))
        );
    }

    #[test]
    fn the_base_url_loses_its_trailing_slash() {
        let c = read(&[("LIVE_LOOKUP_URL", "http://127.0.0.1:8080/")]).unwrap();
        assert_eq!(c.base_url.as_deref(), Some("http://127.0.0.1:8080"));
    }

    #[test]
    fn base_urls_with_paths_queries_or_other_schemes_are_refused() {
        for v in [
            "ftp://127.0.0.1",
            "http://127.0.0.1/error",
            "http://127.0.0.1?code=1",
            "http://user:pw@127.0.0.1",
            "127.0.0.1:8080",
            "not a url",
        ] {
            assert!(
                matches!(
                    read(&[("LIVE_LOOKUP_URL", v)]),
                    Err(LiveConfigError::Url(_))
                ),
                "{v}"
            );
        }
    }

    #[test]
    fn the_rate_is_requests_per_second() {
        let c = read(&[("LIVE_LOOKUP_RATE", "50")]).unwrap();
        assert_eq!(c.interval(), Duration::from_millis(20));
        let c = read(&[("LIVE_LOOKUP_RATE", "0.5")]).unwrap();
        assert_eq!(c.interval(), Duration::from_secs(2));
        for v in ["0", "-1", "abc", "1001", "NaN", "inf"] {
            assert!(
                matches!(
                    read(&[("LIVE_LOOKUP_RATE", v)]),
                    Err(LiveConfigError::Rate(_))
                ),
                "{v}"
            );
        }
    }
}
