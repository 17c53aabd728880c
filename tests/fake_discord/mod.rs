//! A fake Discord for integration tests: REST (axum) and gateway (tokio-tungstenite), both on
//! `127.0.0.1` with ephemeral ports, shut down when the [`FakeDiscord`] is dropped.
//!
//! # Using it
//! ```ignore
//! mod fake_discord;
//! use fake_discord::*;
//!
//! let fake = FakeDiscord::start().await;
//! // start the bot with DISCORD_API_URL=fake.api_url() and any DISCORD_TOKEN
//! fake.wait_for_session(DEFAULT_TIMEOUT).await?;
//! let msg = message_create(CHANNEL_HELP, Some(GUILD_ID), &Author::member(), "AADSTS50076", vec![]);
//! fake.dispatch("MESSAGE_CREATE", msg).await;
//! let path = format!("/channels/{CHANNEL_HELP}/messages");
//! let reply = fake.wait_for(|r| r.is("POST", &path), DEFAULT_TIMEOUT).await?;
//! ```
//!
//! # What it models
//! - **REST** (`{api_url}/api/v10/...`): every request is recorded in arrival order
//!   ([`FakeDiscord::requests`], [`FakeDiscord::wait_for`]) with the status the fake answered.
//!   Responses are what serenity 0.12.5 deserializes: messages, channels, the current user and
//!   application, application commands, interaction callbacks and webhook (follow-up / original
//!   response) messages. Messages the bot sends are kept, so it can edit, fetch and delete them.
//!   Unknown routes answer `404 {"message":"404: Not Found","code":0}`.
//! - **Discord's refusals** that catch bot bugs: an empty message (50006), content over 2000
//!   characters or embeds over Discord's limits (50035), a second acknowledgement of the same
//!   interaction (40060), an unknown message/channel/interaction/webhook (10008/10003/10062/10015),
//!   and 429s on demand ([`FakeDiscord::rate_limit_next`]).
//! - **Gateway** (`ws://127.0.0.1:PORT`, returned by `GET /gateway` and `/gateway/bot`): HELLO,
//!   heartbeat ACK, IDENTIFY -> READY + one GUILD_CREATE per guild of the [`World`], RESUME ->
//!   RESUMED, and [`FakeDiscord::dispatch`] for any event. Frames are plain JSON text.
//! - **Message Content intent**: when the IDENTIFY lacks `MESSAGE_CONTENT`, guild messages that
//!   don't mention the bot are delivered with empty content, embeds, attachments and components.
//!
//! # Why `dispatch` validates
//! serenity silently drops (or turns into `Event::Unknown`) a dispatch it cannot deserialize.
//! [`FakeDiscord::dispatch`] therefore parses each payload with serenity's own model first and
//! panics with serde's error; [`FakeDiscord::dispatch_unchecked`] skips that on purpose.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use serenity::model::Permissions;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::{AbortHandle, JoinHandle};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response as WsResponse};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as WsMessage;

mod gateway;

// Not every test file routes by shard.
use gateway::{accept_gateway, GatewayState};
#[allow(unused_imports)]
pub use gateway::{shard_of_guild, GatewayFrame};

// ---------------------------------------------------------------------------------------------
// The default world: ids are constants so tests can name them.
// ---------------------------------------------------------------------------------------------

/// Timeout the helpers use when a test has no better one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// HELLO's heartbeat interval: long, so heartbeats don't interleave with a short test.
pub const HEARTBEAT_INTERVAL_MS: u64 = 45_000;
/// `attachment_size_limit` sent in interactions (Discord's default 25 MiB).
pub const ATTACHMENT_SIZE_LIMIT: u64 = 26_214_400;

/// The bot's user id (READY's `user.id`).
pub const BOT_USER_ID: u64 = 1_100_000_000_000_000_001;
/// The application id (READY's `application.id`); deliberately different from the user id.
pub const APPLICATION_ID: u64 = 1_100_000_000_000_000_002;
/// Owner of the application and of [`GUILD_ID`] (implicitly has every permission).
pub const OWNER_USER_ID: u64 = 1_100_000_000_000_000_003;
/// A member holding the "Admins" role (Manage Server).
pub const ADMIN_USER_ID: u64 = 1_100_000_000_000_000_004;
/// A plain member.
pub const MEMBER_USER_ID: u64 = 1_100_000_000_000_000_005;
/// Another bot in the guild.
pub const OTHER_BOT_USER_ID: u64 = 1_100_000_000_000_000_006;
/// A webhook posting in the guild.
pub const WEBHOOK_ID: u64 = 1_100_000_000_000_000_007;

/// The main guild.
pub const GUILD_ID: u64 = 1_200_000_000_000_000_001;
/// Text channel `#general`.
pub const CHANNEL_GENERAL: u64 = 1_200_000_000_000_000_011;
/// Text channel `#entra-help`.
pub const CHANNEL_HELP: u64 = 1_200_000_000_000_000_012;
/// Text channel `#off-topic`.
pub const CHANNEL_OFFTOPIC: u64 = 1_200_000_000_000_000_013;
/// Public thread whose parent is [`CHANNEL_HELP`].
pub const THREAD_IN_HELP: u64 = 1_200_000_000_000_000_014;
/// Forum channel `#sign-in-issues`.
pub const FORUM_CHANNEL: u64 = 1_200_000_000_000_000_015;
/// A post (public thread) in [`FORUM_CHANNEL`].
pub const FORUM_POST: u64 = 1_200_000_000_000_000_016;
/// Role "Admins" (Manage Server) in [`GUILD_ID`]; `@everyone` has the guild's id.
pub const ROLE_ADMIN: u64 = 1_200_000_000_000_000_021;
/// The bot's managed role in [`GUILD_ID`].
pub const ROLE_BOT: u64 = 1_200_000_000_000_000_022;
/// A second guild, to check that per-server settings stay apart.
pub const OTHER_GUILD_ID: u64 = 1_200_000_000_000_000_101;
/// Text channel `#general` of [`OTHER_GUILD_ID`].
pub const OTHER_GUILD_CHANNEL: u64 = 1_200_000_000_000_000_111;
/// The guild of [`World::two_shards`] on shard 0 of 2 (the default world's guilds are on 1).
pub const SHARD0_GUILD_ID: u64 = 1_200_000_000_004_194_305;
/// Text channel `#entra-help` of [`SHARD0_GUILD_ID`].
pub const SHARD0_CHANNEL: u64 = 1_200_000_000_004_194_315;
/// Role "Admins" (Manage Server) in [`SHARD0_GUILD_ID`].
pub const SHARD0_ROLE_ADMIN: u64 = 1_200_000_000_004_194_321;

const MESSAGE_CONTENT_INTENT: u64 = 1 << 15;
/// Application flags in READY: GATEWAY_MESSAGE_CONTENT_LIMITED | APPLICATION_COMMAND_BADGE.
const APPLICATION_FLAGS: u64 = (1 << 19) | (1 << 23);
const EPHEMERAL_FLAG: u64 = 1 << 6;
const LOADING_FLAG: u64 = 1 << 7;

static NEXT_SNOWFLAKE: AtomicU64 = AtomicU64::new(1_400_000_000_000_000_000);

/// A fresh, process-wide unique snowflake (above every id of the default world).
pub fn next_snowflake() -> u64 {
    NEXT_SNOWFLAKE.fetch_add(1, Ordering::Relaxed)
}

/// Permissions of `@everyone` in the default world: read, write, embed, attach, use commands.
pub fn member_permissions() -> Permissions {
    Permissions::VIEW_CHANNEL
        | Permissions::SEND_MESSAGES
        | Permissions::SEND_MESSAGES_IN_THREADS
        | Permissions::CREATE_PUBLIC_THREADS
        | Permissions::READ_MESSAGE_HISTORY
        | Permissions::EMBED_LINKS
        | Permissions::ATTACH_FILES
        | Permissions::ADD_REACTIONS
        | Permissions::USE_EXTERNAL_EMOJIS
        | Permissions::USE_APPLICATION_COMMANDS
}

/// Member permissions plus Manage Server (what `/aadsts-config` requires).
pub fn admin_permissions() -> Permissions {
    member_permissions() | Permissions::MANAGE_GUILD
}

/// The current time as Discord formats it (RFC 3339).
pub fn now_timestamp() -> String {
    serenity::model::Timestamp::now().to_string()
}

/// Reads a snowflake (`"123"` or `123`) at `pointer` (e.g. `"/id"`) in a payload.
pub fn id_at(value: &Value, pointer: &str) -> Option<u64> {
    match value.pointer(pointer)? {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// The `id` of a payload (message, interaction, ...). Panics when it has none.
pub fn id_of(value: &Value) -> u64 {
    id_at(value, "/id").unwrap_or_else(|| panic!("payload has no id: {value}"))
}

// ---------------------------------------------------------------------------------------------
// World model
// ---------------------------------------------------------------------------------------------

/// A Discord user as the fake renders it.
#[derive(Clone, Debug, PartialEq)]
pub struct FakeUser {
    pub id: u64,
    pub name: String,
    pub bot: bool,
}

impl FakeUser {
    /// A human user.
    pub fn human(id: u64, name: &str) -> Self {
        Self {
            id,
            name: name.to_string(),
            bot: false,
        }
    }

    /// A bot user.
    pub fn bot(id: u64, name: &str) -> Self {
        Self {
            id,
            name: name.to_string(),
            bot: true,
        }
    }

    /// The user object Discord sends.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "username": self.name,
            "discriminator": "0",
            "global_name": if self.bot { Value::Null } else { json!(self.name) },
            "avatar": null,
            "bot": self.bot,
            "system": false,
            "public_flags": 0,
        })
    }
}

/// Channel types the world uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    Text,
    Announcement,
    Forum,
    PublicThread,
    PrivateThread,
}

impl ChannelKind {
    /// Discord's numeric channel type.
    pub fn code(self) -> u8 {
        match self {
            Self::Text => 0,
            Self::Announcement => 5,
            Self::PublicThread => 11,
            Self::PrivateThread => 12,
            Self::Forum => 15,
        }
    }

    /// Threads go into GUILD_CREATE's `threads`, everything else into `channels`.
    pub fn is_thread(self) -> bool {
        matches!(self, Self::PublicThread | Self::PrivateThread)
    }
}

/// A channel or thread of a guild.
#[derive(Clone, Debug)]
pub struct FakeChannel {
    pub id: u64,
    pub name: String,
    pub kind: ChannelKind,
    /// Parent channel of a thread (or category of a channel).
    pub parent_id: Option<u64>,
    /// Created after the bot connected: not in GUILD_CREATE, known only
    /// through REST (`GET /channels/{id}`).
    pub late: bool,
}

impl FakeChannel {
    /// A text channel.
    pub fn text(id: u64, name: &str) -> Self {
        Self {
            id,
            name: name.to_string(),
            kind: ChannelKind::Text,
            parent_id: None,
            late: false,
        }
    }

    /// A forum channel.
    pub fn forum(id: u64, name: &str) -> Self {
        Self {
            id,
            name: name.to_string(),
            kind: ChannelKind::Forum,
            parent_id: None,
            late: false,
        }
    }

    /// A public thread (or forum post) under `parent_id`.
    pub fn thread(id: u64, name: &str, parent_id: u64) -> Self {
        Self {
            id,
            name: name.to_string(),
            kind: ChannelKind::PublicThread,
            parent_id: Some(parent_id),
            late: false,
        }
    }

