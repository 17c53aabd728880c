//! Proves `tests/fake_discord` against the real serenity 0.12.5: the payloads it builds
//! deserialize in serenity's model, its REST answers deserialize in serenity's `Http`, and an
//! in-process serenity client connects, receives dispatches and gets its replies recorded.
//!
//! Debug a silent drop with `RUST_LOG=serenity=debug cargo test --test fake_discord_smoke`.

mod fake_discord;

use std::time::Duration;

use fake_discord::*;
use serde_json::{json, Value};
use serenity::all::{
    ApplicationId, Channel, ChannelId, ChannelType, ClientBuilder, Command, CommandType, Context,
    CreateActionRow, CreateAllowedMentions, CreateAttachment, CreateAutocompleteResponse,
    CreateButton, CreateCommand, CreateEmbed, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse, EditMessage, EventHandler, GatewayIntents, GuildId, Http, HttpBuilder,
    Interaction, Message, Permissions, RoleId,
};
use serenity::async_trait;
use serenity::http::HttpError;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const TOKEN: &str = "fake-token-for-tests";
const T: Duration = DEFAULT_TIMEOUT;

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

fn http_for(fake: &FakeDiscord) -> Http {
    HttpBuilder::new(TOKEN)
        .proxy(fake.api_url())
        .ratelimiter_disabled(true)
        .build()
}

/// The HTTP status of a serenity error, when Discord (the fake) answered one.
fn http_status(err: &serenity::Error) -> Option<u16> {
    match err {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(resp)) => {
            Some(resp.status_code.as_u16())
        }
        _ => None,
    }
}

fn messages_path(channel_id: u64) -> String {
    format!("/channels/{channel_id}/messages")
}

fn callback_path(interaction: &Value) -> String {
    let token = interaction["token"].as_str().expect("interaction token");
    format!("/interactions/{}/{token}/callback", id_of(interaction))
}

// ---------------------------------------------------------------------------------------------
// Payload builders vs serenity's model (no network)
// ---------------------------------------------------------------------------------------------

#[test]
fn gateway_payloads_deserialize_in_serenity() {
    let world = World::default();
    let all: Vec<&FakeGuild> = world.guilds.iter().collect();
    let ready = world.ready_payload("s1", "ws://127.0.0.1:1", json!([0, 1]), &all);
    validate_event("READY", &ready).unwrap();
    for guild in &world.guilds {
        validate_event("GUILD_CREATE", &world.guild_create_payload(guild)).unwrap();
    }

    let main = world.guild(GUILD_ID).unwrap();
    let parsed: serenity::model::event::GuildCreateEvent =
        parse_as(&world.guild_create_payload(main)).unwrap();
    let guild = parsed.guild;
    let thread = guild
        .threads
        .iter()
        .find(|t| t.id.get() == THREAD_IN_HELP)
        .unwrap();
    assert_eq!(thread.parent_id, Some(ChannelId::new(CHANNEL_HELP)));
    let post = guild
        .threads
        .iter()
        .find(|t| t.id.get() == FORUM_POST)
        .unwrap();
    assert_eq!(post.parent_id, Some(ChannelId::new(FORUM_CHANNEL)));
    assert_eq!(
        guild.channels[&ChannelId::new(FORUM_CHANNEL)].kind,
        ChannelType::Forum
    );
    assert!(guild.members.contains_key(&BOT_USER_ID.into()));

    let file = attachment(
        "signin.log",
        "http://127.0.0.1:1/attachments/x",
        10,
        "text/plain",
    );
    let authors = [Author::member(), Author::other_bot(), Author::webhook()];
    for author in &authors {
        let msg = message_create(CHANNEL_HELP, Some(GUILD_ID), author, "AADSTS50076", vec![]);
        validate_event("MESSAGE_CREATE", &msg).unwrap();
    }
    let with_file = message_create(
        CHANNEL_HELP,
        Some(GUILD_ID),
        &Author::member(),
        "",
        vec![file],
    );
    let parsed: Message = parse_as(&with_file).unwrap();
    assert_eq!(parsed.attachments[0].filename, "signin.log");
    let dm = message_create(
        next_snowflake(),
        None,
        &Author::member(),
        "AADSTS50058",
        vec![],
    );
    validate_event("MESSAGE_CREATE", &dm).unwrap();
    let webhook: Message = parse_as(&message_create(
        CHANNEL_HELP,
        Some(GUILD_ID),
        &Author::webhook(),
        "x",
        vec![],
    ))
    .unwrap();
    assert!(webhook.author.bot && webhook.webhook_id.is_some());

    let original = message_create(
        THREAD_IN_HELP,
        Some(GUILD_ID),
        &Author::member(),
        "a",
        vec![],
    );
    validate_event("MESSAGE_UPDATE", &message_update(&original, "AADSTS50076")).unwrap();
    let delete = message_delete(THREAD_IN_HELP, Some(GUILD_ID), id_of(&original));
    validate_event("MESSAGE_DELETE", &delete).unwrap();
}

