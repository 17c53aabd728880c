//! Purpose: read knowledge files and the local notes file, validate every
//! rule of knowledge/README.md (per-entry rules in `validate`, rules across
//! entries here), and report each problem as `file:line:col` with its kind.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::schema::RawFile;
#[cfg(test)]
use super::validate::TITLE_MAX;
use super::validate::{check_entry, check_notes, RelatedRef};
use super::{Entry, Knowledge, Origin};
use crate::code::AadstsCode;

/// What sort of problem a [`Problem`] is, so `check` can group them and
/// drop knock-on reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    /// The file is not valid TOML or not the schema (unknown key, wrong type,
    /// bad enum value, missing key).
    Syntax,
    /// The same code (or variant phrase) defined twice.
    Duplicate,
    /// A related code, or a note's code, has no entry.
    UnknownRelated,
    /// A text or list is too long for its limit.
    Limits,
    /// An entry sits in the wrong family file.
    Placement,
    /// Entries of a file are not sorted by code.
    Order,
    /// A field's value breaks a rule (empty, not a code, fix without a role, bad link).
    Field,
    /// A code of Microsoft's table has no entry.
    MissingEntry,
    /// The enum name differs from Microsoft's.
    Name,
    /// The `source` mark disagrees with the reference files.
    SourceMark,
    /// The text shares a run of words with a reference text.
    Copied,
}

impl ProblemKind {
    /// A short lower-case label (`duplicate`, `unknown-related`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Syntax => "syntax",
            Self::Duplicate => "duplicate",
            Self::UnknownRelated => "unknown-related",
            Self::Limits => "limits",
            Self::Placement => "placement",
            Self::Order => "order",
            Self::Field => "field",
            Self::MissingEntry => "missing-entry",
            Self::Name => "name",
            Self::SourceMark => "source",
            Self::Copied => "copied",
        }
    }
}

/// One thing wrong in a knowledge or notes file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
    /// What sort of problem it is.
    pub kind: ProblemKind,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

/// Why the knowledge base could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A folder or file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// What could not be read.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The knowledge folder does not exist.
    #[error("no knowledge folder at {} (tried that path; pass `--knowledge DIR` or set KNOWLEDGE_DIR)", path.display())]
    MissingDir {
        /// The folder that was tried.
        path: PathBuf,
    },
    /// The knowledge folder holds no `*.toml` file.
    #[error("the knowledge folder {} has no *.toml file (pass `--knowledge DIR` or set KNOWLEDGE_DIR to the folder with the knowledge files)", path.display())]
    Empty {
        /// The folder.
        path: PathBuf,
    },
    /// The files were read but break the rules; every problem is listed.
    #[error("{} problem(s) in the knowledge base:\n{}", .0.len(), ProblemList(.0))]
    Invalid(Vec<Problem>),
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// A file's name and text, as read from disk or given by a test.
pub(crate) struct SourceFile {
    pub(crate) path: Arc<PathBuf>,
    pub(crate) text: String,
    /// Byte offset where each line starts, for `line_col`.
    line_starts: Vec<usize>,
}

impl SourceFile {
    fn read(path: PathBuf) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(&path).map_err(|source| LoadError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Self::new(path, text))
    }

    fn new(path: PathBuf, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        Self {
            path: Arc::new(path),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }

    pub(crate) fn problem(
        &self,
        offset: usize,
        kind: ProblemKind,
        message: impl Into<String>,
    ) -> Problem {
        let (line, col) = self.line_col(offset);
        Problem {
            file: self.path.to_path_buf(),
            line,
            col,
            kind,
            message: message.into(),
        }
    }
}