    /// A public thread created after the bot connected (see [`Self::late`]).
    pub fn late_thread(id: u64, name: &str, parent_id: u64) -> Self {
        Self {
            late: true,
            ..Self::thread(id, name, parent_id)
        }
    }
}

/// A guild role. The `@everyone` role has the guild's id.
#[derive(Clone, Debug)]
pub struct FakeRole {
    pub id: u64,
    pub name: String,
    pub permissions: Permissions,
    pub position: u16,
    /// Set for a bot's managed role.
    pub bot_id: Option<u64>,
}

/// A guild member.
#[derive(Clone, Debug)]
pub struct FakeMember {
    pub user: FakeUser,
    pub roles: Vec<u64>,
}

/// A guild with its channels (threads included), roles and members.
#[derive(Clone, Debug)]
pub struct FakeGuild {
    pub id: u64,
    pub name: String,
    pub owner_id: u64,
    pub channels: Vec<FakeChannel>,
    pub roles: Vec<FakeRole>,
    pub members: Vec<FakeMember>,
}

impl FakeGuild {
    /// A guild with `@everyone` (member permissions), the bot's managed role and the bot as member.
    pub fn new(id: u64, name: &str, bot: &FakeUser, bot_role_id: u64) -> Self {
        let everyone = FakeRole {
            id,
            name: "@everyone".into(),
            permissions: member_permissions(),
            position: 0,
            bot_id: None,
        };
        let bot_role = FakeRole {
            id: bot_role_id,
            name: bot.name.clone(),
            permissions: member_permissions() | Permissions::MANAGE_MESSAGES,
            position: 2,
            bot_id: Some(bot.id),
        };
        Self {
            id,
            name: name.to_string(),
            owner_id: OWNER_USER_ID,
            channels: Vec::new(),
            roles: vec![everyone, bot_role],
            members: vec![FakeMember {
                user: bot.clone(),
                roles: vec![bot_role_id],
            }],
        }
    }

    /// The channel or thread with this id.
    pub fn channel(&self, id: u64) -> Option<&FakeChannel> {
        self.channels.iter().find(|c| c.id == id)
    }
}

/// Everything the fake knows up front: the bot, its application and the guilds it is in.
#[derive(Clone, Debug)]
pub struct World {
    pub bot: FakeUser,
    pub application_id: u64,
    pub application_name: String,
    pub owner: FakeUser,
    pub guilds: Vec<FakeGuild>,
    /// Whether the application has the Message Content intent turned on in
    /// the developer portal. When not, an IDENTIFY asking for it is closed
    /// with 4014 (disallowed intents), as Discord does.
    pub message_content_allowed: bool,
    /// The shard count `GET /gateway/bot` recommends (what `SHARDS=auto` runs).
    pub shards: u64,
}

impl Default for World {
    /// [`GUILD_ID`] with `#general`, `#entra-help` (+ [`THREAD_IN_HELP`]), `#off-topic` and the
    /// forum [`FORUM_CHANNEL`] (+ post [`FORUM_POST`]); members owner, admin, member, another bot.
    /// [`OTHER_GUILD_ID`] with [`OTHER_GUILD_CHANNEL`].
    fn default() -> Self {
        let bot = FakeUser::bot(BOT_USER_ID, "aadsts-bot");
        let owner = owner_user();
        let mut main = FakeGuild::new(GUILD_ID, "Contoso Identity", &bot, ROLE_BOT);
        main.channels = vec![
            FakeChannel::text(CHANNEL_GENERAL, "general"),
            FakeChannel::text(CHANNEL_HELP, "entra-help"),
            FakeChannel::text(CHANNEL_OFFTOPIC, "off-topic"),
            FakeChannel::thread(
                THREAD_IN_HELP,
                "MFA loop after password reset",
                CHANNEL_HELP,
            ),
            FakeChannel::forum(FORUM_CHANNEL, "sign-in-issues"),
            FakeChannel::thread(FORUM_POST, "AADSTS50076 on every login", FORUM_CHANNEL),
        ];
        main.roles.push(FakeRole {
            id: ROLE_ADMIN,
            name: "Admins".into(),
            permissions: Permissions::MANAGE_GUILD,
            position: 1,
            bot_id: None,
        });
        main.members.extend([
            FakeMember {
                user: owner.clone(),
                roles: vec![],
            },
            FakeMember {
                user: admin_user(),
                roles: vec![ROLE_ADMIN],
            },
            FakeMember {
                user: member_user(),
                roles: vec![],
            },
            FakeMember {
                user: other_bot_user(),
                roles: vec![],
            },
        ]);

        let mut other = FakeGuild::new(OTHER_GUILD_ID, "Fabrikam", &bot, next_snowflake());
        other.channels = vec![FakeChannel::text(OTHER_GUILD_CHANNEL, "general")];
        other.members.push(FakeMember {
            user: member_user(),
            roles: vec![],
        });

        Self {
            bot,
            application_id: APPLICATION_ID,
            application_name: "aadsts-bot".into(),
            owner,
            guilds: vec![main, other],
            message_content_allowed: true,
            shards: 1,
        }
    }
}

/// The application (and guild) owner.
pub fn owner_user() -> FakeUser {
    FakeUser::human(OWNER_USER_ID, "owner")
}

/// A member with Manage Server (via the "Admins" role).
pub fn admin_user() -> FakeUser {
    FakeUser::human(ADMIN_USER_ID, "admin")
}

/// A plain member.
pub fn member_user() -> FakeUser {
    FakeUser::human(MEMBER_USER_ID, "alice")
}

/// Another bot in the guild.
pub fn other_bot_user() -> FakeUser {
    FakeUser::bot(OTHER_BOT_USER_ID, "other-bot")
}

impl World {
    /// The default world split over two shards: [`GUILD_ID`] and [`OTHER_GUILD_ID`] are on
    /// shard 1, and [`SHARD0_GUILD_ID`] (channel [`SHARD0_CHANNEL`], the same members as
    /// [`GUILD_ID`]) is on shard 0. `GET /gateway/bot` recommends 2 shards.
    pub fn two_shards() -> Self {
        let mut world = Self::default();
        let mut guild = FakeGuild::new(SHARD0_GUILD_ID, "Northwind", &world.bot, next_snowflake());
        guild.channels = vec![FakeChannel::text(SHARD0_CHANNEL, "entra-help")];
        guild.roles.push(FakeRole {
            id: SHARD0_ROLE_ADMIN,
            name: "Admins".into(),
            permissions: Permissions::MANAGE_GUILD,
            position: 1,
            bot_id: None,
        });
        guild.members.extend([
            FakeMember {
                user: admin_user(),
                roles: vec![SHARD0_ROLE_ADMIN],
            },
            FakeMember {
                user: member_user(),
                roles: vec![],
            },
        ]);
        world.guilds.push(guild);
        world.shards = 2;
        world
    }

    /// The guild with this id.
    pub fn guild(&self, id: u64) -> Option<&FakeGuild> {
        self.guilds.iter().find(|g| g.id == id)
    }

    /// A channel or thread of any guild, with its guild.
    pub fn channel(&self, id: u64) -> Option<(&FakeGuild, &FakeChannel)> {
        self.guilds
            .iter()
            .find_map(|g| g.channel(id).map(|c| (g, c)))
    }

    /// READY's `d` for a session.
    pub fn ready_payload(
        &self,
        session_id: &str,
        resume_url: &str,
        shard: Value,
        guilds: &[&FakeGuild],
    ) -> Value {
        let guilds: Vec<Value> = guilds
            .iter()
            .map(|g| json!({"id": g.id.to_string(), "unavailable": true}))
            .collect();
        json!({
            "v": 10,
            "user": self.bot_current_user_json(),
            "guilds": guilds,
            "session_id": session_id,
            "resume_gateway_url": resume_url,
            "shard": shard,
            "application": {"id": self.application_id.to_string(), "flags": APPLICATION_FLAGS},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "session_type": "normal",
        })
    }

    /// The guild object (`GET /guilds/{id}`, serenity's `PartialGuild`), roles included.
    pub fn guild_json(&self, guild: &FakeGuild) -> Value {
        let roles: Vec<Value> = guild.roles.iter().map(role_json).collect();
        json!({
            "id": guild.id.to_string(),
            "name": guild.name,
            "icon": null, "icon_hash": null, "splash": null, "discovery_splash": null,
            "owner_id": guild.owner_id.to_string(),
            "afk_channel_id": null, "afk_timeout": 300,
            "widget_enabled": false, "widget_channel_id": null,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": roles,
            "emojis": [],
            "features": [],
            "mfa_level": 0,
            "application_id": null,
            "system_channel_id": null, "system_channel_flags": 0,
            "rules_channel_id": null,
            "max_presences": null, "max_members": 500000,
            "vanity_url_code": null, "description": null, "banner": null,
            "premium_tier": 0, "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": null,
            "max_video_channel_users": 25, "max_stage_video_channel_users": 50,
            "nsfw_level": 0,
            "stickers": [],
            "premium_progress_bar_enabled": false,
            "safety_alerts_channel_id": null,
            "incidents_data": null,
        })
    }

    /// GUILD_CREATE's `d` for a guild: the guild object plus channels, threads and members.
    pub fn guild_create_payload(&self, guild: &FakeGuild) -> Value {
        let (threads, channels): (Vec<&FakeChannel>, Vec<&FakeChannel>) = guild
            .channels
            .iter()
            .filter(|c| !c.late)
            .partition(|c| c.kind.is_thread());
        let channels: Vec<Value> = channels
            .iter()
            .enumerate()
            .map(|(i, c)| channel_json(guild.id, c, i))
            .collect();
        let threads: Vec<Value> = threads
            .iter()
            .map(|c| channel_json(guild.id, c, 0))
            .collect();
        let members: Vec<Value> = guild.members.iter().map(member_json).collect();
        let mut payload = self.guild_json(guild);
        // Discord's GUILD_CREATE "extra fields".
        let extra = json!({
            "joined_at": now_timestamp(),
            "large": false,
            "unavailable": false,
            "member_count": members.len(),
            "voice_states": [],
            "members": members,
            "channels": channels,
            "threads": threads,
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "lazy": true,
        });
        merge(&mut payload, extra);
        payload
    }

    /// The bot as `GET /users/@me` and READY return it.
    pub fn bot_current_user_json(&self) -> Value {
        let mut user = self.bot.to_json();
        user["verified"] = json!(true);
        user["mfa_enabled"] = json!(false);
        user["flags"] = json!(0);
        user["email"] = Value::Null;
        user
    }

    /// `GET /oauth2/applications/@me` (and `/applications/@me`).
    pub fn application_json(&self) -> Value {
        json!({
            "id": self.application_id.to_string(),
            "name": self.application_name,
            "icon": null,
            "description": "Explains AADSTS error codes",
            "summary": "",
            "type": null,
            "hook": true,
            "rpc_origins": [],
            "bot_public": true,
            "bot_require_code_grant": false,
            "terms_of_service_url": null,
            "privacy_policy_url": null,
            "owner": self.owner.to_json(),
            "verify_key": "0".repeat(64),
            "team": null,
            "flags": APPLICATION_FLAGS,
            "tags": [],
            "bot": self.bot.to_json(),
            "approximate_guild_count": self.guilds.len(),
            "redirect_uris": [],
            "interactions_endpoint_url": null,
            "role_connections_verification_url": null,
        })
    }