#[test]
fn interaction_payloads_deserialize_in_serenity() {
    let world = World::default();
    let admin = Invoker::admin(CHANNEL_HELP);
    let member = Invoker::member(THREAD_IN_HELP);

    let slash = world.slash_command(
        &admin,
        "aadsts-config",
        vec![opt_subcommand(
            "enable",
            vec![opt_channel("channel", CHANNEL_HELP)],
        )],
    );
    let Interaction::Command(cmd) = parse_as::<Interaction>(&slash).unwrap() else {
        panic!("not a command")
    };
    let perms = cmd.member.as_ref().unwrap().permissions.unwrap();
    assert!(perms.contains(Permissions::MANAGE_GUILD));
    assert_eq!(cmd.user.id.get(), ADMIN_USER_ID);

    let plain = world.slash_command(&member, "aadsts", vec![opt_string("query", "50076")]);
    let Interaction::Command(cmd) = parse_as::<Interaction>(&plain).unwrap() else {
        panic!("not a command")
    };
    assert!(!cmd
        .member
        .unwrap()
        .permissions
        .unwrap()
        .contains(Permissions::MANAGE_GUILD));
    assert_eq!(
        cmd.channel.unwrap().parent_id,
        Some(ChannelId::new(CHANNEL_HELP))
    );

    let auto = world.autocomplete(&member, "aadsts", vec![opt_focused("query", "5007")]);
    let Interaction::Autocomplete(auto) = parse_as::<Interaction>(&auto).unwrap() else {
        panic!("not autocomplete")
    };
    assert_eq!(auto.data.autocomplete().unwrap().value, "5007");

    let target = message_create(CHANNEL_HELP, Some(GUILD_ID), &Author::member(), "x", vec![]);
    let menu = world.message_command(&member, "Explain error codes", &target);
    let Interaction::Command(menu) = parse_as::<Interaction>(&menu).unwrap() else {
        panic!("not a command")
    };
    assert_eq!(menu.data.kind, CommandType::Message);
    assert_eq!(menu.data.resolved.messages.len(), 1);

    let bot_msg = message_create(
        CHANNEL_HELP,
        Some(GUILD_ID),
        &Author::other_bot(),
        "x",
        vec![],
    );
    for click in [Click::button("more"), Click::select("pick", &["50076"])] {
        let payload = world.component_click(&member, &bot_msg, &click);
        validate_event("INTERACTION_CREATE", &payload).unwrap();
    }

    let in_dm = Invoker::dm(member_user(), next_snowflake());
    let dm = world.slash_command(&in_dm, "aadsts", vec![opt_string("query", "50058")]);
    let Interaction::Command(dm) = parse_as::<Interaction>(&dm).unwrap() else {
        panic!("not a command")
    };
    assert!(dm.guild_id.is_none());
    assert_eq!(dm.user.id.get(), MEMBER_USER_ID);
}

