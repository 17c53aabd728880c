//! Message payloads (MESSAGE_CREATE / UPDATE / DELETE) and the JSON of channels, roles and
//! members.

use super::*;

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
pub(super) fn mentioned_users(content: &str) -> Vec<Value> {
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

pub(super) fn base_message(
    id: u64,
    channel_id: u64,
    guild_id: Option<u64>,
    author: Value,
) -> Value {
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
pub(super) fn merge(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}

pub(super) fn channel_json(guild_id: u64, c: &FakeChannel, position: usize) -> Value {
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

pub(super) fn role_json(r: &FakeRole) -> Value {
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

pub(super) fn member_json(m: &FakeMember) -> Value {
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