    /// A slash command (interaction type 2, command type 1) with `options`
    /// (see [`opt_string`], [`opt_subcommand`], ...).
    /// Like Discord, channel options come with `resolved.channels`.
    pub fn slash_command(&self, invoker: &Invoker, name: &str, options: Vec<Value>) -> Value {
        let mut channels = serde_json::Map::new();
        self.resolve_channels(&options, &mut channels);
        let mut data = json!({
            "id": next_snowflake().to_string(), "name": name, "type": 1, "options": options,
        });
        if !channels.is_empty() {
            data["resolved"] = json!({ "channels": channels });
        }
        self.interaction(invoker, 2, data, None)
    }

    fn resolve_channels(&self, options: &[Value], out: &mut serde_json::Map<String, Value>) {
        for opt in options {
            if opt["type"] == 7 {
                if let Some(id) = opt["value"].as_str() {
                    let (name, kind, parent) = match id.parse().ok().and_then(|id| self.channel(id))
                    {
                        Some((_, c)) => (
                            c.name.clone(),
                            c.kind.code(),
                            c.parent_id.map(|p| p.to_string()),
                        ),
                        None => ("unknown".to_owned(), 0, None),
                    };
                    out.insert(
                        id.to_owned(),
                        json!({"id": id, "name": name, "type": kind, "permissions": "0", "parent_id": parent}),
                    );
                }
            }
            if let Some(nested) = opt["options"].as_array() {
                self.resolve_channels(nested, out);
            }
        }
    }

    /// An autocomplete interaction (type 4); exactly one option should come from [`opt_focused`].
    pub fn autocomplete(&self, invoker: &Invoker, name: &str, options: Vec<Value>) -> Value {
        let data = json!({
            "id": next_snowflake().to_string(), "name": name, "type": 1, "options": options,
        });
        self.interaction(invoker, 4, data, None)
    }

    /// A message context-menu command (type 2, command type 3) on `target` (a message object,
    /// e.g. from [`message_create`]), carried in `data.resolved.messages`.
    pub fn message_command(&self, invoker: &Invoker, name: &str, target: &Value) -> Value {
        let target_id = id_of(target).to_string();
        let data = json!({
            "id": next_snowflake().to_string(),
            "name": name,
            "type": 3,
            "target_id": target_id,
            "resolved": {"messages": {target_id.clone(): target}},
        });
        self.interaction(invoker, 2, data, None)
    }

    /// A component interaction (type 3) on `message` (a message the bot sent, e.g. from
    /// [`FakeDiscord::message`] or a recorded response).
    pub fn component_click(&self, invoker: &Invoker, message: &Value, click: &Click) -> Value {
        let data = match click {
            Click::Button { custom_id } => json!({"custom_id": custom_id, "component_type": 2}),
            Click::StringSelect { custom_id, values } => {
                json!({"custom_id": custom_id, "component_type": 3, "values": values})
            }
        };
        self.interaction(invoker, 3, data, Some(message))
    }

    fn interaction(&self, inv: &Invoker, kind: u8, data: Value, message: Option<&Value>) -> Value {
        let id = next_snowflake();
        let channel = self.partial_channel(inv);
        let mut payload = json!({
            "id": id.to_string(),
            "application_id": self.application_id.to_string(),
            "type": kind,
            "data": data,
            "channel_id": inv.channel_id.to_string(),
            "channel": channel,
            "token": format!("interaction-token-{id}"),
            "version": 1,
            "app_permissions": self.bot_permissions(inv.guild_id).bits().to_string(),
            "locale": inv.locale,
            "entitlements": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        });
        match inv.guild_id {
            Some(guild_id) => {
                let mut member = member_json(&FakeMember {
                    user: inv.user.clone(),
                    roles: vec![],
                });
                member["permissions"] = json!(inv.permissions.bits().to_string());
                payload["guild_id"] = json!(guild_id.to_string());
                payload["guild_locale"] = json!("en-US");
                payload["member"] = member;
                payload["context"] = json!(0);
                payload["authorizing_integration_owners"] = json!({"0": guild_id.to_string()});
            }
            None => {
                payload["user"] = inv.user.to_json();
                payload["context"] = json!(1);
                payload["authorizing_integration_owners"] = json!({"0": "0"});
            }
        }
        if let Some(message) = message {
            payload["message"] = message.clone();
        }
        payload
    }

    fn partial_channel(&self, inv: &Invoker) -> Value {
        match self.channel(inv.channel_id) {
            Some((guild, c)) => {
                let mut ch = channel_json(guild.id, c, 0);
                ch["permissions"] = json!(inv.permissions.bits().to_string());
                ch
            }
            None if inv.guild_id.is_none() => json!({
                "id": inv.channel_id.to_string(), "type": 1, "recipients": [inv.user.to_json()],
            }),
            None => json!({"id": inv.channel_id.to_string(), "type": 0, "name": "unknown"}),
        }
    }

    fn bot_permissions(&self, guild_id: Option<u64>) -> Permissions {
        let Some(guild) = guild_id.and_then(|g| self.guild(g)) else {
            return member_permissions();
        };
        guild
            .roles
            .iter()
            .filter(|r| r.id == guild.id || r.bot_id == Some(self.bot.id))
            .fold(Permissions::empty(), |acc, r| acc | r.permissions)
    }
}

/// Who triggers an interaction, where, with which permissions.
#[derive(Clone, Debug)]
pub struct Invoker {
    pub user: FakeUser,
    /// `None` for a DM interaction (sends `user` instead of `member`).
    pub guild_id: Option<u64>,
    pub channel_id: u64,
    /// The member's computed permissions in the channel (`member.permissions`).
    pub permissions: Permissions,
    pub locale: String,
}

impl Invoker {
    /// [`member_user`] in `channel_id` of [`GUILD_ID`] with [`member_permissions`].
    pub fn member(channel_id: u64) -> Self {
        Self::in_guild(GUILD_ID, channel_id, member_user(), member_permissions())
    }

    /// [`admin_user`] in `channel_id` of [`GUILD_ID`] with [`admin_permissions`].
    pub fn admin(channel_id: u64) -> Self {
        Self::in_guild(GUILD_ID, channel_id, admin_user(), admin_permissions())
    }

    /// Any user in any guild channel with the given permissions.
    pub fn in_guild(guild_id: u64, channel_id: u64, user: FakeUser, perms: Permissions) -> Self {
        Self {
            user,
            guild_id: Some(guild_id),
            channel_id,
            permissions: perms,
            locale: "en-US".into(),
        }
    }

    /// A user in a DM with the bot.
    pub fn dm(user: FakeUser, channel_id: u64) -> Self {
        Self {
            user,
            guild_id: None,
            channel_id,
            permissions: member_permissions(),
            locale: "en-US".into(),
        }
    }
}

/// What a component interaction clicked.
#[derive(Clone, Debug)]
pub enum Click {
    Button {
        custom_id: String,
    },
    StringSelect {
        custom_id: String,
        values: Vec<String>,
    },
}

impl Click {
    /// A button click.
    pub fn button(custom_id: &str) -> Self {
        Self::Button {
            custom_id: custom_id.to_string(),
        }
    }

    /// A string-select choice.
    pub fn select(custom_id: &str, values: &[&str]) -> Self {
        let values = values.iter().map(|v| v.to_string()).collect();
        Self::StringSelect {
            custom_id: custom_id.to_string(),
            values,
        }
    }
}

/// A string option of a slash command.
pub fn opt_string(name: &str, value: &str) -> Value {
    json!({"name": name, "type": 3, "value": value})
}

/// An integer option.
pub fn opt_integer(name: &str, value: i64) -> Value {
    json!({"name": name, "type": 4, "value": value})
}

/// A boolean option.
pub fn opt_bool(name: &str, value: bool) -> Value {
    json!({"name": name, "type": 5, "value": value})
}

/// A channel option ([`World::slash_command`] adds the resolved channel).
pub fn opt_channel(name: &str, channel_id: u64) -> Value {
    json!({"name": name, "type": 7, "value": channel_id.to_string()})
}

/// A subcommand with its options (e.g. `/aadsts-config enable channel:#x`).
pub fn opt_subcommand(name: &str, options: Vec<Value>) -> Value {
    json!({"name": name, "type": 1, "options": options})
}

/// The focused string option of an autocomplete interaction: what the user has typed so far.
pub fn opt_focused(name: &str, partial: &str) -> Value {
    json!({"name": name, "type": 3, "value": partial, "focused": true})
}

// ---------------------------------------------------------------------------------------------
// Message payloads
// ---------------------------------------------------------------------------------------------

/// Who wrote a message.
#[derive(Clone, Debug)]
pub enum Author {
    User(FakeUser),
    /// A webhook message: `author` is the webhook (with `bot: true`) and `webhook_id` is set.
    Webhook {
        id: u64,
        name: String,
    },
}

impl Author {
    /// [`member_user`].
    pub fn member() -> Self {
        Self::User(member_user())
    }

    /// [`other_bot_user`].
    pub fn other_bot() -> Self {
        Self::User(other_bot_user())
    }

    /// A webhook named "CI alerts" with [`WEBHOOK_ID`].
    pub fn webhook() -> Self {
        Self::Webhook {
            id: WEBHOOK_ID,
            name: "CI alerts".into(),
        }
    }

    fn user_json(&self) -> Value {
        match self {
            Self::User(user) => user.to_json(),
            Self::Webhook { id, name } => json!({
                "id": id.to_string(), "username": name, "discriminator": "0000",
                "avatar": null, "bot": true,
            }),
        }
    }
}

/// An attachment object (`url` may come from [`FakeDiscord::serve_file`]).
pub fn attachment(filename: &str, url: &str, size: usize, content_type: &str) -> Value {
    json!({
        "id": next_snowflake().to_string(),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
        "height": null,
        "width": null,
    })
}

/// A MESSAGE_CREATE payload (a full message object with a fresh id). `guild_id: None` makes it
/// a DM. User authors in a guild get a `member`; `<@id>` in `content` fills `mentions`.
pub fn message_create(
    channel_id: u64,
    guild_id: Option<u64>,
    author: &Author,
    content: &str,
    attachments: Vec<Value>,
) -> Value {
    let mut msg = base_message(next_snowflake(), channel_id, guild_id, author.user_json());
    msg["content"] = json!(content);
    msg["attachments"] = json!(attachments);
    msg["mentions"] = json!(mentioned_users(content));
    match author {
        Author::Webhook { id, .. } => msg["webhook_id"] = json!(id.to_string()),
        Author::User(user) if guild_id.is_some() => {
            let mut member = member_json(&FakeMember {
                user: user.clone(),
                roles: vec![],
            });
            member
                .as_object_mut()
                .expect("member is an object")
                .remove("user");
            msg["member"] = member;
        }
        Author::User(_) => {}
    }
    msg
}

/// A MESSAGE_UPDATE payload: `original` (from [`message_create`]) with new content, mentions
/// and `edited_timestamp` (Discord sends the full message on edits).
pub fn message_update(original: &Value, new_content: &str) -> Value {
    let mut msg = original.clone();
    msg["content"] = json!(new_content);
    msg["mentions"] = json!(mentioned_users(new_content));
    msg["edited_timestamp"] = json!(now_timestamp());
    msg
}

