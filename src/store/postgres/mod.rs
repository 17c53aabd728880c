//! Purpose: the PostgreSQL backend of the store (`DATABASE_URL=postgres://...`),
//! for several bot processes sharing one database. Versioned migrations from
//! `migrations/postgres/`; every settings or note write sends a `NOTIFY` with
//! the guild id, which the other processes' sync tasks `LISTEN` for.
//!
//! The `postgres` crate's blocking client runs its own small Tokio runtime, so
//! it may not be used (or dropped) on a thread that drives async tasks. Each
//! client therefore lives on a thread of its own: a worker thread runs the
//! queries sent to it over a channel, and the sync thread owns the `LISTEN`
//! connection. Callers block only for the query itself, like with SQLite.

use std::sync::mpsc;
use std::time::Duration;

use ::postgres::config::Host;
use ::postgres::error::SqlState;
use ::postgres::{Client, Config, NoTls};

use super::{
    code_of, from_unix, redact, unix, Backend, GuildSettings, LiveRow, Notes, Snapshot, StoreError,
    UsageBatch, Vote, VoteOutcome, Watcher,
};
use crate::AadstsCode;

mod listen;

/// Embedded migrations, applied in order; version = position + 1.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_settings.sql"),
    include_str!("../../../migrations/postgres/0002_live_usage_votes_notes.sql"),
];

/// Key of the advisory lock that serialises migrations across processes.
const MIGRATION_LOCK: i64 = 0x0AAD_5750_0001;

type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// A PostgreSQL database, reached through a worker thread.
pub(crate) struct Postgres {
    jobs: mpsc::Sender<Job>,
    config: Config,
    /// The `NOTIFY` channel: one per schema, so test schemas stay apart.
    channel: String,
}

impl Postgres {
    /// Connects, applies missing migrations and starts the worker thread.
    pub(crate) fn open(url: &str) -> Result<Self, StoreError> {
        let mut config: Config = url.parse().map_err(|_| StoreError::Url(redact(url)))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready, started) = mpsc::sync_channel(1);
        let cfg = config.clone();
        std::thread::Builder::new()
            .name("store-postgres".into())
            .spawn(move || worker(&cfg, &ready, &queue))
            .map_err(|_| StoreError::Closed)?;
        let channel = started.recv().map_err(|_| StoreError::Closed)??;
        Ok(Self {
            jobs,
            config,
            channel,
        })
    }

    /// Runs `f` on the worker's connection and waits for its answer.
    fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<R, ::postgres::Error> + Send + 'static,
    ) -> Result<R, StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.jobs
            .send(Box::new(move |c: &mut Client| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| StoreError::Closed)?;
        rx.recv().map_err(|_| StoreError::Closed)?.map_err(map_err)
    }

    /// Runs a settings write and its `NOTIFY` in one transaction.
    fn write_and_notify<R: Send + 'static>(
        &self,
        guild: u64,
        f: impl FnOnce(&mut ::postgres::Transaction<'_>) -> Result<R, ::postgres::Error>
            + Send
            + 'static,
    ) -> Result<R, StoreError> {
        let channel = self.channel.clone();
        self.call(move |c| {
            let mut t = c.transaction()?;
            let r = f(&mut t)?;
            t.execute("SELECT pg_notify($1, $2)", &[&channel, &guild.to_string()])?;
            t.commit()?;
            Ok(r)
        })
    }
}

