//! The fake's gateway: one WebSocket server, one session per shard.
//!
//! A bot IDENTIFYs once per shard with `shard: [id, total]`; each session gets READY and a
//! GUILD_CREATE for the guilds Discord would put on that shard, `(guild_id >> 22) % total`,
//! and dispatches are routed the same way (events without a guild go to shard 0). Sessions of
//! several processes (`SHARDS=0..1/2` and `1..2/2`) live side by side.

use super::*;

/// One frame the bot sent on the gateway.
#[derive(Clone, Debug)]
pub struct GatewayFrame {
    /// Which WebSocket connection (1-based, in connection order).
    pub conn_id: u64,
    pub op: u64,
    pub payload: Value,
}

/// The shard Discord puts a guild on: `(guild_id >> 22) % shard_count`.
pub fn shard_of_guild(guild_id: u64, shard_count: u64) -> u64 {
    (guild_id >> 22) % shard_count.max(1)
}

#[derive(Default)]
pub(super) struct GatewayState {
    /// Sessions by `(shard id, shard count)`, kept after their connection closes so a RESUME
    /// can name them.
    sessions: BTreeMap<(u64, u64), Session>,
    sessions_started: u64,
    next_conn_id: u64,
    /// Request URIs of gateway connections, in order.
    connections: Vec<String>,
}

struct Session {
    session_id: String,
    seq: u64,
    /// Intents of the IDENTIFY that opened the session.
    intents: u64,
    /// The connection the session is on, or `None` while the bot is away.
    conn: Option<(u64, mpsc::UnboundedSender<WsMessage>)>,
}

impl GatewayState {
    /// The connected session that receives events of `guild_id` (shard 0 for none).
    fn session_for(&mut self, guild_id: Option<u64>) -> Option<&mut Session> {
        self.sessions
            .iter_mut()
            .find(|((shard, total), s)| {
                s.conn.is_some() && guild_id.map_or(0, |g| shard_of_guild(g, *total)) == *shard
            })
            .map(|(_, s)| s)
    }

    fn connected(&self) -> impl Iterator<Item = (&(u64, u64), &Session)> {
        self.sessions.iter().filter(|(_, s)| s.conn.is_some())
    }
}

impl Session {
    /// Sends a dispatch with the session's next `s` and returns it.
    fn dispatch(&mut self, event: &str, data: Value) -> u64 {
        self.seq += 1;
        let frame = json!({"op": 0, "s": self.seq, "t": event, "d": data});
        if let Some((_, tx)) = &self.conn {
            let _ = tx.send(WsMessage::Text(frame.to_string()));
        }
        self.seq
    }
}

/// Panics with serde's error when serenity would drop `data` as `event`.
fn assert_serenity_takes(event: &str, data: &Value) {
    if let Err(e) = validate_event(event, data) {
        panic!("fake_discord: serenity would drop this {event}: {e}\npayload: {data:#}");
    }
}

/// The guild an event belongs to, which decides its shard.
fn guild_of_event(event: &str, data: &Value) -> Option<u64> {
    match event {
        "GUILD_CREATE" | "GUILD_UPDATE" | "GUILD_DELETE" => id_at(data, "/id"),
        _ => id_at(data, "/guild_id"),
    }
}

impl FakeDiscord {
    /// Sends a dispatch (op 0, next `s`) to the session of the shard the event's guild is on
    /// and returns its `s`. Waits up to [`DEFAULT_TIMEOUT`] for that session; panics when the
    /// payload would not deserialize in serenity (see [`validate_event`]) or no bot connects.
    pub async fn dispatch(&self, event: &str, data: Value) -> u64 {
        assert_serenity_takes(event, &data);
        self.dispatch_unchecked(event, data).await
    }

    /// [`Self::dispatch`] without validating the payload (for deliberately malformed events).
    pub async fn dispatch_unchecked(&self, event: &str, data: Value) -> u64 {
        let guild = guild_of_event(event, &data);
        self.deliver(event, data, |g| g.session_for(guild)).await
    }

    /// Sends a dispatch to the session of shard `shard` whatever its guild, as happens while a
    /// guild changes hands (resharding, or a process taking over a shard range).
    pub async fn dispatch_on_shard(&self, shard: u64, event: &str, data: Value) -> u64 {
        assert_serenity_takes(event, &data);
        self.deliver(event, data, |g| {
            g.sessions
                .iter_mut()
                .find(|((s, _), session)| *s == shard && session.conn.is_some())
                .map(|(_, session)| session)
        })
        .await
    }