impl Knowledge {
    /// Loads every `*.toml` in `dir` (name order) and, when given, the local
    /// notes file; validates everything.
    pub fn load(dir: &Path, notes: Option<&Path>) -> Result<Knowledge, LoadError> {
        if !dir.exists() {
            return Err(LoadError::MissingDir {
                path: dir.to_path_buf(),
            });
        }
        let read_dir = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut paths = Vec::new();
        for item in read_dir {
            let path = item
                .map_err(|source| LoadError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?
                .path();
            if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        if paths.is_empty() {
            return Err(LoadError::Empty {
                path: dir.to_path_buf(),
            });
        }
        let files = paths
            .into_iter()
            .map(SourceFile::read)
            .collect::<Result<Vec<_>, _>>()?;
        let notes = notes
            .map(|p| SourceFile::read(p.to_path_buf()))
            .transpose()?;
        Self::from_files(files, notes)
    }

    /// Loads knowledge from in-memory files (`(name, text)` pairs), for tests
    /// and tools. Same validation as [`Knowledge::load`].
    pub fn from_sources(
        files: &[(&str, &str)],
        notes: Option<(&str, &str)>,
    ) -> Result<Knowledge, LoadError> {
        let source =
            |(name, text): (&str, &str)| SourceFile::new(PathBuf::from(name), text.to_owned());
        Self::from_files(
            files.iter().copied().map(source).collect(),
            notes.map(source),
        )
    }

    fn from_files(
        files: Vec<SourceFile>,
        notes: Option<SourceFile>,
    ) -> Result<Knowledge, LoadError> {
        let mut problems = Vec::new();
        let mut entries: Vec<Entry> = Vec::new();
        let mut related_refs = Vec::new();
        let mut unparsed = false;
        // Files are parsed on every core; results are merged in name order.
        for (parsed, file_problems) in parallel_map(&files, parse_file) {
            unparsed |= file_problems.iter().any(|p| p.kind == ProblemKind::Syntax);
            problems.extend(file_problems);
            for (entry, related) in parsed {
                related_refs.push((entries.len(), related));
                entries.push(entry);
            }
        }

        let mut first_seen: HashMap<AadstsCode, &Origin> = HashMap::new();
        for entry in &entries {
            if let Some(first) = first_seen.insert(entry.code, &entry.origin) {
                problems.push(Problem {
                    file: entry.origin.file.to_path_buf(),
                    line: entry.origin.line,
                    col: entry.origin.col,
                    kind: ProblemKind::Duplicate,
                    message: format!(
                        "duplicate: {} is already defined at {}:{}",
                        entry.code,
                        first.file.display(),
                        first.line,
                    ),
                });
            }
        }
        let known: HashMap<AadstsCode, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.code, i))
            .collect();
        for (i, refs) in related_refs {
            for RelatedRef {
                code,
                file,
                line,
                col,
            } in refs
            {
                // A file that did not parse lost all its entries: saying
                // "no entry" for each code pointing into it is only noise.
                if !known.contains_key(&code) && !unparsed {
                    problems.push(Problem {
                        file: file.to_path_buf(),
                        line,
                        col,
                        kind: ProblemKind::UnknownRelated,
                        message: format!("related code {code} has no entry"),
                    });
                }
                entries[i].related.push(code);
            }
        }

        if let Some(notes) = &notes {
            for (code, note) in check_notes(notes, &known, &mut problems) {
                entries[known[&code]].notes.push(note);
            }
        }

        if problems.is_empty() {
            Ok(Knowledge::new(entries, fingerprint(&files, notes.as_ref())))
        } else {
            Err(LoadError::Invalid(problems))
        }
    }
}

/// Parses one knowledge file and checks each entry's own fields.
fn parse_file(file: &SourceFile) -> (Vec<(Entry, Vec<RelatedRef>)>, Vec<Problem>) {
    let mut problems = Vec::new();
    let raw: RawFile = match toml::from_str(&file.text) {
        Ok(raw) => raw,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            problems.push(file.problem(at, ProblemKind::Syntax, e.message().trim().to_owned()));
            return (Vec::new(), problems);
        }
    };
    let mut parsed = Vec::new();
    let mut previous: Option<i64> = None;
    for raw_entry in raw.error {
        let number = *raw_entry.code.get_ref();
        if let Some(p) = previous.filter(|&p| p >= number) {
            problems.push(file.problem(
                raw_entry.code.span().start,
                ProblemKind::Order,
                format!("entries must be sorted by code: {number} comes after {p}"),
            ));
        }
        previous = Some(number);
        parsed.extend(check_entry(file, raw_entry, &mut problems));
    }
    (parsed, problems)
}

