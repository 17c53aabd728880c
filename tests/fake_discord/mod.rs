//! A fake Discord for integration tests: REST (axum) and gateway (tokio-tungstenite), both on
//! `127.0.0.1` with ephemeral ports, shut down when the [`FakeDiscord`] is dropped.
//!
//! # Using it
//! ```ignore
//! mod fake_discord;
//! use fake_discord::*;
//!
//! let fake = FakeDiscord::start().await;
//! // start the bot with DISCORD_API_URL=fake.api_url() and any DISCORD_TOKEN
//! fake.wait_for_session(DEFAULT_TIMEOUT).await?;
//! let msg = message_create(CHANNEL_HELP, Some(GUILD_ID), &Author::member(), "AADSTS50076", vec![]);
//! fake.dispatch("MESSAGE_CREATE", msg).await;
//! let path = format!("/channels/{CHANNEL_HELP}/messages");
//! let reply = fake.wait_for(|r| r.is("POST", &path), DEFAULT_TIMEOUT).await?;
//! ```
//!
//! # What it models
//! - **REST** (`{api_url}/api/v10/...`): every request is recorded in arrival order
//!   ([`FakeDiscord::requests`], [`FakeDiscord::wait_for`]) with the status the fake answered.
//!   Responses are what serenity 0.12.5 deserializes: messages, channels, the current user and
//!   application, application commands, interaction callbacks and webhook (follow-up / original
//!   response) messages. Messages the bot sends are kept, so it can edit, fetch and delete them.
//!   Unknown routes answer `404 {"message":"404: Not Found","code":0}`.
//! - **Discord's refusals** that catch bot bugs: an empty message (50006), content over 2000
//!   characters or embeds over Discord's limits (50035), a second acknowledgement of the same
//!   interaction (40060), an unknown message/channel/interaction/webhook (10008/10003/10062/10015),
//!   and 429s on demand ([`FakeDiscord::rate_limit_next`]).
//! - **Gateway** (`ws://127.0.0.1:PORT`, returned by `GET /gateway` and `/gateway/bot`): HELLO,
//!   heartbeat ACK, IDENTIFY -> READY + one GUILD_CREATE per guild of the [`World`], RESUME ->
//!   RESUMED, and [`FakeDiscord::dispatch`] for any event. Frames are plain JSON text.
//! - **Message Content intent**: when the IDENTIFY lacks `MESSAGE_CONTENT`, guild messages that
//!   don't mention the bot are delivered with empty content, embeds, attachments and components.
//!
//! # Why `dispatch` validates
//! serenity silently drops (or turns into `Event::Unknown`) a dispatch it cannot deserialize.
//! [`FakeDiscord::dispatch`] therefore parses each payload with serenity's own model first and
//! panics with serde's error; [`FakeDiscord::dispatch_unchecked`] skips that on purpose.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use serenity::model::Permissions;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::{AbortHandle, JoinHandle};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response as WsResponse};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as WsMessage;

mod gateway;

// Not every test file routes by shard.
use gateway::{accept_gateway, GatewayState};
#[allow(unused_imports)]
pub use gateway::{shard_of_guild, GatewayFrame};

mod interactions;
mod message;
mod rest;
mod world;

pub use message::*;
use rest::handle_rest;
pub use world::*;
#[allow(unused_imports)]
use {interactions::*, rest::*};

// ---------------------------------------------------------------------------------------------
// Validation with serenity's model
// ---------------------------------------------------------------------------------------------