    async fn deliver(
        &self,
        event: &str,
        data: Value,
        pick: impl Fn(&mut GatewayState) -> Option<&mut Session>,
    ) -> u64 {
        let found = self
            .wait_until(DEFAULT_TIMEOUT, |s| pick(&mut lock(&s.gateway)).map(|_| ()))
            .await;
        if found.is_none() {
            panic!(
                "fake_discord: no session to receive {event} within {DEFAULT_TIMEOUT:?} \
                 (gateway connections: {:?}); REST requests:\n{}",
                self.gateway_connections(),
                self.request_log()
            );
        }
        self.shared.remember_dispatched(event, &data);
        let mut gateway = lock(&self.shared.gateway);
        let Some(session) = pick(&mut gateway) else {
            panic!("fake_discord: the bot's session closed before {event} could be sent");
        };
        let data = self.shared.as_delivered(event, data, session.intents);
        session.dispatch(event, data)
    }

    /// A snapshot of every gateway frame the bot sent (IDENTIFY, heartbeats, RESUME, ...).
    pub fn gateway_frames(&self) -> Vec<GatewayFrame> {
        lock(&self.shared.frames).clone()
    }

    /// Waits for a gateway frame from the bot matching `pred`.
    pub async fn wait_for_gateway(
        &self,
        pred: impl Fn(&GatewayFrame) -> bool,
        timeout: Duration,
    ) -> Result<GatewayFrame, String> {
        let found = self
            .wait_until(timeout, |s| {
                lock(&s.frames).iter().find(|f| pred(f)).cloned()
            })
            .await;
        found.ok_or_else(|| {
            let frames = lock(&self.shared.frames);
            let ops: Vec<String> = frames
                .iter()
                .map(|f| format!("conn {} op {}", f.conn_id, f.op))
                .collect();
            format!(
                "no matching gateway frame within {timeout:?}; connections: {:?}; frames: {ops:?}",
                lock(&self.shared.gateway).connections
            )
        })
    }

    /// Waits for the bot's IDENTIFY and returns its `d` (token, intents, properties, ...).
    pub async fn wait_for_identify(&self, timeout: Duration) -> Result<Value, String> {
        let frame = self.wait_for_gateway(|f| f.op == 2, timeout).await?;
        Ok(frame.payload["d"].clone())
    }

    /// Waits until the bot has a connected session (READY or RESUMED sent), so dispatches
    /// reach it.
    pub async fn wait_for_session(&self, timeout: Duration) -> Result<(), String> {
        self.wait_for_sessions(timeout, |_| true).await
    }

    /// Waits until shard `shard` has a connected session.
    pub async fn wait_for_shard_session(
        &self,
        shard: u64,
        timeout: Duration,
    ) -> Result<(), String> {
        self.wait_for_sessions(timeout, |(s, _)| *s == shard).await
    }

    async fn wait_for_sessions(
        &self,
        timeout: Duration,
        wanted: impl Fn(&(u64, u64)) -> bool,
    ) -> Result<(), String> {
        let found = self
            .wait_until(timeout, |s| {
                lock(&s.gateway)
                    .connected()
                    .any(|(k, _)| wanted(k))
                    .then_some(())
            })
            .await;
        found.ok_or_else(|| {
            format!(
                "the bot never identified within {timeout:?} (gateway connections: {:?}; \
                 sessions: {:?}); REST requests:\n{}",
                self.gateway_connections(),
                self.shard_sessions(),
                self.request_log()
            )
        })
    }

    /// The `[shard, total]` of every connected session.
    pub fn shard_sessions(&self) -> Vec<(u64, u64)> {
        lock(&self.shared.gateway)
            .connected()
            .map(|(k, _)| *k)
            .collect()
    }

    /// Sends op 7 RECONNECT on every connected session (serenity then reconnects and
    /// RESUMEs). Returns false when there is none.
    pub fn request_reconnect(&self) -> bool {
        self.send_op(json!({"op": 7, "d": null}))
    }

    /// Sends op 9 INVALID SESSION (`resumable` false makes the bot IDENTIFY again).
    pub fn invalidate_session(&self, resumable: bool) -> bool {
        self.send_op(json!({"op": 9, "d": resumable}))
    }

    /// Request URIs of the gateway connections so far (serenity appends `?v=10`).
    pub fn gateway_connections(&self) -> Vec<String> {
        lock(&self.shared.gateway).connections.clone()
    }

    fn send_op(&self, frame: Value) -> bool {
        let gateway = lock(&self.shared.gateway);
        let mut sent = false;
        for (_, session) in gateway.connected() {
            if let Some((_, tx)) = &session.conn {
                sent |= tx.send(WsMessage::Text(frame.to_string())).is_ok();
            }
        }
        sent
    }

    /// Forgets every session's connection (dropping the fake closes them without a frame).
    pub(super) fn disconnect_all(&self) {
        for session in lock(&self.shared.gateway).sessions.values_mut() {
            session.conn = None;
        }
    }
}

