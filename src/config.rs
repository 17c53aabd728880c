//! Purpose: typed settings read once from the environment (and `.env`),
//! with loud, specific errors. `.env.example` documents every variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Discord's real API base; tests point `DISCORD_API_URL` at a fake.
pub const DEFAULT_API_URL: &str = "https://discord.com";

/// Which of the bot's shards this process runs (`SHARDS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shards {
    /// All of them, as many as Discord recommends (`auto`, the default).
    Auto,
    /// Shards `start..end` of `total` (`SHARDS=0..2/4`): N processes split one bot.
    Range {
        /// First shard id run here.
        start: u32,
        /// One past the last shard id run here.
        end: u32,
        /// Shards of the whole bot.
        total: u32,
    },
}

impl FromStr for Shards {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Self::Auto);
        }
        let bad = || format!("expected auto or start..end/total (e.g. 0..2/4), found {s:?}");
        let (range, total) = s.split_once('/').ok_or_else(bad)?;
        let (start, end) = range.split_once("..").ok_or_else(bad)?;
        let num = |v: &str| v.trim().parse::<u32>().map_err(|_| bad());
        let (start, end, total) = (num(start)?, num(end)?, num(total)?);
        if start >= end || end > total {
            return Err(format!("{s:?}: need start < end <= total"));
        }
        Ok(Self::Range { start, end, total })
    }
}

/// Every setting the binary uses.
#[derive(Clone, PartialEq)]
pub struct Config {
    /// Bot token; `None` runs the console instead of the bot.
    pub discord_token: Option<String>,
    /// Base URL of Discord's API (REST and, through it, the gateway).
    pub discord_api_url: String,
    /// Folder of knowledge files.
    pub knowledge_dir: PathBuf,
    /// The team's local notes file, if any.
    pub knowledge_notes: Option<PathBuf>,
    /// Where per-server settings live (`sqlite://path` or `sqlite::memory:`).
    pub database_url: String,
    /// Register commands in this server only (instant, for development).
    pub dev_guild_id: Option<u64>,
    /// Address of the metrics and health endpoint, if wanted.
    pub metrics_addr: Option<SocketAddr>,
    /// Default cooldown per channel and code.
    pub cooldown: Duration,
    /// Watch the knowledge folder and reload on change.
    pub hot_reload: bool,
    /// How long a reply may wait for its turn (rate limits, Discord errors)
    /// before it is given up.
    pub reply_max_age: Duration,
    /// On SIGTERM, how long to finish the replies in flight.
    pub shutdown_timeout: Duration,
    /// Time limit for downloading one attachment.
    pub attachment_timeout: Duration,
    /// The shards this process runs.
    pub shards: Shards,
    /// Microsoft's live lookup for codes without an entry.
    pub live: aadsts_bot::live::LiveConfig,
}

// The token must never reach a log line, so Debug leaves it out.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field(
                "discord_token",
                &self.discord_token.as_ref().map(|_| "<set>"),
            )
            .field("discord_api_url", &self.discord_api_url)
            .field("knowledge_dir", &self.knowledge_dir)
            .field("knowledge_notes", &self.knowledge_notes)
            .field("database_url", &self.database_url)
            .field("dev_guild_id", &self.dev_guild_id)
            .field("metrics_addr", &self.metrics_addr)
            .field("cooldown", &self.cooldown)
            .field("hot_reload", &self.hot_reload)
            .field("reply_max_age", &self.reply_max_age)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("attachment_timeout", &self.attachment_timeout)
            .field("shards", &self.shards)
            .field("live", &self.live.enabled)
            .finish()
    }
}

