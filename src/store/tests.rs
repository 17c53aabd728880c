//! Purpose: unit tests of the store, one suite run against both backends
//! (SQLite in memory or a temp dir; PostgreSQL on 127.0.0.1:5432, each test
//! in a schema of its own), plus migration, read-only and corrupt-file cases.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use super::*;

fn code(n: u32) -> AadstsCode {
    AadstsCode::new(n).unwrap()
}

/// Polls `f` until it holds or `limit` passes (a wait-for-condition).
fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

// ---------- the shared suite ----------

fn settings_round_trip(s: &Store) {
    let g = s.guild(1);
    assert!(g.channels.is_empty());
    assert_eq!(g.cooldown, None);
    assert!(g.attachments);
    assert!(!s.is_enabled(1, 10));

    assert!(s.add_channel(1, 10).unwrap());
    assert!(!s.add_channel(1, 10).unwrap());
    assert!(s.add_channel(1, 11).unwrap());
    assert!(s.is_enabled(1, 10));
    assert!(!s.is_enabled(2, 10));
    assert!(s.remove_channel(1, 11).unwrap());
    assert!(!s.remove_channel(1, 11).unwrap());
    s.set_cooldown(1, Duration::from_secs(120)).unwrap();
    s.set_attachments(1, false).unwrap();
    s.set_attachments(2, false).unwrap();
    s.set_attachments(2, true).unwrap();

    // What the database holds, not just the mirror.
    let fresh = s.backend().load_all().unwrap();
    let g1 = &fresh.guilds[&1];
    assert_eq!(g1.channels, HashSet::from([10]));
    assert_eq!(g1.cooldown, Some(Duration::from_secs(120)));
    assert!(!g1.attachments);
    assert!(fresh.guilds[&2].attachments);
    assert_eq!(s.guild(1), *g1);
}

fn notes_round_trip(s: &Store) {
    assert!(s.notes(1).is_empty());
    s.set_note(1, code(50076), "  Ask #it-help first.  ")
        .unwrap();
    s.set_note(1, code(50058), "Clear cookies.").unwrap();
    s.set_note(1, code(50076), "Ask #identity.").unwrap();
    assert_eq!(s.note(1, code(50076)).as_deref(), Some("Ask #identity."));
    assert_eq!(s.note(2, code(50076)), None);
    assert_eq!(
        s.notes(1).keys().copied().collect::<Vec<_>>(),
        [code(50058), code(50076)]
    );
    assert!(matches!(
        s.set_note(1, code(1), &"x".repeat(MAX_NOTE_CHARS + 1)),
        Err(StoreError::NoteTooLong)
    ));
    assert!(s.remove_note(1, code(50058)).unwrap());
    assert!(!s.remove_note(1, code(50058)).unwrap());
    s.set_note(1, code(50076), "   ").unwrap(); // empty = remove
    assert!(s.notes(1).is_empty());
    assert!(s.backend().load_all().unwrap().notes.is_empty());
}

fn live_round_trip(s: &Store) {
    assert_eq!(
        s.live_get(code(50076), "login.microsoftonline.com")
            .unwrap(),
        None
    );
    let at = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let row = LiveRow {
        found: true,
        message: "User needs MFA.".into(),
        remediation: "Register a method.".into(),
        fetched_at: at,
    };
    s.live_put(code(50076), "login.microsoftonline.com", &row)
        .unwrap();
    let missing = LiveRow {
        found: false,
        message: String::new(),
        remediation: String::new(),
        fetched_at: at + Duration::from_secs(5),
    };
    s.live_put(code(50076), "login.microsoftonline.us", &missing)
        .unwrap();
    assert_eq!(
        s.live_get(code(50076), "login.microsoftonline.com")
            .unwrap(),
        Some(row)
    );
    s.live_put(code(50076), "login.microsoftonline.com", &missing)
        .unwrap();
    assert_eq!(
        s.live_get(code(50076), "login.microsoftonline.com")
            .unwrap(),
        Some(missing)
    );
}

