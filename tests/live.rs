//! Microsoft's live lookup against a loopback fake of its page
//! (`tests/fake_lookup`): found, not found, slow, malformed and 429 pages,
//! single flight, the rate limit, caching, what is sent (the CLI's use is
//! in `live_cli.rs`). Nothing here leaves 127.0.0.1.

mod fake_lookup;

use std::sync::Arc;
use std::time::Duration;

use aadsts_bot::live::{self, CacheState, LiveConfig, LiveError, LiveLookup, MemoryCache, Waited};
use aadsts_bot::{render, text, AadstsCode};
use fake_lookup::{FakeLookup, Reply};

const HOST: &str = "login.microsoftonline.com";

fn code(n: u32) -> AadstsCode {
    AadstsCode::new(n).unwrap()
}

/// A lookup of the fake, fast enough for tests (100 requests/s).
fn lookup_of(fake: &FakeLookup) -> LiveLookup {
    lookup_with(fake, 100.0)
}

fn lookup_with(fake: &FakeLookup, rate: f64) -> LiveLookup {
    let config = LiveConfig {
        base_url: Some(fake.url()),
        rate,
        ..LiveConfig::default()
    };
    LiveLookup::new(config, Arc::new(MemoryCache::default()))
}

#[tokio::test]
async fn a_found_code_gives_message_and_remediation() {
    let fake = FakeLookup::start().await;
    fake.found(
        90001,
        "The gadget '{gadgetId}' refused the request.",
        Some("Ask the owner of the gadget to allow it."),
    );
    let l = lookup_of(&fake);
    let e = l.describe(code(90001), HOST).await.unwrap().unwrap();
    assert_eq!(e.message, "The gadget '{gadgetId}' refused the request.");
    assert_eq!(
        e.remediation.as_deref(),
        Some("Ask the owner of the gadget to allow it.")
    );
    assert_eq!(l.counters().snapshot().requests, 1);
}

#[tokio::test]
async fn a_found_code_without_remediation_has_none() {
    let fake = FakeLookup::start().await;
    fake.found(90002, "Widget cannot be frobbed.", None);
    let e = lookup_of(&fake)
        .describe(code(90002), HOST)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.message, "Widget cannot be frobbed.");
    assert_eq!(e.remediation, None);
}

#[tokio::test]
async fn a_page_without_table_means_microsoft_does_not_know_it() {
    let fake = FakeLookup::start().await;
    let l = lookup_of(&fake);
    assert_eq!(l.describe(code(90003), HOST).await, Ok(None));
    assert_eq!(l.cached(code(90003), HOST), CacheState::NotFound);
    // Remembered: asking again sends nothing.
    assert_eq!(l.describe(code(90003), HOST).await, Ok(None));
    assert_eq!(fake.hits().len(), 1);
    let s = l.counters().snapshot();
    assert_eq!((s.requests, s.not_found, s.cache_hits), (1, 1, 1));
}

#[tokio::test]
async fn a_second_call_is_answered_from_the_cache() {
    let fake = FakeLookup::start().await;
    fake.found(90004, "Something went sideways.", None);
    let l = lookup_of(&fake);
    assert_eq!(l.cached(code(90004), HOST), CacheState::Miss);
    let first = l.describe(code(90004), HOST).await.unwrap();
    let second = l.describe(code(90004), HOST).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(fake.hits().len(), 1);
    assert!(
        matches!(l.cached(code(90004), HOST), CacheState::Found(e) if e.message == "Something went sideways.")
    );
    assert_eq!(l.counters().snapshot().cache_hits, 1);
}

#[tokio::test]
async fn answers_are_kept_per_sign_in_host() {
    let fake = FakeLookup::start().await;
    fake.found(90005, "Cloud-specific text.", None);
    let l = lookup_of(&fake);
    l.describe(code(90005), HOST).await.unwrap();
    l.describe(code(90005), "login.microsoftonline.us")
        .await
        .unwrap();
    assert_eq!(fake.hits().len(), 2);
    assert_eq!(
        l.cached(code(90005), "login.partner.microsoftonline.cn"),
        CacheState::Miss
    );
}

