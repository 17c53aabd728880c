//! Purpose: the one storage interface of the core. Per-server settings and
//! team notes (mirrored in memory so the message path never waits on a
//! database), plus the live-lookup cache, usage counts and helpfulness votes.
//!
//! Two backends behind [`Store::open`]: SQLite (the default,
//! `sqlite://PATH`, `sqlite://PATH?mode=ro`, `sqlite::memory:`) and
//! PostgreSQL (`postgres://...`), both with versioned migrations recorded in
//! a `schema_migrations` table (SQL under `migrations/`). No message text is
//! ever stored.
//!
//! Several processes may share one database: [`Store::start_sync`] runs a
//! background thread that picks up changes made elsewhere within 5 s
//! (PostgreSQL `LISTEN`/`NOTIFY`; SQLite `PRAGMA data_version` polling),
//! flushes the buffered usage counts and purges expired vote keys.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::AadstsCode;

mod error;
mod postgres;
mod sqlite;
mod sync;
#[cfg(test)]
mod tests;

pub use error::StoreError;
pub use sync::SyncTask;

/// The longest team note, in characters (fits one embed field).
pub const MAX_NOTE_CHARS: usize = 1000;

/// One server's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuildSettings {
    /// Channels (and forum channels) whose messages and threads get auto-replies.
    pub channels: HashSet<u64>,
    /// Cooldown per channel and code; `None` means the bot's default.
    pub cooldown: Option<Duration>,
    /// Scan text attachments (on unless turned off).
    pub attachments: bool,
}

impl Default for GuildSettings {
    /// No channels, the bot's cooldown, attachments scanned.
    fn default() -> Self {
        Self {
            channels: HashSet::new(),
            cooldown: None,
            attachments: true,
        }
    }
}

/// One cached answer of Microsoft's live lookup for a code on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveRow {
    /// Whether the lookup knew the code.
    pub found: bool,
    /// Microsoft's message for the code (empty when not found).
    pub message: String,
    /// Microsoft's remediation text (empty when none).
    pub remediation: String,
    /// When it was fetched (whole seconds are kept); the caller decides the TTL.
    pub fetched_at: SystemTime,
}

/// What a helpfulness vote did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteOutcome {
    /// The member's first vote on this reply: counted.
    Counted,
    /// The member had voted the other way: the vote moved.
    Changed,
    /// The member had already voted the same way: nothing changed.
    Unchanged,
}

/// A guild's notes: code -> text.
pub type Notes = BTreeMap<AadstsCode, String>;

/// Everything mirrored in memory.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    pub(crate) guilds: HashMap<u64, GuildSettings>,
    pub(crate) notes: HashMap<u64, Notes>,
}

/// What changed in the database (from another process, or our own write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Reload everything.
    All,
    /// Reload one guild.
    Guild(u64),
}

/// One helpfulness vote, as the backends store it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Vote {
    pub(crate) guild: u64,
    pub(crate) reply: u64,
    pub(crate) code: AadstsCode,
    pub(crate) member: u64,
    pub(crate) helpful: bool,
    pub(crate) expires: i64,
}

/// Usage increments not yet written: (guild, day, code) -> count.
pub(crate) type UsageBatch = HashMap<(u64, u32, AadstsCode), u64>;

/// Waits for change notices from other processes (PostgreSQL `LISTEN`).
pub(crate) trait Watcher: Send {
    /// Changes seen within `timeout` (empty if none).
    fn wait(&mut self, timeout: Duration) -> Result<Vec<Change>, StoreError>;
}

