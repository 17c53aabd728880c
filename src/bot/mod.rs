//! Purpose: the Discord layer (serenity + poise): connect, register the
//! commands, route events to the engine, stop cleanly. The only code that
//! knows Discord; everything it says comes from the core.

mod commands;
mod embed;
mod events;
mod live;
mod metrics;
mod rest;
mod team;
mod turns;

use std::future::Future;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use dashmap::DashMap;
use poise::serenity_prelude as serenity;
use tokio::sync::{watch, Notify};

use aadsts_bot::store::Store;
use aadsts_bot::{text, Conversations, Engine, Knowledge};

use crate::config::{Config, Shards, DEFAULT_API_URL};

/// Error type of commands and event handlers; never shown to users.
pub type Error = anyhow::Error;
/// poise's context with our data.
pub type Context<'a> = poise::Context<'a, SharedData, Error>;

/// How long an interaction answer may keep retrying: Discord drops an
/// interaction that is not answered within 3 seconds of its creation.
pub fn answer_window() -> Duration {
    Duration::from_millis(2_500)
}

/// Text kept from attachments already read, in bytes.
const READ_MEMO_BYTES: usize = 8 << 20;
/// Longest wait for serenity to close its shards once replies are done.
const SHARD_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Counters for logs and the metrics endpoint.
#[derive(Debug, Default)]
pub struct Counters {
    /// Messages looked at in enabled channels.
    pub messages_scanned: AtomicU64,
    /// Auto-replies sent.
    pub replies_sent: AtomicU64,
    /// Replies edited after the message was edited.
    pub replies_edited: AtomicU64,
    /// Replies deleted (message deleted, codes gone, or dismissed).
    pub replies_deleted: AtomicU64,
    /// Replies given up: still not accepted by Discord at their deadline.
    pub replies_abandoned: AtomicU64,
    /// Errors while handling events or commands.
    pub errors: AtomicU64,
    /// Gateway connections lost (and then re-established by serenity).
    pub reconnects: AtomicU64,
}

/// What `/health` reports: is the gateway up, and when did it last speak.
#[derive(Debug)]
pub struct Health {
    started: Instant,
    /// Milliseconds after `started` of the last gateway event; 0 = none yet.
    last_event_ms: AtomicU64,
}

impl Health {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            last_event_ms: AtomicU64::new(0),
        }
    }

    /// A gateway event arrived.
    pub fn saw_event(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.last_event_ms.store(ms.max(1), Ordering::Relaxed);
    }

    /// Seconds since the last gateway event, if there was one.
    pub fn seconds_since_event(&self) -> Option<f64> {
        match self.last_event_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => {
                Some((self.started.elapsed().as_millis() as u64).saturating_sub(ms) as f64 / 1000.0)
            }
        }
    }
}

/// Everything the handlers share.
pub struct Data {
    /// Detection, knowledge, rendering, cache.
    pub engine: Arc<Engine>,
    /// The auto-reply policy: cooldowns, pointers, dedupe, reply records.
    pub conversations: Conversations,
    /// Per-server settings.
    pub store: Store,
    /// Our REST send path.
    pub rest: rest::Rest,
    /// Microsoft's live lookup for codes without an entry.
    pub live: aadsts_bot::live::LiveLookup,
    /// Reads screenshots (bounded jobs and queue, timed out).
    pub ocr: aadsts_bot::ocr::Ocr,
    /// Whether Tesseract is installed (checked once at start).
    pub ocr_available: bool,
    /// Channel -> the channel it is a thread of (None: not a thread).
    pub thread_parents: DashMap<u64, Option<u64>>,
    /// One turn per message: its reply is settled (posted and recorded)
    /// before an edit of the same message is looked at. Gateway events are
    /// handled concurrently; replies to different messages go out in
    /// parallel, and the core's cooldown claims keep them from explaining a
    /// code twice.
    pub message_turns: turns::Turns<u64>,
    /// Attachments already read (an edit carries the same ones).
    pub read_memo: aadsts_bot::attachment::ReadMemo,
    /// Settings.
    pub config: Config,
    /// Our own user id, once READY arrived.
    pub bot_id: OnceLock<u64>,
    /// Counters.
    pub counters: Counters,
    /// Gateway state for `/health`.
    pub health: Health,
    /// serenity's shard manager of the running client, for shard states.
    shard_manager: std::sync::Mutex<Option<Arc<serenity::ShardManager>>>,
    stopping: AtomicBool,
    busy: AtomicUsize,
    idle: Notify,
}