#[tokio::test]
async fn only_the_code_number_is_sent() {
    let fake = FakeLookup::start().await;
    fake.found(90006, "A message.", None);
    fake.found(90007, "Another message.", None);
    let l = lookup_of(&fake);
    l.describe(code(90006), HOST).await.unwrap();
    l.describe(code(90007), HOST).await.unwrap();
    let hits = fake.hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].path, "/error");
    assert_eq!(hits[0].query.as_deref(), Some("code=90006"));
    assert_eq!(hits[1].query.as_deref(), Some("code=90007"));
    for h in &hits {
        // The fake set a cookie on the first answer; none comes back.
        assert_eq!(h.cookie, None);
        assert_eq!(h.user_agent.as_deref(), Some(live::USER_AGENT));
        for name in &h.header_names {
            assert!(
                ["accept", "accept-encoding", "host", "user-agent"].contains(&name.as_str()),
                "unexpected header {name}"
            );
        }
    }
}

#[tokio::test]
async fn entities_in_the_page_are_decoded() {
    let fake = FakeLookup::start().await;
    fake.found(
        90008,
        "Tenant '{tenant}' & app <{appId}> can't \"sign\"   in.",
        None,
    );
    let e = lookup_of(&fake)
        .describe(code(90008), HOST)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        e.message,
        "Tenant '{tenant}' & app <{appId}> can't \"sign\" in."
    );
}

#[tokio::test]
async fn placeholders_stay_visible_in_the_embed() {
    let fake = FakeLookup::start().await;
    fake.found(
        90009,
        "User '{user}' of *{tenant}* is_not allowed.",
        Some("Check the_policy."),
    );
    let l = lookup_of(&fake);
    let e = l.describe(code(90009), HOST).await.unwrap().unwrap();
    let fallback = render::unknown(code(90009), HOST, "test");
    let embed = live::embed(code(90009), &e, HOST, &fallback);
    let message = &embed.fields[0];
    assert_eq!(message.name, text::LIVE_MESSAGE);
    assert!(
        message
            .value
            .starts_with("User '`{user}`' of \\*`{tenant}`\\* is\\_not allowed."),
        "{}",
        message.value
    );
    assert_eq!(embed.fields[1].name, text::LIVE_REMEDIATION);
    assert_eq!(embed.fields[1].value, "Check the\\_policy.");
    // The family fallback is still there.
    assert_eq!(embed.description, fallback.description);
}

#[tokio::test]
async fn malformed_pages_are_errors_and_not_cached() {
    let fake = FakeLookup::start().await;
    fake.set(
        90010,
        Reply::Raw("<html><body><table><tr><td>Error Code</td><td>90010</td>".into()),
    );
    fake.set(90011, Reply::Raw("{\"error\": \"not html\"}".into()));
    let l = lookup_of(&fake);
    for n in [90010, 90011] {
        assert!(
            matches!(
                l.describe(code(n), HOST).await,
                Err(LiveError::Malformed(_))
            ),
            "{n}"
        );
        assert_eq!(l.cached(code(n), HOST), CacheState::Miss);
    }
    // Asked again: not remembered as "not found".
    assert!(l.describe(code(90010), HOST).await.is_err());
    assert_eq!(fake.hits().len(), 3);
    assert_eq!(l.counters().snapshot().errors, 3);
}

#[tokio::test]
async fn a_429_is_counted_and_not_cached_as_not_found() {
    let fake = FakeLookup::start().await;
    fake.set(90012, Reply::Status(429, Some(0)));
    let l = lookup_of(&fake);
    assert_eq!(
        l.describe(code(90012), HOST).await,
        Err(LiveError::RateLimited)
    );
    assert_eq!(l.cached(code(90012), HOST), CacheState::Miss);
    let s = l.counters().snapshot();
    assert_eq!(
        (s.requests, s.rate_limited, s.errors, s.not_found),
        (1, 1, 1, 0)
    );
    // Once Microsoft answers again, the code is asked again.
    fake.found(90012, "Back again.", None);
    let e = l.describe(code(90012), HOST).await.unwrap().unwrap();
    assert_eq!(e.message, "Back again.");
    assert_eq!(fake.hits().len(), 2);
}

#[tokio::test]
async fn other_statuses_are_errors() {
    let fake = FakeLookup::start().await;
    fake.set(90013, Reply::Status(503, None));
    let l = lookup_of(&fake);
    assert_eq!(
        l.describe(code(90013), HOST).await,
        Err(LiveError::Status(503))
    );
    assert_eq!(l.counters().snapshot().rate_limited, 0);
}

