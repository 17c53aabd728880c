//! Purpose: the rules one knowledge entry (and one local note) must follow
//! on its own: texts present and within Discord's limits, fixes that say
//! who acts, https links, codes in their family file, message variants.
//! Rules across entries (duplicates, related codes) live in `load`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Spanned;

use super::load::SourceFile;
use super::schema::{RawEntry, RawNotesFile, RawVariant};
use super::{Entry, Fix, Note, Origin, Problem, ProblemKind, Variant};
use crate::code::AadstsCode;
use crate::render;

/// Longest `title` allowed.
pub const TITLE_MAX: usize = 100;
/// Longest `meaning` allowed (an entry's or a variant's).
pub const MEANING_MAX: usize = 600;
/// Discord's limit for one embed field value; causes and fixes must each fit.
pub const FIELD_MAX: usize = 1024;
/// Longest local note.
pub const NOTE_MAX: usize = 1000;
/// Longest link.
pub const LINK_MAX: usize = 300;
/// Longest variant `match` phrase.
pub const PHRASE_MAX: usize = 100;
/// Variants one entry may carry.
pub const VARIANTS_MAX: usize = 12;
/// Roles a fix may start with.
pub const FIX_ROLES: [&str; 3] = ["User: ", "Admin: ", "Developer: "];

/// A related code still to be resolved once every file is read, with where
/// it was written.
pub(crate) struct RelatedRef {
    pub code: AadstsCode,
    pub file: Arc<PathBuf>,
    pub line: usize,
    pub col: usize,
}

type Report<'a> = dyn FnMut(usize, ProblemKind, String) + 'a;