/// A setting that is present but unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {var}: {reason}")]
pub struct ConfigError {
    /// The variable's name.
    pub var: &'static str,
    /// What is wrong with it (never the value of a secret).
    pub reason: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get` (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let api = get("DISCORD_API_URL").unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        if !(api.starts_with("https://") || api.starts_with("http://")) {
            return Err(ConfigError {
                var: "DISCORD_API_URL",
                reason: "must start with https:// (or http:// for a local fake)".into(),
            });
        }
        let cooldown_minutes: u64 = parse(&get, "COOLDOWN_MINUTES")?.unwrap_or(10);
        if cooldown_minutes > 24 * 60 {
            return Err(ConfigError {
                var: "COOLDOWN_MINUTES",
                reason: "at most 1440 (one day)".into(),
            });
        }
        Ok(Self {
            discord_token: get("DISCORD_TOKEN"),
            discord_api_url: api.trim_end_matches('/').to_owned(),
            knowledge_dir: get("KNOWLEDGE_DIR")
                .map_or_else(|| PathBuf::from("knowledge"), PathBuf::from),
            knowledge_notes: get("KNOWLEDGE_NOTES").map(PathBuf::from),
            database_url: get("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://data/aadsts-bot.db".to_owned()),
            dev_guild_id: parse(&get, "DEV_GUILD_ID")?,
            metrics_addr: parse(&get, "METRICS_ADDR")?,
            cooldown: Duration::from_secs(cooldown_minutes * 60),
            hot_reload: parse::<Flag>(&get, "HOT_RELOAD")?.is_none_or(|f| f.0),
            reply_max_age: seconds(&get, "REPLY_MAX_AGE_SECS", 300)?,
            shutdown_timeout: seconds(&get, "SHUTDOWN_TIMEOUT_SECS", 10)?,
            attachment_timeout: seconds(&get, "ATTACHMENT_TIMEOUT_SECS", 10)?,
            shards: parse(&get, "SHARDS")?.unwrap_or(Shards::Auto),
            live: aadsts_bot::live::LiveConfig::from_lookup(get).map_err(|e| {
                use aadsts_bot::live::LiveConfigError as E;
                let var = match e {
                    E::Switch(_) => "LIVE_LOOKUP",
                    E::Url(_) => "LIVE_LOOKUP_URL",
                    E::Rate(_) => "LIVE_LOOKUP_RATE",
                };
                ConfigError {
                    var,
                    reason: e.to_string(),
                }
            })?,
        })
    }
}

fn parse<T: FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<Option<T>, ConfigError>
where
    T::Err: std::fmt::Display,
{
    get(var)
        .map(|v| {
            v.parse().map_err(|e: T::Err| ConfigError {
                var,
                reason: e.to_string(),
            })
        })
        .transpose()
}

/// A whole number of seconds, at least 1 and at most a day.
fn seconds(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u64,
) -> Result<Duration, ConfigError> {
    let secs: u64 = parse(get, var)?.unwrap_or(default);
    if !(1..=86_400).contains(&secs) {
        return Err(ConfigError {
            var,
            reason: "seconds, from 1 to 86400".into(),
        });
    }
    Ok(Duration::from_secs(secs))
}

/// `true/false`, `1/0`, `on/off`, `yes/no`.
struct Flag(bool);

impl FromStr for Flag {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "1" | "true" | "on" | "yes" => Ok(Flag(true)),
            "0" | "false" | "off" | "no" => Ok(Flag(false)),
            _ => Err(format!("expected true or false, found {s:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = config(&[]).unwrap();
        assert_eq!(c.discord_token, None);
        assert_eq!(c.discord_api_url, DEFAULT_API_URL);
        assert_eq!(c.knowledge_dir, PathBuf::from("knowledge"));
        assert_eq!(c.database_url, "sqlite://data/aadsts-bot.db");
        assert_eq!(c.cooldown, Duration::from_secs(600));
        assert!(c.hot_reload);
        assert_eq!(c.reply_max_age, Duration::from_secs(300));
        assert_eq!(c.shutdown_timeout, Duration::from_secs(10));
    }

    #[test]
    fn values_are_parsed_and_trimmed() {
        let c = config(&[
            ("DISCORD_TOKEN", " abc "),
            ("DISCORD_API_URL", "http://127.0.0.1:9000/"),
            ("DEV_GUILD_ID", "123"),
            ("METRICS_ADDR", "127.0.0.1:9100"),
            ("COOLDOWN_MINUTES", "0"),
            ("HOT_RELOAD", "off"),
        ])
        .unwrap();
        assert_eq!(c.discord_token.as_deref(), Some("abc"));
        assert_eq!(c.discord_api_url, "http://127.0.0.1:9000");
        assert_eq!(c.dev_guild_id, Some(123));
        assert_eq!(c.metrics_addr, Some("127.0.0.1:9100".parse().unwrap()));
        assert_eq!(c.cooldown, Duration::ZERO);
        assert!(!c.hot_reload);
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert_eq!(
            config(&[("DEV_GUILD_ID", "abc")]).unwrap_err().var,
            "DEV_GUILD_ID"
        );
        assert_eq!(
            config(&[("METRICS_ADDR", "nope")]).unwrap_err().var,
            "METRICS_ADDR"
        );
        assert_eq!(
            config(&[("DISCORD_API_URL", "ftp://x")]).unwrap_err().var,
            "DISCORD_API_URL"
        );
        assert_eq!(
            config(&[("COOLDOWN_MINUTES", "99999")]).unwrap_err().var,
            "COOLDOWN_MINUTES"
        );
        assert_eq!(
            config(&[("HOT_RELOAD", "maybe")]).unwrap_err().var,
            "HOT_RELOAD"
        );
        assert_eq!(
            config(&[("SHUTDOWN_TIMEOUT_SECS", "0")]).unwrap_err().var,
            "SHUTDOWN_TIMEOUT_SECS"
        );
    }

    #[test]
    fn shard_ranges() {
        assert_eq!(config(&[]).unwrap().shards, Shards::Auto);
        assert_eq!(
            config(&[("SHARDS", "1..2/2")]).unwrap().shards,
            Shards::Range {
                start: 1,
                end: 2,
                total: 2
            }
        );
        for bad in ["2..1/4", "0..5/4", "0-1/2", "x"] {
            assert_eq!(
                config(&[("SHARDS", bad)]).unwrap_err().var,
                "SHARDS",
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_hides_the_token() {
        let c = config(&[("DISCORD_TOKEN", "very-secret-token")]).unwrap();
        assert!(!format!("{c:?}").contains("very-secret-token"));
    }
}
