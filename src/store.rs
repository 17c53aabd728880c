//! Purpose: per-server settings (enabled channels, cooldown, attachment
//! scanning), kept in an embedded SQLite file so they survive restarts, and
//! mirrored in memory so the message path never waits on the disk.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use rusqlite::{params, Connection};

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

/// Why the settings store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `DATABASE_URL` is not `sqlite://PATH` or `sqlite::memory:`.
    #[error("unsupported DATABASE_URL {0:?}: use sqlite://PATH or sqlite::memory:")]
    Url(String),
    /// The database folder could not be created.
    #[error("cannot create {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// SQLite said no.
    #[error("settings database: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Settings of every server: SQLite for durability, a map for speed.
#[derive(Debug)]
pub struct Store {
    db: Mutex<Connection>,
    guilds: RwLock<HashMap<u64, GuildSettings>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS guild_settings (
    guild_id INTEGER PRIMARY KEY,
    cooldown_secs INTEGER,
    attachments INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS enabled_channels (
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
);
";

impl Store {
    /// Opens (creating if needed) the database named by `url`.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let conn = if url == "sqlite::memory:" {
            Connection::open_in_memory()?
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .filter(|p| !p.is_empty())
                .ok_or_else(|| StoreError::Url(url.to_owned()))?;
            let path = Path::new(path);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            Connection::open(path)?
        };
        conn.execute_batch(SCHEMA)?;
        let guilds = load_all(&conn)?;
        Ok(Self {
            db: Mutex::new(conn),
            guilds: RwLock::new(guilds),
        })
    }

    /// A copy of one server's settings (defaults if it has none).
    pub fn guild(&self, guild_id: u64) -> GuildSettings {
        self.read().get(&guild_id).cloned().unwrap_or_default()
    }

    /// Whether auto-replies are on in `channel_id` of `guild_id`.
    pub fn is_enabled(&self, guild_id: u64, channel_id: u64) -> bool {
        self.read()
            .get(&guild_id)
            .is_some_and(|g| g.channels.contains(&channel_id))
    }

    /// Turns auto-replies on in a channel. Returns false if it already was.
    pub fn add_channel(&self, guild_id: u64, channel_id: u64) -> Result<bool, StoreError> {
        let added = self.db()?.execute(
            "INSERT OR IGNORE INTO enabled_channels (guild_id, channel_id) VALUES (?1, ?2)",
            params![guild_id as i64, channel_id as i64],
        )? == 1;
        self.update(guild_id, |g| {
            g.channels.insert(channel_id);
        });
        Ok(added)
    }

    /// Turns auto-replies off in a channel. Returns false if they were not on.
    pub fn remove_channel(&self, guild_id: u64, channel_id: u64) -> Result<bool, StoreError> {
        let removed = self.db()?.execute(
            "DELETE FROM enabled_channels WHERE guild_id = ?1 AND channel_id = ?2",
            params![guild_id as i64, channel_id as i64],
        )? == 1;
        self.update(guild_id, |g| {
            g.channels.remove(&channel_id);
        });
        Ok(removed)
    }

    /// Sets the server's cooldown.
    pub fn set_cooldown(&self, guild_id: u64, cooldown: Duration) -> Result<(), StoreError> {
        self.db()?.execute(
            "INSERT INTO guild_settings (guild_id, cooldown_secs) VALUES (?1, ?2)
             ON CONFLICT(guild_id) DO UPDATE SET cooldown_secs = excluded.cooldown_secs",
            params![guild_id as i64, cooldown.as_secs() as i64],
        )?;
        self.update(guild_id, |g| g.cooldown = Some(cooldown));
        Ok(())
    }

    /// Turns attachment scanning on or off for the server.
    pub fn set_attachments(&self, guild_id: u64, on: bool) -> Result<(), StoreError> {
        self.db()?.execute(
            "INSERT INTO guild_settings (guild_id, attachments) VALUES (?1, ?2)
             ON CONFLICT(guild_id) DO UPDATE SET attachments = excluded.attachments",
            params![guild_id as i64, on],
        )?;
        self.update(guild_id, |g| g.attachments = on);
        Ok(())
    }

    fn db(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        // A panic while holding the lock leaves SQLite consistent; carry on.
        Ok(self.db.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<u64, GuildSettings>> {
        self.guilds.read().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, guild_id: u64, f: impl FnOnce(&mut GuildSettings)) {
        let mut guilds = self.guilds.write().unwrap_or_else(|p| p.into_inner());
        f(guilds.entry(guild_id).or_default());
    }
}

fn load_all(conn: &Connection) -> Result<HashMap<u64, GuildSettings>, StoreError> {
    let mut guilds: HashMap<u64, GuildSettings> = HashMap::new();
    let mut stmt =
        conn.prepare("SELECT guild_id, cooldown_secs, attachments FROM guild_settings")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<i64>>(1)?,
            r.get::<_, bool>(2)?,
        ))
    })?;
    for row in rows {
        let (guild, cooldown, attachments) = row?;
        let g = guilds.entry(guild as u64).or_default();
        g.cooldown = cooldown.map(|s| Duration::from_secs(s.max(0) as u64));
        g.attachments = attachments;
    }
    let mut stmt = conn.prepare("SELECT guild_id, channel_id FROM enabled_channels")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (guild, channel) = row?;
        guilds
            .entry(guild as u64)
            .or_default()
            .channels
            .insert(channel as u64);
    }
    Ok(guilds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_for_an_unknown_server() {
        let s = Store::open("sqlite::memory:").unwrap();
        let g = s.guild(1);
        assert!(g.channels.is_empty());
        assert_eq!(g.cooldown, None);
        assert!(g.attachments);
        assert!(!s.is_enabled(1, 2));
    }

    #[test]
    fn channels_on_and_off() {
        let s = Store::open("sqlite::memory:").unwrap();
        assert!(s.add_channel(1, 10).unwrap());
        assert!(!s.add_channel(1, 10).unwrap());
        assert!(s.is_enabled(1, 10));
        assert!(!s.is_enabled(2, 10));
        assert!(s.remove_channel(1, 10).unwrap());
        assert!(!s.remove_channel(1, 10).unwrap());
        assert!(!s.is_enabled(1, 10));
    }

    #[test]
    fn settings_survive_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/sub/settings.db", dir.path().display());
        {
            let s = Store::open(&url).unwrap();
            s.add_channel(1, 10).unwrap();
            s.add_channel(1, 11).unwrap();
            s.set_cooldown(1, Duration::from_secs(120)).unwrap();
            s.set_attachments(1, false).unwrap();
            s.set_attachments(2, false).unwrap();
            s.set_attachments(2, true).unwrap();
        }
        let s = Store::open(&url).unwrap();
        let g = s.guild(1);
        assert_eq!(g.channels, HashSet::from([10, 11]));
        assert_eq!(g.cooldown, Some(Duration::from_secs(120)));
        assert!(!g.attachments);
        assert!(s.guild(2).attachments);
    }

    #[test]
    fn bad_urls_are_refused() {
        assert!(matches!(
            Store::open("postgres://x"),
            Err(StoreError::Url(_))
        ));
        assert!(matches!(Store::open("sqlite://"), Err(StoreError::Url(_))));
    }
}