fn usage_counts(s: &Store) {
    s.record_codes(1, &[code(50076), code(50058)], 100);
    s.record_codes(1, &[code(50076)], 101);
    s.record_codes(1, &[code(50076)], 99);
    s.record_codes(2, &[code(50058), code(50058)], 101);
    s.flush_usage().unwrap();
    s.record_codes(1, &[code(50058)], 102); // buffered; usage() flushes
    assert_eq!(
        s.usage(1, 100).unwrap(),
        [(code(50058), 2), (code(50076), 2)]
    );
    assert_eq!(s.usage(1, 0).unwrap()[0], (code(50076), 3));
    assert_eq!(s.usage(3, 0).unwrap(), []);
    assert_eq!(
        s.usage_all(100).unwrap(),
        [(code(50058), 4), (code(50076), 2)]
    );
}

fn votes_per_member(s: &Store) {
    let later = SystemTime::now() + Duration::from_secs(3600);
    let earlier = SystemTime::now() - Duration::from_secs(1);
    let c = code(50076);
    assert_eq!(
        s.vote(1, 500, c, 7, true, later).unwrap(),
        VoteOutcome::Counted
    );
    assert_eq!(
        s.vote(1, 500, c, 7, true, later).unwrap(),
        VoteOutcome::Unchanged
    );
    assert_eq!(
        s.vote(1, 500, c, 8, false, earlier).unwrap(),
        VoteOutcome::Counted
    );
    assert_eq!(
        s.vote(1, 501, c, 7, false, later).unwrap(),
        VoteOutcome::Counted
    );
    assert_eq!(s.votes(1).unwrap(), [(c, 1, 2)]);
    assert_eq!(
        s.vote(1, 500, c, 8, true, later).unwrap(),
        VoteOutcome::Changed
    );
    assert_eq!(s.votes(1).unwrap(), [(c, 2, 1)]);
    assert_eq!(s.votes(2).unwrap(), []);

    // Member 9's key on reply 502 expires: forgotten, the counts stay.
    assert_eq!(
        s.vote(1, 502, code(50058), 9, true, earlier).unwrap(),
        VoteOutcome::Counted
    );
    assert_eq!(s.purge_expired_votes(SystemTime::now()).unwrap(), 1);
    assert_eq!(s.votes(1).unwrap(), [(code(50058), 1, 0), (c, 2, 1)]);
    assert_eq!(
        s.vote(1, 502, code(50058), 9, true, later).unwrap(),
        VoteOutcome::Counted
    );
}

fn full_suite(open: impl Fn() -> Store) {
    settings_round_trip(&open());
    notes_round_trip(&open());
    live_round_trip(&open());
    usage_counts(&open());
    votes_per_member(&open());
}

// ---------- SQLite ----------

#[test]
fn sqlite_in_memory_passes_the_suite() {
    full_suite(|| Store::open("sqlite::memory:").unwrap());
}

#[test]
fn sqlite_file_passes_the_suite_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicU32::new(0);
    full_suite(|| {
        let i = n.fetch_add(1, Ordering::Relaxed);
        Store::open(&format!("sqlite://{}/sub/{i}.db", dir.path().display())).unwrap()
    });
    let url = format!("sqlite://{}/sub/0.db", dir.path().display());
    let s = Store::open(&url).unwrap();
    assert_eq!(s.guild(1).channels, HashSet::from([10]));
    assert_eq!(s.guild(1).cooldown, Some(Duration::from_secs(120)));
}

