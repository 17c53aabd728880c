//! Two bot processes split one bot over Discord's shards and share their
//! settings through one PostgreSQL: `SHARDS=0..1/2` and `SHARDS=1..2/2`
//! against the fake Discord of [`World::two_shards`], which routes each
//! guild's events to the session of shard `(guild_id >> 22) % 2`.
//!
//! PostgreSQL is the one on 127.0.0.1:5432 (or `AADSTS_TEST_POSTGRES`);
//! each run gets a schema of its own. Without a server the test says it was
//! skipped; under `CI=true` a missing server fails it.

mod fake_discord;
mod harness;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fake_discord::*;
use harness::*;
use serde_json::{json, Value};
use tokio::process::Child;

/// How soon a setting changed through one process must reach the others.
const PROPAGATION: Duration = Duration::from_secs(5);
/// serenity's pause between booting two shards of one process, and a margin.
const SHARD_BOOT_SPACING: Duration = Duration::from_secs(7);

/// A schema in the test server, dropped at the end.
struct PgSchema {
    base: String,
    name: String,
}

impl PgSchema {
    /// The `DATABASE_URL` that puts everything in this schema.
    fn url(&self) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-csearch_path%3D{}", self.base, self.name)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // The `postgres` client runs its own runtime: keep it off the test's.
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&base, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"));
            }
        })
        .join();
    }
}

/// A fresh schema, or `None` when no PostgreSQL answers (a failure under `CI=true`).
fn postgres_schema() -> Option<PgSchema> {
    let base = std::env::var("AADSTS_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("aadsts_shards_{}_{nanos}", std::process::id());
    let probe = format!(
        "{base}{}connect_timeout=3",
        if base.contains('?') { '&' } else { '?' }
    );
    let sql = format!("CREATE SCHEMA {name}");
    let created = std::thread::spawn(move || -> Result<(), postgres::Error> {
        postgres::Client::connect(&probe, postgres::NoTls)?.batch_execute(&sql)
    })
    .join()
    .expect("schema thread");
    match created {
        Ok(()) => Some(PgSchema { base, name }),
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but PostgreSQL at {base} is not usable: {e}"
            );
            eprintln!("skipped: no PostgreSQL at {base} ({e}); set AADSTS_TEST_POSTGRES");
            None
        }
    }
}

/// One of the two processes: its token tells its requests apart in the
/// fake's records (Discord would see one token; the fake doesn't care).
struct Process {
    token: &'static str,
    metrics: String,
    _child: Child,
    _cwd: tempfile::TempDir,
}

/// Starts `aadsts-bot run` with `SHARDS=shards` and waits until shard
/// `shard` is connected and this process has registered its commands.
async fn start_process(
    fake: &FakeDiscord,
    database_url: &str,
    token: &'static str,
    shards: &str,
    shard: u64,
) -> Process {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let metrics = listener.local_addr().unwrap().to_string();
    drop(listener);
    let (mut cmd, cwd) = run_command(
        fake,
        database_url,
        &[
            ("DISCORD_TOKEN", token),
            ("SHARDS", shards),
            ("METRICS_ADDR", &metrics),
        ],
    );
    let child = cmd.spawn().expect("bot starts");
    fake.wait_for_shard_session(shard, DEFAULT_TIMEOUT)
        .await
        .expect("the process identifies its shard");
    fake.wait_for(
        |r| r.method == "PUT" && r.path.ends_with("/commands") && sent_with(r, token),
        DEFAULT_TIMEOUT,
    )
    .await
    .expect("the process registers its commands");
    Process {
        token,
        metrics,
        _child: child,
        _cwd: cwd,
    }
}

impl Process {
    /// `/aadsts-config channel-add` by an admin of `guild`, answered by this process.
    async fn enable(&self, fake: &FakeDiscord, guild: u64, channel: u64) {
        let admin = Invoker::in_guild(guild, channel, admin_user(), admin_permissions());
        let command = fake.world().slash_command(
            &admin,
            "aadsts-config",
            vec![opt_subcommand(
                "channel-add",
                vec![opt_channel("channel", channel)],
            )],
        );
        let id = id_of(&command);
        fake.dispatch("INTERACTION_CREATE", command).await;
        let answer = fake
            .wait_for(
                |r| r.path.contains(&format!("/interactions/{id}/")),
                DEFAULT_TIMEOUT,
            )
            .await
            .unwrap();
        assert!(
            sent_with(&answer, self.token),
            "answered by the other process"
        );
        let content = answer.content().unwrap_or_default();
        assert!(content.contains("Auto-replies are on"), "{content}");
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let resp = reqwest::get(format!("http://{}{path}", self.metrics))
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }
}

/// A member's message in `channel`.
fn message(guild: u64, channel: u64, text: &str) -> Value {
    message_create(channel, Some(guild), &Author::member(), text, vec![])
}

/// The bot's replies to `msg` so far.
fn replies_to(fake: &FakeDiscord, msg: &Value) -> Vec<Recorded> {
    fake.requests()
        .into_iter()
        .filter(|r| is_reply_to(r, msg))
        .collect()
}