pub(super) async fn accept_gateway(shared: Arc<Shared>, listener: TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        let task = tokio::spawn(serve_gateway_connection(Arc::clone(&shared), stream));
        lock(&shared.conn_tasks).push(task.abort_handle());
    }
}

// tungstenite's handshake callback must return its (large) `ErrorResponse` as the error type.
#[allow(clippy::result_large_err)]
async fn serve_gateway_connection(shared: Arc<Shared>, stream: TcpStream) {
    let mut uri = String::new();
    let capture_uri = |req: &Request, resp: WsResponse| {
        uri = req.uri().to_string();
        Ok(resp)
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, capture_uri).await else {
        return;
    };
    let conn_id = {
        let mut gateway = lock(&shared.gateway);
        gateway.next_conn_id += 1;
        gateway.connections.push(uri);
        gateway.next_conn_id
    };
    shared.bump();

    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<WsMessage>();
    let writer = tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            if sink.send(msg).await.is_err() {
                break;
            }
        }
    });
    lock(&shared.conn_tasks).push(writer.abort_handle());
    let hello =
        json!({"op": 10, "s": null, "t": null, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}});
    let _ = tx.send(WsMessage::Text(hello.to_string()));

    while let Some(Ok(frame)) = source.next().await {
        match frame {
            WsMessage::Text(text) => handle_gateway_frame(&shared, conn_id, &tx, &text),
            WsMessage::Close(_) => break,
            _ => {}
        }
    }

    for session in lock(&shared.gateway).sessions.values_mut() {
        if session.conn.as_ref().is_some_and(|(c, _)| *c == conn_id) {
            session.conn = None;
        }
    }
    shared.bump();
    writer.abort();
}

fn handle_gateway_frame(
    shared: &Shared,
    conn_id: u64,
    tx: &mpsc::UnboundedSender<WsMessage>,
    text: &str,
) {
    let Ok(payload) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let op = payload["op"].as_u64().unwrap_or(u64::MAX);
    match op {
        1 => {
            let _ = tx.send(WsMessage::Text(json!({"op": 11, "d": null}).to_string()));
        }
        2 => start_session(shared, conn_id, tx, &payload["d"]),
        6 => resume_session(shared, conn_id, tx, &payload["d"]),
        _ => {}
    }
    lock(&shared.frames).push(GatewayFrame {
        conn_id,
        op,
        payload,
    });
    shared.bump();
}

/// IDENTIFY: a new session for the shard it names; READY then one GUILD_CREATE per guild of
/// that shard, then dispatches may flow. A second IDENTIFY of the same shard replaces the
/// first session.
fn start_session(
    shared: &Shared,
    conn_id: u64,
    tx: &mpsc::UnboundedSender<WsMessage>,
    identify: &Value,
) {
    let intents = identify["intents"].as_u64().unwrap_or(0);
    if !shared.world.message_content_allowed && intents & MESSAGE_CONTENT_INTENT != 0 {
        let close = CloseFrame {
            code: CloseCode::from(4014),
            reason: "Disallowed intent(s).".into(),
        };
        let _ = tx.send(WsMessage::Close(Some(close)));
        return;
    }
    let shard = identify.get("shard").cloned().unwrap_or(json!([0, 1]));
    let id = shard[0].as_u64().unwrap_or(0);
    let total = shard[1].as_u64().unwrap_or(1).max(1);
    let mut gateway = lock(&shared.gateway);
    gateway.sessions_started += 1;
    let session_id = format!("fake-session-{}", gateway.sessions_started);
    let world = &shared.world;
    let guilds: Vec<&FakeGuild> = world
        .guilds
        .iter()
        .filter(|g| shard_of_guild(g.id, total) == id)
        .collect();
    let mut session = Session {
        session_id: session_id.clone(),
        seq: 0,
        intents,
        conn: Some((conn_id, tx.clone())),
    };
    session.dispatch(
        "READY",
        world.ready_payload(&session_id, &shared.gateway_url, shard, &guilds),
    );
    for guild in guilds {
        session.dispatch("GUILD_CREATE", world.guild_create_payload(guild));
    }
    gateway.sessions.insert((id, total), session);
}

/// RESUME: the session moves to this connection and gets RESUMED; an unknown session id gets
/// op 9 (not resumable), after which serenity identifies again.
fn resume_session(
    shared: &Shared,
    conn_id: u64,
    tx: &mpsc::UnboundedSender<WsMessage>,
    resume: &Value,
) {
    let mut gateway = lock(&shared.gateway);
    let named = resume["session_id"].as_str();
    let Some(session) = gateway
        .sessions
        .values_mut()
        .find(|s| Some(s.session_id.as_str()) == named)
    else {
        let _ = tx.send(WsMessage::Text(json!({"op": 9, "d": false}).to_string()));
        return;
    };
    session.conn = Some((conn_id, tx.clone()));
    session.dispatch("RESUMED", json!({}));
}
