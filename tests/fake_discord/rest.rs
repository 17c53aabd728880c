//! The fake's REST server: routing, Discord's refusals, rate limits, faults and what each
//! route answers.

use super::*;

// ---------------------------------------------------------------------------------------------
// REST server
// ---------------------------------------------------------------------------------------------

/// What the fake answers.
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) content_type: Option<String>,
    pub(super) body: Vec<u8>,
    /// Send `body`, then keep the response open forever.
    pub(super) stall: bool,
}

impl Reply {
    pub(super) fn json(status: u16, value: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            content_type: Some("application/json".into()),
            body: value.to_string().into_bytes(),
            stall: false,
        }
    }

    pub(super) fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            content_type: None,
            body: Vec::new(),
            stall: false,
        }
    }

    /// A Discord JSON error: `{"message", "code"}` (+ `errors` for form errors).
    pub(super) fn error(status: u16, code: u64, message: &str) -> Self {
        Self::json(status, json!({"message": message, "code": code}))
    }

    pub(super) fn not_found() -> Self {
        Self::error(404, 0, "404: Not Found")
    }

    /// 50035 Invalid Form Body with one error at `path` (Discord's nested `errors` shape).
    pub(super) fn invalid_form(path: &str, code: &str, message: &str) -> Self {
        let mut errors = json!({"_errors": [{"code": code, "message": message}]});
        for key in path.rsplit('.') {
            errors = json!({ key: errors });
        }
        Self::json(
            400,
            json!({"message": "Invalid Form Body", "code": 50035, "errors": errors}),
        )
    }

    pub(super) fn into_response(self) -> Response {
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

pub(super) async fn handle_rest(
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

pub(super) fn recorded_from(
    method: Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Recorded {
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
pub(super) fn parse_multipart(
    content_type: &str,
    body: &[u8],
) -> (Option<Value>, Vec<RecordedFile>) {
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

pub(super) fn disposition_param(head: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let start = head.match_indices(&needle).find(|(i, _)| {
        // `name=` must not be the tail of `filename=`
        *i == 0 || !head.as_bytes()[i - 1].is_ascii_alphanumeric()
    })?;
    let rest = &head[start.0 + needle.len()..];
    rest.split('"').next().map(str::to_string)
}

pub(super) fn faulted(shared: &Shared, rec: &Recorded) -> Option<Reply> {
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

pub(super) fn matching_bucket<'a>(
    rest: &'a mut RestState,
    rec: &Recorded,
) -> Option<&'a mut BucketRule> {
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

pub(super) fn bucket_headers(b: &BucketRule) -> Vec<(String, String)> {
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
pub(super) fn bucket_exhausted(shared: &Shared, rec: &Recorded) -> Option<Reply> {
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

pub(super) fn add_bucket_headers(shared: &Shared, rec: &Recorded, reply: &mut Reply) {
    let mut rest = lock(&shared.rest);
    if let Some(bucket) = matching_bucket(&mut rest, rec) {
        bucket.used += 1;
        reply.headers.extend(bucket_headers(bucket));
    }
}

pub(super) fn periodic_fault(shared: &Shared, rec: &Recorded) -> Option<Reply> {
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

pub(super) fn rate_limited(shared: &Shared, path: &str) -> Option<Reply> {
    let mut rest = lock(&shared.rest);
    let rule = rest
        .rate_limits
        .iter_mut()
        .find(|r| r.remaining > 0 && path.contains(&r.path_substring))?;
    rule.remaining -= 1;
    Some(rate_limit_reply(rule.retry_after, rule.global))
}

/// A 429 with Discord's body and `Retry-After` / `X-RateLimit-*` headers.
pub(super) fn rate_limit_reply(retry: f64, global: bool) -> Reply {
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

pub(super) fn route(shared: &Shared, rec: &Recorded) -> Reply {
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
pub(super) fn parse_id(segment: &str) -> u64 {
    segment.parse().unwrap_or(0)
}

pub(super) fn bot_gateway_json(url: &str, shards: u64) -> Value {
    json!({
        "url": url,
        "shards": shards,
        "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1,
        },
    })
}

pub(super) fn serve_attachment(shared: &Shared, path: &str) -> Reply {
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
pub(super) fn get_guild_part(shared: &Shared, guild_id: u64, rest: &[&str]) -> Reply {
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
pub(super) fn channel_guild(shared: &Shared, channel_id: u64) -> Option<Option<u64>> {
    if let Some((guild, _)) = shared.world.channel(channel_id) {
        return Some(Some(guild.id));
    }
    lock(&shared.rest).extra_channels.get(&channel_id).copied()
}

pub(super) fn get_channel(shared: &Shared, channel_id: u64) -> Reply {
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

pub(super) fn post_channel_message(shared: &Shared, channel_id: u64, rec: &Recorded) -> Reply {
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

pub(super) fn channel_message(
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
pub(super) fn check_message_body(
    body: &Value,
    has_files: bool,
    creating: bool,
) -> Result<(), Reply> {
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

pub(super) fn too_long(path: &str, max: usize) -> Reply {
    Reply::invalid_form(
        path,
        "BASE_TYPE_MAX_LENGTH",
        &format!("Must be {max} or fewer in length."),
    )
}

/// Embed limits: title 256, description 4096, 25 fields (name 256, value 1024), footer 2048,
/// author 256, and 6000 characters in total.
pub(super) fn check_embed(embed: &Value, path: &str) -> Result<(), Reply> {
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
pub(super) fn apply_message_body(
    msg: &mut Value,
    body: &Value,
    files: &[RecordedFile],
    api_url: &str,
) {
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

pub(super) fn rich_embed(embed: &Value) -> Value {
    let mut embed = embed.clone();
    if embed.get("type").is_none() {
        embed["type"] = json!("rich");
    }
    embed
}

/// An attachment of a sent message: an existing one (id is a snowflake) or a new upload.
pub(super) fn stored_attachment(
    a: &Value,
    files: &[RecordedFile],
    message_id: u64,
    api_url: &str,
) -> Value {
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