/// Checks that serenity 0.12.5 would deliver `data` as the event `name`: the typed event parses
/// and the gateway frame does not degrade to `Event::Unknown`. The error is serde's message.
pub fn validate_event(name: &str, data: &Value) -> Result<(), String> {
    use serenity::model::event::*;
    match name {
        "READY" => parse_as::<ReadyEvent>(data).map(drop)?,
        "RESUMED" => parse_as::<ResumedEvent>(data).map(drop)?,
        "GUILD_CREATE" => parse_as::<GuildCreateEvent>(data).map(drop)?,
        "MESSAGE_CREATE" => parse_as::<MessageCreateEvent>(data).map(drop)?,
        "MESSAGE_UPDATE" => parse_as::<MessageUpdateEvent>(data).map(drop)?,
        "MESSAGE_DELETE" => parse_as::<MessageDeleteEvent>(data).map(drop)?,
        "INTERACTION_CREATE" => parse_as::<InteractionCreateEvent>(data).map(drop)?,
        _ => {}
    }
    let frame = json!({"op": 0, "s": 1, "t": name, "d": data});
    match serde_json::from_value::<GatewayEvent>(frame) {
        Ok(GatewayEvent::Dispatch(_, Event::Unknown(_))) => Err(format!(
            "serenity reads {name} as Event::Unknown (unknown name or bad payload)"
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// Parses `value` as serenity type `T`, returning serde's error text.
pub fn parse_as<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    serde_json::from_value(value.clone()).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------
// Recorded traffic
// ---------------------------------------------------------------------------------------------

/// One REST request as the fake received it, with the status it answered.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Position in arrival order (0-based); compare with [`FakeDiscord::mark`].
    pub index: usize,
    pub method: String,
    /// Full path, e.g. `/api/v10/channels/1/messages`.
    pub path: String,
    pub query: Option<String>,
    /// Lower-case header names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The JSON body, or the `payload_json` part of a multipart body.
    pub json: Option<Value>,
    /// File parts of a multipart body.
    pub files: Vec<RecordedFile>,
    /// Status the fake answered.
    pub status: u16,
    /// The JSON the fake answered (e.g. the created message), if any.
    pub response: Option<Value>,
    /// When the request arrived (latency benchmarks measure up to here).
    pub received_at: std::time::Instant,
}

/// A file part of a multipart request.
#[derive(Clone, Debug)]
pub struct RecordedFile {
    pub field: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

impl Recorded {
    /// The path without the `/api/v10` prefix (`None` for other paths, such as attachments).
    pub fn api_path(&self) -> Option<&str> {
        self.path.strip_prefix("/api/v10")
    }

    /// Whether this is `method` on `api_path` (e.g. `is("POST", "/channels/1/messages")`).
    pub fn is(&self, method: &str, api_path: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && self.api_path() == Some(api_path)
    }

    /// A header value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The message content sent: `content`, or `data.content` for interaction callbacks.
    pub fn content(&self) -> Option<&str> {
        let json = self.json.as_ref()?;
        json.get("content")
            .or_else(|| json.pointer("/data/content"))?
            .as_str()
    }

    /// The embeds sent (`embeds` or `data.embeds`), empty when none.
    pub fn embeds(&self) -> Vec<Value> {
        let Some(json) = self.json.as_ref() else {
            return Vec::new();
        };
        let embeds = json.get("embeds").or_else(|| json.pointer("/data/embeds"));
        embeds
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    fn summary(&self) -> String {
        let query = self
            .query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        format!(
            "#{} {} {}{} -> {}",
            self.index, self.method, self.path, query, self.status
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The fake
// ---------------------------------------------------------------------------------------------

/// A running fake Discord. Dropping it stops the servers and closes gateway connections.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

struct Shared {
    world: World,
    api_url: String,
    gateway_url: String,
    /// Bumped on every recorded request, gateway frame and session change.
    changed: watch::Sender<u64>,
    requests: Mutex<Vec<Recorded>>,
    frames: Mutex<Vec<GatewayFrame>>,
    rest: Mutex<RestState>,
    gateway: Mutex<GatewayState>,
    conn_tasks: Mutex<Vec<AbortHandle>>,
}

#[derive(Default)]
struct RestState {
    rate_limits: Vec<RateLimitRule>,
    faults: Vec<FaultRule>,
    periodic: Vec<PeriodicFault>,
    buckets: Vec<BucketRule>,
    /// (channel, nonce) -> message id, for `enforce_nonce`.
    nonces: HashMap<(u64, String), u64>,
    /// Attachment path -> where it redirects.
    redirects: HashMap<String, String>,
    /// Attachment paths whose body starts and never ends.
    stalled: std::collections::HashSet<String>,
    files: HashMap<String, (Vec<u8>, String)>,
    /// Every message the fake knows by id: dispatched ones and the bot's.
    messages: HashMap<u64, Value>,
    /// Channels outside the world seen in dispatched events (e.g. DMs): id -> guild.
    extra_channels: HashMap<u64, Option<u64>>,
    /// Dispatched interactions by token.
    interactions: HashMap<String, InteractionState>,
    global_commands: Vec<Value>,
    guild_commands: HashMap<u64, Vec<Value>>,
}

struct FaultRule {
    method: String,
    path_substring: String,
    remaining: usize,
    status: u16,
    /// Act on the request first, then answer with `status` (a lost answer).
    after_acting: bool,
}

/// Every `every`-th matching request fails, cycling through `statuses`.
struct PeriodicFault {
    method: String,
    path_substring: String,
    every: usize,
    seen: usize,
    failed: usize,
    statuses: Vec<u16>,
}

struct BucketRule {
    method: String,
    path_substring: String,
    limit: usize,
    reset_after: Duration,
    window_start: Option<std::time::Instant>,
    used: usize,
    violations: usize,
}

struct RateLimitRule {
    path_substring: String,
    remaining: usize,
    retry_after: f64,
    global: bool,
}

struct InteractionState {
    id: u64,
    kind: u64,
    channel_id: u64,
    guild_id: Option<u64>,
    /// The message a component interaction was on.
    message_id: Option<u64>,
    acknowledged: bool,
    original: Option<u64>,
    followups: Vec<u64>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FakeDiscord {
    /// Starts the fake with [`World::default`].
    pub async fn start() -> Self {
        Self::start_with(World::default()).await
    }

    /// Starts the fake with a custom world.
    pub async fn start_with(world: World) -> Self {
        let rest = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind REST listener");
        let gateway = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind gateway listener");
        let api_url = format!("http://{}", rest.local_addr().expect("REST addr"));
        let gateway_url = format!("ws://{}", gateway.local_addr().expect("gateway addr"));
        let shared = Arc::new(Shared {
            world,
            api_url,
            gateway_url,
            changed: watch::channel(0).0,
            requests: Mutex::default(),
            frames: Mutex::default(),
            rest: Mutex::default(),
            gateway: Mutex::default(),
            conn_tasks: Mutex::default(),
        });
        let router = Router::new()
            .fallback(handle_rest)
            .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state(Arc::clone(&shared));
        let rest_task = tokio::spawn(async move {
            let _ = axum::serve(rest, router).await;
        });
        let gateway_task = tokio::spawn(accept_gateway(Arc::clone(&shared), gateway));
        Self {
            shared,
            tasks: vec![rest_task, gateway_task],
        }
    }

    /// `http://127.0.0.1:PORT`, the value for `DISCORD_API_URL` / `HttpBuilder::proxy`.
    pub fn api_url(&self) -> String {
        self.shared.api_url.clone()
    }

    /// `ws://127.0.0.1:PORT`, what `GET /gateway` returns.
    pub fn gateway_url(&self) -> String {
        self.shared.gateway_url.clone()
    }

    /// The world the fake serves.
    pub fn world(&self) -> &World {
        &self.shared.world
    }

    // ----- REST -----

    /// A snapshot of every REST request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }

    /// The number of requests so far: pass it to [`Self::wait_for_since`] to ignore older ones.
    pub fn mark(&self) -> usize {
        lock(&self.shared.requests).len()
    }

    /// Waits for a request (already received or to come) matching `pred`.
    pub async fn wait_for(
        &self,
        pred: impl Fn(&Recorded) -> bool,
        timeout: Duration,
    ) -> Result<Recorded, String> {
        self.wait_for_since(0, pred, timeout).await
    }

    /// Waits for a request with `index >= mark` matching `pred`. The error lists what arrived.
    pub async fn wait_for_since(
        &self,
        mark: usize,
        pred: impl Fn(&Recorded) -> bool,
        timeout: Duration,
    ) -> Result<Recorded, String> {
        let found = self
            .wait_until(timeout, |s| {
                lock(&s.requests)
                    .iter()
                    .skip(mark)
                    .find(|r| pred(r))
                    .cloned()
            })
            .await;
        found.ok_or_else(|| {
            format!(
                "no matching REST request within {timeout:?}; received:\n{}",
                self.request_log()
            )
        })
    }

    /// Checks that no request with `index >= mark` matches `pred` during `window`. Negative
    /// checks need a window; prefer waiting for a later, positive event as a barrier first.
    pub async fn expect_none_since(
        &self,
        mark: usize,
        pred: impl Fn(&Recorded) -> bool,
        window: Duration,
    ) -> Result<(), String> {
        match self.wait_for_since(mark, pred, window).await {
            Ok(found) => Err(format!(
                "unexpected request {}: {:?}",
                found.summary(),
                found.json
            )),
            Err(_) => Ok(()),
        }
    }

    /// One line per recorded request (`#i METHOD path -> status`), for failure messages.
    pub fn request_log(&self) -> String {
        let requests = lock(&self.shared.requests);
        let lines: Vec<String> = requests.iter().map(Recorded::summary).collect();
        if lines.is_empty() {
            "  (nothing)".into()
        } else {
            lines
                .iter()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        }
    }

    /// The next `n` requests whose path contains `path_substring` get a 429 (`retry_after`
    /// 0.05 s, not global), with Discord's `Retry-After` and `X-RateLimit-*` headers.
    pub fn rate_limit_next(&self, path_substring: &str, n: usize) {
        self.rate_limit_next_with(path_substring, n, 0.05, false);
    }

    /// Like [`Self::rate_limit_next`] with a chosen `retry_after` (seconds) and scope.
    pub fn rate_limit_next_with(&self, path_substring: &str, n: usize, retry: f64, global: bool) {
        lock(&self.shared.rest).rate_limits.push(RateLimitRule {
            path_substring: path_substring.to_string(),
            remaining: n,
            retry_after: retry,
            global,
        });
    }

    /// The next `n` `method` requests whose path contains `path_substring` get `status`
    /// (e.g. 500, 502, 503) without being acted on.
    pub fn fail_next(&self, method: &str, path_substring: &str, n: usize, status: u16) {
        lock(&self.shared.rest).faults.push(FaultRule {
            method: method.to_string(),
            path_substring: path_substring.to_string(),
            remaining: n,
            status,
            after_acting: false,
        });
    }

    /// From now on every `every`-th `method` request whose path contains `path_substring`
    /// fails, with `statuses` in turn: 429 as a per-route rate limit (`retry_after` 0.05 s),
    /// anything else as a server error. `every = 10` fails 10% of them, as a bench's
    /// unreliable Discord.
    pub fn fail_every(&self, method: &str, path_substring: &str, every: usize, statuses: &[u16]) {
        assert!(every > 0 && !statuses.is_empty());
        lock(&self.shared.rest).periodic.push(PeriodicFault {
            method: method.to_string(),
            path_substring: path_substring.to_string(),
            every,
            seen: 0,
            failed: 0,
            statuses: statuses.to_vec(),
        });
    }

    /// Like [`Self::fail_next`], but the fake acts on the request (creates the
    /// message, ...) before answering `status`: the answer is lost, the work is done.
    pub fn fail_next_after_acting(
        &self,
        method: &str,
        path_substring: &str,
        n: usize,
        status: u16,
    ) {
        lock(&self.shared.rest).faults.push(FaultRule {
            method: method.to_string(),
            path_substring: path_substring.to_string(),
            remaining: n,
            status,
            after_acting: true,
        });
    }

    /// Ends every pending [`Self::rate_limit_next`] rule.
    pub fn clear_rate_limits(&self) {
        lock(&self.shared.rest).rate_limits.clear();
    }

    /// A Discord rate-limit bucket on `method` requests whose path contains
    /// `path_substring`: `limit` requests per `reset_after`, announced in
    /// `X-RateLimit-*` headers on every answer; a request into an exhausted
    /// bucket gets a 429 and counts as a violation.
    pub fn bucket(&self, method: &str, path_substring: &str, limit: usize, reset_after: Duration) {
        lock(&self.shared.rest).buckets.push(BucketRule {
            method: method.to_string(),
            path_substring: path_substring.to_string(),
            limit,
            reset_after,
            window_start: None,
            used: 0,
            violations: 0,
        });
    }

    /// Requests sent into an exhausted [`Self::bucket`].
    pub fn bucket_violations(&self) -> usize {
        lock(&self.shared.rest)
            .buckets
            .iter()
            .map(|b| b.violations)
            .sum()
    }

    /// Serves a redirect at `{api_url}/attachments/{path}` to `location`; returns the URL.
    pub fn serve_redirect(&self, path: &str, location: &str) -> String {
        let path = path.trim_start_matches('/').to_string();
        let url = format!("{}/attachments/{path}", self.shared.api_url);
        lock(&self.shared.rest)
            .redirects
            .insert(path, location.to_string());
        url
    }

    /// Serves a file whose body sends `first` and then never finishes; returns the URL.
    pub fn serve_stalled(&self, path: &str, first: Vec<u8>) -> String {
        let url = self.serve_file(path, first, "text/plain");
        lock(&self.shared.rest)
            .stalled
            .insert(path.trim_start_matches('/').to_string());
        url
    }

    /// Serves `bytes` at `{api_url}/attachments/{path}` and returns that URL.
    pub fn serve_file(&self, path: &str, bytes: Vec<u8>, content_type: &str) -> String {
        let path = path.trim_start_matches('/').to_string();
        let url = format!("{}/attachments/{path}", self.shared.api_url);
        lock(&self.shared.rest)
            .files
            .insert(path, (bytes, content_type.to_string()));
        url
    }

    /// Serves a file and returns an attachment object pointing at it (for [`message_create`]).
    pub fn upload_attachment(&self, filename: &str, bytes: Vec<u8>, content_type: &str) -> Value {
        let size = bytes.len();
        let url = self.serve_file(
            &format!("{}/{filename}", next_snowflake()),
            bytes,
            content_type,
        );
        attachment(filename, &url, size, content_type)
    }

    /// A message the fake knows (dispatched, or sent/edited by the bot), by id.
    pub fn message(&self, id: u64) -> Option<Value> {
        lock(&self.shared.rest).messages.get(&id).cloned()
    }

    /// Messages the fake knows in a channel, oldest first.
    pub fn messages_in(&self, channel_id: u64) -> Vec<Value> {
        let rest = lock(&self.shared.rest);
        let mut found: Vec<Value> = rest
            .messages
            .values()
            .filter(|m| id_at(m, "/channel_id") == Some(channel_id))
            .cloned()
            .collect();
        found.sort_by_key(id_of);
        found
    }

    /// The application commands the bot registered, globally (`None`) or in a guild.
    pub fn registered_commands(&self, guild_id: Option<u64>) -> Vec<Value> {
        let rest = lock(&self.shared.rest);
        match guild_id {
            None => rest.global_commands.clone(),
            Some(g) => rest.guild_commands.get(&g).cloned().unwrap_or_default(),
        }
    }

    /// Polls `check` whenever something is recorded, until it returns `Some` or time runs out.
    async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&Shared) -> Option<T>,
    ) -> Option<T> {
        let mut changes = self.shared.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.borrow_and_update();
            if let Some(found) = check(&self.shared) {
                return Some(found);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) | Err(_) => return check(&self.shared),
            }
        }
    }
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        // No close frame: serenity 0.12.5 treats a close frame without a code as "no event" and
        // spins on the closed socket until its next heartbeat. Dropping the TCP connection makes
        // it log a WebSocket error and retry instead.
        self.disconnect_all();
        for task in &self.tasks {
            task.abort();
        }
        for task in lock(&self.shared.conn_tasks).iter() {
            task.abort();
        }
    }
}

impl Shared {
    fn bump(&self) {
        self.changed.send_modify(|n| *n += 1);
    }

    fn record(&self, mut rec: Recorded) {
        let mut requests = lock(&self.requests);
        rec.index = requests.len();
        requests.push(rec);
        drop(requests);
        self.bump();
    }

    /// Keeps what REST answers later depend on: messages, ad-hoc channels, interactions.
    fn remember_dispatched(&self, event: &str, data: &Value) {
        let mut rest = lock(&self.rest);
        let channel_id = id_at(data, "/channel_id");
        let guild_id = id_at(data, "/guild_id");
        if let Some(channel_id) = channel_id {
            if self.world.channel(channel_id).is_none() {
                rest.extra_channels.insert(channel_id, guild_id);
            }
        }
        match event {
            "MESSAGE_CREATE" | "MESSAGE_UPDATE" => {
                if let Some(id) = id_at(data, "/id") {
                    rest.messages.insert(id, data.clone());
                }
            }
            "MESSAGE_DELETE" => {
                if let Some(id) = id_at(data, "/id") {
                    rest.messages.remove(&id);
                }
            }
            "INTERACTION_CREATE" => {
                let (Some(id), Some(token)) = (id_at(data, "/id"), data["token"].as_str()) else {
                    return;
                };
                let message_id = id_at(data, "/message/id");
                if let (Some(mid), Some(message)) = (message_id, data.get("message")) {
                    rest.messages.entry(mid).or_insert_with(|| message.clone());
                }
                rest.interactions.insert(
                    token.to_string(),
                    InteractionState {
                        id,
                        kind: data["type"].as_u64().unwrap_or(0),
                        channel_id: channel_id.unwrap_or(0),
                        guild_id,
                        message_id,
                        acknowledged: false,
                        original: None,
                        followups: Vec::new(),
                    },
                );
            }
            _ => {}
        }
    }

    /// Applies the Message Content intent: without it, guild messages that don't mention the
    /// bot (and aren't the bot's own) arrive with content, embeds, attachments, components blank.
    fn as_delivered(&self, event: &str, mut data: Value, intents: u64) -> Value {
        let is_message = matches!(event, "MESSAGE_CREATE" | "MESSAGE_UPDATE");
        if !is_message || intents & MESSAGE_CONTENT_INTENT != 0 || data.get("guild_id").is_none() {
            return data;
        }
        let bot_id = self.world.bot.id;
        let by_bot = id_at(&data, "/author/id") == Some(bot_id);
        let mentions_bot = data["mentions"]
            .as_array()
            .is_some_and(|m| m.iter().any(|u| id_at(u, "/id") == Some(bot_id)));
        if !by_bot && !mentions_bot {
            for (key, empty) in [
                ("content", json!("")),
                ("embeds", json!([])),
                ("attachments", json!([])),
            ] {
                if data.get(key).is_some() {
                    data[key] = empty;
                }
            }
            if data.get("components").is_some() {
                data["components"] = json!([]);
            }
        }
        data
    }
}
