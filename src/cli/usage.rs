//! Purpose: `aadsts-bot usage [--format json]`: for maintainers, how often
//! each code was seen over the last 7 and 30 days across every server (from
//! the database in `DATABASE_URL`), codes missing from the knowledge base
//! first, so they are the next entries to write.

use std::io::Write;
use std::time::SystemTime;

use anyhow::Context as _;
use serde_json::{json, Value};

use aadsts_bot::store::{day_number, Store};
use aadsts_bot::{text, AadstsCode, Knowledge};

/// The first day of a window of `days` days ending `today` (inclusive).
pub fn since_day(today: u32, days: u32) -> u32 {
    today.saturating_sub(days.saturating_sub(1))
}

/// Counts per code, most seen first.
type Counts = Vec<(AadstsCode, u64)>;

/// The codes of `month` without an entry in `knowledge`.
fn unknown(knowledge: &Knowledge, month: &Counts) -> Counts {
    month
        .iter()
        .filter(|(c, _)| knowledge.get(*c).is_none())
        .copied()
        .collect()
}

fn rows(counts: &Counts) -> Value {
    Value::Array(
        counts
            .iter()
            .map(|(c, n)| json!({ "code": c.to_string(), "count": n }))
            .collect(),
    )
}

/// Prints the usage report; `json` picks the machine-readable form.
pub fn usage(knowledge: &Knowledge, database_url: &str, json: bool) -> anyhow::Result<()> {
    let store = Store::open(database_url).context("opening the database")?;
    let today = day_number(SystemTime::now());
    let week = store.usage_all(since_day(today, 7))?;
    let month = store.usage_all(since_day(today, 30))?;
    let unknown = unknown(knowledge, &month);
    let mut out = std::io::stdout().lock();
    if json {
        let report = json!({
            "unknown_30_days": rows(&unknown),
            "last_7_days": rows(&week),
            "last_30_days": rows(&month),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(());
    }
    for (heading, counts) in [
        (text::STATS_UNKNOWN, &unknown),
        (text::STATS_7, &week),
        (text::STATS_30, &month),
    ] {
        writeln!(out, "{heading}:")?;
        if counts.is_empty() {
            writeln!(out, "  {}", text::STATS_NONE)?;
        }
        for (code, n) in counts {
            writeln!(out, "  {code:<14} {n}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_inclusive_of_today() {
        assert_eq!(since_day(20_000, 7), 19_994);
        assert_eq!(since_day(20_000, 30), 19_971);
        assert_eq!(since_day(5, 7), 0);
    }

    #[test]
    fn a_seven_day_window_holds_seven_days() {
        let today = 20_000;
        let days: Vec<u32> = (0..40).map(|back| today - back).collect();
        let inside = |n| days.iter().filter(|&&d| d >= since_day(today, n)).count();
        assert_eq!(inside(7), 7);
        assert_eq!(inside(30), 30);
    }
}
