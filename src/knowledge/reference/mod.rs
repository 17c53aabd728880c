//! Purpose: hold the knowledge base against the reference files: Microsoft's
//! table (`aadsts-codes.tsv`, `aadsts-codes-added.tsv`, or the article's
//! `reference-error-codes.md` itself), the community list
//! (`community-codes.tsv`) and the live lookup list (`live-lookup-codes.tsv`).
//!
//! Rules: every code of Microsoft's table has an entry with the exact enum
//! name; `source` marks agree with the lists (learn iff in the table,
//! community iff in the community list and not the table, lookup iff only in
//! the live list); no entry shares a run of [`COPIED_WORDS`] words with any
//! reference text. It also counts coverage and, for a markdown table, lists
//! what changed against the knowledge base.

pub mod markdown;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use rustc_hash::FxHasher;

use super::{Entry, Knowledge, Problem, ProblemKind, Source};
use crate::code::AadstsCode;

/// How many consecutive shared words count as copied text.
pub const COPIED_WORDS: usize = 8;

/// What a reference file lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefKind {
    /// Microsoft's table (TSV `code name summary source`, or the markdown).
    Table,
    /// The community list (`code message in_learn`).
    Community,
    /// Microsoft's live lookup page (`code message remediation`).
    Lookup,
}

impl RefKind {
    /// How `check` names the list.
    pub fn label(self) -> &'static str {
        match self {
            Self::Table => "Microsoft's table",
            Self::Community => "community list",
            Self::Lookup => "live lookup list",
        }
    }
}

/// One code of a reference file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The code.
    pub code: AadstsCode,
    /// Microsoft's enum name (tables only; empty when there is none).
    pub name: String,
    /// The file's texts for the code (summary; message; remediation).
    pub texts: Vec<String>,
    /// 1-based line in the file.
    pub line: usize,
}

/// A reference file, read.
#[derive(Debug, Clone)]
pub struct RefFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// What it lists.
    pub kind: RefKind,
    /// True for Microsoft's markdown article (the diff is reported for it).
    pub markdown: bool,
    /// Its codes, in file order.
    pub rows: Vec<Row>,
}

/// Why a reference file could not be used.
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
    /// The header is none of the known layouts.
    #[error("{}:1:1: unknown reference layout; expected a header `code name summary ...`, `code message in_learn` or `code message remediation`, or a .md file", path.display())]
    UnknownLayout {
        /// The file.
        path: PathBuf,
    },
    /// A line is not `code<TAB>...` with a numeric code.
    #[error("{}:{line}:1: expected `code<TAB>...` with a numeric code", path.display())]
    BadRow {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
}

/// Reads a reference file; the layout comes from the extension (`.md`) or
/// the TSV header.
pub fn read(path: &Path) -> Result<RefFile, ReferenceError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReferenceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parses a reference file's text; see [`read`].
pub fn parse(path: &Path, text: &str) -> Result<RefFile, ReferenceError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
    {
        let rows = markdown::parse(text)
            .into_iter()
            .filter_map(|r| {
                // Ranges or wildcards (none in current versions) can't have an entry.
                let code = r.code.parse().ok().and_then(AadstsCode::new)?;
                Some(Row {
                    code,
                    name: r.name,
                    texts: vec![r.summary],
                    line: r.line,
                })
            })
            .collect();
        return Ok(RefFile {
            path: path.to_path_buf(),
            kind: RefKind::Table,
            markdown: true,
            rows,
        });
    }
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split('\t')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let unknown = || ReferenceError::UnknownLayout {
        path: path.to_path_buf(),
    };
    if col("code") != Some(0) {
        return Err(unknown());
    }
    let (kind, name_col, text_cols) = if let Some(s) = col("summary") {
        (RefKind::Table, col("name"), vec![s])
    } else if let (Some(m), Some(_)) = (col("message"), col("in_learn")) {
        (RefKind::Community, None, vec![m])
    } else if let (Some(m), Some(r)) = (col("message"), col("remediation")) {
        (RefKind::Lookup, None, vec![m, r])
    } else {
        return Err(unknown());
    };
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let line_no = i + 2;
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let number: u32 = cols[0].trim().parse().map_err(|_| ReferenceError::BadRow {
            path: path.to_path_buf(),
            line: line_no,
        })?;
        // Code 0 is the lookup page's placeholder, not an error.
        let Some(code) = AadstsCode::new(number) else {
            continue;
        };
        let get = |c: usize| cols.get(c).map_or("", |s| s.trim()).to_owned();
        rows.push(Row {
            code,
            name: name_col.map(get).unwrap_or_default(),
            texts: text_cols
                .iter()
                .map(|&c| get(c))
                .filter(|t| !t.is_empty())
                .collect(),
            line: line_no,
        });
    }
    Ok(RefFile {
        path: path.to_path_buf(),
        kind,
        markdown: false,
        rows,
    })
}

