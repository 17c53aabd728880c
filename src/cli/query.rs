//! Purpose: read what people copy after `lookup` (`AADSTS50076:`,
//! `"AADSTS50076"`, `'50076'`, `AADSTS50076.`, `aadsts 50076`, a whole
//! error line, an enum name in any case) and, on a miss, find the nearest
//! enum name (edit distance) or known codes (by prefix, then by number).

use aadsts_bot::knowledge::Entry;
use aadsts_bot::{detect, AadstsCode, Knowledge};

/// Longest query compared by edit distance (names are under 60 characters).
const MAX_QUERY: usize = 100;

/// What a `lookup` argument asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Query {
    /// A code, known or not.
    Code(AadstsCode),
    /// Anything else: an enum name, or words.
    Name(String),
}

/// Characters people copy around a code: quotes, brackets, punctuation.
fn is_wrapping(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\''
                | '`'
                | '‘'
                | '’'
                | '“'
                | '”'
                | '('
                | ')'
                | '['
                | ']'
                | '<'
                | '>'
                | '{'
                | '}'
                | ':'
                | '.'
                | ','
                | ';'
                | '!'
                | '?'
        )
}

/// Reads a `lookup` argument (several arguments are joined with spaces).
pub(super) fn parse(input: &str) -> Query {
    let bare = input.trim_matches(is_wrapping);
    if let Ok(code) = bare.parse::<AadstsCode>() {
        return Query::Code(code);
    }
    // A whole copied line: `Error AADSTS50076: Due to a configuration ...`.
    let input = &input[..floor_char_boundary(input, 4096)];
    if let Some(found) = detect::detect(input.as_bytes()).codes.first() {
        return Query::Code(found.code);
    }
    Query::Name(bare.to_owned())
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

/// The entry whose enum name is nearest `name` by edit distance, when it
/// is near enough to be a typo (at most a third of the letters differ).
pub(super) fn nearest_name<'k>(knowledge: &'k Knowledge, name: &str) -> Option<&'k Entry> {
    let query: String = name
        .chars()
        .take(MAX_QUERY)
        .collect::<String>()
        .to_lowercase();
    if query.is_empty() {
        return None;
    }
    knowledge
        .entries()
        .iter()
        .filter_map(|e| {
            let n = e.name.as_deref()?.to_lowercase();
            let d = strsim::levenshtein(&query, &n);
            let longest = query.chars().count().max(n.chars().count());
            (d * 3 <= longest).then_some((d, e))
        })
        .min_by_key(|&(d, e)| (d, e.code))
        .map(|(_, e)| e)
}

/// Up to `limit` known codes near a code without an entry: first those
/// whose digits extend it or that it extends (`5007` -> `50070`..), nearest
/// in number first, then the numerically nearest.
pub(super) fn nearest_codes(
    knowledge: &Knowledge,
    code: AadstsCode,
    limit: usize,
) -> Vec<AadstsCode> {
    let digits = code.number().to_string();
    let distance = |c: AadstsCode| c.number().abs_diff(code.number());
    let mut prefixed: Vec<AadstsCode> = knowledge
        .entries()
        .iter()
        .map(|e| e.code)
        .filter(|c| {
            let d = c.number().to_string();
            d != digits && (d.starts_with(&digits) || digits.starts_with(&d))
        })
        .collect();
    prefixed.sort_by_key(|&c| (distance(c), c));
    let mut near: Vec<AadstsCode> = knowledge.entries().iter().map(|e| e.code).collect();
    near.sort_by_key(|&c| (distance(c), c));
    let mut out: Vec<AadstsCode> = Vec::with_capacity(limit);
    for c in prefixed.into_iter().chain(near) {
        if out.len() == limit {
            break;
        }
        if c != code && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// `Name (AADSTS50076)`, or `AADSTS50076 (title)` for an entry without a name.
pub(super) fn describe(entry: &Entry) -> String {
    match &entry.name {
        Some(name) => format!("{name} ({})", entry.code),
        None => format!("{} ({})", entry.code, entry.title),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(n: u32) -> Query {
        Query::Code(AadstsCode::new(n).unwrap())
    }

    #[test]
    fn copied_forms_of_a_code() {
        for input in [
            "AADSTS50076",
            "AADSTS50076:",
            "\"AADSTS50076\"",
            "'50076'",
            "AADSTS50076.",
            "aadsts 50076",
            "aadsts-50076",
            " (AADSTS50076), ",
            "“AADSTS50076”",
            "`50076`",
            "Error AADSTS50076: Due to a configuration change",
        ] {
            assert_eq!(parse(input), code(50076), "{input:?}");
        }
    }

    #[test]
    fn names_keep_their_letters() {
        assert_eq!(
            parse("\"UserStrongAuthClientAuthNRequired\":"),
            Query::Name("UserStrongAuthClientAuthNRequired".into())
        );
        assert_eq!(parse("redirect uri"), Query::Name("redirect uri".into()));
        assert_eq!(parse("0"), Query::Name("0".into()));
    }

    #[test]
    fn a_huge_argument_is_bounded() {
        let big = "é".repeat(100_000);
        assert_eq!(parse(&big), Query::Name(big.clone()));
    }

    fn kb() -> Knowledge {
        let entry = |code: u32, name: &str| {
            format!("[[error]]\ncode = {code}\nname = \"{name}\"\ntitle = \"Title {code}\"\nseverity = \"medium\"\ncategory = \"mfa\"\nmeaning = \"m\"\ncauses = [\"a\", \"b\", \"c\"]\nfixes = [\"User: sign in again\", \"User: restart the app\", \"User: ask the helpdesk\"]\nsource = \"learn\"\n")
        };
        let text = [
            entry(50074, "UserStrongAuthClientAuthNRequiredInterrupt"),
            entry(50076, "UserStrongAuthClientAuthNRequired"),
            entry(50079, "UserStrongAuthEnrollmentRequired"),
            entry(500011, "InvalidResourceServicePrincipalNotFound"),
            entry(700016, "UnauthorizedClient_DoesNotMatchRequest"),
        ]
        .concat();
        Knowledge::from_sources(&[("k.toml", &text)], None).unwrap()
    }

    #[test]
    fn a_typo_finds_the_name() {
        let k = kb();
        let e = nearest_name(&k, "UserStrongAuthClientAuthNRequird").unwrap();
        assert_eq!(e.code.number(), 50076);
        assert_eq!(
            describe(e),
            "UserStrongAuthClientAuthNRequired (AADSTS50076)"
        );
        assert_eq!(
            nearest_name(&k, "userstrongauthenrolmentrequired")
                .unwrap()
                .code
                .number(),
            50079
        );
        assert!(nearest_name(&k, "redirect uri").is_none());
        assert!(nearest_name(&k, "").is_none());
    }

    #[test]
    fn codes_near_by_prefix_then_number() {
        let k = kb();
        let near = |n| {
            nearest_codes(&k, AadstsCode::new(n).unwrap(), 3)
                .iter()
                .map(|c| c.number())
                .collect::<Vec<_>>()
        };
        assert_eq!(near(5007), [50074, 50076, 50079]);
        assert_eq!(near(500761), [50076, 500011, 700016]);
        assert_eq!(near(50077), [50076, 50079, 50074]);
        assert_eq!(near(7000160), [700016, 500011, 50079]);
    }
}
