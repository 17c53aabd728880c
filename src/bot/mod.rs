//! Purpose: the Discord layer (serenity + poise): connect, register the
//! commands, route events to the engine, stop cleanly. The only code that
//! knows Discord; everything it says comes from the core.

mod commands;
mod embed;
mod events;
mod metrics;
mod rest;

use std::future::Future;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use anyhow::Context as _;
use dashmap::DashMap;
use poise::serenity_prelude as serenity;

use aadsts_bot::cache::{Cooldowns, ReplyMap};
use aadsts_bot::store::Store;
use aadsts_bot::{text, Engine, Knowledge};

use crate::config::{Config, DEFAULT_API_URL};

/// Error type of commands and event handlers; never shown to users.
pub type Error = anyhow::Error;
/// poise's context with our data.
pub type Context<'a> = poise::Context<'a, SharedData, Error>;

/// Replies remembered for edits and deletes.
const REMEMBERED_REPLIES: usize = 10_000;
/// Cooldown entries kept before stale ones are pruned.
const REMEMBERED_COOLDOWNS: usize = 50_000;

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
    /// Errors while handling events or commands.
    pub errors: AtomicU64,
}

/// Everything the handlers share.
pub struct Data {
    /// Detection, knowledge, rendering, cache.
    pub engine: Arc<Engine>,
    /// Per-server settings.
    pub store: Store,
    /// Our REST send path.
    pub rest: rest::Rest,
    /// Per channel+code cooldowns.
    pub cooldowns: Cooldowns,
    /// Message -> our reply.
    pub replies: ReplyMap,
    /// Channel -> the channel it is a thread of (None: not a thread).
    pub thread_parents: DashMap<u64, Option<u64>>,
    /// One lock per channel: a reply, its cooldown and its record are
    /// settled before the next message, edit or delete in that channel is
    /// looked at (gateway events are handled concurrently).
    pub channel_locks: DashMap<u64, Arc<tokio::sync::Mutex<()>>>,
    /// Settings.
    pub config: Config,
    /// Our own user id, once READY arrived.
    pub bot_id: OnceLock<u64>,
    /// Counters.
    pub counters: Counters,
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
    runtime.block_on(run_until(config, knowledge, shutdown_signal()))?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Connects with `config`, serves `knowledge`, and returns once `shutdown`
/// completes (or the gateway connection ends for good).
pub async fn run_until(
    config: Config,
    knowledge: Knowledge,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let token = config
        .discord_token
        .clone()
        .context("DISCORD_TOKEN is not set")?;
    let store = Store::open(&config.database_url).context("opening the settings database")?;
    // Build the search index before the first autocomplete needs it.
    knowledge.prepare_search();
    let engine = Arc::new(Engine::new(knowledge));
    let rest = rest::Rest::new(&config.discord_api_url, &token)?;

    if config.hot_reload {
        aadsts_bot::reload::watch(
            config.knowledge_dir.clone(),
            config.knowledge_notes.clone(),
            Arc::clone(&engine),
        );
    }

    let data = Data {
        engine,
        store,
        rest,
        cooldowns: Cooldowns::new(REMEMBERED_COOLDOWNS),
        replies: ReplyMap::new(REMEMBERED_REPLIES),
        thread_parents: DashMap::new(),
        channel_locks: DashMap::new(),
        config: config.clone(),
        bot_id: OnceLock::new(),
        counters: Counters::default(),
    };
    let data = Arc::new(data);
    if let Some(addr) = config.metrics_addr {
        metrics::serve(addr, Arc::clone(&data)).await?;
    }

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
    });

    let mut intents = serenity::GatewayIntents::GUILDS
        | serenity::GatewayIntents::GUILD_MESSAGES
        | serenity::GatewayIntents::MESSAGE_CONTENT;
    loop {
        let mut client = serenity::ClientBuilder::new_with_http(http(&config, &token), intents)
            .framework(framework(&data, config.dev_guild_id))
            .await
            .context("building the Discord client")?;
        let shards = client.shard_manager.clone();
        let mut stop = stop_rx.clone();
        let stopper = tokio::spawn(async move {
            if stop.wait_for(|stopped| *stopped).await.is_ok() {
                shards.shutdown_all().await;
            }
        });
        let result = client.start().await;
        stopper.abort();
        match result {
            Err(serenity::Error::Gateway(serenity::GatewayError::DisallowedGatewayIntents))
                if intents.contains(serenity::GatewayIntents::MESSAGE_CONTENT) =>
            {
                // Without the privileged intent the bot can still serve
                // commands and the context menu; only auto-replies need it.
                tracing::warn!(
                    "Discord refused the Message Content intent: turn it on under Bot > Privileged Gateway Intents in the developer portal. Running without auto-replies until then."
                );
                intents.remove(serenity::GatewayIntents::MESSAGE_CONTENT);
            }
            other => {
                other.context("Discord connection")?;
                break;
            }
        }
    }
    tracing::info!(
        replies_sent = data.counters.replies_sent.load(Ordering::Relaxed),
        "stopped"
    );
    Ok(())
}

/// serenity's HTTP client, pointed at `DISCORD_API_URL`.
fn http(config: &Config, token: &str) -> serenity::Http {
    let mut http = serenity::HttpBuilder::new(token);
    if config.discord_api_url != DEFAULT_API_URL {
        // serenity ignores a proxy while its rate limiter is on (see
        // shared notes); our own send path handles 429s instead.
        http = http
            .proxy(&config.discord_api_url)
            .ratelimiter_disabled(true);
    }
    http.build()
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
