//! Purpose: the SQLite backend of the store (the default). One connection
//! behind a mutex, versioned migrations from `migrations/sqlite/`, and
//! `PRAGMA data_version` so commits by other processes are noticed.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

use super::{
    code_of, from_unix, unix, Backend, GuildSettings, LiveRow, Notes, Snapshot, StoreError,
    UsageBatch, Vote, VoteOutcome, Watcher,
};
use crate::AadstsCode;

/// Embedded migrations, applied in order; version = position + 1.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_settings.sql"),
    include_str!("../../migrations/sqlite/0002_live_usage_votes_notes.sql"),
];

/// A SQLite database (a file or memory).
pub(crate) struct Sqlite {
    conn: Mutex<Conn>,
    /// The file, for error messages (`None` in memory).
    path: Option<PathBuf>,
}

struct Conn {
    db: Connection,
    /// The last `PRAGMA data_version` seen.
    data_version: i64,
}

impl Sqlite {
    /// A private database in memory.
    pub(crate) fn open_memory() -> Result<Self, StoreError> {
        Self::setup(Connection::open_in_memory()?, None)
    }

    /// The file at `path` (created with its folder unless `read_only`).
    pub(crate) fn open_file(path: &Path, read_only: bool) -> Result<Self, StoreError> {
        let flags = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            OpenFlags::default()
        };
        let db = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::setup(db, Some(path.to_path_buf()))
    }

    fn setup(db: Connection, path: Option<PathBuf>) -> Result<Self, StoreError> {
        let err = |e| map_err(e, path.as_deref());
        // Another process may hold the write lock for a moment.
        db.busy_timeout(Duration::from_secs(5)).map_err(err)?;
        migrate(&db).map_err(err)?;
        let data_version = data_version(&db).map_err(err)?;
        Ok(Self {
            conn: Mutex::new(Conn { db, data_version }),
            path,
        })
    }

    fn conn(&self) -> MutexGuard<'_, Conn> {
        super::lock(&self.conn)
    }

    /// Runs `f` on the connection, turning errors into typed ones.
    fn with<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<R>,
    ) -> Result<R, StoreError> {
        f(&mut self.conn().db).map_err(|e| map_err(e, self.path.as_deref()))
    }
}

/// Read-only, corrupt and other errors, with the file named where it helps.
fn map_err(e: rusqlite::Error, path: Option<&Path>) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::ReadOnly) => StoreError::ReadOnly,
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path: path.unwrap_or(Path::new(":memory:")).to_path_buf(),
            detail: e.to_string(),
        },
        _ => StoreError::Sqlite(e),
    }
}

fn data_version(db: &Connection) -> rusqlite::Result<i64> {
    db.query_row("PRAGMA data_version", [], |r| r.get(0))
}

/// The highest applied migration (0 for a database from before migrations).
fn applied(db: &Connection) -> rusqlite::Result<i64> {
    let has_table: bool = db.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !has_table {
        return Ok(0);
    }
    db.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )
}

/// Applies the missing migrations in one transaction. A database already up
/// to date is only read (so `mode=ro` works).
fn migrate(db: &Connection) -> rusqlite::Result<()> {
    let latest = MIGRATIONS.len() as i64;
    if applied(db)? >= latest {
        return Ok(());
    }
    let tx = rusqlite::Transaction::new_unchecked(db, TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            applied_at INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
        )",
    )?;
    let done = applied(&tx)?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version > done {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES (?1)",
                [version],
            )?;
        }
    }
    tx.commit()
}

fn settings_rows(db: &Connection, guild: Option<u64>) -> rusqlite::Result<Snapshot> {
    let g = guild.map(|g| g as i64);
    let mut snap = Snapshot::default();
    let mut stmt = db.prepare_cached(
        "SELECT guild_id, cooldown_secs, attachments FROM guild_settings
         WHERE ?1 IS NULL OR guild_id = ?1",
    )?;
    let rows = stmt.query_map([g], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<i64>>(1)?,
            r.get::<_, bool>(2)?,
        ))
    })?;
    for row in rows {
        let (guild, cooldown, attachments) = row?;
        let s = snap.guilds.entry(guild as u64).or_default();
        s.cooldown = cooldown.map(|c| Duration::from_secs(c.max(0).unsigned_abs()));
        s.attachments = attachments;
    }
    let mut stmt = db.prepare_cached(
        "SELECT guild_id, channel_id FROM enabled_channels WHERE ?1 IS NULL OR guild_id = ?1",
    )?;
    let rows = stmt.query_map([g], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (guild, channel) = row?;
        snap.guilds
            .entry(guild as u64)
            .or_default()
            .channels
            .insert(channel as u64);
    }
    let mut stmt = db.prepare_cached(
        "SELECT guild_id, code, note FROM guild_notes WHERE ?1 IS NULL OR guild_id = ?1",
    )?;
    let rows = stmt.query_map([g], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (guild, code, note) = row?;
        if let Some(code) = code_of(code) {
            snap.notes
                .entry(guild as u64)
                .or_default()
                .insert(code, note);
        }
    }
    Ok(snap)
}