/// `items.iter().map(f)` on every core, results in input order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut indexed: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break done };
                        done.push((i, f(item)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    indexed.sort_unstable_by_key(|(i, _)| *i);
    indexed.into_iter().map(|(_, r)| r).collect()
}

/// A short, stable fingerprint of everything that was loaded.
fn fingerprint(files: &[SourceFile], notes: Option<&SourceFile>) -> u32 {
    // FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
    struct Fnv(u64);
    impl Hasher for Fnv {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for &b in bytes {
                self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
        }
    }
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    for f in files.iter().chain(notes) {
        f.path.file_name().hash(&mut h);
        f.text.hash(&mut h);
    }
    (h.finish() >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::super::validate::family_file_mismatch;
    use super::*;

    const GOOD: &str = r#"
[[error]]
code = 50076
name = "UserStrongAuthClientAuthNRequired"
title = "MFA required"
severity = "medium"
category = "mfa"
meaning = "The sign-in needs a second factor."
causes = ["A policy asks for MFA."]
fixes = ["User: sign in again and complete MFA."]
related = [50079]
links = ["https://learn.microsoft.com/x"]
source = "learn"

[[error]]
code = 50079
title = "MFA registration required"
severity = "medium"
category = "mfa"
meaning = "The user must register for MFA."
causes = ["Registration policy."]
fixes = ["User: register at the security info page."]
source = "learn"
"#;

    fn problems(files: &[(&str, &str)]) -> Vec<String> {
        match Knowledge::from_sources(files, None) {
            Ok(_) => Vec::new(),
            Err(LoadError::Invalid(p)) => p.iter().map(ToString::to_string).collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    #[test]
    fn loads_a_good_file() {
        let k = Knowledge::from_sources(&[("500xx.toml", GOOD)], None).unwrap();
        assert_eq!(k.len(), 2);
        let e = k.get(AadstsCode::new(50076).unwrap()).unwrap();
        assert_eq!(e.related, vec![AadstsCode::new(50079).unwrap()]);
        assert_eq!(e.origin.line, 3);
        assert_eq!(
            k.by_name("userstrongauthclientauthnrequired").unwrap().code,
            e.code
        );
        assert_eq!(k.version().len(), 8);
    }

    #[test]
    fn toml_syntax_error_has_line_and_column() {
        let p = problems(&[("a.toml", "[[error]]\ncode = = 1\n")]);
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("a.toml:2:8: "), "{p:?}");
    }

    #[test]
    fn unknown_key_and_bad_enum_values_are_reported() {
        let bad = GOOD.replacen("source = \"learn\"", "source = \"learn\"\ncolour = 1", 1);
        assert!(problems(&[("a.toml", &bad)])[0].contains("unknown field `colour`"));
        let bad = GOOD.replacen("\"medium\"", "\"severe\"", 1);
        assert!(problems(&[("a.toml", &bad)])[0].contains("unknown variant `severe`"));
        let bad = GOOD.replacen("\"mfa\"", "\"misc\"", 1);
        assert!(problems(&[("a.toml", &bad)])[0].contains("a.toml:7:12: unknown variant `misc`"));
    }

    #[test]
    fn missing_field_is_reported() {
        let bad = GOOD.replacen("meaning = \"The sign-in needs a second factor.\"\n", "", 1);
        assert!(problems(&[("a.toml", &bad)])[0].contains("missing field `meaning`"));
    }

    #[test]
    fn duplicate_code_names_first_place() {
        let p = problems(&[("a.toml", GOOD), ("b.toml", GOOD)]);
        assert!(
            p.iter().any(|p| p
                .starts_with("b.toml:3:8: duplicate: AADSTS50076 is already defined at a.toml:3")),
            "{p:?}"
        );
    }

    #[test]
    fn related_must_exist() {
        let bad = GOOD.replacen("related = [50079]", "related = [50079, 12345]", 1);
        assert_eq!(
            problems(&[("a.toml", &bad)]),
            ["a.toml:11:19: related code AADSTS12345 has no entry"]
        );
    }

    #[test]
    fn related_to_itself_is_refused() {
        let bad = GOOD.replacen("related = [50079]", "related = [50076]", 1);
        assert!(problems(&[("a.toml", &bad)])[0].contains("related to itself"));
    }

    #[test]
    fn empty_texts_and_lists_are_refused() {
        let bad = GOOD
            .replacen("title = \"MFA required\"", "title = \" \"", 1)
            .replacen("causes = [\"A policy asks for MFA.\"]", "causes = []", 1)
            .replacen(
                "fixes = [\"User: sign in again and complete MFA.\"]",
                "fixes = []",
                1,
            );
        let p = problems(&[("a.toml", &bad)]);
        assert_eq!(p.len(), 3, "{p:?}");
    }

    #[test]
    fn fix_must_name_who_does_it() {
        let bad = GOOD.replacen("User: sign in again", "Sign in again", 1);
        assert!(problems(&[("a.toml", &bad)])[0].contains("a.toml:10:10: each fix starts with"));
    }

    #[test]
    fn links_must_be_https() {
        let bad = GOOD.replacen("https://learn", "http://learn", 1);
        assert!(problems(&[("a.toml", &bad)])[0].contains("link must be an https://"));
    }

    #[test]
    fn too_long_texts_are_refused() {
        let long = "x".repeat(TITLE_MAX + 1);
        let bad = GOOD.replacen("MFA required\"", &format!("{long}\""), 1);
        assert!(problems(&[("a.toml", &bad)])[0].contains("title is 101 characters; at most 100"));
        let cause = format!("\"{}\"", "y".repeat(300));
        let many = vec![cause; 4].join(", ");
        let bad = GOOD.replacen("[\"A policy asks for MFA.\"]", &format!("[{many}]"), 1);
        assert!(problems(&[("a.toml", &bad)])[0].contains("causes do not fit"));
    }

    #[test]
    fn bad_codes_are_refused() {
        let bad = GOOD.replacen("code = 50076", "code = 0", 1);
        assert!(problems(&[("a.toml", &bad)])
            .iter()
            .any(|p| p.contains("0 is not an AADSTS code")));
        let bad = GOOD.replacen("code = 50076", "code = 1234567890", 1);
        assert!(problems(&[("a.toml", &bad)])
            .iter()
            .any(|p| p.contains("not an AADSTS code")));
    }

    #[test]
    fn entries_must_be_sorted_within_a_file() {
        let first = GOOD.find("[[error]]\ncode = 50079").unwrap();
        let swapped = format!("{}\n{}", &GOOD[first..], &GOOD[..first]);
        assert!(problems(&[("a.toml", &swapped)])
            .iter()
            .any(|p| p.contains("sorted by code")));
    }

    #[test]
    fn family_files_hold_their_own_codes() {
        assert!(problems(&[("500xx.toml", GOOD)]).is_empty());
        let p = problems(&[("501xx.toml", GOOD)]);
        assert!(p[0].contains("AADSTS50076 belongs in 500xx.toml"), "{p:?}");
        assert!(problems(&[("local.toml", GOOD)]).is_empty());
        assert!(
            family_file_mismatch(Path::new("7000xxx.toml"), AadstsCode::new(7000215).unwrap())
                .is_none()
        );
        assert!(
            family_file_mismatch(Path::new("700xxx.toml"), AadstsCode::new(7000215).unwrap())
                .is_some()
        );
    }

    #[test]
    fn notes_attach_to_entries_and_are_validated() {
        let notes = "[[note]]\ncode = 50076\ntext = \"Our VPN is not trusted yet.\"\nlinks = [\"https://wiki.example/vpn\"]\n";
        let k = Knowledge::from_sources(&[("a.toml", GOOD)], Some(("notes.toml", notes))).unwrap();
        assert_eq!(
            k.get(AadstsCode::new(50076).unwrap()).unwrap().notes[0].text,
            "Our VPN is not trusted yet."
        );
        let bad = "[[note]]\ncode = 12345\ntext = \"x\"\n";
        let err =
            Knowledge::from_sources(&[("a.toml", GOOD)], Some(("notes.toml", bad))).unwrap_err();
        assert!(
            err.to_string()
                .contains("notes.toml:2:8: AADSTS12345 has no entry"),
            "{err}"
        );
    }

    #[test]
    fn version_changes_with_content() {
        let a = Knowledge::from_sources(&[("a.toml", GOOD)], None).unwrap();
        let b = Knowledge::from_sources(
            &[("a.toml", &GOOD.replace("MFA required\"", "MFA needed\""))],
            None,
        )
        .unwrap();
        assert_ne!(a.version(), b.version());
    }

    #[test]
    fn a_syntax_error_is_reported_once_without_knock_ons() {
        // b.toml points at 50079, which a.toml would define if it parsed.
        let b = GOOD
            .replacen("code = 50076", "code = 50176", 1)
            .replacen("code = 50079", "code = 50178", 1)
            .replacen("related = [50079]", "related = [50079, 50178]", 1);
        let broken = GOOD.replacen("title = \"MFA required\"", "title = = 1", 1);
        let p = problems(&[("a.toml", &broken), ("b.toml", &b)]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("a.toml:5:9: "), "{p:?}");
        let Err(LoadError::Invalid(list)) =
            Knowledge::from_sources(&[("a.toml", &broken), ("b.toml", &b)], None)
        else {
            panic!("must fail")
        };
        assert_eq!(list[0].kind, ProblemKind::Syntax);
    }

    #[test]
    fn problems_have_kinds() {
        let kinds = |files: &[(&str, &str)]| match Knowledge::from_sources(files, None) {
            Err(LoadError::Invalid(p)) => p.iter().map(|p| p.kind).collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        assert_eq!(
            kinds(&[("a.toml", GOOD), ("b.toml", GOOD)]),
            [ProblemKind::Duplicate, ProblemKind::Duplicate]
        );
        let bad = GOOD.replacen("related = [50079]", "related = [12345]", 1);
        assert_eq!(kinds(&[("a.toml", &bad)]), [ProblemKind::UnknownRelated]);
        assert_eq!(kinds(&[("501xx.toml", GOOD)]), [ProblemKind::Placement; 2]);
        let long = GOOD.replacen("MFA required\"", &format!("{}\"", "x".repeat(200)), 1);
        assert_eq!(kinds(&[("a.toml", &long)]), [ProblemKind::Limits]);
    }

    #[test]
    fn empty_or_missing_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Knowledge::load(dir.path(), None).unwrap_err();
        assert!(matches!(err, LoadError::Empty { .. }), "{err}");
        assert!(err.to_string().contains("has no *.toml file"), "{err}");
        let missing = dir.path().join("nope");
        let err = Knowledge::load(&missing, None).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&missing.display().to_string()), "{text}");
        assert!(
            text.contains("--knowledge DIR") && text.contains("KNOWLEDGE_DIR"),
            "{text}"
        );
    }

    const VARIANT: &str = "\n[[error.variants]]\nmatch = \"client_secret\"\nmeaning = \"A public client sent a secret.\"\ncauses = [\"The app is registered as public.\"]\nfixes = [\"Developer: remove the secret from the request.\"]\n";

    fn with_variants(variants: &str) -> String {
        let end = GOOD.find("\n[[error]]\ncode = 50079").unwrap();
        format!("{}{variants}{}", &GOOD[..end], &GOOD[end..])
    }

    #[test]
    fn variants_load_and_match() {
        let k = Knowledge::from_sources(&[("a.toml", &with_variants(VARIANT))], None).unwrap();
        let e = k.get(AadstsCode::new(50076).unwrap()).unwrap();
        assert_eq!(e.variants.len(), 1);
        assert_eq!(
            e.variants[0].fixes[0].who,
            crate::knowledge::Audience::Developer
        );
        assert_eq!(e.variant_for(b"x CLIENT_SECRET y").map(|(i, _)| i), Some(0));
        assert!(e.variant_for(b"client secret").is_none());
        assert!(e.variant_for(b"").is_none());
    }

    #[test]
    fn the_longest_matching_phrase_wins() {
        let two = format!(
            "{VARIANT}\n[[error.variants]]\nmatch = \"client_secret is not allowed\"\nmeaning = \"More specific.\"\n"
        );
        let k = Knowledge::from_sources(&[("a.toml", &with_variants(&two))], None).unwrap();
        let e = k.get(AadstsCode::new(50076).unwrap()).unwrap();
        assert_eq!(
            e.variant_for(b"the client_secret is NOT allowed here")
                .map(|(i, _)| i),
            Some(1)
        );
        assert_eq!(e.variant_for(b"client_secret").map(|(i, _)| i), Some(0));
    }

    #[test]
    fn variants_are_validated() {
        let p = problems(&[("a.toml", &with_variants(&format!("{VARIANT}{VARIANT}")))]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("duplicate variant phrase \"client_secret\""),
            "{p:?}"
        );
        assert!(p[0].starts_with("a.toml:22:9: "), "{p:?}");
        let empty = VARIANT.replace("match = \"client_secret\"", "match = \" \"");
        assert!(problems(&[("a.toml", &with_variants(&empty))])[0].contains("must not be empty"));
        let no_role = VARIANT.replace("Developer: remove", "Remove");
        assert!(
            problems(&[("a.toml", &with_variants(&no_role))])[0].contains("each fix starts with")
        );
        let long = VARIANT.replace("A public client sent a secret.", &"m".repeat(700));
        assert!(problems(&[("a.toml", &with_variants(&long))])[0]
            .contains("variant meaning is 700 characters"));
        let unknown = VARIANT.replace("meaning =", "colour = 1\nmeaning =");
        assert!(
            problems(&[("a.toml", &with_variants(&unknown))])[0].contains("unknown field `colour`")
        );
    }

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new(PathBuf::from("x"), "ab\né€x\n".into());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(2), (1, 3));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(8), (2, 3));
        assert_eq!(f.line_col(4), (2, 1), "inside a character: its start");
        assert_eq!(f.line_col(10), (3, 1));
        assert_eq!(f.line_col(99), (3, 1));
    }
}
