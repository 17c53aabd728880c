//! End to end: what a server's team gets in Discord — audience buttons,
//! team notes, `/aadsts-config status`, `/aadsts-help`, "Did this help?"
//! votes and `/aadsts-stats` — the real binary against the fake Discord.

mod fake_discord;
mod harness;

use fake_discord::*;
use harness::*;
use serde_json::{json, Value};
use serenity::model::Permissions;

/// The custom ids of every button under a message.
fn custom_ids(message: &Value) -> Vec<String> {
    message["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["custom_id"].as_str().map(str::to_owned))
        .collect()
}

fn is_ephemeral(r: &Recorded) -> bool {
    r.json.as_ref().unwrap()["data"]["flags"] == json!(64)
}

/// Posts `content` in the help channel and returns the stored reply.
async fn auto_reply(h: &Harness, content: &str) -> (Recorded, Value) {
    let msg = h.post(CHANNEL_HELP, &Author::member(), content).await;
    let reply = h.reply_to(&msg).await;
    let stored = h
        .fake
        .message(reply_id(&reply))
        .expect("fake stored our reply");
    (reply, stored)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audience_buttons_answer_the_clicker_only() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let (reply, stored) = auto_reply(&h, "AADSTS50076 again").await;
    let ids = custom_ids(reply.json.as_ref().unwrap());
    assert_eq!(
        &ids[..4],
        [
            format!("aadsts:dismiss:{MEMBER_USER_ID}"),
            "aadsts:who:user:50076".to_owned(),
            "aadsts:who:admin:50076".to_owned(),
            "aadsts:who:developer:50076".to_owned(),
        ]
    );
    let first_row = &reply.json.as_ref().unwrap()["components"][0]["components"];
    assert!(first_row.as_array().unwrap().len() <= 5);

    let mark = h.fake.mark();
    let click = Click::button("aadsts:who:admin:50076");
    let inv = Invoker::member(CHANNEL_HELP);
    let answer = h
        .interact(h.fake.world().component_click(&inv, &stored, &click))
        .await;
    assert!(is_ephemeral(&answer));
    let embed = &answer.embeds()[0];
    let description = embed["description"].as_str().unwrap();
    assert!(
        description.contains("If you are the IT admin"),
        "{description}"
    );
    assert!(description.contains("Conditional Access"), "{description}");
    assert!(
        !description.contains("MsalUiRequiredException"),
        "{description}"
    );

    let dev = h
        .interact(h.fake.world().component_click(
            &inv,
            &stored,
            &Click::button("aadsts:who:developer:50076"),
        ))
        .await;
    let description = dev.embeds()[0]["description"].as_str().unwrap().to_owned();
    assert!(
        description.contains("MsalUiRequiredException"),
        "{description}"
    );
    // Nothing new was posted in the channel.
    assert!(!h.fake.requests()[mark..].iter().any(is_reply));
    h.assert_no_pings();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_of_one_code_has_audience_buttons() {
    let h = Harness::start().await;
    let inv = Invoker::member(CHANNEL_GENERAL);
    let lookup = h
        .interact(
            h.fake
                .world()
                .slash_command(&inv, "aadsts", vec![opt_string("query", "50076")]),
        )
        .await;
    let ids = custom_ids(&lookup.json.as_ref().unwrap()["data"]);
    assert_eq!(
        ids,
        [
            "aadsts:who:user:50076",
            "aadsts:who:admin:50076",
            "aadsts:who:developer:50076"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_notes_show_under_the_auto_reply_in_their_server() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let set = h
        .config(
            "note",
            vec![
                opt_string("code", "AADSTS50076"),
                opt_string("text", "Ask **#it-help** @everyone, ticket queue MFA"),
            ],
        )
        .await;
    assert!(is_ephemeral(&set));
    assert!(set.content().unwrap().contains("Saved"), "{:?}", set.json);

    let too_long = h
        .config(
            "note",
            vec![
                opt_string("code", "50126"),
                opt_string("text", &"x".repeat(501)),
            ],
        )
        .await;
    assert!(too_long.content().unwrap().contains("limit is 500"));

    let (reply, _) = auto_reply(&h, "AADSTS50076").await;
    let fields = reply.embeds()[0]["fields"].as_array().unwrap().clone();
    let note = fields
        .iter()
        .find(|f| f["name"] == "Your team's note")
        .expect("note field");
    let value = note["value"].as_str().unwrap();
    assert!(value.contains("\\*\\*\\#it\\-help\\*\\*"), "{value}");
    assert!(!value.contains("@everyone"), "{value}");

    let list = h.config("notes", vec![]).await;
    let listed = list.embeds()[0]["description"].as_str().unwrap().to_owned();
    assert!(listed.contains("AADSTS50076"), "{listed}");

    let removed = h
        .config("note-remove", vec![opt_string("code", "50076")])
        .await;
    assert!(removed.content().unwrap().contains("removed"));
    let (reply, _) = auto_reply(&h, "AADSTS50076 and AADSTS50126").await;
    assert!(!reply.embeds()[0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "Your team's note"));
    h.assert_no_pings();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_names_missing_permissions_and_channel_add_warns() {
    let mut world = World::default();
    // Neither @everyone nor the bot's role may embed links.
    for role in &mut world.guilds[0].roles {
        role.permissions.remove(Permissions::EMBED_LINKS);
    }
    let h = Harness::start_in(world, &[]).await;
    let off = h.config("status", vec![]).await;
    assert!(is_ephemeral(&off));
    let fields = off.embeds()[0]["fields"].clone();
    assert!(fields[0]["value"]
        .as_str()
        .unwrap()
        .contains("Auto-replies are off"));

    let added = h
        .config("channel-add", vec![opt_channel("channel", CHANNEL_HELP)])
        .await;
    let content = added.content().unwrap();
    assert!(content.contains("Auto-replies are on"), "{content}");
    assert!(content.contains("I can't post there yet"), "{content}");
    assert!(content.contains("Embed Links"), "{content}");

    let on = h.config("status", vec![]).await;
    let embed = &on.embeds()[0];
    let channels = embed["fields"][0]["value"].as_str().unwrap();
    assert!(
        channels.contains(&format!("<#{CHANNEL_HELP}>")),
        "{channels}"
    );
    assert!(channels.contains("missing: Embed Links"), "{channels}");
    assert!(!channels.contains("Send Messages"), "{channels}");
    let names: Vec<&str> = embed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Channels",
            "Cooldown",
            "Attachments",
            "Screenshots (OCR)",
            "Live lookup"
        ]
    );
    assert_eq!(embed["fields"][1]["value"], "10 min");
    assert_eq!(embed["fields"][2]["value"], "on");
    h.assert_no_pings();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_is_for_everyone_and_status_for_managers() {
    let h = Harness::start().await;
    let member = Invoker::member(CHANNEL_GENERAL);
    let help = h
        .interact(h.fake.world().slash_command(&member, "aadsts-help", vec![]))
        .await;
    assert!(is_ephemeral(&help));
    assert!(help
        .content()
        .unwrap()
        .contains("/aadsts-config channel-add"));

    let refused = h
        .interact(h.fake.world().slash_command(
            &member,
            "aadsts-config",
            vec![opt_subcommand("status", vec![])],
        ))
        .await;
    assert!(refused.content().unwrap().contains("Manage Server"));
    let stats = h
        .interact(
            h.fake
                .world()
                .slash_command(&member, "aadsts-stats", vec![]),
        )
        .await;
    assert!(stats.content().unwrap().contains("Manage Server"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_vote_per_member_and_stats_count_codes_and_votes() {
    let h = Harness::start().await;
    h.enable(CHANNEL_HELP).await;
    let (reply, stored) = auto_reply(&h, "AADSTS50076 then AADSTS99999").await;
    let ids = custom_ids(reply.json.as_ref().unwrap());
    assert!(ids.contains(&"aadsts:vote:1:50076".to_owned()), "{ids:?}");
    assert!(ids.contains(&"aadsts:vote:0:50076".to_owned()), "{ids:?}");

    let world = h.fake.world();
    let member = Invoker::member(CHANNEL_HELP);
    let yes = Click::button("aadsts:vote:1:50076");
    let no = Click::button("aadsts:vote:0:50076");
    let mark = h.fake.mark();
    let first = h
        .interact(world.component_click(&member, &stored, &yes))
        .await;
    assert!(is_ephemeral(&first));
    assert!(first.content().unwrap().contains("counted"));
    let again = h
        .interact(world.component_click(&member, &stored, &yes))
        .await;
    assert!(again.content().unwrap().contains("already"));
    let moved = h
        .interact(world.component_click(&member, &stored, &no))
        .await;
    assert!(moved.content().unwrap().contains("updated"));
    let admin = Invoker::admin(CHANNEL_HELP);
    h.interact(world.component_click(&admin, &stored, &yes))
        .await;
    assert!(!h.fake.requests()[mark..].iter().any(is_reply));

    let stats = h
        .interact(world.slash_command(&admin, "aadsts-stats", vec![]))
        .await;
    assert!(is_ephemeral(&stats));
    let fields = stats.embeds()[0]["fields"].clone();
    assert_eq!(fields[0]["name"], "Last 7 days");
    assert!(fields[0]["value"]
        .as_str()
        .unwrap()
        .contains("`AADSTS50076` ×1"));
    assert!(fields[1]["value"]
        .as_str()
        .unwrap()
        .contains("`AADSTS50076` ×1"));
    let unknown = fields[2]["value"].as_str().unwrap();
    assert!(unknown.contains("AADSTS99999"), "{unknown}");
    assert!(!unknown.contains("AADSTS50076"), "{unknown}");
    let helpful = fields[3]["value"].as_str().unwrap();
    assert!(
        helpful.contains("`AADSTS50076` 50% (1 👍 / 1 👎)"),
        "{helpful}"
    );
    h.assert_no_pings();

    // The maintainers' view of the same database: unknown codes first.
    let (mut cmd, _cwd) = bot_command(&["usage", "--format", "json"]);
    let out = cmd
        .env("DATABASE_URL", format!("sqlite://{}", h.db.display()))
        .env("KNOWLEDGE_DIR", knowledge_dir())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["unknown_30_days"],
        json!([{"code": "AADSTS99999", "count": 1}])
    );
    assert!(report["last_7_days"]
        .as_array()
        .unwrap()
        .contains(&json!({"code": "AADSTS50076", "count": 1})));

    let (mut cmd, _cwd) = bot_command(&["usage"]);
    let out = cmd
        .env("DATABASE_URL", format!("sqlite://{}", h.db.display()))
        .env("KNOWLEDGE_DIR", knowledge_dir())
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("Codes not in the knowledge base (30 days):\n  AADSTS99999"),
        "{text}"
    );
}
