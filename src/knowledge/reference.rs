//! Purpose: hold the knowledge base against Microsoft's reference table
//! (`aadsts-codes.tsv`): codes without an entry, enum names that differ,
//! `source` marks that disagree, and entries that copy Microsoft's wording
//! (8 or more consecutive words in common with the table's summary).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::{Entry, Knowledge, Problem, Source};
use crate::code::AadstsCode;

/// How many consecutive shared words count as copied text.
pub const COPIED_WORDS: usize = 8;

/// One row of the reference table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The code.
    pub code: AadstsCode,
    /// Microsoft's enum name, empty when there is none.
    pub name: String,
    /// Microsoft's description.
    pub summary: String,
    /// 1-based line in the file.
    pub line: usize,
}

/// Why the reference table could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A line is not `code<TAB>name<TAB>summary...` with a numeric code.
    #[error("{}:{line}:1: expected `code<TAB>name<TAB>summary` with a numeric code", path.display())]
    BadRow {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
}

/// Reads the TSV (header line first; columns code, name, summary, ...).
pub fn read(path: &Path) -> Result<Vec<Row>, ReferenceError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReferenceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parses the TSV text; see [`read`].
pub fn parse(path: &Path, text: &str) -> Result<Vec<Row>, ReferenceError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let mut cols = line.split('\t');
        let bad = || ReferenceError::BadRow {
            path: path.to_path_buf(),
            line: i + 1,
        };
        let code = cols
            .next()
            .and_then(|c| c.trim().parse().ok())
            .and_then(AadstsCode::new)
            .ok_or_else(bad)?;
        let name = cols.next().ok_or_else(bad)?.trim().to_owned();
        let summary = cols.next().unwrap_or("").trim().to_owned();
        rows.push(Row {
            code,
            name,
            summary,
            line: i + 1,
        });
    }
    Ok(rows)
}

/// Every disagreement between the knowledge base and the reference rows.
pub fn compare(knowledge: &Knowledge, path: &Path, rows: &[Row]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let at_entry = |e: &Entry, message: String| Problem {
        file: e.origin.file.to_path_buf(),
        line: e.origin.line,
        col: e.origin.col,
        message,
    };
    let in_reference: HashMap<AadstsCode, &Row> = rows.iter().map(|r| (r.code, r)).collect();
    for row in rows {
        let Some(entry) = knowledge.get(row.code) else {
            problems.push(Problem {
                file: path.to_path_buf(),
                line: row.line,
                col: 1,
                message: format!("{} has no entry in the knowledge base", row.code),
            });
            continue;
        };
        let name = entry.name.as_deref().unwrap_or("");
        if name != row.name {
            problems.push(at_entry(
                entry,
                format!(
                    "{} name is {name:?}; the reference says {:?}",
                    row.code, row.name
                ),
            ));
        }
        if entry.source != Source::Learn {
            problems.push(at_entry(
                entry,
                format!(
                    "{} is in Microsoft's table: source must be \"learn\"",
                    row.code
                ),
            ));
        }
        if let Some(words) = copied_words(entry, &row.summary) {
            problems.push(at_entry(
                entry,
                format!(
                    "{} shares {COPIED_WORDS}+ consecutive words with Microsoft's text (\"{words}\"): write it in your own words",
                    row.code
                ),
            ));
        }
    }
    for entry in knowledge.entries() {
        if entry.source == Source::Learn && !in_reference.contains_key(&entry.code) {
            problems.push(at_entry(
                entry,
                format!(
                    "{} is marked source = \"learn\" but Microsoft's table does not list it",
                    entry.code
                ),
            ));
        }
    }
    problems
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The first run of [`COPIED_WORDS`] words that an entry's text shares with
/// `reference`, if any. Each field is compared on its own.
pub fn copied_words(entry: &Entry, reference: &str) -> Option<String> {
    let reference = words(reference);
    let grams: HashSet<&[String]> = reference.windows(COPIED_WORDS).collect();
    if grams.is_empty() {
        return None;
    }
    let fields = [&entry.title, &entry.meaning]
        .into_iter()
        .chain(&entry.causes)
        .chain(&entry.fixes);
    for field in fields {
        let mine = words(field);
        if let Some(w) = mine.windows(COPIED_WORDS).find(|w| grams.contains(w)) {
            return Some(w.join(" "));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb(meaning: &str, name: &str, source: &str) -> Knowledge {
        let text = format!(
            "[[error]]\ncode = 50076\nname = \"{name}\"\ntitle = \"MFA needed\"\nseverity = \"medium\"\ncategory = \"mfa\"\nmeaning = \"{meaning}\"\ncauses = [\"c\"]\nfixes = [\"User: complete MFA now.\"]\nsource = \"{source}\"\n"
        );
        Knowledge::from_sources(&[("k.toml", &text)], None).unwrap()
    }

    const TSV: &str = "code\tname\tsummary\tsource\n50076\tUserStrongAuthClientAuthNRequired\tDue to a configuration change made by your administrator, or because you moved to a new location, you must use multifactor authentication.\tentra-docs\n50079\tUserStrongAuthEnrollmentRequired\tThe user is required to register.\tentra-docs\n";

    fn problems(k: &Knowledge) -> Vec<String> {
        let path = Path::new("ref.tsv");
        let rows = parse(path, TSV).unwrap();
        compare(k, path, &rows)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn reports_missing_codes_with_reference_line() {
        let k = kb(
            "A second factor is needed.",
            "UserStrongAuthClientAuthNRequired",
            "learn",
        );
        assert_eq!(
            problems(&k),
            ["ref.tsv:3:1: AADSTS50079 has no entry in the knowledge base"]
        );
    }

    #[test]
    fn reports_name_and_source_mismatch() {
        let k = kb("A second factor is needed.", "UserStrongAuth", "community");
        let p = problems(&k);
        assert!(
            p.iter()
                .any(|p| p.starts_with("k.toml:2:8: AADSTS50076 name is \"UserStrongAuth\"")),
            "{p:?}"
        );
        assert!(p.iter().any(|p| p.contains("source must be \"learn\"")));
    }

    #[test]
    fn reports_copied_wording_but_not_seven_words() {
        let copied = kb(
            "Because you moved to a new location, you must use multifactor authentication.",
            "UserStrongAuthClientAuthNRequired",
            "learn",
        );
        assert!(problems(&copied)
            .iter()
            .any(|p| p.contains("shares 8+ consecutive words")));
        let seven = kb(
            "You moved to a new place, so you must use MFA.",
            "UserStrongAuthClientAuthNRequired",
            "learn",
        );
        assert!(!problems(&seven).iter().any(|p| p.contains("consecutive")));
    }

    #[test]
    fn learn_entries_must_be_in_the_table() {
        let text = TSV.lines().take(2).collect::<Vec<_>>().join("\n");
        let rows = parse(Path::new("r.tsv"), &text).unwrap();
        let k = kb("x y", "UserStrongAuthClientAuthNRequired", "learn");
        assert!(compare(&k, Path::new("r.tsv"), &rows).is_empty());
        let rows = parse(Path::new("r.tsv"), "code\tname\tsummary\n").unwrap();
        assert!(compare(&k, Path::new("r.tsv"), &rows)[0]
            .message
            .contains("does not list it"));
    }

    #[test]
    fn bad_rows_are_errors() {
        let err = parse(Path::new("r.tsv"), "h\nabc\tx\ty\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "r.tsv:2:1: expected `code<TAB>name<TAB>summary` with a numeric code"
        );
    }
}