/// Checks one entry's own fields. Returns the entry (related codes are
/// resolved later, once every file is read) or `None` if its code is unusable.
pub(crate) fn check_entry(
    file: &SourceFile,
    raw: RawEntry,
    problems: &mut Vec<Problem>,
) -> Option<(Entry, Vec<RelatedRef>)> {
    let code_at = raw.code.span().start;
    let mut report = |at: usize, kind: ProblemKind, message: String| {
        problems.push(file.problem(at, kind, message))
    };
    let Some(code) = as_code(*raw.code.get_ref()) else {
        report(
            code_at,
            ProblemKind::Field,
            format!(
                "{} is not an AADSTS code (1 to 9 digits)",
                raw.code.get_ref()
            ),
        );
        return None;
    };
    if let Some(expected) = family_file_mismatch(&file.path, code) {
        report(
            code_at,
            ProblemKind::Placement,
            format!("{code} belongs in {expected}"),
        );
    }

    check_text(&raw.title, "title", TITLE_MAX, &mut report);
    check_text(&raw.meaning, "meaning", MEANING_MAX, &mut report);
    check_causes(&raw.causes, true, &mut report);
    let fixes = check_fixes(&raw.fixes, true, &mut report);
    let links = check_links(&raw.links, &mut report);
    let variants = check_variants(raw.variants, &mut report);

    let mut related = Vec::new();
    for r in &raw.related {
        match as_code(*r.get_ref()) {
            Some(c) if c == code => report(
                r.span().start,
                ProblemKind::Field,
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
                ProblemKind::Field,
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
        who: raw.who,
        variants,
        origin: Origin {
            file: file.path.clone(),
            line,
            col,
        },
    };
    Some((entry, related))
}

/// Causes: non-empty items (and at least one when `required`), fitting one field.
fn check_causes(causes: &Spanned<Vec<String>>, required: bool, report: &mut Report<'_>) {
    let list = causes.get_ref();
    if (required && list.is_empty()) || list.iter().any(|c| c.trim().is_empty()) {
        report(
            causes.span().start,
            ProblemKind::Field,
            "causes must list at least one non-empty cause".into(),
        );
    } else if render::causes_field(list).chars().count() > FIELD_MAX {
        report(
            causes.span().start,
            ProblemKind::Limits,
            format!("causes do not fit in one embed field ({FIELD_MAX} characters)"),
        );
    }
}

/// Fixes: each starts with a role and says something; together they fit one field.
fn check_fixes(
    raw: &Spanned<Vec<Spanned<String>>>,
    required: bool,
    report: &mut Report<'_>,
) -> Vec<Fix> {
    if required && raw.get_ref().is_empty() {
        report(
            raw.span().start,
            ProblemKind::Field,
            "fixes must list at least one fix".into(),
        );
    }
    let mut fixes = Vec::with_capacity(raw.get_ref().len());
    for fix in raw.get_ref() {
        let text = fix.get_ref();
        match Fix::parse(text) {
            Some(parsed)
                if FIX_ROLES.iter().any(|role| text.starts_with(role))
                    && text.trim().len() >= 12 =>
            {
                fixes.push(parsed)
            }
            _ => report(
                fix.span().start,
                ProblemKind::Field,
                "each fix starts with `User: `, `Admin: ` or `Developer: ` and says what to do"
                    .into(),
            ),
        }
    }
    if !fixes.is_empty() && render::fixes_field(&fixes).chars().count() > FIELD_MAX {
        report(
            raw.span().start,
            ProblemKind::Limits,
            format!("fixes do not fit in one embed field ({FIELD_MAX} characters)"),
        );
    }
    fixes
}

/// `[[error.variants]]`: a non-empty phrase, unique in the entry (any
/// case), a meaning, and causes and fixes by the entry's own rules.
fn check_variants(raw: Vec<RawVariant>, report: &mut Report<'_>) -> Vec<Variant> {
    if raw.len() > VARIANTS_MAX {
        report(
            raw[VARIANTS_MAX].phrase.span().start,
            ProblemKind::Limits,
            format!("at most {VARIANTS_MAX} variants per entry"),
        );
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut variants = Vec::with_capacity(raw.len());
    for v in raw {
        let phrase = v.phrase.get_ref().trim();
        let at = v.phrase.span().start;
        if phrase.is_empty() {
            report(
                at,
                ProblemKind::Field,
                "a variant's `match` phrase must not be empty".into(),
            );
        } else if phrase.chars().count() > PHRASE_MAX {
            report(
                at,
                ProblemKind::Limits,
                format!("a variant's `match` phrase is at most {PHRASE_MAX} characters"),
            );
        } else if !seen.insert(phrase.to_ascii_lowercase()) {
            report(
                at,
                ProblemKind::Duplicate,
                format!("duplicate variant phrase {phrase:?} in this entry"),
            );
        }
        check_text(&v.meaning, "variant meaning", MEANING_MAX, report);
        if let Some(causes) = &v.causes {
            check_causes(causes, false, report);
        }
        let fixes = v
            .fixes
            .as_ref()
            .map(|f| check_fixes(f, false, report))
            .unwrap_or_default();
        variants.push(Variant {
            phrase: phrase.to_owned(),
            meaning: v.meaning.into_inner(),
            causes: v.causes.map(Spanned::into_inner).unwrap_or_default(),
            fixes,
        });
    }
    variants
}

pub(crate) fn check_text(text: &Spanned<String>, key: &str, max: usize, report: &mut Report<'_>) {
    let len = text.get_ref().chars().count();
    if text.get_ref().trim().is_empty() {
        report(
            text.span().start,
            ProblemKind::Field,
            format!("{key} must not be empty"),
        );
    } else if len > max {
        report(
            text.span().start,
            ProblemKind::Limits,
            format!("{key} is {len} characters; at most {max}"),
        );
    }
}

fn check_links(links: &[Spanned<String>], report: &mut Report<'_>) -> Vec<String> {
    for link in links {
        let url = link.get_ref();
        if !url.starts_with("https://")
            || url.len() <= "https://".len()
            || url.chars().any(char::is_whitespace)
        {
            report(
                link.span().start,
                ProblemKind::Field,
                format!("link must be an https:// URL without spaces: {url}"),
            );
        } else if url.len() > LINK_MAX {
            report(
                link.span().start,
                ProblemKind::Limits,
                format!("link is longer than {LINK_MAX} characters"),
            );
        }
    }
    links.iter().map(|l| l.get_ref().clone()).collect()
}

/// Parses and checks the local notes file; notes for codes without an
/// entry are problems.
pub(crate) fn check_notes(
    file: &SourceFile,
    known: &HashMap<AadstsCode, usize>,
    problems: &mut Vec<Problem>,
) -> Vec<(AadstsCode, Note)> {
    let raw: RawNotesFile = match toml::from_str(&file.text) {
        Ok(raw) => raw,
        Err(e) => {
            problems.push(file.problem(
                e.span().map_or(0, |s| s.start),
                ProblemKind::Syntax,
                e.message().trim().to_owned(),
            ));
            return Vec::new();
        }
    };
    let mut notes = Vec::new();
    for note in raw.note {
        let mut report = |at: usize, kind: ProblemKind, message: String| {
            problems.push(file.problem(at, kind, message))
        };
        let code = match as_code(*note.code.get_ref()) {
            Some(code) if known.contains_key(&code) => code,
            Some(code) => {
                report(
                    note.code.span().start,
                    ProblemKind::UnknownRelated,
                    format!("{code} has no entry to add a note to"),
                );
                continue;
            }
            None => {
                report(
                    note.code.span().start,
                    ProblemKind::Field,
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

pub(crate) fn as_code(n: i64) -> Option<AadstsCode> {
    u32::try_from(n).ok().and_then(AadstsCode::new)
}

/// For files named like a family (`500xx.toml`, `7000xxx.toml`), the file the
/// code belongs in when it is not this one.
pub(crate) fn family_file_mismatch(path: &Path, code: AadstsCode) -> Option<String> {
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
