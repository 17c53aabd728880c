//! The fake's world: the bot, its application, guilds, channels, roles and members, and the
//! interaction payloads built from them.

use super::*;

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

pub(super) const MESSAGE_CONTENT_INTENT: u64 = 1 << 15;
/// Application flags in READY: GATEWAY_MESSAGE_CONTENT_LIMITED | APPLICATION_COMMAND_BADGE.
pub(super) const APPLICATION_FLAGS: u64 = (1 << 19) | (1 << 23);
pub(super) const EPHEMERAL_FLAG: u64 = 1 << 6;
pub(super) const LOADING_FLAG: u64 = 1 << 7;

pub(super) static NEXT_SNOWFLAKE: AtomicU64 = AtomicU64::new(1_400_000_000_000_000_000);

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