/// A MESSAGE_DELETE payload.
pub fn message_delete(channel_id: u64, guild_id: Option<u64>, message_id: u64) -> Value {
    let mut data = json!({"id": message_id.to_string(), "channel_id": channel_id.to_string()});
    if let Some(guild_id) = guild_id {
        data["guild_id"] = json!(guild_id.to_string());
    }
    data
}

/// Users mentioned as `<@123>` or `<@!123>` (rendered with placeholder names).
fn mentioned_users(content: &str) -> Vec<Value> {
    let mut users = Vec::new();
    for piece in content.split("<@").skip(1) {
        let piece = piece.strip_prefix('!').unwrap_or(piece);
        let Some((digits, _)) = piece.split_once('>') else {
            continue;
        };
        if let Ok(id) = digits.parse::<u64>() {
            let bot = id == BOT_USER_ID || id == OTHER_BOT_USER_ID;
            users.push(
                FakeUser {
                    id,
                    name: format!("user{id}"),
                    bot,
                }
                .to_json(),
            );
        }
    }
    users
}

fn base_message(id: u64, channel_id: u64, guild_id: Option<u64>, author: Value) -> Value {
    let mut msg = json!({
        "id": id.to_string(),
        "channel_id": channel_id.to_string(),
        "author": author,
        "content": "",
        "timestamp": now_timestamp(),
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": false,
        "type": 0,
        "flags": 0,
        "components": [],
    });
    if let Some(guild_id) = guild_id {
        msg["guild_id"] = json!(guild_id.to_string());
    }
    msg
}

/// Copies the top-level fields of `from` into `into` (both objects).
fn merge(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}

fn channel_json(guild_id: u64, c: &FakeChannel, position: usize) -> Value {
    let mut ch = json!({
        "id": c.id.to_string(),
        "type": c.kind.code(),
        "guild_id": guild_id.to_string(),
        "name": c.name,
        "parent_id": c.parent_id.map(|p| p.to_string()),
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "flags": 0,
        "nsfw": false,
    });
    if c.kind.is_thread() {
        ch["owner_id"] = json!(MEMBER_USER_ID.to_string());
        ch["message_count"] = json!(1);
        ch["member_count"] = json!(1);
        ch["total_message_sent"] = json!(1);
        ch["applied_tags"] = json!([]);
        ch["thread_metadata"] = json!({
            "archived": false,
            "auto_archive_duration": 1440,
            "archive_timestamp": now_timestamp(),
            "locked": false,
            "create_timestamp": now_timestamp(),
        });
    } else {
        ch["position"] = json!(position);
        ch["permission_overwrites"] = json!([]);
        ch["topic"] = Value::Null;
    }
    if c.kind == ChannelKind::Forum {
        ch["available_tags"] = json!([]);
        ch["default_reaction_emoji"] = Value::Null;
        ch["default_thread_rate_limit_per_user"] = json!(0);
        ch["default_sort_order"] = Value::Null;
        ch["default_forum_layout"] = json!(0);
    }
    ch
}

fn role_json(r: &FakeRole) -> Value {
    let mut role = json!({
        "id": r.id.to_string(),
        "name": r.name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": r.position,
        "permissions": r.permissions.bits().to_string(),
        "managed": r.bot_id.is_some(),
        "mentionable": false,
        "flags": 0,
    });
    if let Some(bot_id) = r.bot_id {
        role["tags"] = json!({"bot_id": bot_id.to_string()});
    }
    role
}

fn member_json(m: &FakeMember) -> Value {
    let roles: Vec<String> = m.roles.iter().map(u64::to_string).collect();
    json!({
        "user": m.user.to_json(),
        "nick": null,
        "avatar": null,
        "roles": roles,
        "joined_at": now_timestamp(),
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "communication_disabled_until": null,
    })
}

// ---------------------------------------------------------------------------------------------
// Validation with serenity's model
// ---------------------------------------------------------------------------------------------