/// The first reply to `msg`, waiting up to `within`.
async fn reply_to(fake: &FakeDiscord, msg: &Value, within: Duration) -> Option<Recorded> {
    fake.wait_for(|r| is_reply_to(r, msg), within).await.ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_split_the_shards_and_share_settings() {
    let Some(schema) = postgres_schema() else {
        return;
    };
    let database_url = schema.url();
    let fake = FakeDiscord::start_with(World::two_shards()).await;
    let a = start_process(&fake, &database_url, "token-a", "0..1/2", 0).await;
    let b = start_process(&fake, &database_url, "token-b", "1..2/2", 1).await;
    assert_eq!(fake.shard_sessions(), vec![(0, 2), (1, 2)]);

    let both_up = Instant::now();

    // B serves its own guild; A's guild has no channel turned on yet, so
    // its messages get no answer even where B sees them.
    b.enable(&fake, GUILD_ID, CHANNEL_HELP).await;
    let early = message(SHARD0_GUILD_ID, SHARD0_CHANNEL, "AADSTS700016 early");
    fake.dispatch_on_shard(1, "MESSAGE_CREATE", early.clone())
        .await;
    let barrier = message(GUILD_ID, CHANNEL_HELP, "AADSTS90002 barrier");
    fake.dispatch("MESSAGE_CREATE", barrier.clone()).await;
    let answered = reply_to(&fake, &barrier, DEFAULT_TIMEOUT).await;
    assert!(answered.is_some_and(|r| sent_with(&r, b.token)));
    assert!(
        replies_to(&fake, &early).is_empty(),
        "{}",
        fake.request_log()
    );

    // A setting changed through A is honoured by B within 5 s: A turns a
    // channel of its guild on; events of that guild reaching B (as while a
    // guild changes hands) are answered as soon as B has the change.
    a.enable(&fake, SHARD0_GUILD_ID, SHARD0_CHANNEL).await;
    let changed = Instant::now();
    let honoured = loop {
        let elapsed = changed.elapsed();
        assert!(
            elapsed < PROPAGATION,
            "B ignored A's setting for {elapsed:?}"
        );
        let msg = message(SHARD0_GUILD_ID, SHARD0_CHANNEL, "AADSTS700016 after");
        fake.dispatch_on_shard(1, "MESSAGE_CREATE", msg.clone())
            .await;
        if let Some(reply) = reply_to(&fake, &msg, Duration::from_millis(250)).await {
            break reply;
        }
    };
    assert!(
        sent_with(&honoured, b.token),
        "answered by A: {}",
        fake.request_log()
    );
    eprintln!("B honoured A's setting after {:?}", changed.elapsed());

    // Each process answers only its guilds: with the fake routing by guild,
    // shard 0's guild is answered by A and shard 1's by B.
    let on0 = message(SHARD0_GUILD_ID, SHARD0_CHANNEL, "AADSTS50076 on shard 0");
    let on1 = message(GUILD_ID, CHANNEL_HELP, "AADSTS50076 on shard 1");
    fake.dispatch("MESSAGE_CREATE", on0.clone()).await;
    fake.dispatch("MESSAGE_CREATE", on1.clone()).await;
    let r0 = reply_to(&fake, &on0, DEFAULT_TIMEOUT)
        .await
        .expect("shard 0 reply");
    let r1 = reply_to(&fake, &on1, DEFAULT_TIMEOUT)
        .await
        .expect("shard 1 reply");
    assert!(sent_with(&r0, a.token), "shard 0's guild answered by A");
    assert!(sent_with(&r1, b.token), "shard 1's guild answered by B");
    assert_eq!(replies_to(&fake, &on0).len(), 1);
    assert_eq!(replies_to(&fake, &on1).len(), 1);

    // Each health and metrics endpoint reports its own shard only.
    for (p, mine, theirs) in [(&a, "0", "1"), (&b, "1", "0")] {
        let (status, _) = p.get("/healthz").await;
        assert_eq!(status, 200, "{}", p.token);
        let (_, metrics) = p.get("/metrics").await;
        let connected = format!("aadsts_shard_connected{{shard=\"{mine}\"}} 1");
        assert!(metrics.contains(&connected), "{metrics}");
        assert!(
            !metrics.contains(&format!("shard=\"{theirs}\"")),
            "{metrics}"
        );
    }

    // Each process identifies its own shard only. serenity boots a
    // process's shards 5 s apart, so a process running more than its range
    // (serenity 0.12 reads a range's end as inclusive) would have sent a
    // second IDENTIFY by now.
    let window = SHARD_BOOT_SPACING.saturating_sub(both_up.elapsed());
    let foreign = fake
        .wait_for_gateway(identifies_a_foreign_shard, window)
        .await;
    assert!(
        foreign.is_err(),
        "{:?}",
        foreign.map(|f| f.payload["d"]["shard"].clone())
    );
    drop((a, b));
}

/// Whether `frame` is an IDENTIFY for a shard outside its process's range.
fn identifies_a_foreign_shard(frame: &GatewayFrame) -> bool {
    let d = &frame.payload["d"];
    let own = match d["token"].as_str() {
        Some(t) if t.ends_with("token-a") => json!([0, 2]),
        _ => json!([1, 2]),
    };
    frame.op == 2 && d["shard"] != own
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_runs_the_recommended_shards_in_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", dir.path().join("settings.db").display());
    let fake = FakeDiscord::start_with(World::two_shards()).await;
    let process = start_process(&fake, &database_url, "fake-token", "auto", 0).await;
    // serenity boots the second shard about 5 s after the first.
    fake.wait_for_shard_session(1, SHARD_BOOT_SPACING + DEFAULT_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(fake.shard_sessions(), vec![(0, 2), (1, 2)]);
    process.enable(&fake, SHARD0_GUILD_ID, SHARD0_CHANNEL).await;
    process.enable(&fake, GUILD_ID, CHANNEL_HELP).await;
    for (guild, channel) in [(SHARD0_GUILD_ID, SHARD0_CHANNEL), (GUILD_ID, CHANNEL_HELP)] {
        let msg = message(guild, channel, "AADSTS50076");
        fake.dispatch("MESSAGE_CREATE", msg.clone()).await;
        let reply = reply_to(&fake, &msg, DEFAULT_TIMEOUT).await;
        assert!(reply.is_some(), "no reply in guild {guild}");
    }
}
