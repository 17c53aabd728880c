//! End to end, under faults and hostile input: the real binary against the
//! fake Discord, which answers 5xx, rate limits by bucket and globally,
//! loses answers, redirects and stalls downloads, and dispatches twice.
//! Each test names the behaviour it proves; every wait is a
//! wait-for-condition with a timeout.

mod fake_discord;
mod harness;

use std::process::Stdio;
use std::time::{Duration, Instant};

use fake_discord::*;
use harness::*;
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;

fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// Polls `check` until it is true or `timeout` passes.
async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

async fn get_text(url: &str) -> Option<(u16, String)> {
    let resp = reqwest::get(url).await.ok()?;
    let status = resp.status().as_u16();
    Some((status, resp.text().await.ok()?))
}

/// Every POST of a reply to `msg`, whatever the fake answered.
fn replies_to(fake: &FakeDiscord, msg: &Value) -> Vec<Recorded> {
    fake.requests()
        .into_iter()
        .filter(|r| {
            r.method == "POST"
                && r.api_path().is_some_and(|p| p.ends_with("/messages"))
                && references(r, msg)
        })
        .collect()
}

fn messages_path(channel: u64) -> String {
    format!("/channels/{channel}/messages")
}

fn sigterm(child: &tokio::process::Child) {
    let pid = child.id().expect("running").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
}

async fn exit_within(
    child: &mut tokio::process::Child,
    limit: Duration,
) -> std::process::ExitStatus {
    tokio::time::timeout(limit, child.wait())
        .await
        .expect("the bot exits in time")
        .unwrap()
}

async fn read_stderr(child: &mut tokio::process::Child) -> String {
    let mut err = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = tokio::time::timeout(Duration::from_secs(5), pipe.read_to_string(&mut err)).await;
    }
    err
}