/// Checks that serenity 0.12.5 would deliver `data` as the event `name`: the typed event parses
/// and the gateway frame does not degrade to `Event::Unknown`. The error is serde's message.
pub fn validate_event(name: &str, data: &Value) -> Result<(), String> {
    use serenity::model::event::*;
    match name {
        "READY" => parse_as::<ReadyEvent>(data).map(drop)?,
        "RESUMED" => parse_as::<ResumedEvent>(data).map(drop)?,
        "GUILD_CREATE" => parse_as::<GuildCreateEvent>(data).map(drop)?,
        "MESSAGE_CREATE" => parse_as::<MessageCreateEvent>(data).map(drop)?,
        "MESSAGE_UPDATE" => parse_as::<MessageUpdateEvent>(data).map(drop)?,
        "MESSAGE_DELETE" => parse_as::<MessageDeleteEvent>(data).map(drop)?,
        "INTERACTION_CREATE" => parse_as::<InteractionCreateEvent>(data).map(drop)?,
        _ => {}
    }
    let frame = json!({"op": 0, "s": 1, "t": name, "d": data});
    match serde_json::from_value::<GatewayEvent>(frame) {
        Ok(GatewayEvent::Dispatch(_, Event::Unknown(_))) => Err(format!(
            "serenity reads {name} as Event::Unknown (unknown name or bad payload)"
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// Parses `value` as serenity type `T`, returning serde's error text.
pub fn parse_as<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    serde_json::from_value(value.clone()).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------
// Recorded traffic
// ---------------------------------------------------------------------------------------------

/// One REST request as the fake received it, with the status it answered.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Position in arrival order (0-based); compare with [`FakeDiscord::mark`].
    pub index: usize,
    pub method: String,
    /// Full path, e.g. `/api/v10/channels/1/messages`.
    pub path: String,
    pub query: Option<String>,
    /// Lower-case header names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The JSON body, or the `payload_json` part of a multipart body.
    pub json: Option<Value>,
    /// File parts of a multipart body.
    pub files: Vec<RecordedFile>,
    /// Status the fake answered.
    pub status: u16,
    /// The JSON the fake answered (e.g. the created message), if any.
    pub response: Option<Value>,
    /// When the request arrived (latency benchmarks measure up to here).
    pub received_at: std::time::Instant,
}

/// A file part of a multipart request.
#[derive(Clone, Debug)]
pub struct RecordedFile {
    pub field: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

impl Recorded {
    /// The path without the `/api/v10` prefix (`None` for other paths, such as attachments).
    pub fn api_path(&self) -> Option<&str> {
        self.path.strip_prefix("/api/v10")
    }

    /// Whether this is `method` on `api_path` (e.g. `is("POST", "/channels/1/messages")`).
    pub fn is(&self, method: &str, api_path: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && self.api_path() == Some(api_path)
    }

    /// A header value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The message content sent: `content`, or `data.content` for interaction callbacks.
    pub fn content(&self) -> Option<&str> {
        let json = self.json.as_ref()?;
        json.get("content")
            .or_else(|| json.pointer("/data/content"))?
            .as_str()
    }

    /// The embeds sent (`embeds` or `data.embeds`), empty when none.
    pub fn embeds(&self) -> Vec<Value> {
        let Some(json) = self.json.as_ref() else {
            return Vec::new();
        };
        let embeds = json.get("embeds").or_else(|| json.pointer("/data/embeds"));
        embeds
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    fn summary(&self) -> String {
        let query = self
            .query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        format!(
            "#{} {} {}{} -> {}",
            self.index, self.method, self.path, query, self.status
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The fake
// ---------------------------------------------------------------------------------------------

/// A running fake Discord. Dropping it stops the servers and closes gateway connections.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

struct Shared {
    world: World,
    api_url: String,
    gateway_url: String,
    /// Bumped on every recorded request, gateway frame and session change.
    changed: watch::Sender<u64>,
    requests: Mutex<Vec<Recorded>>,
    frames: Mutex<Vec<GatewayFrame>>,
    rest: Mutex<RestState>,
    gateway: Mutex<GatewayState>,
    conn_tasks: Mutex<Vec<AbortHandle>>,
}

#[derive(Default)]
struct RestState {
    rate_limits: Vec<RateLimitRule>,
    faults: Vec<FaultRule>,
    periodic: Vec<PeriodicFault>,
    buckets: Vec<BucketRule>,
    /// (channel, nonce) -> message id, for `enforce_nonce`.
    nonces: HashMap<(u64, String), u64>,
    /// Attachment path -> where it redirects.
    redirects: HashMap<String, String>,
    /// Attachment paths whose body starts and never ends.
    stalled: std::collections::HashSet<String>,
    files: HashMap<String, (Vec<u8>, String)>,
    /// Every message the fake knows by id: dispatched ones and the bot's.
    messages: HashMap<u64, Value>,
    /// Channels outside the world seen in dispatched events (e.g. DMs): id -> guild.
    extra_channels: HashMap<u64, Option<u64>>,
    /// Dispatched interactions by token.
    interactions: HashMap<String, InteractionState>,
    global_commands: Vec<Value>,
    guild_commands: HashMap<u64, Vec<Value>>,
}

struct FaultRule {
    method: String,
    path_substring: String,
    remaining: usize,
    status: u16,
    /// Act on the request first, then answer with `status` (a lost answer).
    after_acting: bool,
}

/// Every `every`-th matching request fails, cycling through `statuses`.
struct PeriodicFault {
    method: String,
    path_substring: String,
    every: usize,
    seen: usize,
    failed: usize,
    statuses: Vec<u16>,
}

struct BucketRule {
    method: String,
    path_substring: String,
    limit: usize,
    reset_after: Duration,
    window_start: Option<std::time::Instant>,
    used: usize,
    violations: usize,
}

struct RateLimitRule {
    path_substring: String,
    remaining: usize,
    retry_after: f64,
    global: bool,
}

struct InteractionState {
    id: u64,
    kind: u64,
    channel_id: u64,
    guild_id: Option<u64>,
    /// The message a component interaction was on.
    message_id: Option<u64>,
    acknowledged: bool,
    original: Option<u64>,
    followups: Vec<u64>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FakeDiscord {
    /// Starts the fake with [`World::default`].
    pub async fn start() -> Self {
        Self::start_with(World::default()).await
    }

    /// Starts the fake with a custom world.
    pub async fn start_with(world: World) -> Self {
        let rest = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind REST listener");
        let gateway = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind gateway listener");
        let api_url = format!("http://{}", rest.local_addr().expect("REST addr"));
        let gateway_url = format!("ws://{}", gateway.local_addr().expect("gateway addr"));
        let shared = Arc::new(Shared {
            world,
            api_url,
            gateway_url,
            changed: watch::channel(0).0,
            requests: Mutex::default(),
            frames: Mutex::default(),
            rest: Mutex::default(),
            gateway: Mutex::default(),
            conn_tasks: Mutex::default(),
        });
        let router = Router::new()
            .fallback(handle_rest)
            .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state(Arc::clone(&shared));
        let rest_task = tokio::spawn(async move {
            let _ = axum::serve(rest, router).await;
        });
        let gateway_task = tokio::spawn(accept_gateway(Arc::clone(&shared), gateway));
        Self {
            shared,
            tasks: vec![rest_task, gateway_task],
        }
    }

    /// `http://127.0.0.1:PORT`, the value for `DISCORD_API_URL` / `HttpBuilder::proxy`.
    pub fn api_url(&self) -> String {
        self.shared.api_url.clone()
    }

    /// `ws://127.0.0.1:PORT`, what `GET /gateway` returns.
    pub fn gateway_url(&self) -> String {
        self.shared.gateway_url.clone()
    }

    /// The world the fake serves.
    pub fn world(&self) -> &World {
        &self.shared.world
    }

    // ----- REST -----

    /// A snapshot of every REST request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }

    /// The number of requests so far: pass it to [`Self::wait_for_since`] to ignore older ones.
    pub fn mark(&self) -> usize {
        lock(&self.shared.requests).len()
    }

    /// Waits for a request (already received or to come) matching `pred`.
    pub async fn wait_for(
        &self,
        pred: impl Fn(&Recorded) -> bool,
        timeout: Duration,
    ) -> Result<Recorded, String> {
        self.wait_for_since(0, pred, timeout).await
    }

    /// Waits for a request with `index >= mark` matching `pred`. The error lists what arrived.
    pub async fn wait_for_since(
        &self,
        mark: usize,
        pred: impl Fn(&Recorded) -> bool,
        timeout: Duration,
    ) -> Result<Recorded, String> {
        let found = self
            .wait_until(timeout, |s| {
                lock(&s.requests)
                    .iter()
                    .skip(mark)
                    .find(|r| pred(r))
                    .cloned()
            })
            .await;
        found.ok_or_else(|| {
            format!(
                "no matching REST request within {timeout:?}; received:\n{}",
                self.request_log()
            )
        })
    }

    /// Checks that no request with `index >= mark` matches `pred` during `window`. Negative
    /// checks need a window; prefer waiting for a later, positive event as a barrier first.
    pub async fn expect_none_since(
        &self,
        mark: usize,
        pred: impl Fn(&Recorded) -> bool,
        window: Duration,
    ) -> Result<(), String> {
        match self.wait_for_since(mark, pred, window).await {
            Ok(found) => Err(format!(
                "unexpected request {}: {:?}",
                found.summary(),
                found.json
            )),
            Err(_) => Ok(()),
        }
    }

    /// One line per recorded request (`#i METHOD path -> status`), for failure messages.
    pub fn request_log(&self) -> String {
        let requests = lock(&self.shared.requests);
        let lines: Vec<String> = requests.iter().map(Recorded::summary).collect();
        if lines.is_empty() {
            "  (nothing)".into()
        } else {
            lines
                .iter()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        }
    }

    /// The next `n` requests whose path contains `path_substring` get a 429 (`retry_after`
    /// 0.05 s, not global), with Discord's `Retry-After` and `X-RateLimit-*` headers.
    pub fn rate_limit_next(&self, path_substring: &str, n: usize) {
        self.rate_limit_next_with(path_substring, n, 0.05, false);
    }

    /// Like [`Self::rate_limit_next`] with a chosen `retry_after` (seconds) and scope.
    pub fn rate_limit_next_with(&self, path_substring: &str, n: usize, retry: f64, global: bool) {
        lock(&self.shared.rest).rate_limits.push(RateLimitRule {
            path_substring: path_substring.to_string(),
            remaining: n,
            retry_after: retry,
            global,
        });
    }

    /// The next `n` `method` requests whose path contains `path_substring` get `status`
    /// (e.g. 500, 502, 503) without being acted on.
    pub fn fail_next(&self, method: &str, path_substring: &str, n: usize, status: u16) {
        lock(&self.shared.rest).faults.push(FaultRule {
            method: method.to_string(),
            path_substring: path_substring.to_string(),
            remaining: n,
            status,
            after_acting: false,
        });
    }

    /// From now on every `every`-th `method` request whose path contains `path_substring`
    /// fails, with `statuses` in turn: 429 as a per-route rate limit (`retry_after` 0.05 s),
    /// anything else as a server error. `every = 10` fails 10% of them, as a bench's
    /// unreliable Discord.
    pub fn fail_every(&self, method: &str, path_substring: &str, every: usize, statuses: &[u16]) {
        assert!(every > 0 && !statuses.is_empty());
        lock(&self.shared.rest).periodic.push(PeriodicFault {
            method: method.to_string(),
            path_substring: path_substring.to_string(),
            every,
            seen: 0,
            failed: 0,
            statuses: statuses.to_vec(),
        });
    }

    /// Like [`Self::fail_next`], but the fake acts on the request (creates the
    /// message, ...) before answering `status`: the answer is lost, the work is done.
    pub fn fail_next_after_acting(
        &self,
        method: &str,
        path_substring: &str,
        n: usize,
        status: u16,
    ) {
        lock(&self.shared.rest).faults.push(FaultRule {
            method: method.to_string(),
            path_substring: path_substring.to_string(),
            remaining: n,
            status,
            after_acting: true,
        });
    }

    /// Ends every pending [`Self::rate_limit_next`] rule.
    pub fn clear_rate_limits(&self) {
        lock(&self.shared.rest).rate_limits.clear();
    }

    /// A Discord rate-limit bucket on `method` requests whose path contains
    /// `path_substring`: `limit` requests per `reset_after`, announced in
    /// `X-RateLimit-*` headers on every answer; a request into an exhausted
    /// bucket gets a 429 and counts as a violation.
    pub fn bucket(&self, method: &str, path_substring: &str, limit: usize, reset_after: Duration) {
        lock(&self.shared.rest).buckets.push(BucketRule {
            method: method.to_string(),
            path_substring: path_substring.to_string(),
            limit,
            reset_after,
            window_start: None,
            used: 0,
            violations: 0,
        });
    }

    /// Requests sent into an exhausted [`Self::bucket`].
    pub fn bucket_violations(&self) -> usize {
        lock(&self.shared.rest)
            .buckets
            .iter()
            .map(|b| b.violations)
            .sum()
    }

    /// Serves a redirect at `{api_url}/attachments/{path}` to `location`; returns the URL.
    pub fn serve_redirect(&self, path: &str, location: &str) -> String {
        let path = path.trim_start_matches('/').to_string();
        let url = format!("{}/attachments/{path}", self.shared.api_url);
        lock(&self.shared.rest)
            .redirects
            .insert(path, location.to_string());
        url
    }

    /// Serves a file whose body sends `first` and then never finishes; returns the URL.
    pub fn serve_stalled(&self, path: &str, first: Vec<u8>) -> String {
        let url = self.serve_file(path, first, "text/plain");
        lock(&self.shared.rest)
            .stalled
            .insert(path.trim_start_matches('/').to_string());
        url
    }

    /// Serves `bytes` at `{api_url}/attachments/{path}` and returns that URL.
    pub fn serve_file(&self, path: &str, bytes: Vec<u8>, content_type: &str) -> String {
        let path = path.trim_start_matches('/').to_string();
        let url = format!("{}/attachments/{path}", self.shared.api_url);
        lock(&self.shared.rest)
            .files
            .insert(path, (bytes, content_type.to_string()));
        url
    }

    /// Serves a file and returns an attachment object pointing at it (for [`message_create`]).
    pub fn upload_attachment(&self, filename: &str, bytes: Vec<u8>, content_type: &str) -> Value {
        let size = bytes.len();
        let url = self.serve_file(
            &format!("{}/{filename}", next_snowflake()),
            bytes,
            content_type,
        );
        attachment(filename, &url, size, content_type)
    }

    /// A message the fake knows (dispatched, or sent/edited by the bot), by id.
    pub fn message(&self, id: u64) -> Option<Value> {
        lock(&self.shared.rest).messages.get(&id).cloned()
    }

    /// Messages the fake knows in a channel, oldest first.
    pub fn messages_in(&self, channel_id: u64) -> Vec<Value> {
        let rest = lock(&self.shared.rest);
        let mut found: Vec<Value> = rest
            .messages
            .values()
            .filter(|m| id_at(m, "/channel_id") == Some(channel_id))
            .cloned()
            .collect();
        found.sort_by_key(id_of);
        found
    }

    /// The application commands the bot registered, globally (`None`) or in a guild.
    pub fn registered_commands(&self, guild_id: Option<u64>) -> Vec<Value> {
        let rest = lock(&self.shared.rest);
        match guild_id {
            None => rest.global_commands.clone(),
            Some(g) => rest.guild_commands.get(&g).cloned().unwrap_or_default(),
        }
    }

    /// Polls `check` whenever something is recorded, until it returns `Some` or time runs out.
    async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&Shared) -> Option<T>,
    ) -> Option<T> {
        let mut changes = self.shared.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.borrow_and_update();
            if let Some(found) = check(&self.shared) {
                return Some(found);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) | Err(_) => return check(&self.shared),
            }
        }
    }
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        // No close frame: serenity 0.12.5 treats a close frame without a code as "no event" and
        // spins on the closed socket until its next heartbeat. Dropping the TCP connection makes
        // it log a WebSocket error and retry instead.
        self.disconnect_all();
        for task in &self.tasks {
            task.abort();
        }
        for task in lock(&self.shared.conn_tasks).iter() {
            task.abort();
        }
    }
}

impl Shared {
    fn bump(&self) {
        self.changed.send_modify(|n| *n += 1);
    }

    fn record(&self, mut rec: Recorded) {
        let mut requests = lock(&self.requests);
        rec.index = requests.len();
        requests.push(rec);
        drop(requests);
        self.bump();
    }

    /// Keeps what REST answers later depend on: messages, ad-hoc channels, interactions.
    fn remember_dispatched(&self, event: &str, data: &Value) {
        let mut rest = lock(&self.rest);
        let channel_id = id_at(data, "/channel_id");
        let guild_id = id_at(data, "/guild_id");
        if let Some(channel_id) = channel_id {
            if self.world.channel(channel_id).is_none() {
                rest.extra_channels.insert(channel_id, guild_id);
            }
        }
        match event {
            "MESSAGE_CREATE" | "MESSAGE_UPDATE" => {
                if let Some(id) = id_at(data, "/id") {
                    rest.messages.insert(id, data.clone());
                }
            }
            "MESSAGE_DELETE" => {
                if let Some(id) = id_at(data, "/id") {
                    rest.messages.remove(&id);
                }
            }
            "INTERACTION_CREATE" => {
                let (Some(id), Some(token)) = (id_at(data, "/id"), data["token"].as_str()) else {
                    return;
                };
                let message_id = id_at(data, "/message/id");
                if let (Some(mid), Some(message)) = (message_id, data.get("message")) {
                    rest.messages.entry(mid).or_insert_with(|| message.clone());
                }
                rest.interactions.insert(
                    token.to_string(),
                    InteractionState {
                        id,
                        kind: data["type"].as_u64().unwrap_or(0),
                        channel_id: channel_id.unwrap_or(0),
                        guild_id,
                        message_id,
                        acknowledged: false,
                        original: None,
                        followups: Vec::new(),
                    },
                );
            }
            _ => {}
        }
    }

    /// Applies the Message Content intent: without it, guild messages that don't mention the
    /// bot (and aren't the bot's own) arrive with content, embeds, attachments, components blank.
    fn as_delivered(&self, event: &str, mut data: Value, intents: u64) -> Value {
        let is_message = matches!(event, "MESSAGE_CREATE" | "MESSAGE_UPDATE");
        if !is_message || intents & MESSAGE_CONTENT_INTENT != 0 || data.get("guild_id").is_none() {
            return data;
        }
        let bot_id = self.world.bot.id;
        let by_bot = id_at(&data, "/author/id") == Some(bot_id);
        let mentions_bot = data["mentions"]
            .as_array()
            .is_some_and(|m| m.iter().any(|u| id_at(u, "/id") == Some(bot_id)));
        if !by_bot && !mentions_bot {
            for (key, empty) in [
                ("content", json!("")),
                ("embeds", json!([])),
                ("attachments", json!([])),
            ] {
                if data.get(key).is_some() {
                    data[key] = empty;
                }
            }
            if data.get("components").is_some() {
                data["components"] = json!([]);
            }
        }
        data
    }
}

// ---------------------------------------------------------------------------------------------
// REST server
// ---------------------------------------------------------------------------------------------

/// What the fake answers.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    content_type: Option<String>,
    body: Vec<u8>,
    /// Send `body`, then keep the response open forever.
    stall: bool,
}

impl Reply {
    fn json(status: u16, value: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            content_type: Some("application/json".into()),
            body: value.to_string().into_bytes(),
            stall: false,
        }
    }

    fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            content_type: None,
            body: Vec::new(),
            stall: false,
        }
    }

    /// A Discord JSON error: `{"message", "code"}` (+ `errors` for form errors).
    fn error(status: u16, code: u64, message: &str) -> Self {
        Self::json(status, json!({"message": message, "code": code}))
    }

    fn not_found() -> Self {
        Self::error(404, 0, "404: Not Found")
    }

    /// 50035 Invalid Form Body with one error at `path` (Discord's nested `errors` shape).
    fn invalid_form(path: &str, code: &str, message: &str) -> Self {
        let mut errors = json!({"_errors": [{"code": code, "message": message}]});
        for key in path.rsplit('.') {
            errors = json!({ key: errors });
        }
        Self::json(
            400,
            json!({"message": "Invalid Form Body", "code": 50035, "errors": errors}),
        )
    }

    fn into_response(self) -> Response {
        let mut builder = Response::builder().status(self.status);
        if let Some(ct) = &self.content_type {
            builder = builder.header("content-type", ct);
        }
        for (k, v) in &self.headers {
            builder = builder.header(k, v);
        }
        if self.stall {
            let first = futures_util::stream::once(async move {
                Ok::<_, std::io::Error>(Bytes::from(self.body))
            });
            let body = Body::from_stream(first.chain(futures_util::stream::pending()));
            return builder.body(body).expect("valid response");
        }
        builder.body(Body::from(self.body)).expect("valid response")
    }
}

