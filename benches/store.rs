//! Benchmarks of the store: the per-message settings read (`guild`,
//! `is_enabled`) with the SQLite and the PostgreSQL backend (both answer
//! from the in-memory mirror, so they should match within noise), and
//! `Store::open` start-up (connect, check migrations, load 1,000 guilds).
//! Results go to BENCHMARKS.md.
//!
//! `cargo bench --bench store`. PostgreSQL: `AADSTS_TEST_POSTGRES`
//! (default `postgres://postgres@127.0.0.1:5432/test`, trust auth); its
//! benches are skipped with a note when it doesn't answer. A schema of its
//! own is created and dropped.

use std::hint::black_box;
use std::time::Duration;

use aadsts_bot::store::Store;
use criterion::Criterion;

const GUILDS: u64 = 1_000;

/// 1,000 guilds with two channels each, a third with a cooldown, written
/// straight to the database (the store's own writes would take minutes).
fn fill_sqlite(path: &std::path::Path) {
    let mut db = rusqlite::Connection::open(path).unwrap();
    let tx = db.transaction().unwrap();
    for g in 0..GUILDS as i64 {
        for c in [g * 10, g * 10 + 1] {
            tx.execute("INSERT INTO enabled_channels VALUES (?1, ?2)", [g, c])
                .unwrap();
        }
        if g % 3 == 0 {
            tx.execute("INSERT INTO guild_settings VALUES (?1, 300, 1)", [g])
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

fn fill_postgres(url: &str) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.batch_execute(&format!(
        "INSERT INTO enabled_channels SELECT g, g * 10 + c FROM generate_series(0, {n}) g, generate_series(0, 1) c;
         INSERT INTO guild_settings SELECT g, 300, TRUE FROM generate_series(0, {n}, 3) g;",
        n = GUILDS - 1
    ))
    .unwrap();
}

fn reads(c: &mut Criterion, name: &str, store: &Store) {
    let mut g = c.benchmark_group(format!("settings_read/{name}"));
    let mut i = 0u64;
    g.bench_function("is_enabled", |b| {
        b.iter(|| {
            i = (i + 7) % GUILDS;
            black_box(store.is_enabled(black_box(i), black_box(i * 10 + 1)))
        })
    });
    g.bench_function("guild", |b| {
        b.iter(|| {
            i = (i + 7) % GUILDS;
            black_box(store.guild(black_box(i)))
        })
    });
    g.finish();
}

/// A PostgreSQL URL on a fresh schema, and a guard that drops it.
struct PgSchema {
    base: String,
    schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.base, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

fn pg() -> Option<(PgSchema, String)> {
    let base = std::env::var("AADSTS_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let Ok(mut c) = postgres::Client::connect(&base, postgres::NoTls) else {
        eprintln!("skipped: no PostgreSQL on 127.0.0.1:5432");
        return None;
    };
    let schema = format!("aadsts_bench_{}", std::process::id());
    c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
    Some((PgSchema { base, schema }, url))
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .nresamples(2_000)
        .configure_from_args();

    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}/bench.db", dir.path().display());
    drop(Store::open(&sqlite_url).unwrap());
    fill_sqlite(&dir.path().join("bench.db"));
    let sqlite = Store::open(&sqlite_url).unwrap();
    assert!(sqlite.is_enabled(999, 9991));
    reads(&mut c, "sqlite", &sqlite);

    let pg = pg();
    if let Some((_, url)) = &pg {
        drop(Store::open(url).unwrap());
        fill_postgres(url);
        let store = Store::open(url).unwrap();
        assert!(store.is_enabled(999, 9991));
        let _sync = store.start_sync().unwrap();
        reads(&mut c, "postgres", &store);
    }

    let mut g = c.benchmark_group("open_1000_guilds");
    g.sample_size(20);
    g.bench_function("sqlite", |b| b.iter(|| Store::open(&sqlite_url).unwrap()));
    if let Some((_, url)) = &pg {
        g.bench_function("postgres", |b| b.iter(|| Store::open(url).unwrap()));
    }
    g.finish();
    drop(pg);
    c.final_summary();
}