/// The worker thread: connect, migrate, report, then serve jobs until every
/// sender is gone. A dropped connection is re-opened before the next job.
fn worker(
    config: &Config,
    ready: &mpsc::SyncSender<Result<String, StoreError>>,
    queue: &mpsc::Receiver<Job>,
) {
    let mut client = match connect(config) {
        Ok((client, channel)) => {
            let _ = ready.send(Ok(channel));
            client
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    for job in queue {
        if client.is_closed() {
            match config.connect(NoTls) {
                Ok(c) => client = c,
                Err(e) => tracing::warn!(error = %e, "PostgreSQL reconnect failed"),
            }
        }
        job(&mut client);
    }
}

/// Host, port and database name, for messages (never credentials).
fn target(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", config.get_dbname().unwrap_or(""))
}

fn connect(config: &Config) -> Result<(Client, String), StoreError> {
    let mut client = config
        .connect(NoTls)
        .map_err(|source| StoreError::Connect {
            target: target(config),
            source,
        })?;
    migrate(&mut client).map_err(map_err)?;
    let schema: String = client
        .query_one("SELECT current_schema()", &[])?
        .try_get(0)?;
    let mut channel = format!("aadsts_store_{schema}");
    channel.truncate(63);
    Ok((client, channel))
}

fn map_err(e: ::postgres::Error) -> StoreError {
    if e.code() == Some(&SqlState::READ_ONLY_SQL_TRANSACTION) {
        StoreError::ReadOnly
    } else {
        StoreError::Postgres(e)
    }
}

/// Applies missing migrations under an advisory lock, so processes starting
/// together don't race. An up-to-date database is only read.
fn migrate(c: &mut Client) -> Result<(), ::postgres::Error> {
    let latest = MIGRATIONS.len() as i64;
    let applied = |c: &mut ::postgres::Transaction<'_>| -> Result<i64, ::postgres::Error> {
        let exists: bool = c
            .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])?
            .try_get(0)?;
        if !exists {
            return Ok(0);
        }
        c.query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )?
        .try_get(0)
    };
    let mut t = c.transaction()?;
    if applied(&mut t)? >= latest {
        return t.commit();
    }
    t.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    t.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )?;
    let done = applied(&mut t)?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version > done {
            t.batch_execute(sql)?;
            t.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[&version],
            )?;
        }
    }
    t.commit()
}

fn load(c: &mut Client, guild: Option<i64>) -> Result<Snapshot, ::postgres::Error> {
    let mut snap = Snapshot::default();
    for row in c.query(
        "SELECT guild_id, cooldown_secs, attachments FROM guild_settings
         WHERE $1::BIGINT IS NULL OR guild_id = $1",
        &[&guild],
    )? {
        let s = snap
            .guilds
            .entry(row.try_get::<_, i64>(0)? as u64)
            .or_default();
        s.cooldown = row
            .try_get::<_, Option<i64>>(1)?
            .map(|c| Duration::from_secs(c.max(0).unsigned_abs()));
        s.attachments = row.try_get(2)?;
    }
    for row in c.query(
        "SELECT guild_id, channel_id FROM enabled_channels WHERE $1::BIGINT IS NULL OR guild_id = $1",
        &[&guild],
    )? {
        snap.guilds
            .entry(row.try_get::<_, i64>(0)? as u64)
            .or_default()
            .channels
            .insert(row.try_get::<_, i64>(1)? as u64);
    }
    for row in c.query(
        "SELECT guild_id, code, note FROM guild_notes WHERE $1::BIGINT IS NULL OR guild_id = $1",
        &[&guild],
    )? {
        if let Some(code) = code_of(row.try_get(1)?) {
            snap.notes
                .entry(row.try_get::<_, i64>(0)? as u64)
                .or_default()
                .insert(code, row.try_get(2)?);
        }
    }
    Ok(snap)
}

fn code_param(code: AadstsCode) -> i64 {
    i64::from(code.number())
}

impl Backend for Postgres {
    fn load_all(&self) -> Result<Snapshot, StoreError> {
        self.call(|c| load(c, None))
    }

    fn load_guild(&self, guild: u64) -> Result<(GuildSettings, Notes), StoreError> {
        let mut snap = self.call(move |c| load(c, Some(guild as i64)))?;
        Ok((
            snap.guilds.remove(&guild).unwrap_or_default(),
            snap.notes.remove(&guild).unwrap_or_default(),
        ))
    }

    fn add_channel(&self, guild: u64, channel: u64) -> Result<bool, StoreError> {
        self.write_and_notify(guild, move |t| {
            t.execute(
                "INSERT INTO enabled_channels (guild_id, channel_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
                &[&(guild as i64), &(channel as i64)],
            )
        })
        .map(|n| n == 1)
    }

