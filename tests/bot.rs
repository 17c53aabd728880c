//! End to end: the real `aadsts-bot` binary against a fake Discord (REST +
//! gateway) on 127.0.0.1. Every wait is a wait-for-condition with a timeout.

mod fake_discord;
mod harness;

use fake_discord::*;
use harness::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_in_enabled_channels_only() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let msg = h
        .post(
            CHANNEL_HELP,
            &Author::member(),
            "Login fails with AADSTS50076: Due to a configuration change...",
        )
        .await;
    let reply = h.reply_to(&msg).await;
    assert_eq!(
        reply.path,
        format!("/api/v10/channels/{CHANNEL_HELP}/messages")
    );
    assert_eq!(
        titles(&reply),
        ["AADSTS50076 · UserStrongAuthClientAuthNRequired"]
    );
    let embed = &reply.embeds()[0];
    assert_eq!(embed["fields"][0]["name"], "Likely causes");
    assert!(embed["footer"]["text"]
        .as_str()
        .unwrap()
        .starts_with("aadsts-bot · knowledge"));
    let j = reply.json.as_ref().unwrap();
    assert_eq!(
        j["components"][0]["components"][0]["custom_id"],
        format!("aadsts:dismiss:{MEMBER_USER_ID}")
    );

    let elsewhere = h
        .post(CHANNEL_GENERAL, &Author::member(), "AADSTS50076 here too")
        .await;
    h.no_reply_to(&elsewhere).await;
    h.assert_no_pings();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threads_and_forum_posts_under_enabled_channels() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    h.enable(FORUM_CHANNEL).await;
    let in_thread = h
        .post(
            THREAD_IN_HELP,
            &Author::member(),
            "AADSTS65001 when calling Graph",
        )
        .await;
    assert_eq!(
        titles(&h.reply_to(&in_thread).await),
        ["AADSTS65001 · DelegationDoesNotExist"]
    );
    let in_forum = h
        .post(FORUM_POST, &Author::member(), "aadsts700016 on the daemon")
        .await;
    let reply = h.reply_to(&in_forum).await;
    assert_eq!(
        reply.path,
        format!("/api/v10/channels/{FORUM_POST}/messages")
    );
    assert!(titles(&reply)[0].starts_with("AADSTS700016"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cooldown_turns_a_repeat_into_a_pointer() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let first = h
        .post(CHANNEL_HELP, &Author::member(), "AADSTS50058 after login")
        .await;
    let first_reply = h.reply_to(&first).await;
    let second = h
        .post(
            CHANNEL_HELP,
            &Author::member(),
            "same here, AADSTS50058 and also AADSTS50126",
        )
        .await;
    let reply = h.reply_to(&second).await;
    assert_eq!(titles(&reply), ["AADSTS50126 · InvalidUserNameOrPassword"]);
    // The link jumps to the first reply; in the moment the bot is still
    // recording it, to the message it answers (the reply sits right below).
    let link = |id| format!("https://discord.com/channels/{GUILD_ID}/{CHANNEL_HELP}/{id}");
    let pointer = reply.content().unwrap();
    assert!(
        [reply_id(&first_reply), id_of(&first)]
            .map(|id| format!("AADSTS50058 is explained above: {}", link(id)))
            .contains(&pointer.to_owned()),
        "{pointer}"
    );

    // With the cooldown off, the same code is explained again in full.
    h.config("cooldown", vec![opt_integer("minutes", 0)]).await;
    let third = h
        .post(CHANNEL_HELP, &Author::member(), "AADSTS50058 again")
        .await;
    assert_eq!(
        titles(&h.reply_to(&third).await),
        ["AADSTS50058 · UserInformationNotProvided"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_and_webhooks_are_ignored() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let from_bot = h
        .post(CHANNEL_HELP, &Author::other_bot(), "AADSTS50076")
        .await;
    let from_webhook = h
        .post(CHANNEL_HELP, &Author::webhook(), "AADSTS50076")
        .await;
    h.no_reply_to(&from_bot).await;
    h.no_reply_to(&from_webhook).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_update_the_reply_and_deletes_remove_it() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let msg = h.post(CHANNEL_HELP, &Author::member(), "AADSTS50076").await;
    let reply = h.reply_to(&msg).await;
    let rid = reply_id(&reply);
    let reply_path = format!("/channels/{CHANNEL_HELP}/messages/{rid}");

    let mark = h.fake.mark();
    h.fake
        .dispatch(
            "MESSAGE_UPDATE",
            message_update(&msg, "AADSTS50076 and then AADSTS50079"),
        )
        .await;
    let edit = h
        .fake
        .wait_for_since(mark, |r| r.is("PATCH", &reply_path), DEFAULT_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(titles(&edit).len(), 2);
    assert!(titles(&edit)[1].starts_with("AADSTS50079"));

    let mark = h.fake.mark();
    h.fake
        .dispatch(
            "MESSAGE_UPDATE",
            message_update(&msg, "never mind, it works"),
        )
        .await;
    h.fake
        .wait_for_since(mark, |r| r.is("DELETE", &reply_path), DEFAULT_TIMEOUT)
        .await
        .unwrap();

    // An edit that adds a code to a message we never answered gets a reply.
    let plain = h.post(CHANNEL_HELP, &Author::member(), "it fails").await;
    h.fake
        .dispatch(
            "MESSAGE_UPDATE",
            message_update(&plain, "it fails: AADSTS90002"),
        )
        .await;
    assert!(titles(&h.reply_to(&plain).await)[0].starts_with("AADSTS90002"));

    // Deleting the message deletes our reply.
    let other = h
        .post(CHANNEL_HELP, &Author::member(), "AADSTS70008 in the log")
        .await;
    let other_rid = reply_id(&h.reply_to(&other).await);
    let mark = h.fake.mark();
    h.fake
        .dispatch(
            "MESSAGE_DELETE",
            message_delete(CHANNEL_HELP, Some(GUILD_ID), id_of(&other)),
        )
        .await;
    let path = format!("/channels/{CHANNEL_HELP}/messages/{other_rid}");
    h.fake
        .wait_for_since(mark, |r| r.is("DELETE", &path), DEFAULT_TIMEOUT)
        .await
        .unwrap();
    h.assert_no_pings();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_attachments_are_scanned() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let log = b"2024-05-01 10:20:30 ERROR token request failed\nAADSTS7000222: The provided client secret keys are expired.\n".to_vec();
    let file = h.fake.upload_attachment("signin.log", log, "text/plain");
    let msg = h
        .post_with(
            CHANNEL_HELP,
            &Author::member(),
            "see attached log",
            vec![file],
        )
        .await;
    assert_eq!(
        titles(&h.reply_to(&msg).await),
        ["AADSTS7000222 · InvalidClientSecretExpiredKeysProvided"]
    );

    // Binary files are skipped quietly.
    let binary = h.fake.upload_attachment(
        "dump.log",
        b"AADSTS50076\0\x01\x02".to_vec(),
        "application/octet-stream",
    );
    let quiet = h
        .post_with(CHANNEL_HELP, &Author::member(), "binary dump", vec![binary])
        .await;
    h.no_reply_to(&quiet).await;

    // And nothing is fetched once a server turns attachments off.
    h.config("attachments", vec![opt_integer("setting", 1)])
        .await; // choices: on = 0, off = 1
    let again = h
        .fake
        .upload_attachment("again.txt", b"AADSTS50058".to_vec(), "text/plain");
    let url = again["url"].as_str().unwrap().to_owned();
    let off = h
        .post_with(CHANNEL_HELP, &Author::member(), "another log", vec![again])
        .await;
    h.no_reply_to(&off).await;
    assert!(
        !h.fake.requests().iter().any(|r| url.ends_with(&r.path)),
        "fetched {url}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_five_embeds_then_a_line() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let text =
        "AADSTS50076 AADSTS50079 AADSTS50058 AADSTS50126 AADSTS65001 AADSTS700016 AADSTS7000215";
    let msg = h.post(CHANNEL_HELP, &Author::member(), text).await;
    let reply = h.reply_to(&msg).await;
    assert_eq!(reply.embeds().len(), 5);
    assert_eq!(
        reply.content().unwrap(),
        "Also found: AADSTS700016, AADSTS7000215. Look them up with `/aadsts`."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_in_a_paste_get_a_warning() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let text = "curl -d 'client_id=x&client_secret=Abc8Q~verysecretvalue123' gives AADSTS7000215";
    let msg = h.post(CHANNEL_HELP, &Author::member(), text).await;
    let reply = h.reply_to(&msg).await;
    let content = reply.content().unwrap();
    assert!(
        content.contains("Delete it and rotate that credential"),
        "{content}"
    );
    assert!(!serde_json::to_string(&reply.json)
        .unwrap()
        .contains("verysecretvalue"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_replies_arrive_exactly_once() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let path = format!("/channels/{CHANNEL_HELP}/messages");
    h.fake.rate_limit_next(&path, 2);
    let msg = h.post(CHANNEL_HELP, &Author::member(), "AADSTS53003").await;
    h.reply_to(&msg).await;
    let posts: Vec<u16> = h
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.is("POST", &path))
        .map(|r| r.status)
        .collect();
    assert_eq!(posts, [429, 429, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dismiss_button_for_the_author_or_moderators_only() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let msg = h.post(CHANNEL_HELP, &Author::member(), "AADSTS50126").await;
    let reply = h.reply_to(&msg).await;
    let rid = reply_id(&reply);
    let stored = h.fake.message(rid).expect("fake stored our reply");
    let click = Click::button(&format!("aadsts:dismiss:{MEMBER_USER_ID}"));

    let stranger = Invoker::in_guild(
        GUILD_ID,
        CHANNEL_HELP,
        FakeUser::human(42, "stranger"),
        member_permissions(),
    );
    let refusal = h
        .interact(h.fake.world().component_click(&stranger, &stored, &click))
        .await;
    assert_eq!(refusal.json.as_ref().unwrap()["data"]["flags"], 64);
    assert!(refusal
        .content()
        .unwrap()
        .contains("Only the person who posted"));

    let mark = h.fake.mark();
    h.interact(
        h.fake
            .world()
            .component_click(&Invoker::member(CHANNEL_HELP), &stored, &click),
    )
    .await;
    let path = format!("/channels/{CHANNEL_HELP}/messages/{rid}");
    h.fake
        .wait_for_since(mark, |r| r.is("DELETE", &path), DEFAULT_TIMEOUT)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_command_lookup_search_and_autocomplete() {
    let h = Harness::start().await;
    let world = h.fake.world();
    let inv = Invoker::member(CHANNEL_GENERAL);

    let by_code = h
        .interact(world.slash_command(&inv, "aadsts", vec![opt_string("query", "AADSTS50076")]))
        .await;
    assert_eq!(
        titles(&by_code),
        ["AADSTS50076 · UserStrongAuthClientAuthNRequired"]
    );

    let by_name = h
        .interact(world.slash_command(
            &inv,
            "aadsts",
            vec![opt_string(
                "query",
                "InvalidClientSecretExpiredKeysProvided",
            )],
        ))
        .await;
    assert_eq!(
        titles(&by_name),
        ["AADSTS7000222 · InvalidClientSecretExpiredKeysProvided"]
    );

    let unknown = h
        .interact(world.slash_command(&inv, "aadsts", vec![opt_string("query", "53999")]))
        .await;
    assert_eq!(
        unknown.embeds()[0]["url"],
        "https://login.microsoftonline.com/error?code=53999"
    );

    let search = h
        .interact(world.slash_command(
            &inv,
            "aadsts",
            vec![opt_string("query", "client secret expired")],
        ))
        .await;
    let data = &search.json.as_ref().unwrap()["data"];
    assert!(data["embeds"][0]["description"]
        .as_str()
        .unwrap()
        .starts_with("`AADSTS7000222`"));
    let menu = &data["components"][0]["components"][0];
    assert_eq!(menu["custom_id"], "aadsts:open");
    assert_eq!(menu["options"][0]["value"], "7000222");

    let choices = h
        .interact(world.autocomplete(&inv, "aadsts", vec![opt_focused("query", "5007")]))
        .await;
    let j = choices.json.as_ref().unwrap();
    assert_eq!(j["type"], 8);
    let values: Vec<&str> = j["data"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert!(
        values.contains(&"50076") && values.len() <= 25,
        "{values:?}"
    );
    assert!(j["data"]["choices"][0]["name"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS5007"));

    let words = h
        .interact(world.autocomplete(
            &inv,
            "aadsts",
            vec![opt_focused("query", "conditional acc")],
        ))
        .await;
    assert_eq!(
        words.json.as_ref().unwrap()["data"]["choices"][0]["value"],
        "53003"
    );
    h.assert_no_pings();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_results_menu_opens_an_entry_privately() {
    let h = Harness::start().await;
    let world = h.fake.world();
    let inv = Invoker::member(CHANNEL_GENERAL);
    let search = h
        .interact(world.slash_command(&inv, "aadsts", vec![opt_string("query", "redirect uri")]))
        .await;
    // The results message as Discord would hand it back with the click.
    let mut results = message_create(
        CHANNEL_GENERAL,
        Some(GUILD_ID),
        &Author::User(world.bot.clone()),
        "",
        vec![],
    );
    results["components"] = search.json.as_ref().unwrap()["data"]["components"].clone();
    let click = Click::select("aadsts:open", &["50011"]);
    let opened = h
        .interact(world.component_click(&inv, &results, &click))
        .await;
    let j = opened.json.as_ref().unwrap();
    assert_eq!(j["type"], 4);
    assert_eq!(j["data"]["flags"], 64);
    assert_eq!(titles(&opened), ["AADSTS50011 · InvalidReplyTo"]);
    h.assert_no_pings();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_message_content_intent_commands_still_work() {
    let world = World {
        message_content_allowed: false,
        ..World::default()
    };
    let h = Harness::start_in(world, &[]).await;
    let identifies: Vec<u64> = h
        .fake
        .gateway_frames()
        .iter()
        .filter(|f| f.op == 2)
        .map(|f| f.payload["d"]["intents"].as_u64().unwrap())
        .collect();
    assert_eq!(
        identifies.len(),
        2,
        "asked once with, once without: {identifies:?}"
    );
    assert_ne!(identifies[0] & (1 << 15), 0);
    assert_eq!(identifies[1] & (1 << 15), 0);

    h.enable(CHANNEL_HELP).await;
    let inv = Invoker::member(CHANNEL_GENERAL);
    let lookup = h
        .interact(
            h.fake
                .world()
                .slash_command(&inv, "aadsts", vec![opt_string("query", "50058")]),
        )
        .await;
    assert_eq!(
        titles(&lookup),
        ["AADSTS50058 · UserInformationNotProvided"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_guild_gets_the_commands_instantly() {
    let guild = GUILD_ID.to_string();
    let h = Harness::start_with(&[("DEV_GUILD_ID", &guild)]).await;
    let put = h
        .fake
        .wait_for(
            |r| r.method == "PUT" && r.path.ends_with("/commands"),
            DEFAULT_TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(
        put.api_path().unwrap(),
        format!("/applications/{APPLICATION_ID}/guilds/{GUILD_ID}/commands")
    );
    let names: Vec<String> = h
        .fake
        .registered_commands(Some(GUILD_ID))
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        names.contains(&"aadsts".to_owned()) && names.contains(&"aadsts-config".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"Explain error codes".to_owned()),
        "{names:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_is_for_server_managers_only() {
    let h = Harness::start().await;
    let world = h.fake.world();
    let member = Invoker::member(CHANNEL_GENERAL);
    let add = vec![opt_subcommand(
        "channel-add",
        vec![opt_channel("channel", CHANNEL_OFFTOPIC)],
    )];
    let refused = h
        .interact(world.slash_command(&member, "aadsts-config", add))
        .await;
    assert_eq!(refused.json.as_ref().unwrap()["data"]["flags"], 64);
    assert!(refused.content().unwrap().contains("Manage Server"));
    let msg = h
        .post(CHANNEL_OFFTOPIC, &Author::member(), "AADSTS50076")
        .await;
    h.enable(CHANNEL_HELP).await; // the barrier below needs one enabled channel
    h.no_reply_to(&msg).await;

    let listed = h.config("channels", vec![]).await;
    assert_eq!(
        listed.content().unwrap(),
        format!("Auto-replies are on in: <#{CHANNEL_HELP}> (and their threads).")
    );
    assert_eq!(listed.json.as_ref().unwrap()["data"]["flags"], 64);
    let removed = h
        .config("channel-remove", vec![opt_channel("channel", CHANNEL_HELP)])
        .await;
    assert!(removed.content().unwrap().contains("Auto-replies are off"));

    let registered = h.fake.registered_commands(None);
    let config = registered
        .iter()
        .find(|c| c["name"] == "aadsts-config")
        .expect("registered");
    assert_eq!(config["default_member_permissions"], "32"); // MANAGE_GUILD
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_menu_answers_privately() {
    let h = Harness::start().await;
    let world = h.fake.world();
    let target = message_create(
        CHANNEL_GENERAL,
        Some(GUILD_ID),
        &Author::member(),
        "prod says AADSTS50011",
        vec![],
    );
    let answer = h
        .interact(world.message_command(
            &Invoker::member(CHANNEL_GENERAL),
            "Explain error codes",
            &target,
        ))
        .await;
    assert_eq!(answer.json.as_ref().unwrap()["data"]["flags"], 64);
    assert_eq!(titles(&answer), ["AADSTS50011 · InvalidReplyTo"]);

    let plain = message_create(
        CHANNEL_GENERAL,
        Some(GUILD_ID),
        &Author::member(),
        "hello",
        vec![],
    );
    let none = h
        .interact(world.message_command(
            &Invoker::member(CHANNEL_GENERAL),
            "Explain error codes",
            &plain,
        ))
        .await;
    assert_eq!(
        none.content().unwrap(),
        "There is no AADSTS error code in that message."
    );
    h.assert_no_pings();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_does_not_download_the_attachments_again() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let log = b"token request failed: AADSTS7000222 (expired)".to_vec();
    let file = h.fake.upload_attachment("signin.log", log, "text/plain");
    let url = file["url"].as_str().unwrap().to_owned();
    let msg = h
        .post_with(CHANNEL_HELP, &Author::member(), "see the log", vec![file])
        .await;
    let reply = h.reply_to(&msg).await;
    // The edit adds a code to the text; the file's code stays in the reply.
    let edited = message_update(&msg, "see the log, and now AADSTS50076 too");
    h.fake.dispatch("MESSAGE_UPDATE", edited).await;
    let revised = format!("/messages/{}", reply_id(&reply));
    let edit = h
        .fake
        .wait_for(
            |r| r.method == "PATCH" && r.path.ends_with(&revised),
            DEFAULT_TIMEOUT,
        )
        .await
        .unwrap();
    let mut shown = titles(&edit);
    shown.sort();
    assert_eq!(
        shown,
        [
            "AADSTS50076 · UserStrongAuthClientAuthNRequired",
            "AADSTS7000222 · InvalidClientSecretExpiredKeysProvided"
        ]
    );
    let fetches = h
        .fake
        .requests()
        .iter()
        .filter(|r| url.ends_with(&r.path))
        .count();
    assert_eq!(fetches, 1, "{}", h.fake.request_log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_menu_reads_the_messages_log_file() {
    let h = Harness::start().await;
    let log = b"10:20:30 ERROR token request failed: AADSTS700016 for app 1234\n".to_vec();
    let file = h.fake.upload_attachment("signin.log", log, "text/plain");
    let url = file["url"].as_str().unwrap().to_owned();
    let target = message_create(
        CHANNEL_GENERAL,
        Some(GUILD_ID),
        &Author::member(),
        "this is from the app's log",
        vec![file],
    );
    // A download may outlast Discord's 3 s: "thinking" (only the asker sees
    // it) first, then the answer in its place.
    let answer = h.explain_deferred(&target).await;
    assert_eq!(
        titles(&answer),
        ["AADSTS700016 · UnauthorizedClient_DoesNotMatchRequest"]
    );

    // A server that turned attachments off gets an answer from the text alone,
    // at once, and nothing is fetched.
    h.config("attachments", vec![opt_integer("setting", 1)])
        .await;
    let fetched = || {
        h.fake
            .requests()
            .iter()
            .filter(|r| url.ends_with(&r.path))
            .count()
    };
    let before = fetched();
    let text_only = h
        .interact(h.fake.world().message_command(
            &Invoker::member(CHANNEL_GENERAL),
            "Explain error codes",
            &target,
        ))
        .await;
    assert_eq!(
        text_only.content().unwrap(),
        "There is no AADSTS error code in that message."
    );
    assert_eq!(fetched(), before, "fetched {url}");
    h.assert_no_pings();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_survive_a_restart() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    h.config("cooldown", vec![opt_integer("minutes", 0)]).await;
    let h = h.restart().await;
    let msg = h.post(CHANNEL_HELP, &Author::member(), "AADSTS50076").await;
    h.reply_to(&msg).await;
    let again = h.post(CHANNEL_HELP, &Author::member(), "AADSTS50076").await;
    assert_eq!(
        h.reply_to(&again).await.embeds().len(),
        1,
        "cooldown 0 survived"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_endpoint() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let h = Harness::start_with(&[("METRICS_ADDR", &addr)]).await;
    h.enable(CHANNEL_HELP).await;
    let msg = h.post(CHANNEL_HELP, &Author::member(), "AADSTS50076").await;
    h.reply_to(&msg).await;
    let health: Value = reqwest::get(format!("http://{addr}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert!(health["entries"].as_u64().unwrap() >= 600);
    let metrics = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("aadsts_replies_sent_total 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stops_cleanly_on_sigterm() {
    let mut h = Harness::start().await;
    let pid = h.bot.id().expect("running").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(DEFAULT_TIMEOUT, h.bot.wait())
        .await
        .expect("bot exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edited_knowledge_is_served_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    for file in std::fs::read_dir(knowledge_dir()).unwrap() {
        let path = file.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let kdir = dir.path().to_str().unwrap().to_owned();
    let h = Harness::start_with(&[("KNOWLEDGE_DIR", &kdir), ("HOT_RELOAD", "true")]).await;
    let file = dir.path().join("500xx.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let old = "title = \"MFA is required for this resource, but the request didn't include it\"";
    assert!(
        text.contains(old),
        "fixture title changed; update this test"
    );
    std::fs::write(
        &file,
        text.replace(old, "title = \"MFA needed (edited while running)\""),
    )
    .unwrap();

    let inv = Invoker::member(CHANNEL_GENERAL);
    let deadline = tokio::time::Instant::now() + DEFAULT_TIMEOUT;
    loop {
        let r = h
            .interact(h.fake.world().slash_command(
                &inv,
                "aadsts",
                vec![opt_string("query", "50076")],
            ))
            .await;
        let description = r.embeds()[0]["description"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if description.contains("**MFA needed (edited while running)**") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still serving the old entry: {description}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