#[test]
fn sqlite_file_from_before_migrations_is_upgraded_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch(include_str!("../../migrations/sqlite/0001_settings.sql"))
            .unwrap();
        db.execute_batch(
            "INSERT INTO guild_settings VALUES (5, 60, 0);
             INSERT INTO enabled_channels VALUES (5, 50);",
        )
        .unwrap();
    }
    let s = Store::open(&format!("sqlite://{}", path.display())).unwrap();
    assert!(s.is_enabled(5, 50));
    assert_eq!(s.guild(5).cooldown, Some(Duration::from_secs(60)));
    assert!(!s.guild(5).attachments);
    s.set_note(5, code(50076), "kept").unwrap();
    drop(s);
    let db = rusqlite::Connection::open(&path).unwrap();
    let versions: Vec<i64> = db
        .prepare("SELECT version FROM schema_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(versions, [1, 2]);
}

#[test]
fn read_only_database_refuses_writes_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ro.db");
    Store::open(&format!("sqlite://{}", path.display()))
        .unwrap()
        .add_channel(1, 10)
        .unwrap();
    let s = Store::open(&format!("sqlite://{}?mode=ro", path.display())).unwrap();
    assert!(s.is_enabled(1, 10));
    let e = s.add_channel(1, 11).unwrap_err();
    assert!(matches!(e, StoreError::ReadOnly), "{e:?}");
    assert_eq!(
        e.to_string(),
        "settings can't be saved: the database is read-only"
    );
    assert!(matches!(
        s.set_note(1, code(50076), "x"),
        Err(StoreError::ReadOnly)
    ));
    assert!(!s.is_enabled(1, 11));
}

#[test]
fn corrupt_file_gives_a_start_up_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.db");
    std::fs::write(&path, "not a database, just text ".repeat(200)).unwrap();
    let e = Store::open(&format!("sqlite://{}", path.display())).unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    let shown = e.to_string();
    assert!(shown.contains(&path.display().to_string()), "{shown}");
    assert!(shown.contains("damaged or is not a SQLite file"), "{shown}");
}

#[test]
fn bad_urls_are_refused_without_showing_passwords() {
    for url in [
        "mysql://u:secret@x/db",
        "sqlite://",
        "sqlite://?mode=ro",
        "sqlite://a.db?mode=zz",
    ] {
        let e = Store::open(url).unwrap_err();
        assert!(matches!(e, StoreError::Url(_)), "{url}: {e:?}");
        assert!(!e.to_string().contains("secret"), "{e}");
    }
    assert_eq!(redact("postgres://u:pw@h/db"), "postgres://u:***@h/db");
    assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
}

#[test]
fn sqlite_change_by_another_process_reaches_the_mirror() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/shared.db", dir.path().display());
    let a = Store::open(&url).unwrap();
    let b = Store::open(&url).unwrap();
    let _sync = b.start_sync().unwrap();
    a.add_channel(1, 10).unwrap();
    a.set_note(1, code(50076), "from a").unwrap();
    assert!(eventually(Duration::from_secs(5), || b.is_enabled(1, 10)
        && b.note(1, code(50076)).is_some()));
    a.remove_channel(1, 10).unwrap();
    assert!(eventually(Duration::from_secs(5), || !b.is_enabled(1, 10)));
}

#[test]
fn sync_task_flushes_usage_and_stops_when_dropped() {
    let s = Store::open("sqlite::memory:").unwrap();
    let sync = s.start_sync().unwrap();
    s.record_codes(1, &[code(50076)], 10);
    assert!(eventually(sync::FLUSH_EVERY * 3, || {
        s.backend().usage(Some(1), 0).unwrap() == [(code(50076), 1)]
    }));
    sync.stop();
}

#[test]
fn day_numbers_count_from_the_epoch() {
    assert_eq!(day_number(UNIX_EPOCH), 0);
    assert_eq!(
        day_number(UNIX_EPOCH + Duration::from_secs(86_400 * 3 + 5)),
        3
    );
    assert_eq!(day_number(UNIX_EPOCH - Duration::from_secs(5)), 0);
}

// ---------- PostgreSQL ----------

/// A schema of its own on the test server, dropped afterwards.
struct PgSchema {
    base: String,
    schema: String,
}