async fn handle_rest(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut rec = recorded_from(method, &uri, &headers, body);
    let reply = rate_limited(&shared, &rec.path)
        .or_else(|| periodic_fault(&shared, &rec))
        .or_else(|| faulted(&shared, &rec))
        .or_else(|| bucket_exhausted(&shared, &rec));
    let reply = reply.unwrap_or_else(|| {
        let mut reply = route(&shared, &rec);
        add_bucket_headers(&shared, &rec, &mut reply);
        reply
    });
    rec.status = reply.status;
    if reply.content_type.as_deref() == Some("application/json") {
        rec.response = serde_json::from_slice(&reply.body).ok();
    }
    shared.record(rec);
    reply.into_response()
}

fn recorded_from(method: Method, uri: &Uri, headers: &HeaderMap, body: Bytes) -> Recorded {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into(),
            )
        })
        .collect();
    let content_type = headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.clone());
    let body = body.to_vec();
    let (json, files) = match content_type.as_deref() {
        Some(ct) if ct.starts_with("multipart/form-data") => parse_multipart(ct, &body),
        _ => (serde_json::from_slice(&body).ok(), Vec::new()),
    };
    Recorded {
        index: 0,
        method: method.as_str().to_string(),
        path: uri.path().to_string(),
        query: uri.query().map(str::to_string),
        headers,
        body,
        json,
        files,
        status: 0,
        response: None,
        received_at: std::time::Instant::now(),
    }
}

/// Splits a multipart body: the `payload_json` part as JSON, other parts as files.
fn parse_multipart(content_type: &str, body: &[u8]) -> (Option<Value>, Vec<RecordedFile>) {
    let Some(boundary) = content_type.split("boundary=").nth(1) else {
        return (None, vec![]);
    };
    let delimiter = format!("--{}", boundary.trim_matches('"'));
    let starts: Vec<usize> = memchr::memmem::find_iter(body, delimiter.as_bytes()).collect();
    let mut json = None;
    let mut files = Vec::new();
    for pair in starts.windows(2) {
        let part = &body[pair[0] + delimiter.len()..pair[1]];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = memchr::memmem::find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]);
        let content = &part[split + 4..];
        let field = disposition_param(&head, "name").unwrap_or_default();
        match disposition_param(&head, "filename") {
            None if field == "payload_json" => json = serde_json::from_slice(content).ok(),
            None => {}
            Some(filename) => files.push(RecordedFile {
                field,
                filename,
                bytes: content.to_vec(),
            }),
        }
    }
    (json, files)
}

fn disposition_param(head: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let start = head.match_indices(&needle).find(|(i, _)| {
        // `name=` must not be the tail of `filename=`
        *i == 0 || !head.as_bytes()[i - 1].is_ascii_alphanumeric()
    })?;
    let rest = &head[start.0 + needle.len()..];
    rest.split('"').next().map(str::to_string)
}

fn faulted(shared: &Shared, rec: &Recorded) -> Option<Reply> {
    let (status, after_acting) = {
        let mut rest = lock(&shared.rest);
        let rule = rest.faults.iter_mut().find(|r| {
            r.remaining > 0 && r.method == rec.method && rec.path.contains(&r.path_substring)
        })?;
        rule.remaining -= 1;
        (rule.status, rule.after_acting)
    };
    if after_acting {
        let _ = route(shared, rec);
    }
    Some(Reply::error(status, 0, "fake server error"))
}

fn matching_bucket<'a>(rest: &'a mut RestState, rec: &Recorded) -> Option<&'a mut BucketRule> {
    let now = std::time::Instant::now();
    let bucket = rest
        .buckets
        .iter_mut()
        .find(|b| b.method == rec.method && rec.path.contains(&b.path_substring))?;
    if bucket
        .window_start
        .is_none_or(|start| now.duration_since(start) >= bucket.reset_after)
    {
        bucket.window_start = Some(now);
        bucket.used = 0;
    }
    Some(bucket)
}

fn bucket_headers(b: &BucketRule) -> Vec<(String, String)> {
    let left = b
        .reset_after
        .saturating_sub(b.window_start.map_or(Duration::ZERO, |s| s.elapsed()));
    vec![
        ("x-ratelimit-limit".into(), b.limit.to_string()),
        (
            "x-ratelimit-remaining".into(),
            b.limit.saturating_sub(b.used).to_string(),
        ),
        (
            "x-ratelimit-reset-after".into(),
            format!("{:.3}", left.as_secs_f64()),
        ),
        ("x-ratelimit-bucket".into(), "fakebucket1".into()),
    ]
}

/// A request into an exhausted bucket: 429, counted as a violation.
fn bucket_exhausted(shared: &Shared, rec: &Recorded) -> Option<Reply> {
    let mut rest = lock(&shared.rest);
    let bucket = matching_bucket(&mut rest, rec)?;
    if bucket.used < bucket.limit {
        return None;
    }
    bucket.violations += 1;
    let mut headers = bucket_headers(bucket);
    let retry = headers[2].1.clone();
    headers.push(("x-ratelimit-scope".into(), "user".into()));
    let mut reply = Reply::json(
        429,
        json!({"message": "You are being rate limited.", "retry_after": retry.parse::<f64>().unwrap_or(1.0), "global": false}),
    );
    reply.headers = headers;
    Some(reply)
}

fn add_bucket_headers(shared: &Shared, rec: &Recorded, reply: &mut Reply) {
    let mut rest = lock(&shared.rest);
    if let Some(bucket) = matching_bucket(&mut rest, rec) {
        bucket.used += 1;
        reply.headers.extend(bucket_headers(bucket));
    }
}

fn periodic_fault(shared: &Shared, rec: &Recorded) -> Option<Reply> {
    let mut rest = lock(&shared.rest);
    let rule = rest
        .periodic
        .iter_mut()
        .find(|r| r.method == rec.method && rec.path.contains(&r.path_substring))?;
    rule.seen += 1;
    if !rule.seen.is_multiple_of(rule.every) {
        return None;
    }
    let status = rule.statuses[rule.failed % rule.statuses.len()];
    rule.failed += 1;
    Some(if status == 429 {
        rate_limit_reply(0.05, false)
    } else {
        Reply::error(status, 0, "fake server error")
    })
}

fn rate_limited(shared: &Shared, path: &str) -> Option<Reply> {
    let mut rest = lock(&shared.rest);
    let rule = rest
        .rate_limits
        .iter_mut()
        .find(|r| r.remaining > 0 && path.contains(&r.path_substring))?;
    rule.remaining -= 1;
    Some(rate_limit_reply(rule.retry_after, rule.global))
}

/// A 429 with Discord's body and `Retry-After` / `X-RateLimit-*` headers.
fn rate_limit_reply(retry: f64, global: bool) -> Reply {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let mut reply = Reply::json(
        429,
        json!({"message": "You are being rate limited.", "retry_after": retry, "global": global}),
    );
    reply.headers = vec![
        ("retry-after".into(), format!("{}", retry.ceil() as u64)),
        ("x-ratelimit-limit".into(), "5".into()),
        ("x-ratelimit-remaining".into(), "0".into()),
        ("x-ratelimit-reset".into(), format!("{:.3}", now + retry)),
        ("x-ratelimit-reset-after".into(), format!("{retry:.3}")),
        ("x-ratelimit-bucket".into(), "fakebucket0".into()),
        (
            "x-ratelimit-scope".into(),
            if global { "global" } else { "user" }.into(),
        ),
    ];
    if global {
        reply
            .headers
            .push(("x-ratelimit-global".into(), "true".into()));
    }
    reply
}

fn route(shared: &Shared, rec: &Recorded) -> Reply {
    let method = rec.method.as_str();
    if let Some(file) = rec.path.strip_prefix("/attachments/") {
        return if method == "GET" {
            serve_attachment(shared, file)
        } else {
            Reply::not_found()
        };
    }
    let Some(api) = rec.api_path() else {
        return Reply::not_found();
    };
    let segs: Vec<&str> = api.trim_matches('/').split('/').collect();
    let world = &shared.world;
    match (method, segs.as_slice()) {
        ("GET", ["gateway"]) => Reply::json(200, json!({"url": shared.gateway_url})),
        ("GET", ["gateway", "bot"]) => {
            Reply::json(200, bot_gateway_json(&shared.gateway_url, world.shards))
        }
        ("GET", ["users", "@me"]) => Reply::json(200, world.bot_current_user_json()),
        ("GET", ["oauth2", "applications", "@me"]) | ("GET", ["applications", "@me"]) => {
            Reply::json(200, world.application_json())
        }
        ("GET", ["guilds", g, rest @ ..]) => get_guild_part(shared, parse_id(g), rest),
        ("GET", ["channels", c]) => get_channel(shared, parse_id(c)),
        ("POST", ["channels", c, "messages"]) => post_channel_message(shared, parse_id(c), rec),
        (_, ["channels", c, "messages", m]) => {
            channel_message(shared, method, parse_id(c), parse_id(m), rec)
        }
        ("POST", ["channels", _, "typing"]) => Reply::empty(204),
        ("PUT" | "DELETE", ["channels", _, "messages", _, "reactions", ..]) => Reply::empty(204),
        (_, ["applications", app, "commands", rest @ ..]) => commands(
            shared,
            method,
            parse_id(app),
            None,
            rest.first().map(|s| parse_id(s)),
            rec,
        ),
        (_, ["applications", app, "guilds", g, "commands", rest @ ..]) => {
            let id = rest.first().map(|s| parse_id(s));
            commands(shared, method, parse_id(app), Some(parse_id(g)), id, rec)
        }
        ("POST", ["interactions", id, token, "callback"]) => {
            interaction_callback(shared, parse_id(id), token, rec)
        }
        ("POST", ["webhooks", app, token]) => post_followup(shared, parse_id(app), token, rec),
        (_, ["webhooks", app, token, "messages", which]) => {
            webhook_message(shared, method, parse_id(app), token, which, rec)
        }
        _ => Reply::not_found(),
    }
}