/// Codes covered by entries, against a total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Count {
    /// Codes with an entry.
    pub covered: usize,
    /// Codes listed.
    pub total: usize,
}

/// How much of the reference files the knowledge base covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coverage {
    /// Microsoft's table, when a table file was given.
    pub table: Option<Count>,
    /// Each list given.
    pub by_kind: BTreeMap<RefKind, Count>,
    /// The union of every file given.
    pub all: Count,
}

impl std::fmt::Display for Coverage {
    /// `Microsoft's table: 350/350; all references: 1,200/1,518`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        for (kind, c) in &self.by_kind {
            parts.push(format!(
                "{}: {}/{}",
                kind.label(),
                thousands(c.covered),
                thousands(c.total)
            ));
        }
        parts.push(format!(
            "all references: {}/{}",
            thousands(self.all.covered),
            thousands(self.all.total)
        ));
        f.write_str(&parts.join("; "))
    }
}

/// `1518` -> `1,518`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What changed between Microsoft's markdown table and the knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MarkdownDiff {
    /// The markdown file.
    pub path: PathBuf,
    /// Codes in the table without an entry.
    pub new: Vec<AadstsCode>,
    /// Entries marked `learn` that the table no longer lists.
    pub removed: Vec<AadstsCode>,
    /// Entries whose enum name differs: (code, ours, the table's).
    pub renamed: Vec<(AadstsCode, String, String)>,
}

/// Everything a comparison found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Each disagreement, at the entry's or the reference row's place.
    pub problems: Vec<Problem>,
    /// Coverage counts.
    pub coverage: Coverage,
    /// One diff per markdown file given.
    pub diffs: Vec<MarkdownDiff>,
}