impl Backend for Sqlite {
    fn load_all(&self) -> Result<Snapshot, StoreError> {
        self.with(|db| settings_rows(db, None))
    }

    fn load_guild(&self, guild: u64) -> Result<(GuildSettings, Notes), StoreError> {
        let mut snap = self.with(|db| settings_rows(db, Some(guild)))?;
        Ok((
            snap.guilds.remove(&guild).unwrap_or_default(),
            snap.notes.remove(&guild).unwrap_or_default(),
        ))
    }

    fn add_channel(&self, guild: u64, channel: u64) -> Result<bool, StoreError> {
        self.with(|db| {
            db.execute(
                "INSERT OR IGNORE INTO enabled_channels (guild_id, channel_id) VALUES (?1, ?2)",
                params![guild as i64, channel as i64],
            )
        })
        .map(|n| n == 1)
    }

    fn remove_channel(&self, guild: u64, channel: u64) -> Result<bool, StoreError> {
        self.with(|db| {
            db.execute(
                "DELETE FROM enabled_channels WHERE guild_id = ?1 AND channel_id = ?2",
                params![guild as i64, channel as i64],
            )
        })
        .map(|n| n == 1)
    }

    fn set_cooldown(&self, guild: u64, secs: u64) -> Result<(), StoreError> {
        let secs = i64::try_from(secs).unwrap_or(i64::MAX);
        self.with(|db| {
            db.execute(
                "INSERT INTO guild_settings (guild_id, cooldown_secs) VALUES (?1, ?2)
                 ON CONFLICT(guild_id) DO UPDATE SET cooldown_secs = excluded.cooldown_secs",
                params![guild as i64, secs],
            )
        })
        .map(drop)
    }

    fn set_attachments(&self, guild: u64, on: bool) -> Result<(), StoreError> {
        self.with(|db| {
            db.execute(
                "INSERT INTO guild_settings (guild_id, attachments) VALUES (?1, ?2)
                 ON CONFLICT(guild_id) DO UPDATE SET attachments = excluded.attachments",
                params![guild as i64, on],
            )
        })
        .map(drop)
    }

    fn set_note(&self, guild: u64, code: AadstsCode, text: &str) -> Result<(), StoreError> {
        self.with(|db| {
            db.execute(
                "INSERT INTO guild_notes (guild_id, code, note) VALUES (?1, ?2, ?3)
                 ON CONFLICT(guild_id, code) DO UPDATE SET note = excluded.note",
                params![guild as i64, code.number(), text],
            )
        })
        .map(drop)
    }

    fn remove_note(&self, guild: u64, code: AadstsCode) -> Result<bool, StoreError> {
        self.with(|db| {
            db.execute(
                "DELETE FROM guild_notes WHERE guild_id = ?1 AND code = ?2",
                params![guild as i64, code.number()],
            )
        })
        .map(|n| n == 1)
    }

    fn live_get(&self, code: AadstsCode, host: &str) -> Result<Option<LiveRow>, StoreError> {
        self.with(|db| {
            db.query_row(
                "SELECT found, message, remediation, fetched_at FROM live_cache
                 WHERE code = ?1 AND host = ?2",
                params![code.number(), host],
                |r| {
                    Ok(LiveRow {
                        found: r.get(0)?,
                        message: r.get(1)?,
                        remediation: r.get(2)?,
                        fetched_at: from_unix(r.get(3)?),
                    })
                },
            )
            .optional()
        })
    }

    fn live_put(&self, code: AadstsCode, host: &str, row: &LiveRow) -> Result<(), StoreError> {
        self.with(|db| {
            db.execute(
                "INSERT INTO live_cache (code, host, found, message, remediation, fetched_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(code, host) DO UPDATE SET found = excluded.found,
                   message = excluded.message, remediation = excluded.remediation,
                   fetched_at = excluded.fetched_at",
                params![
                    code.number(),
                    host,
                    row.found,
                    row.message,
                    row.remediation,
                    unix(row.fetched_at)
                ],
            )
        })
        .map(drop)
    }