#[tokio::test]
async fn a_slow_page_times_out_once_for_every_caller() {
    let fake = FakeLookup::start().await;
    fake.set(
        90014,
        Reply::Slow(Duration::from_secs(5), Box::new(Reply::NotFound)),
    );
    let l = lookup_of(&fake);
    let start = std::time::Instant::now();
    let (a, b, c) = tokio::join!(
        l.describe(code(90014), HOST),
        l.describe(code(90014), HOST),
        l.describe(code(90014), HOST),
    );
    let waited = start.elapsed();
    assert_eq!(a, Err(LiveError::Timeout));
    assert_eq!(b, Err(LiveError::Timeout));
    assert_eq!(c, Err(LiveError::Timeout));
    // The 3 s request timeout, not the page's 5 s.
    assert!(waited < Duration::from_millis(4500), "{waited:?}");
    assert_eq!(fake.hits().len(), 1);
    assert_eq!(l.cached(code(90014), HOST), CacheState::Miss);
    assert_eq!(l.counters().snapshot().errors, 1);
}

#[tokio::test]
async fn concurrent_callers_share_one_request() {
    let fake = FakeLookup::start().await;
    fake.set(
        90015,
        Reply::Slow(
            Duration::from_millis(300),
            Box::new(Reply::Found {
                message: "Shared.".into(),
                remediation: None,
            }),
        ),
    );
    let l = lookup_of(&fake);
    let other = l.clone();
    let (a, b) = tokio::join!(
        l.describe(code(90015), HOST),
        other.describe(code(90015), HOST)
    );
    assert_eq!(a, b);
    assert_eq!(a.unwrap().unwrap().message, "Shared.");
    assert_eq!(fake.hits().len(), 1);
    assert_eq!(l.counters().snapshot().requests, 1);
}

#[tokio::test]
async fn requests_are_spaced_by_the_rate_limit() {
    let fake = FakeLookup::start().await;
    let rate = 20.0; // one request per 50 ms
    let l = lookup_with(&fake, rate);
    let codes: Vec<AadstsCode> = (90020..90026).map(code).collect();
    let all = futures_util::future::join_all(codes.iter().map(|c| l.describe(*c, HOST))).await;
    assert!(all.iter().all(|r| *r == Ok(None)));
    let hits = fake.hits();
    assert_eq!(hits.len(), codes.len());
    let interval = Duration::from_secs_f64(1.0 / rate);
    // Measured where the requests arrive; a little jitter on loopback is allowed.
    let slack = Duration::from_millis(10);
    for pair in hits.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(gap + slack >= interval, "gap {gap:?} under {interval:?}");
    }
    let span = hits[hits.len() - 1].at.duration_since(hits[0].at);
    assert!(
        span + slack >= interval * (codes.len() as u32 - 1),
        "{span:?}"
    );
}

#[tokio::test]
async fn describe_within_answers_in_time_or_hands_over_the_task() {
    let fake = FakeLookup::start().await;
    fake.found(90040, "Quick.", None);
    fake.set(
        90041,
        Reply::Slow(
            Duration::from_millis(400),
            Box::new(Reply::Found {
                message: "Slow but there.".into(),
                remediation: None,
            }),
        ),
    );
    let l = lookup_of(&fake);
    match l.describe_within(code(90040), HOST, live::REPLY_WAIT).await {
        Waited::Ready(Ok(Some(e))) => assert_eq!(e.message, "Quick."),
        other => panic!("{other:?}"),
    }
    let task = match l
        .describe_within(code(90041), HOST, Duration::from_millis(20))
        .await
    {
        Waited::Later(task) => task,
        other => panic!("{other:?}"),
    };
    // Meanwhile the bot would send the fallback; then the answer arrives.
    let e = task.await.unwrap().unwrap().unwrap();
    assert_eq!(e.message, "Slow but there.");
    assert!(matches!(l.cached(code(90041), HOST), CacheState::Found(_)));
    assert_eq!(fake.hits().len(), 2);
}

#[tokio::test]
async fn an_unreachable_page_is_an_error() {
    // Bind and drop a listener: nothing answers on that port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let l = LiveLookup::new(
        LiveConfig {
            base_url: Some(format!("http://127.0.0.1:{port}")),
            ..LiveConfig::default()
        },
        Arc::new(MemoryCache::default()),
    );
    assert!(matches!(
        l.describe(code(90030), HOST).await,
        Err(LiveError::Request(_))
    ));
}
