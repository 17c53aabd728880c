//! Shared by the end-to-end test files: start a fake Discord and the real
//! `aadsts-bot` binary against it, post messages, wait for replies.
//! The bot runs in an empty temporary working directory with every setting
//! passed explicitly, so a developer's `.env` or environment never leaks in.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::fake_discord::*;

/// Settings the bot reads; removed from the inherited environment.
pub const SETTINGS: [&str; 22] = [
    "DISCORD_TOKEN",
    "DISCORD_API_URL",
    "DEV_GUILD_ID",
    "KNOWLEDGE_DIR",
    "KNOWLEDGE_NOTES",
    "HOT_RELOAD",
    "DATABASE_URL",
    "COOLDOWN_MINUTES",
    "METRICS_ADDR",
    "RUST_LOG",
    "REPLY_MAX_AGE_SECS",
    "SHUTDOWN_TIMEOUT_SECS",
    "ATTACHMENT_TIMEOUT_SECS",
    "SHARDS",
    "LIVE_LOOKUP",
    "LIVE_LOOKUP_URL",
    "LIVE_LOOKUP_RATE",
    "OCR",
    "OCR_JOBS",
    "NO_COLOR",
    "CI_BOT_EXTRA",
    "AADSTS_TEST_POSTGRES",
];

/// A command for the built binary in an empty working directory (kept
/// alive by the returned guard), with no inherited settings.
pub fn bot_command(args: &[&str]) -> (Command, tempfile::TempDir) {
    let cwd = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aadsts-bot"));
    cmd.args(args).current_dir(cwd.path()).kill_on_drop(true);
    for var in SETTINGS {
        cmd.env_remove(var);
    }
    (cmd, cwd)
}

/// A fake Discord, the bot connected to it, and the bot's settings file.
pub struct Harness {
    pub fake: FakeDiscord,
    pub bot: Child,
    pub db: PathBuf,
    pub dir: Option<tempfile::TempDir>,
    _cwd: tempfile::TempDir,
}

pub fn knowledge_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// Starts the bot against `fake` and waits until it has registered its
/// commands. `extra` settings override the defaults below.
pub async fn spawn_bot(
    fake: &FakeDiscord,
    db: &Path,
    extra: &[(&str, &str)],
) -> (Child, tempfile::TempDir) {
    spawn_bot_with(fake, db, extra, Stdio::null()).await
}

/// [`spawn_bot`] with a chosen stderr (e.g. `Stdio::piped()` to read the logs).
pub async fn spawn_bot_with(
    fake: &FakeDiscord,
    db: &Path,
    extra: &[(&str, &str)],
    stderr: Stdio,
) -> (Child, tempfile::TempDir) {
    let database_url = format!("sqlite://{}", db.display());
    let (mut cmd, cwd) = run_command(fake, &database_url, extra);
    let bot = cmd.stderr(stderr).spawn().expect("bot starts");
    // Ready once commands are registered (poise's setup) on the fake.
    fake.wait_for_session(DEFAULT_TIMEOUT)
        .await
        .expect("bot identifies");
    fake.wait_for(
        |r| r.method == "PUT" && r.path.ends_with("/commands"),
        DEFAULT_TIMEOUT,
    )
    .await
    .expect("bot registers its commands");
    (bot, cwd)
}

/// `aadsts-bot run` against `fake` with the settings every test shares
/// (token `fake-token`, no hot reload, no live lookup, a 10-minute
/// cooldown, warnings only); `extra` overrides them.
pub fn run_command(
    fake: &FakeDiscord,
    database_url: &str,
    extra: &[(&str, &str)],
) -> (Command, tempfile::TempDir) {
    let (mut cmd, cwd) = bot_command(&["run"]);
    cmd.env("DISCORD_TOKEN", "fake-token")
        .env("DISCORD_API_URL", fake.api_url())
        .env("DATABASE_URL", database_url)
        .env("KNOWLEDGE_DIR", knowledge_dir())
        .env("HOT_RELOAD", "false")
        .env("LIVE_LOOKUP", "off")
        .env("COOLDOWN_MINUTES", "10")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    (cmd, cwd)
}

/// Whether the fake recorded `r` from the process that runs with `token`.
pub fn sent_with(r: &Recorded, token: &str) -> bool {
    r.header("authorization") == Some(format!("Bot {token}").as_str())
}