/// Marks one event as being handled until dropped (see [`Data::busy`]).
pub struct Busy<'a>(&'a Data);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        if self.0.busy.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Data {
    /// Each shard this process runs and whether it is connected; a shard
    /// being restarted has no runner and counts as not connected.
    pub async fn shard_states(&self) -> Vec<(u32, bool)> {
        let manager = self
            .shard_manager
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(manager) = manager else {
            return Vec::new();
        };
        let runners = manager.runners.lock().await;
        let mut states: Vec<(u32, bool)> = runners
            .iter()
            .map(|(id, r)| (id.0, r.stage == serenity::ConnectionStage::Connected))
            .collect();
        states.sort_unstable();
        states
    }

    /// True when every shard this process runs is connected.
    pub async fn gateway_connected(&self) -> bool {
        let states = self.shard_states().await;
        !states.is_empty() && states.iter().all(|&(_, up)| up)
    }

    /// True once shutdown began: new events are ignored.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Counts an event as in flight; shutdown waits for it.
    pub fn busy(&self) -> Busy<'_> {
        self.busy.fetch_add(1, Ordering::AcqRel);
        Busy(self)
    }

    /// Stops taking events and waits (at most `limit`) for those in flight.
    /// Returns the triggers whose replies did not finish.
    async fn drain(&self, limit: Duration) -> Vec<u64> {
        self.stopping.store(true, Ordering::Release);
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let idle = self.idle.notified();
            if self.busy.load(Ordering::Acquire) == 0 {
                return Vec::new();
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.conversations.in_flight();
            }
        }
    }
}

/// Runs the bot until Ctrl-C or SIGTERM.
pub fn run(config: Config, knowledge: Knowledge) -> anyhow::Result<ExitCode> {
    // One thread: the work per message is a few microseconds, and keeping
    // every task on one thread saves the cross-thread wake-ups that would
    // otherwise dominate both latency and CPU.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // Listen for SIGTERM/SIGINT before anything else can take time.
    let shutdown = {
        let _inside = runtime.enter();
        shutdown_signal()?
    };
    runtime.block_on(run_until(config, knowledge, shutdown))?;
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM or SIGINT (Ctrl-C), registered now, awaited later.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Counts lost gateway connections: serenity reports shard stages only to
/// event handlers, not to poise's framework.
struct GatewayWatch(Arc<Data>);

#[serenity::async_trait]
impl serenity::EventHandler for GatewayWatch {
    async fn shard_stage_update(
        &self,
        _ctx: serenity::Context,
        event: serenity::ShardStageUpdateEvent,
    ) {
        let connected = event.new == serenity::ConnectionStage::Connected;
        if event.old == serenity::ConnectionStage::Connected && !connected {
            self.0.counters.reconnects.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                shard = event.shard_id.0,
                "gateway connection lost; reconnecting"
            );
        }
    }
}