/// What a backend does; the [`Store`] adds the in-memory mirror.
pub(crate) trait Backend: Send + Sync {
    fn load_all(&self) -> Result<Snapshot, StoreError>;
    fn load_guild(&self, guild: u64) -> Result<(GuildSettings, Notes), StoreError>;
    fn add_channel(&self, guild: u64, channel: u64) -> Result<bool, StoreError>;
    fn remove_channel(&self, guild: u64, channel: u64) -> Result<bool, StoreError>;
    fn set_cooldown(&self, guild: u64, secs: u64) -> Result<(), StoreError>;
    fn set_attachments(&self, guild: u64, on: bool) -> Result<(), StoreError>;
    fn set_note(&self, guild: u64, code: AadstsCode, text: &str) -> Result<(), StoreError>;
    fn remove_note(&self, guild: u64, code: AadstsCode) -> Result<bool, StoreError>;
    fn live_get(&self, code: AadstsCode, host: &str) -> Result<Option<LiveRow>, StoreError>;
    fn live_put(&self, code: AadstsCode, host: &str, row: &LiveRow) -> Result<(), StoreError>;
    fn add_usage(&self, batch: &UsageBatch) -> Result<(), StoreError>;
    fn usage(&self, guild: Option<u64>, since: u32) -> Result<Vec<(AadstsCode, u64)>, StoreError>;
    fn vote(&self, vote: Vote) -> Result<VoteOutcome, StoreError>;
    fn votes(&self, guild: u64) -> Result<Vec<(AadstsCode, u64, u64)>, StoreError>;
    fn purge_votes(&self, now: i64) -> Result<u64, StoreError>;
    /// Whether another connection committed since the last call (SQLite).
    fn changed_elsewhere(&self) -> Result<bool, StoreError>;
    /// A watcher for change notices, if this backend has them (PostgreSQL).
    fn watcher(&self) -> Result<Option<Box<dyn Watcher>>, StoreError>;
}

/// The shared state behind every clone of a [`Store`].
struct Shared {
    backend: Box<dyn Backend>,
    guilds: RwLock<HashMap<u64, GuildSettings>>,
    notes: RwLock<HashMap<u64, Notes>>,
    usage: Mutex<UsageBatch>,
    /// Serialises "write the database, then the mirror" against reloads, so a
    /// reload that read old rows can't overwrite a newer mirror entry.
    write: Mutex<()>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        let batch = std::mem::take(&mut *lock(&self.usage));
        if !batch.is_empty() {
            if let Err(e) = self.backend.add_usage(&batch) {
                tracing::warn!(error = %e, "usage counts not saved at shutdown");
            }
        }
    }
}

