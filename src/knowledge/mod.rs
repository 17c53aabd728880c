//! Purpose: the knowledge base: load `knowledge/*.toml`, validate it, and
//! answer lookups by code, by enum name and by words.
//!
//! Loading and `aadsts-bot check` run the very same code, so what `check`
//! accepts is exactly what the bot serves. Every problem names
//! `file:line:col`.

mod family;
mod load;
mod query;
pub mod reference;
mod schema;
mod search;
mod validate;
mod who;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

pub use family::{family_of, Family};
pub use load::{LoadError, Problem, ProblemKind};
pub use schema::{Category, Severity, Source, Who};
pub use search::Hit;
pub use who::{Audience, Fix, WhoActs};

use crate::code::AadstsCode;

/// Where an entry was written, for problem reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file, as it was given to the loader.
    pub file: Arc<PathBuf>,
    /// 1-based line of the entry's `code` key.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
}

/// A team's own note on a code, from the local notes file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The note itself.
    pub text: String,
    /// Links the team wants next to it.
    pub links: Vec<String>,
}

/// What the knowledge base knows about one code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The code.
    pub code: AadstsCode,
    /// Microsoft's enum name (`UserStrongAuthClientAuthNRequired`), if any.
    pub name: Option<String>,
    /// What went wrong, at a glance.
    pub title: String,
    /// How bad it is.
    pub severity: Severity,
    /// Which area of sign-in it belongs to.
    pub category: Category,
    /// One to three plain sentences.
    pub meaning: String,
    /// Usual reasons, most frequent first.
    pub causes: Vec<String>,
    /// Ordered steps, each with who does it.
    pub fixes: Vec<Fix>,
    /// Codes people confuse it with or hit next.
    pub related: Vec<AadstsCode>,
    /// Pages that explain the cause.
    pub links: Vec<String>,
    /// Microsoft's table or seen in the wild.
    pub source: Source,
    /// The team's local notes.
    pub notes: Vec<Note>,
    /// Who acts first, when the entry says so (else see [`Entry::who_acts`]).
    pub who: Option<Who>,
    /// Explanations of particular wordings of the message.
    pub variants: Vec<Variant>,
    /// Where it was written.
    pub origin: Origin,
}

/// What one wording of a code's message means (`[[error.variants]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The phrase looked for in the pasted text (any letter case).
    pub phrase: String,
    /// What this wording means.
    pub meaning: String,
    /// Causes specific to this wording (may be empty).
    pub causes: Vec<String>,
    /// Fixes specific to this wording (may be empty).
    pub fixes: Vec<Fix>,
}

impl Entry {
    /// The variant whose phrase occurs in `pasted` (ASCII letter case
    /// ignored), with its position in [`Entry::variants`]. When several
    /// match, the longest phrase wins (the most specific), then the first
    /// listed. Linear in the text for each phrase.
    pub fn variant_for(&self, pasted: &[u8]) -> Option<(usize, &Variant)> {
        let mut best: Option<(usize, &Variant)> = None;
        for (i, v) in self.variants.iter().enumerate() {
            if best.is_some_and(|(_, b)| b.phrase.len() >= v.phrase.len()) {
                continue;
            }
            if contains_ignore_case(pasted, v.phrase.as_bytes()) {
                best = Some((i, v));
            }
        }
        best
    }
}

/// `needle` in `haystack`, ASCII letters in any case. Candidates are found
/// with `memchr2` on the first byte's two cases, so a text without that
/// letter costs one fast pass.
fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return false;
    };
    if needle.len() > haystack.len() {
        return false;
    }
    let last_start = haystack.len() - needle.len();
    memchr::memchr2_iter(
        first.to_ascii_lowercase(),
        first.to_ascii_uppercase(),
        &haystack[..=last_start],
    )
    .any(|i| haystack[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// The loaded, validated knowledge base with its indexes.
#[derive(Debug, Default)]
pub struct Knowledge {
    entries: Vec<Entry>,
    by_code: HashMap<AadstsCode, usize>,
    by_name: HashMap<String, usize>,
    /// Built on the first search (lookups by code or name never need it).
    index: OnceLock<search::Index>,
    fingerprint: u32,
    version: String,
}

impl Knowledge {
    /// Builds the indexes over validated entries (sorted by code here).
    fn new(mut entries: Vec<Entry>, fingerprint: u32) -> Self {
        entries.sort_by_key(|e| e.code);
        let by_code = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.code, i))
            .collect();
        let by_name = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((e.name.as_ref()?.to_ascii_lowercase(), i)))
            .collect();
        Self {
            entries,
            by_code,
            by_name,
            index: OnceLock::new(),
            fingerprint,
            version: format!("{fingerprint:08x}"),
        }
    }

    /// The entry for a code, if the base has one.
    pub fn get(&self, code: AadstsCode) -> Option<&Entry> {
        self.by_code.get(&code).map(|&i| &self.entries[i])
    }

    /// The entry whose enum name is `name`, ignoring letter case.
    pub fn by_name(&self, name: &str) -> Option<&Entry> {
        self.by_name
            .get(&name.trim().to_ascii_lowercase())
            .map(|&i| &self.entries[i])
    }

    /// All entries, sorted by code.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no entry at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A short fingerprint of the files' contents (changes with any edit).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The same fingerprint as a number (cache keys use it).
    pub fn fingerprint(&self) -> u32 {
        self.fingerprint
    }

    /// Finds entries for what a person typed: a code or code prefix, an
    /// enum name, or words. Best first, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit<'_>> {
        self.search_index().search(&self.entries, query, limit)
    }

    /// Builds the search index now rather than on the first search (the bot
    /// does this at start-up so the first autocomplete is fast).
    pub fn prepare_search(&self) {
        self.search_index();
    }

    fn search_index(&self) -> &search::Index {
        self.index
            .get_or_init(|| search::Index::build(&self.entries))
    }
}