    fn add_usage(&self, batch: &UsageBatch) -> Result<(), StoreError> {
        self.with(|db| {
            let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO code_usage (guild_id, day, code, count) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(guild_id, day, code) DO UPDATE SET count = count + excluded.count",
                )?;
                for (&(guild, day, code), &n) in batch {
                    stmt.execute(params![
                        guild as i64,
                        day,
                        code.number(),
                        i64::try_from(n).unwrap_or(i64::MAX)
                    ])?;
                }
            }
            tx.commit()
        })
    }

    fn usage(&self, guild: Option<u64>, since: u32) -> Result<Vec<(AadstsCode, u64)>, StoreError> {
        self.with(|db| {
            let mut stmt = db.prepare_cached(
                "SELECT code, SUM(count) FROM code_usage
                 WHERE day >= ?1 AND (?2 IS NULL OR guild_id = ?2)
                 GROUP BY code ORDER BY 2 DESC, code",
            )?;
            let rows = stmt.query_map(params![since, guild.map(|g| g as i64)], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (code, n) = row?;
                if let Some(code) = code_of(code) {
                    out.push((code, n.max(0).unsigned_abs()));
                }
            }
            Ok(out)
        })
    }

    fn vote(&self, v: Vote) -> Result<VoteOutcome, StoreError> {
        self.with(|db| {
            let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let key = params![v.guild as i64, v.reply as i64, v.member as i64];
            let before: Option<(bool, i64)> = tx
                .query_row(
                    "SELECT helpful, code FROM reply_votes
                     WHERE guild_id = ?1 AND reply_id = ?2 AND member_key = ?3",
                    key,
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let count = |code: i64, helpful: i64, not: i64| {
                tx.execute(
                    "INSERT INTO vote_counts (guild_id, code, helpful, not_helpful)
                     VALUES (?1, ?2, MAX(?3, 0), MAX(?4, 0))
                     ON CONFLICT(guild_id, code) DO UPDATE SET
                       helpful = MAX(helpful + ?3, 0), not_helpful = MAX(not_helpful + ?4, 0)",
                    params![v.guild as i64, code, helpful, not],
                )
            };
            let outcome = match before {
                Some((old, _)) if old == v.helpful => VoteOutcome::Unchanged,
                Some((_, code)) => {
                    tx.execute(
                        "UPDATE reply_votes SET helpful = ?4, expires_at = ?5
                         WHERE guild_id = ?1 AND reply_id = ?2 AND member_key = ?3",
                        params![
                            v.guild as i64,
                            v.reply as i64,
                            v.member as i64,
                            v.helpful,
                            v.expires
                        ],
                    )?;
                    let d = if v.helpful { (1, -1) } else { (-1, 1) };
                    count(code, d.0, d.1)?;
                    VoteOutcome::Changed
                }
                None => {
                    tx.execute(
                        "INSERT INTO reply_votes
                           (guild_id, reply_id, member_key, code, helpful, expires_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![
                            v.guild as i64,
                            v.reply as i64,
                            v.member as i64,
                            v.code.number(),
                            v.helpful,
                            v.expires
                        ],
                    )?;
                    let d = if v.helpful { (1, 0) } else { (0, 1) };
                    count(i64::from(v.code.number()), d.0, d.1)?;
                    VoteOutcome::Counted
                }
            };
            tx.commit()?;
            Ok(outcome)
        })
    }

    fn votes(&self, guild: u64) -> Result<Vec<(AadstsCode, u64, u64)>, StoreError> {
        self.with(|db| {
            let mut stmt = db.prepare_cached(
                "SELECT code, helpful, not_helpful FROM vote_counts WHERE guild_id = ?1 ORDER BY code",
            )?;
            let rows = stmt.query_map([guild as i64], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (code, yes, no) = row?;
                if let Some(code) = code_of(code) {
                    out.push((code, yes.max(0).unsigned_abs(), no.max(0).unsigned_abs()));
                }
            }
            Ok(out)
        })
    }

    fn purge_votes(&self, now: i64) -> Result<u64, StoreError> {
        self.with(|db| db.execute("DELETE FROM reply_votes WHERE expires_at <= ?1", [now]))
            .map(|n| n as u64)
    }

    fn changed_elsewhere(&self) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let now = data_version(&conn.db).map_err(|e| map_err(e, self.path.as_deref()))?;
        let changed = now != conn.data_version;
        conn.data_version = now;
        Ok(changed)
    }

    fn watcher(&self) -> Result<Option<Box<dyn Watcher>>, StoreError> {
        Ok(None)
    }
}