/// Settings, notes, votes, usage and the live cache of every server.
///
/// Cheap to clone (all clones share one database and one mirror). Reads of
/// settings and notes come from memory; writes go to the database first.
#[derive(Clone)]
pub struct Store {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("guilds", &read(&self.shared.guilds).len())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating and migrating if needed) the database named by `url`:
    /// `sqlite://PATH`, `sqlite://PATH?mode=ro`, `sqlite::memory:` or
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?options]`.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let backend: Box<dyn Backend> = if url == "sqlite::memory:" {
            Box::new(sqlite::Sqlite::open_memory()?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Box::new(postgres::Postgres::open(url)?)
        } else {
            let rest = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .filter(|p| !p.is_empty() && !p.starts_with('?'))
                .ok_or_else(|| StoreError::Url(redact(url)))?;
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            let read_only = match query {
                "" | "mode=rwc" => false,
                "mode=ro" => true,
                _ => return Err(StoreError::Url(redact(url))),
            };
            Box::new(sqlite::Sqlite::open_file(path.as_ref(), read_only)?)
        };
        let snapshot = backend.load_all()?;
        Ok(Self {
            shared: Arc::new(Shared {
                backend,
                guilds: RwLock::new(snapshot.guilds),
                notes: RwLock::new(snapshot.notes),
                usage: Mutex::new(HashMap::new()),
                write: Mutex::new(()),
            }),
        })
    }

    /// A copy of one server's settings (defaults if it has none). Memory only.
    pub fn guild(&self, guild_id: u64) -> GuildSettings {
        read(&self.shared.guilds)
            .get(&guild_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Whether auto-replies are on in `channel_id` of `guild_id`. Memory only.
    pub fn is_enabled(&self, guild_id: u64, channel_id: u64) -> bool {
        read(&self.shared.guilds)
            .get(&guild_id)
            .is_some_and(|g| g.channels.contains(&channel_id))
    }

    /// Turns auto-replies on in a channel. Returns false if it already was.
    pub fn add_channel(&self, guild_id: u64, channel_id: u64) -> Result<bool, StoreError> {
        let _w = lock(&self.shared.write);
        let added = self.shared.backend.add_channel(guild_id, channel_id)?;
        self.update(guild_id, |g| {
            g.channels.insert(channel_id);
        });
        Ok(added)
    }

    /// Turns auto-replies off in a channel. Returns false if they were not on.
    pub fn remove_channel(&self, guild_id: u64, channel_id: u64) -> Result<bool, StoreError> {
        let _w = lock(&self.shared.write);
        let removed = self.shared.backend.remove_channel(guild_id, channel_id)?;
        self.update(guild_id, |g| {
            g.channels.remove(&channel_id);
        });
        Ok(removed)
    }

    /// Sets the server's cooldown (whole seconds are kept).
    pub fn set_cooldown(&self, guild_id: u64, cooldown: Duration) -> Result<(), StoreError> {
        let _w = lock(&self.shared.write);
        let secs = cooldown.as_secs();
        self.shared.backend.set_cooldown(guild_id, secs)?;
        self.update(guild_id, |g| g.cooldown = Some(Duration::from_secs(secs)));
        Ok(())
    }

    /// Turns attachment scanning on or off for the server.
    pub fn set_attachments(&self, guild_id: u64, on: bool) -> Result<(), StoreError> {
        let _w = lock(&self.shared.write);
        self.shared.backend.set_attachments(guild_id, on)?;
        self.update(guild_id, |g| g.attachments = on);
        Ok(())
    }

    /// The server's team note on `code`, if any. Memory only.
    pub fn note(&self, guild_id: u64, code: AadstsCode) -> Option<String> {
        read(&self.shared.notes)
            .get(&guild_id)
            .and_then(|n| n.get(&code))
            .cloned()
    }

    /// All of the server's team notes, by code. Memory only.
    pub fn notes(&self, guild_id: u64) -> Notes {
        read(&self.shared.notes)
            .get(&guild_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Sets (or replaces) the server's team note on `code`; the text is
    /// trimmed and may hold at most [`MAX_NOTE_CHARS`] characters.
    pub fn set_note(&self, guild_id: u64, code: AadstsCode, text: &str) -> Result<(), StoreError> {
        let text = text.trim();
        if text.chars().count() > MAX_NOTE_CHARS {
            return Err(StoreError::NoteTooLong);
        }
        if text.is_empty() {
            return self.remove_note(guild_id, code).map(drop);
        }
        let _w = lock(&self.shared.write);
        self.shared.backend.set_note(guild_id, code, text)?;
        write(&self.shared.notes)
            .entry(guild_id)
            .or_default()
            .insert(code, text.to_owned());
        Ok(())
    }

    /// Removes the server's note on `code`. Returns false if there was none.
    pub fn remove_note(&self, guild_id: u64, code: AadstsCode) -> Result<bool, StoreError> {
        let _w = lock(&self.shared.write);
        let removed = self.shared.backend.remove_note(guild_id, code)?;
        let mut notes = write(&self.shared.notes);
        if let Some(n) = notes.get_mut(&guild_id) {
            n.remove(&code);
            if n.is_empty() {
                notes.remove(&guild_id);
            }
        }
        Ok(removed)
    }

    /// The cached live-lookup answer for `code` on `host` (reads the database).
    pub fn live_get(&self, code: AadstsCode, host: &str) -> Result<Option<LiveRow>, StoreError> {
        self.shared.backend.live_get(code, host)
    }

    /// Caches a live-lookup answer for `code` on `host`, replacing any older one.
    pub fn live_put(&self, code: AadstsCode, host: &str, row: &LiveRow) -> Result<(), StoreError> {
        self.shared.backend.live_put(code, host, row)
    }

    /// Counts one sighting of each code in `codes` for the server on `day`
    /// (see [`day_number`]). Memory only: the counts are written by the sync
    /// task (every few seconds), by [`Store::flush_usage`] and on drop.
    pub fn record_codes(&self, guild_id: u64, codes: &[AadstsCode], day: u32) {
        let mut usage = lock(&self.shared.usage);
        for &code in codes {
            *usage.entry((guild_id, day, code)).or_insert(0) += 1;
        }
    }

    /// Writes the buffered usage counts now.
    pub fn flush_usage(&self) -> Result<(), StoreError> {
        let batch = std::mem::take(&mut *lock(&self.shared.usage));
        if batch.is_empty() {
            return Ok(());
        }
        self.shared.backend.add_usage(&batch).inspect_err(|_| {
            // Keep the counts for the next try.
            let mut usage = lock(&self.shared.usage);
            for (k, n) in batch {
                *usage.entry(k).or_insert(0) += n;
            }
        })
    }

    /// How often each code was seen in the server since `since_day`
    /// (inclusive), most seen first.
    pub fn usage(
        &self,
        guild_id: u64,
        since_day: u32,
    ) -> Result<Vec<(AadstsCode, u64)>, StoreError> {
        self.flush_usage()?;
        self.shared.backend.usage(Some(guild_id), since_day)
    }

    /// [`Store::usage`] summed over every server (for maintainers).
    pub fn usage_all(&self, since_day: u32) -> Result<Vec<(AadstsCode, u64)>, StoreError> {
        self.flush_usage()?;
        self.shared.backend.usage(None, since_day)
    }

    /// Records a member's vote on whether a reply explaining `code` helped.
    /// One vote per member (`member_key`: a hash of the member id, never the
    /// id itself) per reply, remembered until `expires`; a second vote the
    /// other way moves the vote, the same way changes nothing.
    pub fn vote(
        &self,
        guild_id: u64,
        reply_id: u64,
        code: AadstsCode,
        member_key: u64,
        helpful: bool,
        expires: SystemTime,
    ) -> Result<VoteOutcome, StoreError> {
        self.shared.backend.vote(Vote {
            guild: guild_id,
            reply: reply_id,
            code,
            member: member_key,
            helpful,
            expires: unix(expires),
        })
    }

    /// Vote counts per code in the server: `(code, helpful, not_helpful)`.
    pub fn votes(&self, guild_id: u64) -> Result<Vec<(AadstsCode, u64, u64)>, StoreError> {
        self.shared.backend.votes(guild_id)
    }

    /// Forgets member keys of votes that expired by `now` (the counts stay).
    /// Returns how many were forgotten. The sync task does this regularly.
    pub fn purge_expired_votes(&self, now: SystemTime) -> Result<u64, StoreError> {
        self.shared.backend.purge_votes(unix(now))
    }

    /// Applies changes to the mirror, reading the database again.
    pub(crate) fn reload(&self, changes: &[Change]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let _w = lock(&self.shared.write);
        if changes.contains(&Change::All) {
            let s = self.shared.backend.load_all()?;
            *write(&self.shared.guilds) = s.guilds;
            *write(&self.shared.notes) = s.notes;
            return Ok(());
        }
        for change in changes {
            let Change::Guild(g) = *change else { continue };
            let (settings, notes) = self.shared.backend.load_guild(g)?;
            let mut guilds = write(&self.shared.guilds);
            if settings == GuildSettings::default() {
                guilds.remove(&g);
            } else {
                guilds.insert(g, settings);
            }
            drop(guilds);
            let mut all = write(&self.shared.notes);
            if notes.is_empty() {
                all.remove(&g);
            } else {
                all.insert(g, notes);
            }
        }
        Ok(())
    }

    pub(crate) fn backend(&self) -> &dyn Backend {
        &*self.shared.backend
    }

    fn update(&self, guild_id: u64, f: impl FnOnce(&mut GuildSettings)) {
        f(write(&self.shared.guilds).entry(guild_id).or_default());
    }
}

/// Days since 1970-01-01 (UTC) of `t`: the `day` of [`Store::record_codes`].
pub fn day_number(t: SystemTime) -> u32 {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    u32::try_from(secs / 86_400).unwrap_or(u32::MAX)
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The time `secs` after the Unix epoch.
pub(crate) fn from_unix(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs.max(0).unsigned_abs())
}

/// A stored code number back to a code (rows with bad numbers are skipped).
pub(crate) fn code_of(n: i64) -> Option<AadstsCode> {
    u32::try_from(n).ok().and_then(AadstsCode::new)
}

/// `url` without a password (`postgres://user:pw@host` -> `postgres://user:***@host`).
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((cred, host)) => match cred.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves the data usable; carry on.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}