impl Harness {
    /// The fake and the bot with default settings.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    pub async fn start_with(extra: &[(&str, &str)]) -> Self {
        Self::start_in(World::default(), extra).await
    }

    pub async fn start_in(world: World, extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("settings.db");
        let fake = FakeDiscord::start_with(world).await;
        let (bot, cwd) = spawn_bot(&fake, &db, extra).await;
        Self {
            fake,
            bot,
            db,
            dir: Some(dir),
            _cwd: cwd,
        }
    }

    /// Runs `/aadsts-config` as an admin and waits for the answer.
    pub async fn config(&self, sub: &str, options: Vec<Value>) -> Recorded {
        let inv = Invoker::admin(CHANNEL_GENERAL);
        self.interact(self.fake.world().slash_command(
            &inv,
            "aadsts-config",
            vec![opt_subcommand(sub, options)],
        ))
        .await
    }

    pub async fn enable(&self, channel: u64) {
        let r = self
            .config("channel-add", vec![opt_channel("channel", channel)])
            .await;
        assert!(
            r.content().unwrap().contains("Auto-replies are on"),
            "{:?}",
            r.json
        );
    }

    /// Sends an interaction and waits for its callback.
    pub async fn interact(&self, interaction: Value) -> Recorded {
        let id = id_of(&interaction).to_string();
        self.fake.dispatch("INTERACTION_CREATE", interaction).await;
        self.fake
            .wait_for(
                |r| r.method == "POST" && r.path.contains(&format!("/interactions/{id}/")),
                DEFAULT_TIMEOUT,
            )
            .await
            .unwrap()
    }

    /// A member's "Explain error codes" on `target` when it has something to
    /// download: checks the "thinking" callback (deferred, ephemeral) and
    /// returns the answer that replaces it.
    pub async fn explain_deferred(&self, target: &Value) -> Recorded {
        let menu = self.fake.world().message_command(
            &Invoker::member(CHANNEL_GENERAL),
            "Explain error codes",
            target,
        );
        let thinking = self.interact(menu).await;
        let body = thinking.json.as_ref().expect("callback body");
        assert_eq!(
            (body["type"].as_u64(), body["data"]["flags"].as_u64()),
            (Some(5), Some(64)),
            "not a private deferral: {body}"
        );
        let answer = self
            .fake
            .wait_for(
                |r| r.method == "PATCH" && r.path.ends_with("/messages/@original"),
                DEFAULT_TIMEOUT,
            )
            .await
            .unwrap();
        assert_eq!(answer.status, 200, "{}", self.fake.request_log());
        answer
    }

    pub async fn post(&self, channel: u64, author: &Author, content: &str) -> Value {
        self.post_with(channel, author, content, vec![]).await
    }

    pub async fn post_with(
        &self,
        channel: u64,
        author: &Author,
        content: &str,
        attachments: Vec<Value>,
    ) -> Value {
        let guild = self.fake.world().channel(channel).map(|(g, _)| g.id);
        let msg = message_create(channel, guild, author, content, attachments);
        self.fake.dispatch("MESSAGE_CREATE", msg.clone()).await;
        msg
    }

    /// Waits for the bot's (successful) reply to `msg`.
    pub async fn reply_to(&self, msg: &Value) -> Recorded {
        self.fake
            .wait_for(|r| is_reply_to(r, msg), DEFAULT_TIMEOUT)
            .await
            .unwrap()
    }

    /// Checks no reply to `msg` arrives, using a later message that does
    /// get a reply as the barrier (so this is not a bare sleep).
    pub async fn no_reply_to(&self, msg: &Value) {
        let barrier = self
            .post(CHANNEL_HELP, &Author::member(), "AADSTS90002 barrier")
            .await;
        self.reply_to(&barrier).await;
        let replied = self.fake.requests().iter().any(|r| is_reply_to(r, msg));
        assert!(
            !replied,
            "unexpected reply to {}:\n{}",
            id_of(msg),
            self.fake.request_log()
        );
    }

    /// Every message and interaction answer we sent had mentions disabled.
    pub fn assert_no_pings(&self) {
        for r in self.fake.requests() {
            let sends_message = matches!(r.method.as_str(), "POST" | "PATCH")
                && (r.path.contains("/messages")
                    || r.path.ends_with("/callback")
                    || r.path.contains("/webhooks/"));
            if !sends_message || r.path.ends_with("/commands") {
                continue;
            }
            let Some(j) = &r.json else { continue };
            let data = if r.path.ends_with("/callback") {
                j.get("data")
            } else {
                Some(j)
            };
            let Some(data) = data else { continue };
            if j.get("type") == Some(&json!(8)) || j.get("type") == Some(&json!(6)) {
                continue; // autocomplete choices and deferred updates carry no message
            }
            let am = data
                .get("allowed_mentions")
                .unwrap_or_else(|| panic!("no allowed_mentions in {} {}: {j}", r.method, r.path));
            assert_eq!(am["parse"], json!([]), "{} {}", r.method, r.path);
            assert!(am.get("users").is_none_or(|u| u == &json!([])));
            assert!(am.get("roles").is_none_or(|u| u == &json!([])));
            if data.get("message_reference").is_some() {
                assert_eq!(am["replied_user"], json!(false));
            }
        }
    }

    pub async fn restart(mut self) -> Self {
        self.bot.kill().await.unwrap();
        let fake = FakeDiscord::start().await;
        let (bot, cwd) = spawn_bot(&fake, &self.db, &[]).await;
        Self {
            fake,
            bot,
            db: self.db.clone(),
            dir: self.dir.take(),
            _cwd: cwd,
        }
    }
}

pub fn is_reply(r: &Recorded) -> bool {
    r.method == "POST"
        && r.status == 200
        && r.api_path()
            .is_some_and(|p| p.starts_with("/channels/") && p.ends_with("/messages"))
}

/// Whether `r` sent a message that references `msg` (a reply to it,
/// whatever the fake answered).
pub fn references(r: &Recorded, msg: &Value) -> bool {
    let id = json!(id_of(msg).to_string());
    r.json
        .as_ref()
        .and_then(|j| j.pointer("/message_reference/message_id"))
        == Some(&id)
}

/// Whether `r` is the bot's successful reply to `msg`.
pub fn is_reply_to(r: &Recorded, msg: &Value) -> bool {
    is_reply(r) && references(r, msg)
}

pub fn titles(r: &Recorded) -> Vec<String> {
    r.embeds()
        .iter()
        .map(|e| e["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub fn reply_id(r: &Recorded) -> u64 {
    id_of(r.response.as_ref().expect("created message"))
}
