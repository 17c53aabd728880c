//! Purpose: the store's typed errors. Their `Display` is written for the
//! person running the bot (start-up) or, for `ReadOnly` and `NoteTooLong`,
//! for a server manager; none shows credentials.

use std::path::PathBuf;

use super::MAX_NOTE_CHARS;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `DATABASE_URL` has a scheme we don't speak (credentials are not shown).
    #[error("unsupported DATABASE_URL {0:?}: use sqlite://PATH, sqlite::memory: or postgres://USER@HOST/DB")]
    Url(String),
    /// The database folder could not be created.
    #[error("cannot create {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The SQLite file could not be opened.
    #[error("cannot open the settings database {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: rusqlite::Error,
    },
    /// The SQLite file is not a database or is damaged.
    #[error("the settings database {} is damaged or is not a SQLite file ({detail}); restore it from a backup or move it away to start with empty settings", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// A write was refused because the database is read-only.
    #[error("{}", crate::text::STORE_READ_ONLY)]
    ReadOnly,
    /// A team note longer than [`MAX_NOTE_CHARS`].
    #[error("{}", crate::text::note_too_long(MAX_NOTE_CHARS))]
    NoteTooLong,
    /// PostgreSQL could not be reached at start-up.
    #[error("cannot connect to PostgreSQL at {target}: {source}")]
    Connect {
        /// Host, port and database (no credentials).
        target: String,
        /// The underlying error.
        source: ::postgres::Error,
    },
    /// SQLite said no.
    #[error("settings database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL said no.
    #[error("settings database (PostgreSQL): {0}")]
    Postgres(#[from] ::postgres::Error),
    /// The PostgreSQL worker thread has stopped.
    #[error("settings database (PostgreSQL): the connection thread has stopped")]
    Closed,
}