/// Connects with `config`, serves `knowledge`, and returns once `shutdown`
/// completes and the replies in flight are finished (or the gateway
/// connection ends for good).
pub async fn run_until(
    config: Config,
    knowledge: Knowledge,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let token = config
        .discord_token
        .clone()
        .context("DISCORD_TOKEN is not set")?;
    let (stop_tx, stop_rx) = watch::channel(false);
    // The signal is honoured from here on, whatever state the bot is in.
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };

    let store = Store::open(&config.database_url).context("opening the settings database")?;
    // Other processes' setting changes, usage counts, vote expiry.
    let _sync = store.start_sync().context("starting the settings sync")?;
    let ocr = aadsts_bot::ocr::Ocr::new(aadsts_bot::ocr::OcrConfig::default());
    let ocr_available = tokio::task::spawn_blocking({
        let ocr = ocr.clone();
        move || ocr.available()
    })
    .await
    .unwrap_or(false);
    if ocr_available {
        tracing::info!("OCR available: screenshots are read");
    } else {
        tracing::warn!("tesseract not found: screenshots are skipped (install tesseract-ocr and tesseract-ocr-eng)");
    }
    // Build the search index before the first autocomplete needs it.
    knowledge.prepare_search();
    let engine = Arc::new(Engine::new(knowledge));
    let rest = rest::Rest::new(&config.discord_api_url, &token, config.attachment_timeout)?;

    // Check the token and the gateway before serenity starts: serenity
    // would silently fall back to Discord's public gateway.
    let checks = async {
        let me = rest
            .current_user()
            .await
            .map_err(|e| startup_error(&config, e))?;
        let gateway = rest
            .gateway_bot()
            .await
            .map_err(|e| startup_error(&config, e))?;
        anyhow::Ok((me, gateway))
    };
    let (me, gateway) = tokio::select! {
        checked = checks => checked?,
        () = stopped(stop_rx.clone()) => return Ok(()),
    };
    tracing::info!(
        user_id = me.id.get(),
        recommended_shards = gateway.shards,
        "token accepted"
    );

    if config.hot_reload {
        aadsts_bot::reload::watch(
            config.knowledge_dir.clone(),
            config.knowledge_notes.clone(),
            Arc::clone(&engine),
        );
    }

    let live_store = store.clone();
    let data = Arc::new(Data {
        conversations: Conversations::new(Arc::clone(&engine)),
        engine,
        store,
        rest,
        live: aadsts_bot::live::LiveLookup::new(
            config.live.clone(),
            Arc::new(live::StoreCache(live_store)),
        ),
        ocr,
        ocr_available,
        thread_parents: DashMap::new(),
        message_turns: turns::Turns::default(),
        read_memo: aadsts_bot::attachment::ReadMemo::new(READ_MEMO_BYTES),
        config: config.clone(),
        bot_id: OnceLock::new(),
        counters: Counters::default(),
        health: Health::new(),
        shard_manager: std::sync::Mutex::new(None),
        stopping: AtomicBool::new(false),
        busy: AtomicUsize::new(0),
        idle: Notify::new(),
    });
    if let Some(addr) = config.metrics_addr {
        metrics::serve(addr, Arc::clone(&data)).await?;
    }

    let mut intents = serenity::GatewayIntents::GUILDS
        | serenity::GatewayIntents::GUILD_MESSAGES
        | serenity::GatewayIntents::MESSAGE_CONTENT;
    loop {
        let mut client = serenity::ClientBuilder::new_with_http(http(&config, &token)?, intents)
            .framework(framework(&data, config.dev_guild_id))
            .event_handler(GatewayWatch(Arc::clone(&data)))
            .await
            .context("building the Discord client")?;
        let shards = client.shard_manager.clone();
        *data.shard_manager.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&shards));
        let closed = Arc::new(Notify::new());
        let stopper = {
            let (data, closed, stop) = (Arc::clone(&data), Arc::clone(&closed), stop_rx.clone());
            tokio::spawn(async move {
                stopped(stop).await;
                let unfinished = data.drain(data.config.shutdown_timeout).await;
                for message_id in &unfinished {
                    tracing::warn!(message_id, "shutting down before this reply was sent");
                }
                if tokio::time::timeout(SHARD_CLOSE_TIMEOUT, shards.shutdown_all())
                    .await
                    .is_err()
                {
                    tracing::warn!("the gateway did not close in time");
                }
                closed.notify_one();
            })
        };
        let run = async {
            match config.shards {
                Shards::Auto => client.start_shards(gateway.shards.max(1)).await,
                // serenity 0.12 reads the range's end as inclusive ("4..7"
                // runs 4 through 7); ours is exclusive, as `SHARDS` documents.
                Shards::Range { start, end, total } => {
                    client.start_shard_range(start..end - 1, total).await
                }
            }
        };
        let result = tokio::select! {
            r = run => Some(r),
            () = closed.notified() => None,
        };
        stopper.abort();
        if *stop_rx.borrow() {
            break;
        }
        match result {
            Some(Err(serenity::Error::Gateway(
                serenity::GatewayError::DisallowedGatewayIntents,
            ))) if intents.contains(serenity::GatewayIntents::MESSAGE_CONTENT) => {
                // Without the privileged intent the bot can still serve
                // commands and the context menu; only auto-replies need it.
                tracing::warn!(
                    "Discord refused the Message Content intent: turn it on under Bot > Privileged Gateway Intents in the developer portal. Running without auto-replies until then."
                );
                intents.remove(serenity::GatewayIntents::MESSAGE_CONTENT);
            }
            Some(other) => {
                other.context("Discord connection")?;
                break;
            }
            None => break,
        }
    }
    tracing::info!(
        replies_sent = data.counters.replies_sent.load(Ordering::Relaxed),
        "stopped"
    );
    Ok(())
}