#[test]
fn validate_event_reports_what_serenity_would_drop() {
    let world = World::default();
    let mut broken = world.slash_command(&Invoker::member(CHANNEL_HELP), "aadsts", vec![]);
    broken
        .as_object_mut()
        .unwrap()
        .remove("attachment_size_limit");
    let err = validate_event("INTERACTION_CREATE", &broken).unwrap_err();
    assert!(err.contains("attachment_size_limit"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// REST answers vs serenity's Http (no gateway)
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_answers_deserialize_in_serenity_http() {
    init_tracing();
    let fake = FakeDiscord::start().await;
    let http = http_for(&fake);

    assert_eq!(http.get_gateway().await.unwrap().url, fake.gateway_url());
    assert_eq!(http.get_bot_gateway().await.unwrap().shards, 1);
    assert_eq!(http.get_current_user().await.unwrap().id.get(), BOT_USER_ID);
    let app = http.get_current_application_info().await.unwrap();
    assert_eq!(app.id.get(), APPLICATION_ID);
    assert_eq!(app.owner.unwrap().id.get(), OWNER_USER_ID);

    let Channel::Guild(thread) = http
        .get_channel(ChannelId::new(THREAD_IN_HELP))
        .await
        .unwrap()
    else {
        panic!("thread is a guild channel")
    };
    assert_eq!(thread.parent_id, Some(ChannelId::new(CHANNEL_HELP)));
    assert_eq!(thread.guild_id.get(), GUILD_ID);
    let guild = http.get_guild(GuildId::new(GUILD_ID)).await.unwrap();
    assert!(guild.roles.contains_key(&ROLE_ADMIN.into()));
    let admin = http
        .get_member(GuildId::new(GUILD_ID), ADMIN_USER_ID.into())
        .await
        .unwrap();
    assert_eq!(admin.roles, vec![RoleId::new(ROLE_ADMIN)]);
    let missing = http.get_channel(ChannelId::new(42)).await.unwrap_err();
    assert_eq!(http_status(&missing), Some(404));

    // A message with an embed, a button and a reply reference; then edit and delete it.
    let channel = ChannelId::new(CHANNEL_HELP);
    let first = channel.say(&http, "first").await.unwrap();
    let embed = CreateEmbed::new()
        .title("AADSTS50076")
        .description("MFA")
        .field("Fix", "x", false);
    let button = CreateButton::new("more").label("More");
    let sent = channel
        .send_message(
            &http,
            CreateMessage::new()
                .embed(embed)
                .components(vec![CreateActionRow::Buttons(vec![button])])
                .reference_message(&first)
                .allowed_mentions(CreateAllowedMentions::new()),
        )
        .await
        .unwrap();
    assert_eq!(sent.embeds[0].title.as_deref(), Some("AADSTS50076"));
    assert_eq!(sent.message_reference.unwrap().message_id, Some(first.id));
    assert_eq!(sent.author.id.get(), BOT_USER_ID);
    let edited = channel
        .edit_message(&http, sent.id, EditMessage::new().content("now"))
        .await;
    assert_eq!(edited.unwrap().content, "now");
    channel.delete_message(&http, sent.id).await.unwrap();
    let again = channel.delete_message(&http, sent.id).await.unwrap_err();
    assert_eq!(http_status(&again), Some(404));

    // A multipart upload: `payload_json` is parsed, the file part is recorded and echoed.
    let upload = CreateMessage::new()
        .content("log attached")
        .add_file(CreateAttachment::bytes(
            b"AADSTS50058".to_vec(),
            "signin.log",
        ));
    let with_file = channel.send_message(&http, upload).await.unwrap();
    assert_eq!(with_file.attachments[0].filename, "signin.log");
    assert_eq!(with_file.attachments[0].size, 11);
    let recorded = fake
        .wait_for(|r| r.content() == Some("log attached"), T)
        .await
        .unwrap();
    assert_eq!(recorded.files[0].filename, "signin.log");
    assert_eq!(recorded.files[0].bytes, b"AADSTS50058");

    // Discord's refusals.
    let empty = channel
        .send_message(&http, CreateMessage::new())
        .await
        .unwrap_err();
    assert_eq!(http_status(&empty), Some(400));
    let long_title = CreateEmbed::new().title("x".repeat(300));
    let too_long = channel
        .send_message(&http, CreateMessage::new().embed(long_title))
        .await;
    assert_eq!(http_status(&too_long.unwrap_err()), Some(400));

    // Command registration echoes commands with ids, globally and per guild.
    http.set_application_id(ApplicationId::new(APPLICATION_ID));
    let slash = CreateCommand::new("aadsts").description("Explain an AADSTS code");
    let menu = CreateCommand::new("Explain error codes").kind(CommandType::Message);
    let global = Command::set_global_commands(&http, vec![slash.clone(), menu])
        .await
        .unwrap();
    assert_eq!(global.len(), 2);
    assert_eq!(fake.registered_commands(None).len(), 2);
    let guild = GuildId::new(GUILD_ID)
        .set_commands(&http, vec![slash])
        .await
        .unwrap();
    assert_eq!(guild[0].guild_id, Some(GuildId::new(GUILD_ID)));
    let bad = CreateCommand::new("Has Spaces").description("x");
    let refused = Command::set_global_commands(&http, vec![bad])
        .await
        .unwrap_err();
    assert_eq!(http_status(&refused), Some(400));

    // Every request was recorded with its answer, unknown routes included.
    let client = reqwest::Client::new();
    let unknown = client
        .get(format!("{}/api/v10/nope", fake.api_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    let body: Value = serde_json::from_slice(&unknown.bytes().await.unwrap()).unwrap();
    assert_eq!(body, json!({"message": "404: Not Found", "code": 0}));
    let url = fake.serve_file("logs/a.txt", b"AADSTS50076".to_vec(), "text/plain");
    let served = client
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&served[..], b"AADSTS50076");

    let requests = fake.requests();
    assert!(requests
        .iter()
        .any(|r| r.is("GET", "/nope") && r.status == 404));
    assert!(requests
        .iter()
        .any(|r| r.path == "/attachments/logs/a.txt" && r.status == 200));
    let post = fake
        .wait_for(
            |r| r.is("POST", &messages_path(CHANNEL_HELP)) && r.content() == Some("first"),
            T,
        )
        .await
        .unwrap();
    assert_eq!(
        post.header("authorization"),
        Some(format!("Bot {TOKEN}").as_str())
    );
    assert!(requests.windows(2).all(|w| w[0].index + 1 == w[1].index));
}

// ---------------------------------------------------------------------------------------------
// A serenity client on the fake gateway
// ---------------------------------------------------------------------------------------------

/// What the test client did, reported by its event handler.
#[derive(Debug)]
enum Seen {
    /// A MESSAGE_CREATE arrived with this content.
    Message(String),
    /// The content of the original interaction response as fetched back.
    Fetched(String),
    /// A REST call made by the handler, and the HTTP status of its failure if it failed.
    Outcome {
        step: &'static str,
        result: Result<(), Option<u16>>,
    },
}

struct Handler {
    seen: mpsc::UnboundedSender<Seen>,
}

impl Handler {
    fn report<T>(&self, step: &'static str, result: serenity::Result<T>) {
        let result = result.map(|_| ()).map_err(|e| http_status(&e));
        let _ = self.seen.send(Seen::Outcome { step, result });
    }

    /// Replies, follows up, edits, fetches, then answers a second time (Discord refuses that).
    async fn slash(&self, ctx: &Context, cmd: &serenity::all::CommandInteraction) {
        let reply = CreateInteractionResponseMessage::new()
            .content("hello")
            .allowed_mentions(CreateAllowedMentions::new());
        let response = CreateInteractionResponse::Message(reply.clone());
        self.report("respond", cmd.create_response(&ctx.http, response).await);
        let followup = CreateInteractionResponseFollowup::new().content("more");
        self.report("followup", cmd.create_followup(&ctx.http, followup).await);
        let edit = EditInteractionResponse::new().content("hello, edited");
        self.report("edit", cmd.edit_response(&ctx.http, edit).await);
        let fetched = cmd.get_response(&ctx.http).await;
        let content = fetched
            .as_ref()
            .map(|m| m.content.clone())
            .unwrap_or_default();
        self.report("get_response", fetched);
        let _ = self.seen.send(Seen::Fetched(content));
        let again = CreateInteractionResponse::Message(reply);
        self.report("respond_again", cmd.create_response(&ctx.http, again).await);
    }
}

#[async_trait]
impl EventHandler for Handler {
    async fn message(&self, ctx: Context, msg: Message) {
        let _ = self.seen.send(Seen::Message(msg.content.clone()));
        if msg.content.ends_with("ping") {
            let pong = CreateMessage::new()
                .content("pong")
                .allowed_mentions(CreateAllowedMentions::new());
            self.report("pong", msg.channel_id.send_message(&ctx, pong).await);
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        match interaction {
            Interaction::Command(cmd) if cmd.data.kind == CommandType::Message => {
                let reply = CreateInteractionResponseMessage::new()
                    .content("explained")
                    .ephemeral(true);
                let response = CreateInteractionResponse::Message(reply);
                self.report(
                    "context_menu",
                    cmd.create_response(&ctx.http, response).await,
                );
            }
            Interaction::Command(cmd) => self.slash(&ctx, &cmd).await,
            Interaction::Autocomplete(auto) => {
                let choices =
                    CreateAutocompleteResponse::new().add_string_choice("AADSTS50076", "50076");
                let response = CreateInteractionResponse::Autocomplete(choices);
                self.report(
                    "autocomplete",
                    auto.create_response(&ctx.http, response).await,
                );
            }
            Interaction::Component(click) => {
                let response = CreateInteractionResponse::Acknowledge;
                self.report(
                    "component",
                    click.create_response(&ctx.http, response).await,
                );
            }
            _ => {}
        }
    }
}

/// The handler's reports, with a buffer so a test can wait for one out of order.
struct Reports {
    rx: mpsc::UnboundedReceiver<Seen>,
    buffered: Vec<Seen>,
}

impl Reports {
    async fn wait(&mut self, pred: impl Fn(&Seen) -> bool) -> Seen {
        if let Some(i) = self.buffered.iter().position(&pred) {
            return self.buffered.remove(i);
        }
        let deadline = tokio::time::Instant::now() + T;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(seen)) if pred(&seen) => return seen,
                Ok(Some(seen)) => self.buffered.push(seen),
                _ => panic!(
                    "handler report not seen within {T:?}; got {:?}",
                    self.buffered
                ),
            }
        }
    }

    async fn outcome(&mut self, name: &str) -> Result<(), Option<u16>> {
        let seen = self
            .wait(|s| matches!(s, Seen::Outcome { step, .. } if *step == name))
            .await;
        let Seen::Outcome { result, .. } = seen else {
            unreachable!()
        };
        result
    }

    async fn message(&mut self) -> String {
        let Seen::Message(content) = self.wait(|s| matches!(s, Seen::Message(_))).await else {
            unreachable!()
        };
        content
    }
}

/// Starts an in-process serenity client on the fake, as the bot does.
async fn start_client(fake: &FakeDiscord, intents: GatewayIntents) -> (JoinHandle<()>, Reports) {
    start_client_on(fake, intents, None).await
}

/// [`start_client`] running only shard `(id, total)` when given.
async fn start_client_on(
    fake: &FakeDiscord,
    intents: GatewayIntents,
    shard: Option<(u32, u32)>,
) -> (JoinHandle<()>, Reports) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut client = ClientBuilder::new_with_http(http_for(fake), intents)
        .event_handler(Handler { seen: tx })
        .await
        .expect("serenity client builds");
    let task = tokio::spawn(async move {
        let _ = match shard {
            Some((id, total)) => client.start_shard(id, total).await,
            None => client.start().await,
        };
    });
    (
        task,
        Reports {
            rx,
            buffered: Vec::new(),
        },
    )
}

fn full_intents() -> GatewayIntents {
    GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES | GatewayIntents::MESSAGE_CONTENT
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_client_round_trip() {
    init_tracing();
    let fake = FakeDiscord::start().await;
    let (client, mut reports) = start_client(&fake, full_intents()).await;

    // IDENTIFY carries the token and the intents; the gateway URL came from GET /gateway.
    let identify = fake.wait_for_identify(T).await.unwrap();
    assert!(
        identify["token"].as_str().unwrap().ends_with(TOKEN),
        "{identify}"
    );
    assert_eq!(identify["intents"].as_u64(), Some(full_intents().bits()));
    assert!(fake.gateway_connections()[0].contains("v=10"));
    assert!(fake.requests().iter().any(|r| r.is("GET", "/gateway")));
    fake.wait_for_session(T).await.unwrap();

    // MESSAGE_CREATE "ping" -> POST .../messages "pong" without mentions.
    let general = messages_path(CHANNEL_GENERAL);
    let ping = message_create(
        CHANNEL_GENERAL,
        Some(GUILD_ID),
        &Author::member(),
        "ping",
        vec![],
    );
    fake.dispatch("MESSAGE_CREATE", ping).await;
    let pong = fake
        .wait_for(|r| r.is("POST", &general) && r.content() == Some("pong"), T)
        .await;
    let pong = pong.unwrap();
    assert_eq!(pong.status, 200);
    assert_eq!(
        pong.json.as_ref().unwrap()["allowed_mentions"]["parse"],
        json!([])
    );
    assert_eq!(reports.outcome("pong").await, Ok(()));

    // Slash command: callback, follow-up, edit and fetch of the original, refused second answer.
    let world = fake.world();
    let slash = world.slash_command(
        &Invoker::member(CHANNEL_HELP),
        "aadsts",
        vec![opt_string("query", "50076")],
    );
    fake.dispatch("INTERACTION_CREATE", slash.clone()).await;
    let callback = fake
        .wait_for(|r| r.is("POST", &callback_path(&slash)), T)
        .await
        .unwrap();
    assert_eq!(callback.status, 204);
    assert_eq!(callback.content(), Some("hello"));
    assert_eq!(reports.outcome("respond").await, Ok(()));
    assert_eq!(reports.outcome("followup").await, Ok(()));
    assert_eq!(reports.outcome("edit").await, Ok(()));
    assert_eq!(reports.outcome("get_response").await, Ok(()));
    let fetched = reports.wait(|s| matches!(s, Seen::Fetched(_))).await;
    assert!(matches!(fetched, Seen::Fetched(c) if c == "hello, edited"));
    assert_eq!(reports.outcome("respond_again").await, Err(Some(400)));

    // Autocomplete, message context menu (ephemeral) and a button click each get a callback.
    let member = Invoker::member(THREAD_IN_HELP);
    let auto = world.autocomplete(&member, "aadsts", vec![opt_focused("query", "500")]);
    let target = message_create(
        THREAD_IN_HELP,
        Some(GUILD_ID),
        &Author::member(),
        "x",
        vec![],
    );
    let menu = world.message_command(&member, "Explain error codes", &target);
    let bot_message = pong
        .response
        .clone()
        .expect("the fake answers with the message");
    assert_eq!(fake.message(id_of(&bot_message)), Some(bot_message.clone()));
    let click = world.component_click(&member, &bot_message, &Click::button("more"));
    for (payload, step) in [
        (&auto, "autocomplete"),
        (&menu, "context_menu"),
        (&click, "component"),
    ] {
        fake.dispatch("INTERACTION_CREATE", payload.clone()).await;
        let path = callback_path(payload);
        fake.wait_for(|r| r.is("POST", &path), T).await.unwrap();
        assert_eq!(reports.outcome(step).await, Ok(()), "{step}");
    }
    let body = |p: &Value| {
        let path = callback_path(p);
        fake.requests()
            .into_iter()
            .find(|r| r.is("POST", &path))
            .unwrap()
            .json
            .unwrap()
    };
    assert_eq!(body(&auto)["type"], 8);
    assert_eq!(body(&auto)["data"]["choices"][0]["value"], "50076");
    assert_eq!(body(&menu)["data"]["flags"], 64);
    assert_eq!(body(&click)["type"], 6);

    // A 429 reaches serenity as an error (its ratelimiter is off); the next send succeeds.
    fake.rate_limit_next(&general, 1);
    let mark = fake.mark();
    let ping = message_create(
        CHANNEL_GENERAL,
        Some(GUILD_ID),
        &Author::member(),
        "ping",
        vec![],
    );
    fake.dispatch("MESSAGE_CREATE", ping).await;
    let limited = fake
        .wait_for_since(mark, |r| r.is("POST", &general), T)
        .await
        .unwrap();
    assert_eq!(limited.status, 429);
    assert_eq!(reports.outcome("pong").await, Err(Some(429)));
    let ping = message_create(
        CHANNEL_GENERAL,
        Some(GUILD_ID),
        &Author::member(),
        "ping",
        vec![],
    );
    fake.dispatch("MESSAGE_CREATE", ping).await;
    let ok = fake
        .wait_for_since(mark, |r| r.is("POST", &general) && r.status == 200, T)
        .await;
    assert!(ok.is_ok());
    assert_eq!(reports.outcome("pong").await, Ok(()));

    // RECONNECT: serenity resumes on a new connection and keeps receiving dispatches.
    assert!(fake.request_reconnect());
    let resume = fake.wait_for_gateway(|f| f.op == 6, T).await.unwrap();
    assert_eq!(resume.payload["d"]["session_id"], "fake-session-1");
    fake.wait_for_session(T).await.unwrap();
    let mark = fake.mark();
    let ping = message_create(
        CHANNEL_HELP,
        Some(GUILD_ID),
        &Author::member(),
        "ping",
        vec![],
    );
    fake.dispatch("MESSAGE_CREATE", ping).await;
    let help = messages_path(CHANNEL_HELP);
    fake.wait_for_since(mark, |r| r.is("POST", &help), T)
        .await
        .unwrap();
    assert_eq!(fake.gateway_connections().len(), 2);

    client.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_message_content_intent_guild_messages_arrive_blank() {
    init_tracing();
    let fake = FakeDiscord::start().await;
    let intents = GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES;
    let (client, mut reports) = start_client(&fake, intents).await;
    fake.wait_for_session(T).await.unwrap();

    let plain = message_create(
        CHANNEL_HELP,
        Some(GUILD_ID),
        &Author::member(),
        "AADSTS50076",
        vec![],
    );
    fake.dispatch("MESSAGE_CREATE", plain).await;
    assert_eq!(reports.message().await, "");

    let text = format!("<@{BOT_USER_ID}> ping");
    let mention = message_create(
        CHANNEL_HELP,
        Some(GUILD_ID),
        &Author::member(),
        &text,
        vec![],
    );
    fake.dispatch("MESSAGE_CREATE", mention.clone()).await;
    assert_eq!(reports.message().await, text);
    assert_eq!(reports.outcome("pong").await, Ok(()));

    // The fake keeps what Discord has, not the blanked copy.
    let stored = fake.message(id_of(&mention)).unwrap();
    assert_eq!(stored["content"], text);
    client.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_shard_session_gets_the_events_of_its_guilds() {
    init_tracing();
    assert_eq!(shard_of_guild(SHARD0_GUILD_ID, 2), 0);
    assert_eq!(shard_of_guild(GUILD_ID, 2), 1);
    assert_eq!(shard_of_guild(OTHER_GUILD_ID, 2), 1);
    let fake = FakeDiscord::start_with(World::two_shards()).await;
    assert_eq!(http_for(&fake).get_bot_gateway().await.unwrap().shards, 2);
    let (first, mut on0) = start_client_on(&fake, full_intents(), Some((0, 2))).await;
    let (second, mut on1) = start_client_on(&fake, full_intents(), Some((1, 2))).await;
    fake.wait_for_shard_session(0, T).await.unwrap();
    fake.wait_for_shard_session(1, T).await.unwrap();
    assert_eq!(fake.shard_sessions(), vec![(0, 2), (1, 2)]);

    let post = |channel, guild, text: &str| {
        message_create(channel, Some(guild), &Author::member(), text, vec![])
    };
    fake.dispatch(
        "MESSAGE_CREATE",
        post(CHANNEL_HELP, GUILD_ID, "for shard 1"),
    )
    .await;
    fake.dispatch(
        "MESSAGE_CREATE",
        post(SHARD0_CHANNEL, SHARD0_GUILD_ID, "for shard 0"),
    )
    .await;
    assert_eq!(on1.message().await, "for shard 1");
    // A session sees its events in order: shard 0's first message is its own, not shard 1's.
    assert_eq!(on0.message().await, "for shard 0");

    // An event sent on a named shard reaches that session whatever its guild.
    fake.dispatch_on_shard(
        1,
        "MESSAGE_CREATE",
        post(SHARD0_CHANNEL, SHARD0_GUILD_ID, "handed over"),
    )
    .await;
    assert_eq!(on1.message().await, "handed over");
    fake.dispatch(
        "MESSAGE_CREATE",
        post(SHARD0_CHANNEL, SHARD0_GUILD_ID, "barrier"),
    )
    .await;
    assert_eq!(on0.message().await, "barrier");
    first.abort();
    second.abort();
}