    fn remove_channel(&self, guild: u64, channel: u64) -> Result<bool, StoreError> {
        self.write_and_notify(guild, move |t| {
            t.execute(
                "DELETE FROM enabled_channels WHERE guild_id = $1 AND channel_id = $2",
                &[&(guild as i64), &(channel as i64)],
            )
        })
        .map(|n| n == 1)
    }

    fn set_cooldown(&self, guild: u64, secs: u64) -> Result<(), StoreError> {
        let secs = i64::try_from(secs).unwrap_or(i64::MAX);
        self.write_and_notify(guild, move |t| {
            t.execute(
                "INSERT INTO guild_settings (guild_id, cooldown_secs) VALUES ($1, $2)
                 ON CONFLICT (guild_id) DO UPDATE SET cooldown_secs = excluded.cooldown_secs",
                &[&(guild as i64), &secs],
            )
        })
        .map(drop)
    }

    fn set_attachments(&self, guild: u64, on: bool) -> Result<(), StoreError> {
        self.write_and_notify(guild, move |t| {
            t.execute(
                "INSERT INTO guild_settings (guild_id, attachments) VALUES ($1, $2)
                 ON CONFLICT (guild_id) DO UPDATE SET attachments = excluded.attachments",
                &[&(guild as i64), &on],
            )
        })
        .map(drop)
    }

    fn set_note(&self, guild: u64, code: AadstsCode, text: &str) -> Result<(), StoreError> {
        let text = text.to_owned();
        self.write_and_notify(guild, move |t| {
            t.execute(
                "INSERT INTO guild_notes (guild_id, code, note) VALUES ($1, $2, $3)
                 ON CONFLICT (guild_id, code) DO UPDATE SET note = excluded.note",
                &[&(guild as i64), &code_param(code), &text],
            )
        })
        .map(drop)
    }

    fn remove_note(&self, guild: u64, code: AadstsCode) -> Result<bool, StoreError> {
        self.write_and_notify(guild, move |t| {
            t.execute(
                "DELETE FROM guild_notes WHERE guild_id = $1 AND code = $2",
                &[&(guild as i64), &code_param(code)],
            )
        })
        .map(|n| n == 1)
    }

    fn live_get(&self, code: AadstsCode, host: &str) -> Result<Option<LiveRow>, StoreError> {
        let host = host.to_owned();
        self.call(move |c| {
            let Some(row) = c.query_opt(
                "SELECT found, message, remediation, fetched_at FROM live_cache
                 WHERE code = $1 AND host = $2",
                &[&code_param(code), &host],
            )?
            else {
                return Ok(None);
            };
            Ok(Some(LiveRow {
                found: row.try_get(0)?,
                message: row.try_get(1)?,
                remediation: row.try_get(2)?,
                fetched_at: from_unix(row.try_get(3)?),
            }))
        })
    }

    fn live_put(&self, code: AadstsCode, host: &str, row: &LiveRow) -> Result<(), StoreError> {
        let (host, row) = (host.to_owned(), row.clone());
        self.call(move |c| {
            c.execute(
                "INSERT INTO live_cache (code, host, found, message, remediation, fetched_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (code, host) DO UPDATE SET found = excluded.found,
                   message = excluded.message, remediation = excluded.remediation,
                   fetched_at = excluded.fetched_at",
                &[
                    &code_param(code),
                    &host,
                    &row.found,
                    &row.message,
                    &row.remediation,
                    &unix(row.fetched_at),
                ],
            )
        })
        .map(drop)
    }

    fn add_usage(&self, batch: &UsageBatch) -> Result<(), StoreError> {
        let rows: Vec<_> = batch
            .iter()
            .map(|(&(g, day, code), &n)| {
                (
                    g as i64,
                    i64::from(day),
                    code_param(code),
                    i64::try_from(n).unwrap_or(i64::MAX),
                )
            })
            .collect();
        self.call(move |c| {
            let mut t = c.transaction()?;
            let stmt = t.prepare(
                "INSERT INTO code_usage (guild_id, day, code, count) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (guild_id, day, code) DO UPDATE SET count = code_usage.count + excluded.count",
            )?;
            for (g, day, code, n) in &rows {
                t.execute(&stmt, &[g, day, code, n])?;
            }
            t.commit()
        })
    }