impl PgSchema {
    fn url(&self) -> String {
        self.url_with("")
    }

    /// The URL with more server options (`%20-cNAME%3DVALUE`).
    fn url_with(&self, more_options: &str) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!(
            "{}{sep}options=-csearch_path%3D{}{more_options}",
            self.base, self.schema
        )
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut c) = ::postgres::Client::connect(&self.base, ::postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

/// The test server, or `None` (test skipped) when it doesn't answer, except
/// under `CI=true`, where a missing server fails the test.
fn pg() -> Option<PgSchema> {
    static N: AtomicU32 = AtomicU32::new(0);
    let base = std::env::var("AADSTS_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let config: ::postgres::Config = format!(
        "{base}{}connect_timeout=3",
        if base.contains('?') { '&' } else { '?' }
    )
    .parse()
    .unwrap();
    let mut client = match config.connect(::postgres::NoTls) {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but PostgreSQL on 127.0.0.1:5432 is not usable: {e}"
            );
            eprintln!("skipped: no PostgreSQL on 127.0.0.1:5432");
            return None;
        }
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!(
        "aadsts_t{}_{nanos}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    Some(PgSchema { base, schema })
}

#[test]
fn postgres_passes_the_suite() {
    let Some(db) = pg() else { return };
    let url = db.url();
    full_suite(|| Store::open(&url).unwrap());
}

#[test]
fn postgres_migrations_run_once_and_are_recorded() {
    let Some(db) = pg() else { return };
    Store::open(&db.url()).unwrap().add_channel(1, 10).unwrap();
    let s = Store::open(&db.url()).unwrap();
    assert!(s.is_enabled(1, 10));
    let mut c = ::postgres::Client::connect(&db.base, ::postgres::NoTls).unwrap();
    let rows = c
        .query(
            &format!(
                "SELECT version FROM {}.schema_migrations ORDER BY version",
                db.schema
            ),
            &[],
        )
        .unwrap();
    let versions: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, [1, 2]);
}

#[test]
fn postgres_change_through_one_instance_reaches_another_within_5s() {
    let Some(db) = pg() else { return };
    let a = Store::open(&db.url()).unwrap();
    let b = Store::open(&db.url()).unwrap();
    let _sync = b.start_sync().unwrap();
    a.add_channel(1, 10).unwrap();
    a.set_cooldown(1, Duration::from_secs(30)).unwrap();
    a.set_note(1, code(50076), "from a").unwrap();
    assert!(eventually(Duration::from_secs(5), || {
        b.is_enabled(1, 10)
            && b.guild(1).cooldown == Some(Duration::from_secs(30))
            && b.note(1, code(50076)).as_deref() == Some("from a")
    }));
    a.remove_channel(1, 10).unwrap();
    a.remove_note(1, code(50076)).unwrap();
    assert!(eventually(Duration::from_secs(5), || {
        !b.is_enabled(1, 10) && b.notes(1).is_empty()
    }));
}

#[test]
fn postgres_read_only_transactions_give_the_read_only_error() {
    let Some(db) = pg() else { return };
    let url = db.url_with("%20-cdefault_transaction_read_only%3Don");
    // Migrate first with a writable connection; then reopen read-only.
    Store::open(&db.url()).unwrap();
    let s = Store::open(&url).unwrap();
    let e = s.add_channel(1, 10).unwrap_err();
    assert!(matches!(e, StoreError::ReadOnly), "{e:?}");
}

#[test]
fn postgres_unreachable_server_is_a_connect_error() {
    // Port 9 (discard) on loopback: nothing listens there.
    let e = Store::open("postgres://u:pw@127.0.0.1:9/test?connect_timeout=2").unwrap_err();
    assert!(matches!(e, StoreError::Connect { .. }), "{e:?}");
    assert!(!e.to_string().contains("pw"), "{e}");
    assert!(e.to_string().contains("127.0.0.1:9/test"), "{e}");
}