/// A path segment as a snowflake; 0 (matches nothing) when it isn't one.
fn parse_id(segment: &str) -> u64 {
    segment.parse().unwrap_or(0)
}

fn bot_gateway_json(url: &str, shards: u64) -> Value {
    json!({
        "url": url,
        "shards": shards,
        "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1,
        },
    })
}

fn serve_attachment(shared: &Shared, path: &str) -> Reply {
    let rest = lock(&shared.rest);
    if let Some((bytes, content_type)) = rest.files.get(path) {
        return Reply {
            status: 200,
            headers: Vec::new(),
            content_type: Some(content_type.clone()),
            body: bytes.clone(),
            stall: rest.stalled.contains(path),
        };
    }
    match rest.redirects.get(path) {
        Some(location) => Reply {
            status: 302,
            headers: vec![("location".into(), location.clone())],
            content_type: None,
            body: Vec::new(),
            stall: false,
        },
        None => Reply::not_found(),
    }
}

/// `GET /guilds/{id}[/members/{user} | /roles | /channels | /threads/active]` from the world.
fn get_guild_part(shared: &Shared, guild_id: u64, rest: &[&str]) -> Reply {
    let world = &shared.world;
    let Some(guild) = world.guild(guild_id) else {
        return Reply::error(404, 10004, "Unknown Guild");
    };
    let (threads, channels): (Vec<&FakeChannel>, Vec<&FakeChannel>) =
        guild.channels.iter().partition(|c| c.kind.is_thread());
    match rest {
        [] => Reply::json(200, world.guild_json(guild)),
        ["members", user] => {
            let user_id = parse_id(user);
            match guild.members.iter().find(|m| m.user.id == user_id) {
                Some(member) => Reply::json(200, member_json(member)),
                None => Reply::error(404, 10007, "Unknown Member"),
            }
        }
        ["roles"] => Reply::json(
            200,
            json!(guild.roles.iter().map(role_json).collect::<Vec<_>>()),
        ),
        ["channels"] => {
            let list: Vec<Value> = channels
                .iter()
                .enumerate()
                .map(|(i, c)| channel_json(guild.id, c, i))
                .collect();
            Reply::json(200, json!(list))
        }
        ["threads", "active"] => {
            let list: Vec<Value> = threads
                .iter()
                .map(|c| channel_json(guild.id, c, 0))
                .collect();
            Reply::json(200, json!({"threads": list, "members": []}))
        }
        _ => Reply::not_found(),
    }
}

/// The guild of a channel: `Some(Some(g))` world channel, `Some(None)` a DM seen in a
/// dispatch, `None` unknown.
fn channel_guild(shared: &Shared, channel_id: u64) -> Option<Option<u64>> {
    if let Some((guild, _)) = shared.world.channel(channel_id) {
        return Some(Some(guild.id));
    }
    lock(&shared.rest).extra_channels.get(&channel_id).copied()
}

fn get_channel(shared: &Shared, channel_id: u64) -> Reply {
    if let Some((guild, channel)) = shared.world.channel(channel_id) {
        let position = guild
            .channels
            .iter()
            .position(|c| c.id == channel_id)
            .unwrap_or(0);
        return Reply::json(200, channel_json(guild.id, channel, position));
    }
    match channel_guild(shared, channel_id) {
        Some(None) => Reply::json(200, json!({"id": channel_id.to_string(), "type": 1})),
        Some(Some(guild_id)) => Reply::json(
            200,
            channel_json(guild_id, &FakeChannel::text(channel_id, "unknown"), 0),
        ),
        None => Reply::error(404, 10003, "Unknown Channel"),
    }
}

fn post_channel_message(shared: &Shared, channel_id: u64, rec: &Recorded) -> Reply {
    let Some(guild_id) = channel_guild(shared, channel_id) else {
        return Reply::error(404, 10003, "Unknown Channel");
    };
    let body = rec.json.clone().unwrap_or_else(|| json!({}));
    if let Err(reply) = check_message_body(&body, !rec.files.is_empty(), true) {
        return reply;
    }
    let nonce = body["nonce"]
        .as_str()
        .map(str::to_string)
        .or_else(|| body["nonce"].as_u64().map(|n| n.to_string()));
    let enforced = body["enforce_nonce"].as_bool() == Some(true);
    if let (Some(nonce), true) = (&nonce, enforced) {
        let rest = lock(&shared.rest);
        if let Some(existing) = rest
            .nonces
            .get(&(channel_id, nonce.clone()))
            .and_then(|id| rest.messages.get(id))
        {
            // Discord returns the message the nonce already created.
            return Reply::json(200, existing.clone());
        }
    }
    let id = next_snowflake();
    let author = shared.world.bot.to_json();
    let mut msg = base_message(id, channel_id, guild_id, author);
    apply_message_body(&mut msg, &body, &rec.files, &shared.api_url);
    let mut rest = lock(&shared.rest);
    if let (Some(nonce), true) = (nonce, enforced) {
        rest.nonces.insert((channel_id, nonce), id);
    }
    if let Some(reference) = body.get("message_reference").filter(|r| r.is_object()) {
        let mut reference = reference.clone();
        if reference.get("channel_id").is_none() {
            reference["channel_id"] = json!(channel_id.to_string());
        }
        if let Some(target) = id_at(&reference, "/message_id").and_then(|m| rest.messages.get(&m)) {
            msg["referenced_message"] = target.clone();
        }
        msg["message_reference"] = reference;
        msg["type"] = json!(19);
    }
    rest.messages.insert(id, msg.clone());
    Reply::json(200, msg)
}

fn channel_message(
    shared: &Shared,
    method: &str,
    channel_id: u64,
    message_id: u64,
    rec: &Recorded,
) -> Reply {
    let mut rest = lock(&shared.rest);
    let Some(msg) = rest
        .messages
        .get_mut(&message_id)
        .filter(|m| id_at(m, "/channel_id") == Some(channel_id))
    else {
        return Reply::error(404, 10008, "Unknown Message");
    };
    match method {
        "GET" => Reply::json(200, msg.clone()),
        "PATCH" => {
            let body = rec.json.clone().unwrap_or_else(|| json!({}));
            if let Err(reply) = check_message_body(&body, !rec.files.is_empty(), false) {
                return reply;
            }
            apply_message_body(msg, &body, &rec.files, &shared.api_url);
            msg["edited_timestamp"] = json!(now_timestamp());
            Reply::json(200, msg.clone())
        }
        "DELETE" => {
            rest.messages.remove(&message_id);
            Reply::empty(204)
        }
        _ => Reply::error(405, 0, "405: Method Not Allowed"),
    }
}

