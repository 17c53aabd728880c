//! The built binary's `lookup` with Microsoft's live lookup pointed at the
//! loopback fake (`LIVE_LOOKUP_URL=http://127.0.0.1:PORT`): the description
//! printed and in JSON, not found, failures, `LIVE_LOOKUP=off`.

mod fake_lookup;

use std::process::{Command, Output};

use aadsts_bot::text;
use fake_lookup::{FakeLookup, Reply};
use serde_json::Value;

fn bin(fake_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aadsts-bot"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DISCORD_TOKEN")
        .env_remove("KNOWLEDGE_NOTES")
        .env(
            "KNOWLEDGE_DIR",
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
        )
        .env("LIVE_LOOKUP", "on")
        .env("LIVE_LOOKUP_URL", fake_url)
        .env("LIVE_LOOKUP_RATE", "100");
    cmd
}

/// Runs the binary off the test's runtime, so the fake keeps answering.
async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("binary runs"))
        .await
        .unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

/// A code the knowledge base has no entry for.
const UNKNOWN: &str = "52002";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_lookup_prints_microsofts_description_for_an_unknown_code() {
    let fake = FakeLookup::start().await;
    fake.found(
        52002,
        "The knob '{knobName}' was turned too far.",
        Some("Turn it back."),
    );
    let mut cmd = bin(&fake.url());
    cmd.args(["lookup", UNKNOWN]);
    let o = run(cmd).await;
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(text::UNKNOWN_TITLE), "{out}");
    assert!(out.contains(text::LIVE_MESSAGE), "{out}");
    assert!(
        out.contains("The knob '{knobName}' was turned too far."),
        "{out}"
    );
    assert!(out.contains(text::LIVE_REMEDIATION), "{out}");
    assert!(out.contains("Turn it back."), "{out}");
    let hits = fake.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].query.as_deref(), Some("code=52002"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_lookup_json_has_a_live_object() {
    let fake = FakeLookup::start().await;
    fake.found(52002, "The knob was turned too far.", None);
    let mut cmd = bin(&fake.url());
    cmd.args(["lookup", UNKNOWN, "--format", "json"]);
    let v = json(&run(cmd).await);
    assert_eq!(v["known"], false);
    assert_eq!(v["live"]["message"], "The knob was turned too far.");
    assert_eq!(v["live"]["remediation"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_lookup_json_live_is_null_when_microsoft_does_not_know_it() {
    let fake = FakeLookup::start().await;
    let mut cmd = bin(&fake.url());
    cmd.args(["lookup", UNKNOWN, "--format", "json"]);
    let v = json(&run(cmd).await);
    assert_eq!(v["live"], Value::Null);
    assert_eq!(fake.hits().len(), 1);

    let mut cmd = bin(&fake.url());
    cmd.args(["lookup", UNKNOWN]);
    let o = run(cmd).await;
    assert!(String::from_utf8_lossy(&o.stdout).contains(text::LIVE_NOT_FOUND));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_lookup_with_live_lookup_off_asks_nothing() {
    let fake = FakeLookup::start().await;
    fake.found(52002, "Should not be shown.", None);
    let mut cmd = bin(&fake.url());
    cmd.env("LIVE_LOOKUP", "off")
        .args(["lookup", UNKNOWN, "--format", "json"]);
    let v = json(&run(cmd).await);
    assert_eq!(v["live"], Value::Null);
    let mut cmd = bin(&fake.url());
    cmd.env("LIVE_LOOKUP", "off").args(["lookup", UNKNOWN]);
    let o = run(cmd).await;
    assert!(!String::from_utf8_lossy(&o.stdout).contains(text::LIVE_MESSAGE));
    assert!(fake.hits().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_lookup_of_a_known_code_asks_nothing() {
    let fake = FakeLookup::start().await;
    let mut cmd = bin(&fake.url());
    cmd.args(["lookup", "50076", "--format", "json"]);
    let v = json(&run(cmd).await);
    assert_eq!(v["known"], true);
    assert_eq!(v["live"], Value::Null);
    assert!(fake.hits().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_lookup_says_so_when_the_page_fails() {
    let fake = FakeLookup::start().await;
    fake.set(52002, Reply::Status(500, None));
    let mut cmd = bin(&fake.url());
    cmd.args(["lookup", UNKNOWN]);
    let o = run(cmd).await;
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(text::LIVE_UNAVAILABLE), "{out}");
    assert!(out.contains(text::UNKNOWN_TITLE), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_refuses_a_bad_live_setting() {
    let fake = FakeLookup::start().await;
    let mut cmd = bin(&fake.url());
    cmd.env("LIVE_LOOKUP_RATE", "fast")
        .args(["lookup", UNKNOWN]);
    let o = run(cmd).await;
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("LIVE_LOOKUP_RATE"));
}