    fn usage(&self, guild: Option<u64>, since: u32) -> Result<Vec<(AadstsCode, u64)>, StoreError> {
        let guild = guild.map(|g| g as i64);
        self.call(move |c| {
            let rows = c.query(
                "SELECT code, SUM(count)::BIGINT FROM code_usage
                 WHERE day >= $1 AND ($2::BIGINT IS NULL OR guild_id = $2)
                 GROUP BY code ORDER BY 2 DESC, code",
                &[&i64::from(since), &guild],
            )?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                if let Some(code) = code_of(row.try_get(0)?) {
                    out.push((code, row.try_get::<_, i64>(1)?.max(0).unsigned_abs()));
                }
            }
            Ok(out)
        })
    }

    fn vote(&self, v: Vote) -> Result<VoteOutcome, StoreError> {
        self.call(move |c| {
            let mut t = c.transaction()?;
            let (g, r, m) = (v.guild as i64, v.reply as i64, v.member as i64);
            let count = |t: &mut ::postgres::Transaction<'_>, code: i64, yes: i64, no: i64| {
                t.execute(
                    "INSERT INTO vote_counts (guild_id, code, helpful, not_helpful)
                     VALUES ($1, $2, GREATEST($3::BIGINT, 0), GREATEST($4::BIGINT, 0))
                     ON CONFLICT (guild_id, code) DO UPDATE SET
                       helpful = GREATEST(vote_counts.helpful + $3::BIGINT, 0),
                       not_helpful = GREATEST(vote_counts.not_helpful + $4::BIGINT, 0)",
                    &[&g, &code, &yes, &no],
                )
            };
            let inserted = t.execute(
                "INSERT INTO reply_votes (guild_id, reply_id, member_key, code, helpful, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[&g, &r, &m, &code_param(v.code), &v.helpful, &v.expires],
            )?;
            let outcome = if inserted == 1 {
                let d = if v.helpful { (1, 0) } else { (0, 1) };
                count(&mut t, code_param(v.code), d.0, d.1)?;
                VoteOutcome::Counted
            } else {
                let row = t.query_one(
                    "SELECT helpful, code FROM reply_votes
                     WHERE guild_id = $1 AND reply_id = $2 AND member_key = $3 FOR UPDATE",
                    &[&g, &r, &m],
                )?;
                let (old, code): (bool, i64) = (row.try_get(0)?, row.try_get(1)?);
                if old == v.helpful {
                    VoteOutcome::Unchanged
                } else {
                    t.execute(
                        "UPDATE reply_votes SET helpful = $4, expires_at = $5
                         WHERE guild_id = $1 AND reply_id = $2 AND member_key = $3",
                        &[&g, &r, &m, &v.helpful, &v.expires],
                    )?;
                    let d = if v.helpful { (1, -1) } else { (-1, 1) };
                    count(&mut t, code, d.0, d.1)?;
                    VoteOutcome::Changed
                }
            };
            t.commit()?;
            Ok(outcome)
        })
    }

    fn votes(&self, guild: u64) -> Result<Vec<(AadstsCode, u64, u64)>, StoreError> {
        self.call(move |c| {
            let rows = c.query(
                "SELECT code, helpful, not_helpful FROM vote_counts WHERE guild_id = $1 ORDER BY code",
                &[&(guild as i64)],
            )?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                if let Some(code) = code_of(row.try_get(0)?) {
                    let yes: i64 = row.try_get(1)?;
                    let no: i64 = row.try_get(2)?;
                    out.push((code, yes.max(0).unsigned_abs(), no.max(0).unsigned_abs()));
                }
            }
            Ok(out)
        })
    }

    fn purge_votes(&self, now: i64) -> Result<u64, StoreError> {
        self.call(move |c| c.execute("DELETE FROM reply_votes WHERE expires_at <= $1", &[&now]))
    }

    fn changed_elsewhere(&self) -> Result<bool, StoreError> {
        Ok(false)
    }

    fn watcher(&self) -> Result<Option<Box<dyn Watcher>>, StoreError> {
        Ok(Some(Box::new(listen::PgWatcher::new(
            self.config.clone(),
            self.channel.clone(),
        ))))
    }
}
