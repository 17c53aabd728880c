//! End to end: codes in any form. A screenshot of the sign-in error page in
//! an enabled channel gets the same answer as its text, and a code the
//! knowledge base lacks gets Microsoft's live description (from a fake
//! lookup page on 127.0.0.1). OCR tests skip with a notice where Tesseract
//! or the font is missing, and fail under `CI=true`.

mod fake_discord;
mod fake_lookup;
mod harness;
mod screens;

use fake_discord::*;
use harness::*;
use screens::{Page, Shot, Spec, Theme};

fn ocr_ready() -> bool {
    let ready = aadsts_bot::ocr::Ocr::new(aadsts_bot::ocr::OcrConfig::default()).available()
        && screens::font_available();
    if !ready {
        let why =
            "tesseract (tesseract-ocr, tesseract-ocr-eng) or fonts-dejavu-core is not installed";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: {why}"
        );
        eprintln!("skipping: {why}");
    }
    ready
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screenshot_of_the_error_page_gets_the_same_answer_as_its_text() {
    if !ocr_ready() {
        return;
    }
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let spec = Spec {
        page: Page::SignIn(50076),
        theme: Theme::Light,
        scale: 1.0,
        shot: Shot::PhoneCrop,
    };
    let png = screens::render(&spec);
    let shot = h.fake.upload_attachment("error.png", png, "image/png");
    let msg = h
        .post_with(
            CHANNEL_HELP,
            &Author::member(),
            "this is what I see",
            vec![shot],
        )
        .await;
    let reply = h.reply_to(&msg).await;
    let embeds = reply.embeds();
    assert_eq!(
        embeds[0]["title"], "AADSTS50076 · UserStrongAuthClientAuthNRequired",
        "{embeds:?}"
    );
    assert!(
        reply
            .content()
            .unwrap_or_default()
            .contains("Read from the image"),
        "{:?}",
        reply.content()
    );
    h.assert_no_pings();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_context_menu_reads_a_screenshot() {
    if !ocr_ready() {
        return;
    }
    let h = Harness::start().await;
    let spec = Spec {
        page: Page::SignIn(50076),
        theme: Theme::Light,
        scale: 1.0,
        shot: Shot::PhoneCrop,
    };
    let shot = h
        .fake
        .upload_attachment("error.png", screens::render(&spec), "image/png");
    // Not an auto-reply channel: the member asks for the explanation.
    let target = message_create(
        CHANNEL_GENERAL,
        Some(GUILD_ID),
        &Author::member(),
        "help?",
        vec![shot],
    );
    let answer = h.explain_deferred(&target).await;
    // The same answer as the auto-reply: the code, then the ids to pass on.
    assert_eq!(
        titles(&answer)[0],
        "AADSTS50076 · UserStrongAuthClientAuthNRequired"
    );
    assert!(
        answer
            .content()
            .unwrap_or_default()
            .contains("Read from the image"),
        "{:?}",
        answer.content()
    );
    h.assert_no_pings();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_code_gets_microsofts_live_description() {
    let lookup = fake_lookup::FakeLookup::start().await;
    // 52002 has no entry (Microsoft's text for it says nothing explainable).
    lookup.found(
        52002,
        "A {placeholder} error reported by the fake lookup page.",
        Some("Try the fake remediation."),
    );
    let url = lookup.url();
    let h = Harness::start_with(&[("LIVE_LOOKUP", "on"), ("LIVE_LOOKUP_URL", &url)]).await;
    h.enable(CHANNEL_HELP).await;
    let msg = h
        .post(CHANNEL_HELP, &Author::member(), "got AADSTS52002 today")
        .await;
    let reply = h.reply_to(&msg).await;
    let body = reply.json.as_ref().unwrap().to_string();
    assert!(body.contains("fake lookup page"), "{body}");
    assert!(body.contains("not reviewed by us"), "{body}");
    let hits = lookup.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].query.as_deref(), Some("code=52002"));
}