/// Compares the knowledge base with every reference file given.
pub fn compare(knowledge: &Knowledge, files: &[RefFile]) -> Report {
    let mut problems = Vec::new();
    // code -> (file, row) of the first file of each kind listing it.
    let mut first: HashMap<RefKind, HashMap<AadstsCode, (&RefFile, &Row)>> = HashMap::new();
    for file in files {
        let map = first.entry(file.kind).or_default();
        for row in &file.rows {
            map.entry(row.code).or_insert((file, row));
        }
    }
    let empty = HashMap::new();
    let table = first.get(&RefKind::Table).unwrap_or(&empty);
    let community = first.get(&RefKind::Community).unwrap_or(&empty);
    let lookup = first.get(&RefKind::Lookup).unwrap_or(&empty);
    let has = |k: RefKind| first.contains_key(&k);

    // Microsoft's table: an entry for every code, with the exact name.
    let mut table_rows: Vec<_> = table.values().collect();
    table_rows.sort_by_key(|(f, r)| (f.path.clone(), r.line));
    for (file, row) in table_rows {
        let Some(entry) = knowledge.get(row.code) else {
            problems.push(Problem {
                file: file.path.clone(),
                line: row.line,
                col: 1,
                kind: ProblemKind::MissingEntry,
                message: format!("{} has no entry in the knowledge base", row.code),
            });
            continue;
        };
        let name = entry.name.as_deref().unwrap_or("");
        if name != row.name {
            problems.push(at_entry(
                entry,
                ProblemKind::Name,
                format!(
                    "{} name is {name:?}; {} says {:?}",
                    row.code,
                    file.path.display(),
                    row.name
                ),
            ));
        }
    }

    // Source marks.
    for entry in knowledge.entries() {
        let code = entry.code;
        let (in_table, in_community, in_lookup) = (
            table.contains_key(&code),
            community.contains_key(&code),
            lookup.contains_key(&code),
        );
        let wrong = |s: &str| Some(format!("{code} {s}"));
        let message = match entry.source {
            _ if in_table && entry.source != Source::Learn => {
                wrong("is in Microsoft's table: source must be \"learn\"")
            }
            Source::Learn if has(RefKind::Table) && !in_table => {
                wrong("is marked source = \"learn\" but Microsoft's table does not list it")
            }
            Source::Learn => None,
            Source::Lookup if in_community && has(RefKind::Table) => wrong(
                "is in the community list and not Microsoft's table: source must be \"community\"",
            ),
            Source::Community
                if !in_community && in_lookup && has(RefKind::Table) && has(RefKind::Community) =>
            {
                wrong("is only in the live lookup list: source must be \"lookup\"")
            }
            Source::Community if has(RefKind::Community) && !in_community => {
                wrong("is marked source = \"community\" but the community list does not have it")
            }
            Source::Lookup if has(RefKind::Lookup) && !in_lookup => {
                wrong("is marked source = \"lookup\" but the live lookup list does not have it")
            }
            _ => None,
        };
        if let Some(message) = message {
            problems.push(at_entry(entry, ProblemKind::SourceMark, message));
        }
    }

    // Copied wording, against every text of every file.
    let texts = ReferenceTexts::new(files);
    for entry in knowledge.entries() {
        if let Some(copy) = texts.copied_in(entry) {
            problems.push(at_entry(
                entry,
                ProblemKind::Copied,
                format!(
                    "{} shares {COPIED_WORDS}+ consecutive words with {}:{} (\"{}\"): write it in your own words",
                    entry.code,
                    copy.file.display(),
                    copy.line,
                    copy.words
                ),
            ));
        }
    }

    Report {
        problems,
        coverage: coverage(knowledge, &first),
        diffs: files
            .iter()
            .filter(|f| f.markdown)
            .map(|f| diff(knowledge, f))
            .collect(),
    }
}

fn at_entry(e: &Entry, kind: ProblemKind, message: String) -> Problem {
    Problem {
        file: e.origin.file.to_path_buf(),
        line: e.origin.line,
        col: e.origin.col,
        kind,
        message,
    }
}

fn coverage(
    knowledge: &Knowledge,
    lists: &HashMap<RefKind, HashMap<AadstsCode, (&RefFile, &Row)>>,
) -> Coverage {
    let count = |codes: &mut dyn Iterator<Item = AadstsCode>| {
        let mut c = Count::default();
        for code in codes {
            c.total += 1;
            c.covered += usize::from(knowledge.get(code).is_some());
        }
        c
    };
    let by_kind: BTreeMap<RefKind, Count> = lists
        .iter()
        .map(|(&k, m)| (k, count(&mut m.keys().copied())))
        .collect();
    let union: HashSet<AadstsCode> = lists.values().flat_map(|m| m.keys().copied()).collect();
    Coverage {
        table: by_kind.get(&RefKind::Table).copied(),
        all: count(&mut union.into_iter()),
        by_kind,
    }
}

