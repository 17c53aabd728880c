//! Purpose: read knowledge files and the local notes file, validate every
//! rule of knowledge/README.md, and report each problem as `file:line:col`.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Spanned;

use super::schema::{RawEntry, RawFile, RawNotesFile};
use super::{Entry, Knowledge, Note, Origin};
use crate::code::AadstsCode;
use crate::render;

/// Longest `title` allowed.
pub const TITLE_MAX: usize = 100;
/// Longest `meaning` allowed.
pub const MEANING_MAX: usize = 600;
/// Discord's limit for one embed field value; causes and fixes must each fit.
pub const FIELD_MAX: usize = 1024;
/// Longest local note.
pub const NOTE_MAX: usize = 1000;
/// Longest link.
pub const LINK_MAX: usize = 300;
/// Roles a fix may start with.
pub const FIX_ROLES: [&str; 3] = ["User: ", "Admin: ", "Developer: "];

/// One thing wrong in a knowledge or notes file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
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
    path: Arc<PathBuf>,
    text: String,
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
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }

    fn problem(&self, offset: usize, message: impl Into<String>) -> Problem {
        let (line, col) = self.line_col(offset);
        Problem {
            file: self.path.to_path_buf(),
            line,
            col,
            message: message.into(),
        }
    }
}

impl Knowledge {
    /// Loads every `*.toml` in `dir` (name order) and, when given, the local
    /// notes file; validates everything.
    pub fn load(dir: &Path, notes: Option<&Path>) -> Result<Knowledge, LoadError> {
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
        // Files are parsed on every core; results are merged in name order.
        for (parsed, file_problems) in parallel_map(&files, parse_file) {
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
                    message: format!(
                        "{} is already defined at {}:{}:{}",
                        entry.code,
                        first.file.display(),
                        first.line,
                        first.col
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
                if !known.contains_key(&code) {
                    problems.push(Problem {
                        file: file.to_path_buf(),
                        line,
                        col,
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
            problems.push(file.problem(at, e.message().trim().to_owned()));
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

/// A related code still to be resolved once every file is read, with where
/// it was written.
struct RelatedRef {
    code: AadstsCode,
    file: Arc<PathBuf>,
    line: usize,
    col: usize,
}

/// Checks one entry's own fields. Returns the entry (related codes are
/// resolved later, once every file is read) or `None` if its code is unusable.
fn check_entry(
    file: &SourceFile,
    raw: RawEntry,
    problems: &mut Vec<Problem>,
) -> Option<(Entry, Vec<RelatedRef>)> {
    let code_at = raw.code.span().start;
    let mut report = |at: usize, message: String| problems.push(file.problem(at, message));
    let Some(code) = as_code(*raw.code.get_ref()) else {
        report(
            code_at,
            format!(
                "{} is not an AADSTS code (1 to 9 digits)",
                raw.code.get_ref()
            ),
        );
        return None;
    };
    if let Some(expected) = family_file_mismatch(&file.path, code) {
        report(code_at, format!("{code} belongs in {expected}"));
    }

    check_text(&raw.title, "title", TITLE_MAX, &mut report);
    check_text(&raw.meaning, "meaning", MEANING_MAX, &mut report);

    let causes = raw.causes.get_ref();
    if causes.is_empty() || causes.iter().any(|c| c.trim().is_empty()) {
        report(
            raw.causes.span().start,
            "causes must list at least one non-empty cause".into(),
        );
    } else if render::causes_field(causes).chars().count() > FIELD_MAX {
        report(
            raw.causes.span().start,
            format!("causes do not fit in one embed field ({FIELD_MAX} characters)"),
        );
    }

    let fixes: Vec<String> = raw
        .fixes
        .get_ref()
        .iter()
        .map(|f| f.get_ref().clone())
        .collect();
    if fixes.is_empty() {
        report(
            raw.fixes.span().start,
            "fixes must list at least one fix".into(),
        );
    }
    for fix in raw.fixes.get_ref() {
        if !FIX_ROLES.iter().any(|role| fix.get_ref().starts_with(role))
            || fix.get_ref().trim().len() < 12
        {
            report(
                fix.span().start,
                "each fix starts with `User: `, `Admin: ` or `Developer: ` and says what to do"
                    .into(),
            );
        }
    }
    if !fixes.is_empty() && render::fixes_field(&fixes).chars().count() > FIELD_MAX {
        report(
            raw.fixes.span().start,
            format!("fixes do not fit in one embed field ({FIELD_MAX} characters)"),
        );
    }

    let links = check_links(&raw.links, &mut report);

    let mut related = Vec::new();
    for r in &raw.related {
        match as_code(*r.get_ref()) {
            Some(c) if c == code => report(
                r.span().start,
                "an entry cannot be related to itself".into(),
            ),
            Some(code) => {
                let (line, col) = file.line_col(r.span().start);
                related.push(RelatedRef {
                    code,
                    file: file.path.clone(),
                    line,
                    col,
                });
            }
            None => report(
                r.span().start,
                format!("related {} is not an AADSTS code", r.get_ref()),
            ),
        }
    }

    let (line, col) = file.line_col(code_at);
    let entry = Entry {
        code,
        name: raw.name.filter(|n| !n.trim().is_empty()),
        title: raw.title.into_inner(),
        severity: raw.severity,
        category: raw.category,
        meaning: raw.meaning.into_inner(),
        causes: raw.causes.into_inner(),
        fixes,
        related: Vec::new(),
        links,
        source: raw.source,
        notes: Vec::new(),
        origin: Origin {
            file: file.path.clone(),
            line,
            col,
        },
    };
    Some((entry, related))
}

fn check_text(
    text: &Spanned<String>,
    key: &str,
    max: usize,
    report: &mut impl FnMut(usize, String),
) {
    let len = text.get_ref().chars().count();
    if text.get_ref().trim().is_empty() {
        report(text.span().start, format!("{key} must not be empty"));
    } else if len > max {
        report(
            text.span().start,
            format!("{key} is {len} characters; at most {max}"),
        );
    }
}

fn check_links(links: &[Spanned<String>], report: &mut impl FnMut(usize, String)) -> Vec<String> {
    for link in links {
        let url = link.get_ref();
        if !url.starts_with("https://")
            || url.len() <= "https://".len()
            || url.chars().any(char::is_whitespace)
        {
            report(
                link.span().start,
                format!("link must be an https:// URL without spaces: {url}"),
            );
        } else if url.len() > LINK_MAX {
            report(
                link.span().start,
                format!("link is longer than {LINK_MAX} characters"),
            );
        }
    }
    links.iter().map(|l| l.get_ref().clone()).collect()
}

fn check_notes(
    file: &SourceFile,
    known: &HashMap<AadstsCode, usize>,
    problems: &mut Vec<Problem>,
) -> Vec<(AadstsCode, Note)> {
    let raw: RawNotesFile = match toml::from_str(&file.text) {
        Ok(raw) => raw,
        Err(e) => {
            problems.push(file.problem(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_owned(),
            ));
            return Vec::new();
        }
    };
    let mut notes = Vec::new();
    for note in raw.note {
        let mut report = |at: usize, message: String| problems.push(file.problem(at, message));
        let code = match as_code(*note.code.get_ref()) {
            Some(code) if known.contains_key(&code) => code,
            Some(code) => {
                report(
                    note.code.span().start,
                    format!("{code} has no entry to add a note to"),
                );
                continue;
            }
            None => {
                report(
                    note.code.span().start,
                    format!("{} is not an AADSTS code", note.code.get_ref()),
                );
                continue;
            }
        };
        check_text(&note.text, "text", NOTE_MAX, &mut report);
        let links = check_links(&note.links, &mut report);
        notes.push((
            code,
            Note {
                text: note.text.into_inner(),
                links,
            },
        ));
    }
    notes
}

fn as_code(n: i64) -> Option<AadstsCode> {
    u32::try_from(n).ok().and_then(AadstsCode::new)
}

/// For files named like a family (`500xx.toml`, `7000xxx.toml`), the file the
/// code belongs in when it is not this one.
fn family_file_mismatch(path: &Path, code: AadstsCode) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let digits = stem.trim_end_matches('x');
    let is_pattern = !digits.is_empty()
        && digits.len() < stem.len()
        && digits.bytes().all(|b| b.is_ascii_digit());
    if !is_pattern {
        return None;
    }
    let number = code.number().to_string();
    if number.len() == stem.len() && number.starts_with(digits) {
        None
    } else {
        let x = stem.len() - digits.len();
        let keep = number.len().saturating_sub(x).max(1);
        Some(format!(
            "{}{}.toml (or another file of its family)",
            &number[..keep],
            "x".repeat(number.len() - keep)
        ))
    }
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
            p.iter()
                .any(|p| p.starts_with("b.toml:3:8: AADSTS50076 is already defined at a.toml:3:8")),
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
