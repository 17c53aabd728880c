//! Application commands, interaction callbacks and the interaction webhook (follow-ups and
//! the original response), as the fake's REST server answers them.

use super::*;

pub(super) fn commands(
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
pub(super) fn check_command(cmd: &Value, path: &str) -> Result<(), Reply> {
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
pub(super) fn echo_command(
    body: &Value,
    app: u64,
    guild_id: Option<u64>,
    id: Option<u64>,
) -> Value {
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
pub(super) fn interaction_callback(shared: &Shared, id: u64, token: &str, rec: &Recorded) -> Reply {
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
pub(super) fn webhook_message_json(
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
pub(super) fn post_followup(shared: &Shared, app: u64, token: &str, rec: &Recorded) -> Reply {
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
pub(super) fn webhook_message(
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