/// Discord's checks on a message body: not empty (on create), content <= 2000 characters,
/// at most 10 embeds, and each embed within Discord's limits.
fn check_message_body(body: &Value, has_files: bool, creating: bool) -> Result<(), Reply> {
    let content = body["content"].as_str().unwrap_or("");
    let embeds = body["embeds"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let has_components = body["components"].as_array().is_some_and(|c| !c.is_empty());
    let has_poll = body.get("poll").is_some_and(|p| !p.is_null());
    let has_sticker = body["sticker_ids"]
        .as_array()
        .is_some_and(|s| !s.is_empty());
    let empty = content.is_empty() && embeds.is_empty() && !has_components && !has_files;
    if creating && empty && !has_poll && !has_sticker {
        return Err(Reply::error(400, 50006, "Cannot send an empty message"));
    }
    if content.chars().count() > 2000 {
        return Err(too_long("content", 2000));
    }
    if embeds.len() > 10 {
        return Err(Reply::invalid_form(
            "embeds",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 10 or fewer in length.",
        ));
    }
    for (i, embed) in embeds.iter().enumerate() {
        check_embed(embed, &format!("embeds.{i}"))?;
    }
    Ok(())
}

fn too_long(path: &str, max: usize) -> Reply {
    Reply::invalid_form(
        path,
        "BASE_TYPE_MAX_LENGTH",
        &format!("Must be {max} or fewer in length."),
    )
}

/// Embed limits: title 256, description 4096, 25 fields (name 256, value 1024), footer 2048,
/// author 256, and 6000 characters in total.
fn check_embed(embed: &Value, path: &str) -> Result<(), Reply> {
    let len = |pointer: &str| {
        embed
            .pointer(pointer)
            .and_then(Value::as_str)
            .map_or(0, |s| s.chars().count())
    };
    let limits = [
        ("/title", "title", 256),
        ("/description", "description", 4096),
        ("/footer/text", "footer.text", 2048),
        ("/author/name", "author.name", 256),
    ];
    let mut total = 0;
    for (pointer, name, max) in limits {
        let n = len(pointer);
        if n > max {
            return Err(too_long(&format!("{path}.{name}"), max));
        }
        total += n;
    }
    let fields = embed["fields"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    if fields.len() > 25 {
        return Err(too_long(&format!("{path}.fields"), 25));
    }
    for (i, field) in fields.iter().enumerate() {
        let name = field["name"].as_str().unwrap_or("");
        let value = field["value"].as_str().unwrap_or("");
        if name.is_empty() || name.chars().count() > 256 {
            return Err(too_long(&format!("{path}.fields.{i}.name"), 256));
        }
        if value.is_empty() || value.chars().count() > 1024 {
            return Err(too_long(&format!("{path}.fields.{i}.value"), 1024));
        }
        total += name.chars().count() + value.chars().count();
    }
    if total > 6000 {
        return Err(Reply::invalid_form(
            path,
            "BASE_TYPE_MAX_LENGTH",
            "Embed size exceeds maximum size of 6000",
        ));
    }
    Ok(())
}

/// Copies the fields of a create/edit body into a stored message.
fn apply_message_body(msg: &mut Value, body: &Value, files: &[RecordedFile], api_url: &str) {
    if let Some(content) = body.get("content") {
        msg["content"] = json!(content.as_str().unwrap_or(""));
    }
    if let Some(embeds) = body.get("embeds").and_then(Value::as_array) {
        let embeds: Vec<Value> = embeds.iter().map(rich_embed).collect();
        msg["embeds"] = json!(embeds);
    }
    if let Some(components) = body.get("components").filter(|c| c.is_array()) {
        msg["components"] = components.clone();
    }
    if let Some(flags) = body.get("flags").and_then(Value::as_u64) {
        msg["flags"] = json!(flags);
    }
    if let Some(tts) = body.get("tts").and_then(Value::as_bool) {
        msg["tts"] = json!(tts);
    }
    if let Some(attachments) = body.get("attachments").and_then(Value::as_array) {
        let message_id = id_at(msg, "/id").unwrap_or(0);
        let list: Vec<Value> = attachments
            .iter()
            .map(|a| stored_attachment(a, files, message_id, api_url))
            .collect();
        msg["attachments"] = json!(list);
    }
}

fn rich_embed(embed: &Value) -> Value {
    let mut embed = embed.clone();
    if embed.get("type").is_none() {
        embed["type"] = json!("rich");
    }
    embed
}

/// An attachment of a sent message: an existing one (id is a snowflake) or a new upload.
fn stored_attachment(a: &Value, files: &[RecordedFile], message_id: u64, api_url: &str) -> Value {
    let filename = a["filename"].as_str().unwrap_or("file").to_string();
    if let Some(url) = a.get("url") {
        return json!({
            "id": a["id"].clone(), "filename": filename, "size": a["size"].as_u64().unwrap_or(0),
            "url": url, "proxy_url": url,
        });
    }
    let index = a["id"].as_u64().unwrap_or(0);
    let file = files.iter().find(|f| f.field == format!("files[{index}]"));
    let size = file.map_or(0, |f| f.bytes.len());
    let url = format!("{api_url}/attachments/{message_id}/{filename}");
    json!({
        "id": next_snowflake().to_string(),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
    })
}

fn commands(
    shared: &Shared,
    method: &str,
    app: u64,
    guild_id: Option<u64>,
    command_id: Option<u64>,
    rec: &Recorded,
) -> Reply {
    if app != shared.world.application_id {
        return Reply::error(403, 50001, "Missing Access");
    }
    let body = rec.json.clone().unwrap_or(Value::Null);
    let mut rest = lock(&shared.rest);
    let list = match guild_id {
        None => &mut rest.global_commands,
        Some(g) => rest.guild_commands.entry(g).or_default(),
    };
    match (method, command_id) {
        ("GET", None) => Reply::json(200, json!(list)),
        ("PUT", None) => {
            let Some(items) = body.as_array() else {
                return Reply::invalid_form("_", "ARRAY_TYPE_CONVERT", "Must be an array.");
            };
            let mut echoed = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if let Err(reply) = check_command(item, &i.to_string()) {
                    return reply;
                }
                let existing = list
                    .iter()
                    .find(|c| c["name"] == item["name"])
                    .and_then(|c| id_at(c, "/id"));
                echoed.push(echo_command(item, app, guild_id, existing));
            }
            *list = echoed;
            Reply::json(200, json!(list))
        }
        ("POST", None) => {
            if let Err(reply) = check_command(&body, "") {
                return reply;
            }
            let existing = list.iter().position(|c| c["name"] == body["name"]);
            let id = existing.and_then(|i| id_at(&list[i], "/id"));
            let command = echo_command(&body, app, guild_id, id);
            match existing {
                Some(i) => list[i] = command.clone(),
                None => list.push(command.clone()),
            }
            Reply::json(if existing.is_some() { 200 } else { 201 }, command)
        }
        (_, Some(id)) => {
            let Some(index) = list.iter().position(|c| id_at(c, "/id") == Some(id)) else {
                return Reply::error(404, 10063, "Unknown application command");
            };
            match method {
                "GET" => Reply::json(200, list[index].clone()),
                "DELETE" => {
                    list.remove(index);
                    Reply::empty(204)
                }
                "PATCH" => {
                    if let Some(fields) = body.as_object() {
                        for (k, v) in fields {
                            list[index][k] = v.clone();
                        }
                    }
                    Reply::json(200, list[index].clone())
                }
                _ => Reply::error(405, 0, "405: Method Not Allowed"),
            }
        }
        _ => Reply::error(405, 0, "405: Method Not Allowed"),
    }
}

/// Discord's main checks on a command: name 1-32 characters (lower case, no spaces, for slash
/// commands), description 1-100 for slash commands and empty for context menus, <= 25 options.
fn check_command(cmd: &Value, path: &str) -> Result<(), Reply> {
    let at = |field: &str| {
        if path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        }
    };
    let kind = cmd["type"].as_u64().unwrap_or(1);
    let name = cmd["name"].as_str().unwrap_or("");
    let description = cmd["description"].as_str().unwrap_or("");
    let bad_name = name.is_empty() || name.chars().count() > 32;
    let bad_slash_name = kind == 1 && (name.chars().any(|c| c.is_uppercase() || c.is_whitespace()));
    if bad_name || bad_slash_name {
        return Err(Reply::invalid_form(
            &at("name"),
            "APPLICATION_COMMAND_INVALID_NAME",
            "Command name is invalid",
        ));
    }
    let desc_len = description.chars().count();
    if kind == 1 && !(1..=100).contains(&desc_len) {
        return Err(too_long(&at("description"), 100));
    }
    if kind != 1 && desc_len != 0 {
        return Err(Reply::invalid_form(
            &at("description"),
            "APPLICATION_COMMAND_INVALID_DESCRIPTION",
            "Context menu commands cannot have description",
        ));
    }
    if cmd["options"].as_array().is_some_and(|o| o.len() > 25) {
        return Err(too_long(&at("options"), 25));
    }
    Ok(())
}

/// The command object Discord returns for a registered command.
fn echo_command(body: &Value, app: u64, guild_id: Option<u64>, id: Option<u64>) -> Value {
    let mut cmd = body.clone();
    let id = id.unwrap_or_else(next_snowflake);
    cmd["id"] = json!(id.to_string());
    cmd["application_id"] = json!(app.to_string());
    cmd["version"] = json!(next_snowflake().to_string());
    if let Some(guild_id) = guild_id {
        cmd["guild_id"] = json!(guild_id.to_string());
    }
    let defaults = [
        ("type", json!(1)),
        ("description", json!("")),
        ("options", json!([])),
        ("default_member_permissions", Value::Null),
        ("nsfw", json!(false)),
    ];
    for (key, value) in defaults {
        if cmd.get(key).is_none_or(Value::is_null) {
            cmd[key] = value;
        }
    }
    cmd
}

/// `POST /interactions/{id}/{token}/callback`: 204, once per interaction.
fn interaction_callback(shared: &Shared, id: u64, token: &str, rec: &Recorded) -> Reply {
    let mut rest = lock(&shared.rest);
    let Some(state) = rest.interactions.get(token).filter(|s| s.id == id) else {
        return Reply::error(404, 10062, "Unknown interaction");
    };
    if state.acknowledged {
        return Reply::error(400, 40060, "Interaction has already been acknowledged.");
    }
    let (channel_id, guild_id, kind) = (state.channel_id, state.guild_id, state.kind);
    let component_message = state.message_id;
    let body = rec.json.clone().unwrap_or_else(|| json!({}));
    let data = body.get("data").cloned().unwrap_or_else(|| json!({}));
    let callback_type = body["type"].as_u64().unwrap_or(0);
    let original = match callback_type {
        8 if data["choices"].as_array().is_some_and(|c| c.len() > 25) => {
            return too_long("data.choices", 25);
        }
        1 | 8 | 9 => None,
        4 => {
            if let Err(reply) = check_message_body(&data, !rec.files.is_empty(), true) {
                return reply;
            }
            let mut msg = webhook_message_json(shared, channel_id, guild_id, 20);
            apply_message_body(&mut msg, &data, &rec.files, &shared.api_url);
            Some(msg)
        }
        5 => {
            let mut msg = webhook_message_json(shared, channel_id, guild_id, 20);
            let flags = data["flags"].as_u64().unwrap_or(0) & EPHEMERAL_FLAG;
            msg["flags"] = json!(flags | LOADING_FLAG);
            Some(msg)
        }
        6 | 7 if kind == 3 => {
            let mut msg = component_message.and_then(|m| rest.messages.get(&m).cloned());
            if let (7, Some(msg)) = (callback_type, msg.as_mut()) {
                apply_message_body(msg, &data, &rec.files, &shared.api_url);
                msg["edited_timestamp"] = json!(now_timestamp());
            }
            msg
        }
        _ => {
            return Reply::invalid_form(
                "type",
                "BASE_TYPE_CHOICES",
                "Value must be one of valid callback types.",
            )
        }
    };
    let original_id = original.map(|msg| {
        let mid = id_of(&msg);
        rest.messages.insert(mid, msg);
        mid
    });
    let state = rest.interactions.get_mut(token).expect("checked above");
    state.acknowledged = true;
    state.original = original_id;
    Reply::empty(204)
}

/// A message authored by the bot through the interaction webhook.
fn webhook_message_json(
    shared: &Shared,
    channel_id: u64,
    guild_id: Option<u64>,
    kind: u8,
) -> Value {
    let world = &shared.world;
    let mut msg = base_message(next_snowflake(), channel_id, guild_id, world.bot.to_json());
    msg["type"] = json!(kind);
    msg["webhook_id"] = json!(world.application_id.to_string());
    msg["application_id"] = json!(world.application_id.to_string());
    msg
}

/// `POST /webhooks/{app}/{token}`: a follow-up message of an acknowledged interaction.
fn post_followup(shared: &Shared, app: u64, token: &str, rec: &Recorded) -> Reply {
    let mut rest = lock(&shared.rest);
    let Some(state) = rest
        .interactions
        .get(token)
        .filter(|_| app == shared.world.application_id)
    else {
        return Reply::error(404, 10015, "Unknown Webhook");
    };
    if !state.acknowledged {
        return Reply::error(404, 10015, "Unknown Webhook");
    }
    let body = rec.json.clone().unwrap_or_else(|| json!({}));
    if let Err(reply) = check_message_body(&body, !rec.files.is_empty(), true) {
        return reply;
    }
    let mut msg = webhook_message_json(shared, state.channel_id, state.guild_id, 0);
    apply_message_body(&mut msg, &body, &rec.files, &shared.api_url);
    let id = id_of(&msg);
    rest.messages.insert(id, msg.clone());
    rest.interactions
        .get_mut(token)
        .expect("checked above")
        .followups
        .push(id);
    Reply::json(200, msg)
}

/// `GET/PATCH/DELETE /webhooks/{app}/{token}/messages/{@original | id}`.
fn webhook_message(
    shared: &Shared,
    method: &str,
    app: u64,
    token: &str,
    which: &str,
    rec: &Recorded,
) -> Reply {
    let mut rest = lock(&shared.rest);
    let Some(state) = rest
        .interactions
        .get(token)
        .filter(|_| app == shared.world.application_id)
    else {
        return Reply::error(404, 10015, "Unknown Webhook");
    };
    let message_id = if which == "@original" {
        state.original
    } else {
        Some(parse_id(which))
            .filter(|id| state.original == Some(*id) || state.followups.contains(id))
    };
    let Some(message_id) = message_id.filter(|id| rest.messages.contains_key(id)) else {
        return Reply::error(404, 10008, "Unknown Message");
    };
    match method {
        "GET" => Reply::json(200, rest.messages[&message_id].clone()),
        "PATCH" => {
            let body = rec.json.clone().unwrap_or_else(|| json!({}));
            if let Err(reply) = check_message_body(&body, !rec.files.is_empty(), false) {
                return reply;
            }
            let msg = rest.messages.get_mut(&message_id).expect("checked above");
            apply_message_body(msg, &body, &rec.files, &shared.api_url);
            if let Some(flags) = msg["flags"].as_u64() {
                msg["flags"] = json!(flags & !LOADING_FLAG);
            }
            msg["edited_timestamp"] = json!(now_timestamp());
            Reply::json(200, msg.clone())
        }
        "DELETE" => {
            rest.messages.remove(&message_id);
            Reply::empty(204)
        }
        _ => Reply::error(405, 0, "405: Method Not Allowed"),
    }
}