/// Turns on auto-replies in [`CHANNEL_HELP`] as an admin, for tests that
/// start the bot themselves (to read its logs).
async fn enable_help(fake: &FakeDiscord) {
    let admin = Invoker::admin(CHANNEL_GENERAL);
    let enable = fake.world().slash_command(
        &admin,
        "aadsts-config",
        vec![opt_subcommand(
            "channel-add",
            vec![opt_channel("channel", CHANNEL_HELP)],
        )],
    );
    fake.dispatch("INTERACTION_CREATE", enable).await;
    fake.wait_for(|r| r.path.ends_with("/callback"), DEFAULT_TIMEOUT)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_delivered_twice_gets_one_reply() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let msg = message_create(
        CHANNEL_HELP,
        Some(GUILD_ID),
        &Author::member(),
        "AADSTS50076",
        vec![],
    );
    h.fake.dispatch("MESSAGE_CREATE", msg.clone()).await;
    h.fake.dispatch("MESSAGE_CREATE", msg.clone()).await;
    h.reply_to(&msg).await;
    h.no_reply_to(&json!({"id": "0"})).await; // barrier: later replies are in
    assert_eq!(
        replies_to(&h.fake, &msg).len(),
        1,
        "{}",
        h.fake.request_log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_wait_for_an_exhausted_bucket_instead_of_hitting_429() {
    let h = Harness::start_with(&[("COOLDOWN_MINUTES", "0")]).await;
    h.enable(CHANNEL_HELP).await;
    h.fake.bucket(
        "POST",
        &messages_path(CHANNEL_HELP),
        1,
        Duration::from_millis(1200),
    );
    let a = h.post(CHANNEL_HELP, &Author::member(), "AADSTS50076").await;
    let first = h.reply_to(&a).await;
    let b = h.post(CHANNEL_HELP, &Author::member(), "AADSTS50126").await;
    let second = h.reply_to(&b).await;
    assert_eq!(h.fake.bucket_violations(), 0, "{}", h.fake.request_log());
    let gap = second.received_at.duration_since(first.received_at);
    assert!(gap >= Duration::from_millis(1000), "sent after {gap:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_global_429_pauses_every_route() {
    let addr = free_addr();
    let h = Harness::start_with(&[("METRICS_ADDR", &addr)]).await;
    h.enable(CHANNEL_HELP).await;
    h.enable(CHANNEL_GENERAL).await;
    h.fake
        .rate_limit_next_with(&messages_path(CHANNEL_HELP), 1, 1.0, true);
    let a = h.post(CHANNEL_HELP, &Author::member(), "AADSTS50076").await;
    let limited = h
        .fake
        .wait_for(|r| r.status == 429, DEFAULT_TIMEOUT)
        .await
        .unwrap();
    // Until the bot has read the 429 it cannot know of the pause: wait for
    // its count (it sets the pause in the same step).
    let url = format!("http://{addr}/metrics");
    let counted = eventually(DEFAULT_TIMEOUT, || async {
        get_text(&url)
            .await
            .is_some_and(|(_, m)| m.contains("aadsts_rate_limited_total{scope=\"global\"} 1"))
    })
    .await;
    assert!(counted, "the global 429 was never counted");
    let b = h
        .post(CHANNEL_GENERAL, &Author::member(), "AADSTS50126")
        .await;
    let other = h.reply_to(&b).await;
    h.reply_to(&a).await;
    let after = other.received_at.duration_since(limited.received_at);
    assert!(
        after >= Duration::from_millis(950),
        "another channel's reply went out {after:?} into the 1 s global pause"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_and_a_lost_answer_posts_once() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let path = messages_path(CHANNEL_HELP);
    h.fake.fail_next("POST", &path, 2, 503);
    let a = h.post(CHANNEL_HELP, &Author::member(), "AADSTS50076").await;
    h.reply_to(&a).await;
    let statuses: Vec<u16> = replies_to(&h.fake, &a).iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200]);

    // The message is created but the answer is lost: the retry carries the
    // same enforced nonce, so the channel still holds one reply.
    h.fake.fail_next_after_acting("POST", &path, 1, 502);
    let b = h.post(CHANNEL_HELP, &Author::member(), "AADSTS50126").await;
    h.reply_to(&b).await;
    let ours: Vec<Value> = h
        .fake
        .messages_in(CHANNEL_HELP)
        .into_iter()
        .filter(|m| {
            m.pointer("/message_reference/message_id") == Some(&json!(id_of(&b).to_string()))
        })
        .collect();
    assert_eq!(ours.len(), 1, "{}", h.fake.request_log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_that_cannot_be_sent_in_time_is_abandoned_and_counted() {
    let addr = free_addr();
    let h = Harness::start_with(&[("REPLY_MAX_AGE_SECS", "2"), ("METRICS_ADDR", &addr)]).await;
    h.enable(CHANNEL_HELP).await;
    h.fake
        .rate_limit_next_with(&messages_path(CHANNEL_HELP), 1000, 0.3, false);
    h.post(CHANNEL_HELP, &Author::member(), "AADSTS50076").await;
    let url = format!("http://{addr}/metrics");
    let abandoned = eventually(Duration::from_secs(10), || async {
        get_text(&url)
            .await
            .is_some_and(|(_, m)| m.contains("aadsts_replies_abandoned_total 1"))
    })
    .await;
    assert!(abandoned, "{:?}", get_text(&url).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_message_stops_a_waiting_reply() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    h.fake
        .rate_limit_next_with(&messages_path(CHANNEL_HELP), 1000, 0.2, false);
    let msg = h.post(CHANNEL_HELP, &Author::member(), "AADSTS50076").await;
    h.fake
        .wait_for(|r| r.status == 429, DEFAULT_TIMEOUT)
        .await
        .unwrap();
    h.fake
        .dispatch(
            "MESSAGE_DELETE",
            message_delete(CHANNEL_HELP, Some(GUILD_ID), id_of(&msg)),
        )
        .await;
    // Give a wrong retry time to land, then open the route again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    h.fake.clear_rate_limits();
    h.no_reply_to(&msg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interaction_answers_survive_a_429_and_a_503() {
    let h = Harness::start().await;
    h.fake.rate_limit_next("/callback", 1);
    h.fake.fail_next("POST", "/callback", 1, 503);
    let inv = Invoker::member(CHANNEL_GENERAL);
    let cmd = h
        .fake
        .world()
        .slash_command(&inv, "aadsts", vec![opt_string("query", "50076")]);
    let id = id_of(&cmd).to_string();
    h.fake.dispatch("INTERACTION_CREATE", cmd).await;
    let answered = h
        .fake
        .wait_for(
            |r| r.path.contains(&format!("/interactions/{id}/")) && r.status < 300,
            DEFAULT_TIMEOUT,
        )
        .await
        .unwrap();
    let first = h
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path.contains(&format!("/interactions/{id}/")))
        .unwrap();
    assert!(answered.received_at.duration_since(first.received_at) < Duration::from_secs(3));
    assert_eq!(
        answered.embeds()[0]["title"],
        "AADSTS50076 · UserStrongAuthClientAuthNRequired"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_thread_lookup_is_retried_next_time() {
    let mut world = World::default();
    const LATE: u64 = 1_200_000_000_000_000_099;
    world.guilds[0]
        .channels
        .push(FakeChannel::late_thread(LATE, "late", CHANNEL_HELP));
    let h = Harness::start_in(world, &[]).await;
    h.enable(CHANNEL_HELP).await;
    h.fake
        .fail_next("GET", &format!("/channels/{LATE}"), 1, 500);
    let first = h.post(LATE, &Author::member(), "AADSTS50076").await;
    h.no_reply_to(&first).await;
    let second = h.post(LATE, &Author::member(), "AADSTS50126").await;
    h.reply_to(&second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_503_when_the_gateway_is_gone() {
    let addr = free_addr();
    let Harness {
        fake, bot: _bot, ..
    } = Harness::start_with(&[("METRICS_ADDR", &addr)]).await;
    let url = format!("http://{addr}/health");
    let up = eventually(DEFAULT_TIMEOUT, || async {
        get_text(&url).await.is_some_and(|(s, _)| s == 200)
    })
    .await;
    assert!(up, "{:?}", get_text(&url).await);
    let (_, body) = get_text(&url).await.unwrap();
    let health: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["connected"], true);
    assert!(health["seconds_since_last_event"].as_f64().unwrap() < 10.0);
    assert_eq!(health["knowledge_loaded"], true);
    drop(fake);
    let down = eventually(Duration::from_secs(15), || async {
        get_text(&format!("http://{addr}/healthz"))
            .await
            .is_some_and(|(s, _)| s == 503)
    })
    .await;
    assert!(down, "{:?}", get_text(&url).await);
}

/// Starts the bot against `api` (no fake gateway) with stderr captured.
fn bot_against(api: &str) -> (tokio::process::Child, tempfile::TempDir) {
    let (mut cmd, cwd) = bot_command(&["run"]);
    let knowledge = concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge");
    cmd.env("DISCORD_TOKEN", "fake-token")
        .env("DISCORD_API_URL", api)
        .env("DATABASE_URL", "sqlite::memory:")
        .env("KNOWLEDGE_DIR", knowledge)
        .env("HOT_RELOAD", "false")
        .env("LIVE_LOOKUP", "off")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    (cmd.spawn().unwrap(), cwd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_that_refuses_gives_a_clear_error() {
    let closed = free_addr(); // bound and released: nothing listens there
    let (mut bot, _cwd) = bot_against(&format!("http://{closed}"));
    let status = exit_within(&mut bot, Duration::from_secs(20)).await;
    assert!(!status.success());
    let err = read_stderr(&mut bot).await;
    assert!(err.contains("cannot reach Discord's API"), "{err}");
    assert!(!err.contains("fake-token"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_that_never_answers_gives_a_clear_error_in_bounded_time() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            open.push(sock); // accepted, never answered
        }
    });
    let started = Instant::now();
    let (mut bot, _cwd) = bot_against(&format!("http://{addr}"));
    let status = exit_within(&mut bot, Duration::from_secs(30)).await;
    assert!(!status.success());
    assert!(started.elapsed() < Duration::from_secs(25));
    let err = read_stderr(&mut bot).await;
    assert!(err.contains("cannot reach Discord's API"), "{err}");
    hold.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_is_named() {
    let app = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::UNAUTHORIZED,
            axum::Json(json!({"message": "401: Unauthorized", "code": 0})),
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let (mut bot, _cwd) = bot_against(&format!("http://{addr}"));
    let status = exit_within(&mut bot, Duration::from_secs(20)).await;
    assert!(!status.success());
    let err = read_stderr(&mut bot).await;
    assert!(err.contains("rejected the token"), "{err}");
    assert!(err.contains("DISCORD_TOKEN"), "{err}");
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_connecting_exits_promptly() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (connected_tx, connected) = tokio::sync::oneshot::channel();
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        let mut tell = Some(connected_tx);
        while let Ok((sock, _)) = listener.accept().await {
            open.push(sock);
            if let Some(tx) = tell.take() {
                let _ = tx.send(());
            }
        }
    });
    let (mut bot, _cwd) = bot_against(&format!("http://{addr}"));
    // Wait until it is stuck talking to the API.
    tokio::time::timeout(DEFAULT_TIMEOUT, connected)
        .await
        .expect("the bot connects")
        .unwrap();
    sigterm(&bot);
    let status = exit_within(&mut bot, Duration::from_secs(3)).await;
    assert!(status.success(), "{status:?}");
    hold.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_reconnecting_exits_promptly() {
    let Harness { fake, mut bot, .. } = Harness::start().await;
    drop(fake); // the gateway goes away; serenity keeps trying to reconnect
    tokio::time::sleep(Duration::from_millis(500)).await;
    sigterm(&bot);
    let status = exit_within(&mut bot, Duration::from_secs(12)).await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_reply_in_flight() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    h.fake
        .rate_limit_next_with(&messages_path(CHANNEL_HELP), 1, 1.0, false);
    let msg = h.post(CHANNEL_HELP, &Author::member(), "AADSTS50076").await;
    h.fake
        .wait_for(|r| r.status == 429, DEFAULT_TIMEOUT)
        .await
        .unwrap();
    let Harness { fake, mut bot, .. } = h;
    sigterm(&bot);
    let status = exit_within(&mut bot, Duration::from_secs(10)).await;
    assert!(status.success(), "{status:?}");
    assert_eq!(
        replies_to(&fake, &msg)
            .iter()
            .filter(|r| r.status == 200)
            .count(),
        1,
        "{}",
        fake.request_log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_is_bounded_and_names_what_it_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDiscord::start().await;
    let (mut bot, _cwd) = spawn_bot_with(
        &fake,
        &dir.path().join("s.db"),
        &[("SHUTDOWN_TIMEOUT_SECS", "1")],
        Stdio::piped(),
    )
    .await;
    enable_help(&fake).await;
    fake.rate_limit_next_with(&messages_path(CHANNEL_HELP), 1, 60.0, false);
    let msg = message_create(
        CHANNEL_HELP,
        Some(GUILD_ID),
        &Author::member(),
        "AADSTS50076",
        vec![],
    );
    fake.dispatch("MESSAGE_CREATE", msg.clone()).await;
    fake.wait_for(|r| r.status == 429, DEFAULT_TIMEOUT)
        .await
        .unwrap();
    let asked = Instant::now();
    sigterm(&bot);
    let status = exit_within(&mut bot, Duration::from_secs(10)).await;
    assert!(status.success());
    assert!(
        asked.elapsed() < Duration::from_secs(8),
        "{:?}",
        asked.elapsed()
    );
    let err = read_stderr(&mut bot).await;
    assert!(err.contains(&id_of(&msg).to_string()), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_words_are_not_echoed_and_secrets_stay_private() {
    let h = Harness::start().await;
    let inv = Invoker::member(CHANNEL_GENERAL);
    let hostile = "consent @everyone **bold** [click](https://evil.example) ```";
    let results = h
        .interact(
            h.fake
                .world()
                .slash_command(&inv, "aadsts", vec![opt_string("query", hostile)]),
        )
        .await;
    let body = results.json.as_ref().unwrap().to_string();
    assert!(!body.contains("@everyone"), "{body}");
    assert!(!body.contains("evil.example"), "{body}");

    let secret = "client_secret=Abc8Q~verysecretvalue1234567890abcdEFGH";
    let warned = h
        .interact(
            h.fake
                .world()
                .slash_command(&inv, "aadsts", vec![opt_string("query", secret)]),
        )
        .await;
    let json = warned.json.as_ref().unwrap();
    assert_eq!(json["data"]["flags"], 64, "ephemeral");
    assert!(!json.to_string().contains("verysecretvalue"), "{json}");
    assert!(warned.content().unwrap().contains("secret"));
    h.assert_no_pings();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_without_a_code_still_gets_the_warning() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let msg = h
        .post(
            CHANNEL_HELP,
            &Author::member(),
            "here is my config: client_secret=Abc8Q~verysecretvalue1234567890abcdEFGH",
        )
        .await;
    let reply = h.reply_to(&msg).await;
    assert!(reply.content().unwrap().contains("secret"));
    assert!(!reply.content().unwrap().contains("verysecretvalue"));
    assert!(reply.embeds().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_redirecting_off_discord_are_not_followed() {
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async { "AADSTS50126" }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let elsewhere = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let url = h
        .fake
        .serve_redirect("1/2/log.txt", &format!("http://{elsewhere}/log.txt"));
    let msg = h
        .post_with(
            CHANNEL_HELP,
            &Author::member(),
            "see log AADSTS50076",
            vec![attachment("log.txt", &url, 20, "text/plain")],
        )
        .await;
    let reply = h.reply_to(&msg).await;
    assert_eq!(reply.embeds().len(), 1, "only the text's code");
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn utf16_logs_are_read() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let mut log = vec![0xFF, 0xFE];
    log.extend(
        "PS> Connect-MgGraph\r\nAADSTS50126: Error validating credentials\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let a = h.fake.upload_attachment("connect.log", log, "text/plain");
    let msg = h
        .post_with(CHANNEL_HELP, &Author::member(), "log attached", vec![a])
        .await;
    let reply = h.reply_to(&msg).await;
    assert!(
        reply.embeds()[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS50126"),
        "{:?}",
        reply.embeds()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_size_never_makes_the_bot_read_past_the_limit() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let mut big = vec![b'x'; 3 << 20];
    big.extend_from_slice(b" AADSTS50126 ");
    let url = h.fake.serve_file("9/9/big.log", big, "text/plain");
    let msg = h
        .post_with(
            CHANNEL_HELP,
            &Author::member(),
            "AADSTS50076 and a log",
            vec![attachment("big.log", &url, 100, "text/plain")],
        )
        .await;
    let reply = h.reply_to(&msg).await;
    assert_eq!(
        reply.embeds().len(),
        1,
        "the code past the limit is not read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_download_does_not_hold_the_answer_forever() {
    let h = Harness::start_with(&[("ATTACHMENT_TIMEOUT_SECS", "1")]).await;
    h.enable(CHANNEL_HELP).await;
    let url = h
        .fake
        .serve_stalled("5/5/slow.log", b"AADSTS50126 ".to_vec());
    let msg = h
        .post_with(
            CHANNEL_HELP,
            &Author::member(),
            "AADSTS50076 with a slow log",
            vec![attachment("slow.log", &url, 100, "text/plain")],
        )
        .await;
    let reply = h.reply_to(&msg).await;
    assert_eq!(reply.embeds().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zero_width_character_never_yields_a_different_code() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let msg = h
        .post(
            CHANNEL_HELP,
            &Author::member(),
            "AADSTS50\u{200b}076 after a copy",
        )
        .await;
    h.no_reply_to(&json!({"id": "0"})).await;
    for r in replies_to(&h.fake, &msg) {
        for e in r.embeds() {
            let title = e["title"].as_str().unwrap_or_default();
            assert!(!title.starts_with("AADSTS50 "), "wrong code: {title}");
            assert!(!title.starts_with("AADSTS50 ·"), "wrong code: {title}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_hold_message_text_or_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDiscord::start().await;
    let token = "fake-token-SHOULD-NOT-APPEAR";
    let (mut bot, _cwd) = spawn_bot_with(
        &fake,
        &dir.path().join("s.db"),
        &[("RUST_LOG", "debug"), ("DISCORD_TOKEN", token)],
        Stdio::piped(),
    )
    .await;
    enable_help(&fake).await;
    let marker = "PRIVATE-MARKER-93d1";
    let msg = message_create(
        CHANNEL_HELP,
        Some(GUILD_ID),
        &Author::member(),
        &format!("{marker} AADSTS50076"),
        vec![],
    );
    fake.dispatch("MESSAGE_CREATE", msg.clone()).await;
    // An event serenity cannot parse carries the text in its payload too.
    let mut broken = msg.clone();
    broken["author"] = json!("not a user");
    fake.dispatch_unchecked("MESSAGE_CREATE", broken).await;
    let after = message_create(
        CHANNEL_HELP,
        Some(GUILD_ID),
        &Author::member(),
        "AADSTS50126",
        vec![],
    );
    fake.dispatch("MESSAGE_CREATE", after.clone()).await;
    fake.wait_for(|r| references(r, &after), DEFAULT_TIMEOUT)
        .await
        .unwrap();
    sigterm(&bot);
    exit_within(&mut bot, DEFAULT_TIMEOUT).await;
    let logs = read_stderr(&mut bot).await;
    assert!(logs.contains("replied"), "logs were captured: {logs}");
    assert!(!logs.contains(marker), "message text in the logs:\n{logs}");
    assert!(!logs.contains(token), "the token in the logs:\n{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_knowledge_folder_can_be_replaced_under_a_running_bot() {
    let root = tempfile::tempdir().unwrap();
    let live = root.path().join("knowledge");
    let copy = |to: &std::path::Path, retitle: Option<&str>| {
        std::fs::create_dir_all(to).unwrap();
        for file in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge")).unwrap() {
            let path = file.unwrap().path();
            let mut text = std::fs::read_to_string(&path).unwrap();
            if let Some(title) = retitle {
                if path.file_name().unwrap() == "500xx.toml" {
                    let start = text.find("code = 50076").unwrap();
                    let at = start + text[start..].find("title = \"").unwrap() + 9;
                    text.insert_str(at, title);
                }
            }
            std::fs::write(to.join(path.file_name().unwrap()), text).unwrap();
        }
    };
    copy(&live, None);
    let kdir = live.to_str().unwrap().to_owned();
    let h = Harness::start_with(&[("KNOWLEDGE_DIR", &kdir), ("HOT_RELOAD", "true")]).await;
    let next = root.path().join("knowledge.next");
    copy(&next, Some("SWAPPED FOLDER: "));
    std::fs::rename(&live, root.path().join("knowledge.old")).unwrap();
    std::fs::rename(&next, &live).unwrap();
    let inv = Invoker::member(CHANNEL_GENERAL);
    let served = eventually(Duration::from_secs(10), || async {
        let answer = h
            .interact(h.fake.world().slash_command(
                &inv,
                "aadsts",
                vec![opt_string("query", "50076")],
            ))
            .await;
        answer
            .json
            .as_ref()
            .unwrap()
            .to_string()
            .contains("SWAPPED FOLDER")
    })
    .await;
    assert!(served, "the replaced folder was not reloaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_being_retried_does_not_hold_up_the_channel() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let path = format!("/channels/{CHANNEL_HELP}/messages");
    h.fake.fail_next("POST", &path, 1, 503);
    let slow = h.post(CHANNEL_HELP, &Author::member(), "AADSTS50076").await;
    // The first reply is now in its backoff before the retry.
    h.fake
        .wait_for(|r| r.method == "POST" && r.status == 503, DEFAULT_TIMEOUT)
        .await
        .unwrap();
    let quick = h.post(CHANNEL_HELP, &Author::member(), "AADSTS50126").await;
    let quick_reply = h.reply_to(&quick).await;
    let slow_reply = h.reply_to(&slow).await;
    assert!(
        quick_reply.index < slow_reply.index,
        "the next message waited for the retried reply:\n{}",
        h.fake.request_log()
    );
}