fn diff(knowledge: &Knowledge, file: &RefFile) -> MarkdownDiff {
    let listed: HashMap<AadstsCode, &Row> = file.rows.iter().map(|r| (r.code, r)).collect();
    let mut d = MarkdownDiff {
        path: file.path.clone(),
        ..MarkdownDiff::default()
    };
    for row in &file.rows {
        match knowledge.get(row.code) {
            None => d.new.push(row.code),
            Some(e) => {
                let ours = e.name.as_deref().unwrap_or("");
                if ours != row.name {
                    d.renamed
                        .push((row.code, ours.to_owned(), row.name.clone()));
                }
            }
        }
    }
    d.removed = knowledge
        .entries()
        .iter()
        .filter(|e| e.source == Source::Learn && !listed.contains_key(&e.code))
        .map(|e| e.code)
        .collect();
    d.new.sort_unstable();
    d.renamed.sort();
    d
}

/// The words of a text for the copy check: split at whitespace, punctuation
/// trimmed from both ends, lower-cased. Identifiers and URLs
/// (`urn:ietf:params:oauth:grant-type:jwt-bearer`, `client_id`,
/// `https://login.microsoftonline.com/...`) stay one word, so quoting a
/// grant type or an endpoint is not "copying".
pub fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn gram_hash(words: &[String]) -> u64 {
    let mut h = FxHasher::default();
    words.hash(&mut h);
    h.finish()
}

/// Where an entry's text repeats a reference text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    /// The reference file.
    pub file: PathBuf,
    /// Its line.
    pub line: usize,
    /// The shared words.
    pub words: String,
}

/// Every run of [`COPIED_WORDS`] words of the reference texts, hashed.
struct ReferenceTexts<'a> {
    grams: HashMap<u64, (&'a RefFile, &'a Row)>,
}

impl<'a> ReferenceTexts<'a> {
    fn new(files: &'a [RefFile]) -> Self {
        let mut grams = HashMap::new();
        for file in files {
            for row in &file.rows {
                for text in &row.texts {
                    for w in words(text).windows(COPIED_WORDS) {
                        grams.entry(gram_hash(w)).or_insert((file, row));
                    }
                }
            }
        }
        Self { grams }
    }

    /// The first run an entry shares with a reference text (each field of
    /// the entry on its own, variants included).
    fn copied_in(&self, entry: &Entry) -> Option<Copy> {
        if self.grams.is_empty() {
            return None;
        }
        let fixes = entry.fixes.iter().map(|f| f.step.as_str());
        let variants = entry.variants.iter().flat_map(|v| {
            std::iter::once(v.meaning.as_str())
                .chain(v.causes.iter().map(String::as_str))
                .chain(v.fixes.iter().map(|f| f.step.as_str()))
        });
        let fields = [entry.title.as_str(), entry.meaning.as_str()]
            .into_iter()
            .chain(entry.causes.iter().map(String::as_str))
            .chain(fixes)
            .chain(variants);
        for field in fields {
            let mine = words(field);
            for w in mine.windows(COPIED_WORDS) {
                let Some(&(file, row)) = self.grams.get(&gram_hash(w)) else {
                    continue;
                };
                // Confirm against the text itself (hashes can collide).
                let confirmed = row
                    .texts
                    .iter()
                    .any(|t| words(t).windows(COPIED_WORDS).any(|r| r == w));
                if confirmed {
                    return Some(Copy {
                        file: file.path.clone(),
                        line: row.line,
                        words: w.join(" "),
                    });
                }
            }
        }
        None
    }
}

/// The first run of [`COPIED_WORDS`] words that an entry's text shares with
/// `reference`, if any.
pub fn copied_words(entry: &Entry, reference: &str) -> Option<String> {
    let file = RefFile {
        path: PathBuf::new(),
        kind: RefKind::Table,
        markdown: false,
        rows: vec![Row {
            code: entry.code,
            name: String::new(),
            texts: vec![reference.to_owned()],
            line: 1,
        }],
    };
    let files = [file];
    ReferenceTexts::new(&files)
        .copied_in(entry)
        .map(|c| c.words)
}

#[cfg(test)]
mod tests;