/// A start-up failure as one line: which check failed and what to do.
fn startup_error(config: &Config, e: rest::RestError) -> anyhow::Error {
    match e {
        rest::RestError::Status { status, .. } if status == reqwest::StatusCode::UNAUTHORIZED => {
            anyhow::anyhow!("Discord rejected the token (HTTP 401): check DISCORD_TOKEN")
        }
        other => anyhow::anyhow!(
            "cannot reach Discord's API at {}: {other}",
            config.discord_api_url
        ),
    }
}

/// serenity's HTTP client, pointed at `DISCORD_API_URL`.
fn http(config: &Config, token: &str) -> anyhow::Result<serenity::Http> {
    // Every request has a time limit.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .build()?;
    let mut http = serenity::HttpBuilder::new(token).client(client);
    if config.discord_api_url != DEFAULT_API_URL {
        // serenity ignores a proxy while its rate limiter is on (see
        // shared notes); our own send path handles 429s instead.
        http = http
            .proxy(&config.discord_api_url)
            .ratelimiter_disabled(true);
    }
    Ok(http.build())
}

/// The poise framework: our commands, error handler and event handler;
/// on READY it registers the commands (in `dev_guild` only, when set).
fn framework(data: &Arc<Data>, dev_guild: Option<u64>) -> poise::Framework<SharedData, Error> {
    let setup_data = Arc::clone(data);
    poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(),
            allowed_mentions: Some(embed::no_mentions()),
            on_error: |error| Box::pin(on_error(error)),
            event_handler: |ctx, event, _framework, data| {
                Box::pin(events::handle(ctx, event, data))
            },
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                let _ = setup_data.bot_id.set(ready.user.id.get());
                tracing::info!(
                    user_id = ready.user.id.get(),
                    guilds = ready.guilds.len(),
                    "connected to Discord"
                );
                let commands = &framework.options().commands;
                let registered = match dev_guild {
                    Some(g) => {
                        poise::builtins::register_in_guild(ctx, commands, serenity::GuildId::new(g))
                            .await
                    }
                    None => poise::builtins::register_globally(ctx, commands).await,
                };
                if let Err(e) = registered {
                    tracing::error!("registering commands failed: {e}");
                }
                Ok(SharedData(setup_data))
            })
        })
        .build()
}

/// poise owns its user data; ours lives in an `Arc` shared with the
/// metrics endpoint.
pub struct SharedData(pub Arc<Data>);

impl std::ops::Deref for SharedData {
    type Target = Data;
    fn deref(&self) -> &Data {
        &self.0
    }
}

async fn on_error(error: poise::FrameworkError<'_, SharedData, Error>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            ctx.data().counters.errors.fetch_add(1, Ordering::Relaxed);
            tracing::error!(command = %ctx.command().qualified_name, "command failed: {error:#}");
            let reply = poise::CreateReply::default()
                .content(text::INTERNAL_ERROR)
                .ephemeral(true)
                .allowed_mentions(embed::no_mentions());
            let _ = ctx.send(reply).await;
        }
        poise::FrameworkError::EventHandler {
            error,
            event,
            framework,
            ..
        } => {
            framework
                .user_data
                .counters
                .errors
                .fetch_add(1, Ordering::Relaxed);
            tracing::error!(
                event = event.snake_case_name(),
                "event handler failed: {error:#}"
            );
        }
        // The check already answered the member.
        poise::FrameworkError::CommandCheckFailed { .. } => {}
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::error!("error while handling an error: {e}");
            }
        }
    }
}
