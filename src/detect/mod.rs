//! Purpose: find AADSTS codes in pasted text (chat, stack traces, JSON bodies,
//! redirect URLs), the ids Microsoft support asks for next to them, and
//! credentials pasted by mistake.
//!
//! The scan is linear: the `regex` crate's literal prefilter finds the
//! `AADSTS` prefix in any letter case at memory speed (SIMD where the CPU
//! has it, portable code elsewhere, no `unsafe` here), and only the few
//! candidates it finds are checked by hand. The context (see [`find_context`])
//! and the secret guard (see [`find_secrets`]) only run once a code was found, so
//! code-free text costs nothing more.
//!
//! Invisible characters (zero-width spaces and joiners, bidi marks, the
//! byte-order mark, the soft hyphen) inside a code
//! make it no code at all: `AADSTS50\u{200b}076` is not reported, and
//! certainly not as `AADSTS50`. Stripping them instead would need a second
//! pass over every byte of code-free text (see BENCHMARKS.md).

mod context;
mod secret;

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::code::{AadstsCode, MAX_DIGITS};

pub use context::{find_context, Context};
pub use secret::{find_secrets, has_secret, SecretKind};

const PREFIX_LEN: usize = "aadsts".len();

/// At most this many invisible characters in a row are looked through after
/// a code's digits (to see whether the token goes on behind them).
const MAX_INVISIBLE_RUN: usize = 16;

/// One distinct code and every place it appears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The code.
    pub code: AadstsCode,
    /// Byte ranges of each appearance (prefix, separator and digits).
    pub spans: Vec<Range<usize>>,
}

/// Everything found in one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detection {
    /// Distinct codes in order of first appearance.
    pub codes: Vec<Found>,
    /// Ids and hints around them; empty when no code was found.
    pub context: Context,
    /// Kinds of credential the text seems to hold, in [`SecretKind`] order;
    /// empty when no code was found (the guard only runs for texts the bot
    /// answers). Use [`Detection::has_secret`] to ask.
    pub secrets: Vec<SecretKind>,
}

impl Detection {
    /// True when the text holds at least one credential (and a code).
    pub fn has_secret(&self) -> bool {
        !self.secrets.is_empty()
    }
}

/// Finds codes and, when there is at least one, their context and the
/// secrets in the text.
pub fn detect(text: &[u8]) -> Detection {
    let codes = find_codes(text);
    if codes.is_empty() {
        return Detection::default();
    }
    Detection {
        codes,
        context: find_context(text),
        secrets: find_secrets(text),
    }
}

/// Finds every distinct code, in order of first appearance, with all spans.
pub fn find_codes(text: &[u8]) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    let mut index: HashMap<AadstsCode, usize> = HashMap::new();
    let mut from = 0;
    while let Some(start) = find_prefix(text, from) {
        from = start + 1;
        let Some((code, end)) = code_at(text, start) else {
            continue;
        };
        from = end;
        match index.get(&code) {
            Some(&i) => found[i].spans.push(start..end),
            None => {
                index.insert(code, found.len());
                found.push(Found {
                    code,
                    spans: std::iter::once(start..end).collect(),
                });
            }
        }
    }
    found
}

/// `aadsts` in any ASCII letter case. `-u` keeps the folding ASCII-only:
/// with Unicode folding `s` would also match `ſ` (U+017F).
static PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)aadsts").expect("prefix pattern is valid"));

/// Position of the next `aadsts` (any letter case) at or after `from`.
fn find_prefix(text: &[u8], from: usize) -> Option<usize> {
    if from > text.len() {
        return None;
    }
    PREFIX.find_at(text, from).map(|m| m.start())
}

/// Checks the candidate prefix at `start` and reads the code after it.
/// Returns the code and the end of its span.
fn code_at(text: &[u8], start: usize) -> Option<(AadstsCode, usize)> {
    if !starts_token(text, start) {
        return None;
    }
    let mut i = start + PREFIX_LEN;
    // One separator is allowed: `AADSTS 50058`, `AADSTS-50058`, `AADSTS%2050058`.
    match text.get(i) {
        Some(b' ' | b'-') => i += 1,
        Some(b'%') if text.get(i + 1..i + 3) == Some(b"20") => i += 3,
        _ => {}
    }
    let digits_start = i;
    while i < text.len() && text[i].is_ascii_digit() && i - digits_start <= MAX_DIGITS {
        i += 1;
    }
    let len = i - digits_start;
    if len == 0 || len > MAX_DIGITS {
        return None;
    }
    // `AADSTS50058abc` is a longer word, not a code; so is `AADSTS50\u{200b}058`
    // (the token goes on behind the invisible character).
    if continues_token(text, i) {
        return None;
    }
    let number = text[digits_start..i]
        .iter()
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    AadstsCode::new(number).map(|code| (code, i))
}

/// Does the token go on at `at`: a letter or digit, possibly behind a short
/// run of invisible characters? A run too long to look through counts as
/// going on, so such a code is refused rather than cut short.
fn continues_token(text: &[u8], mut at: usize) -> bool {
    for _ in 0..=MAX_INVISIBLE_RUN {
        match is_invisible_at(text, at) {
            0 => return text.get(at).is_some_and(u8::is_ascii_alphanumeric),
            n => at += n,
        }
    }
    true
}

/// Length in bytes of the invisible character encoded at `text[at..]` in
/// UTF-8, or 0 when there is none: U+200B–U+200F (zero-width space,
/// non-joiner, joiner, LRM, RLM), U+202A–U+202E and U+2066–U+2069 (bidi
/// embeddings and isolates), U+2060–U+2064 (word joiner and invisible
/// operators), U+FEFF (byte-order mark) and U+00AD (soft hyphen).
pub(crate) fn is_invisible_at(text: &[u8], at: usize) -> usize {
    match text.get(at..).unwrap_or_default() {
        [0xE2, 0x80, 0x8B..=0x8F | 0xAA..=0xAE, ..]
        | [0xE2, 0x81, 0xA0..=0xA4 | 0xA6..=0xA9, ..]
        | [0xEF, 0xBB, 0xBF, ..] => 3,
        [0xC2, 0xAD, ..] => 2,
        _ => 0,
    }
}

/// Is `start` the beginning of a token? A letter or digit before it means the
/// prefix is glued into a longer word (`XAADSTS1`), unless that character
/// ends a percent-escape (`%3AAADSTS`) or a JSON escape (`\nAADSTS`).
fn starts_token(text: &[u8], start: usize) -> bool {
    let Some(&before) = start.checked_sub(1).and_then(|i| text.get(i)) else {
        return true;
    };
    if !before.is_ascii_alphanumeric() && before != b'_' {
        return true;
    }
    let back = |n: usize| start.checked_sub(n).and_then(|i| text.get(i)).copied();
    let percent_escape = back(3) == Some(b'%')
        && back(2).is_some_and(|b| b.is_ascii_hexdigit())
        && before.is_ascii_hexdigit();
    let json_escape = back(2) == Some(b'\\') && matches!(before, b'n' | b'r' | b't');
    let unicode_escape = back(6) == Some(b'\\')
        && back(5) == Some(b'u')
        && (2..=4).all(|n| back(n).is_some_and(|b| b.is_ascii_hexdigit()))
        && before.is_ascii_hexdigit();
    percent_escape || json_escape || unicode_escape
}
#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<u32> {
        find_codes(text.as_bytes())
            .iter()
            .map(|f| f.code.number())
            .collect()
    }

    #[test]
    fn plain_code() {
        assert_eq!(codes("AADSTS50076: Due to a configuration change"), [50076]);
    }

    #[test]
    fn any_letter_case() {
        assert_eq!(codes("aadsts50058 and AaDsTs50076"), [50058, 50076]);
    }

    #[test]
    fn spaced_and_dashed_forms() {
        assert_eq!(codes("got AADSTS 50058 then AADSTS-50076"), [50058, 50076]);
    }

    #[test]
    fn url_encoded_query_string() {
        let url = "https://app/cb?error=invalid_client&error_description=AADSTS7000215%3a+Invalid+client+secret";
        assert_eq!(codes(url), [7000215]);
        assert_eq!(
            codes("error_description=Error%3AAADSTS65001%3a+consent"),
            [65001]
        );
        assert_eq!(codes("x=AADSTS%2050058"), [50058]);
    }

    #[test]
    fn json_strings_and_escapes() {
        let body = r#"{"error":"invalid_grant","error_description":"AADSTS50126: Error validating credentials.\r\nTrace ID: x","error_codes":[50126]}"#;
        assert_eq!(codes(body), [50126]);
        assert_eq!(codes(r#""msg":"failed.\nAADSTS50076: MFA""#), [50076]);
        assert_eq!(codes(r#""msg":"\u0022AADSTS50076""#), [50076]);
    }

    #[test]
    fn distinct_in_order_with_all_spans() {
        let text = "AADSTS50076 x AADSTS50058 y aadsts50076";
        let found = find_codes(text.as_bytes());
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].code.number(), 50076);
        assert_eq!(found[0].spans, vec![0..11, 28..39]);
        assert_eq!(found[1].spans, vec![14..25]);
    }

    #[test]
    fn rejects_look_alikes() {
        for text in [
            "AADB2C90118",
            "CAA20004",
            "MSIS7012",
            "0x80070005",
            "error 50076",
            "XAADSTS1",
            "AADSTS50076abc",
            "AADSTS1234567890",
            "AADSTS",
            "AADSTS-",
            "AADSTS0",
            "AADSTS  50058",
            "myAADSTS50058",
            "_AADSTS50058",
        ] {
            assert_eq!(codes(text), Vec::<u32>::new(), "{text}");
        }
    }

    #[test]
    fn nine_digits_is_the_limit() {
        assert_eq!(codes("AADSTS999999999."), [999_999_999]);
        assert_eq!(codes("AADSTS1"), [1]);
    }

    #[test]
    fn code_at_end_of_text_and_after_punctuation() {
        assert_eq!(codes("(AADSTS50058)"), [50058]);
        assert_eq!(codes("'AADSTS50058'"), [50058]);
        assert_eq!(codes("…AADSTS50058"), [50058]);
    }

    #[test]
    fn overlapping_prefix_letters() {
        assert_eq!(codes("AAADSTS50058"), Vec::<u32>::new());
        assert_eq!(codes("AADSTSAADSTS50058"), Vec::<u32>::new());
        assert_eq!(codes("aadsts aadsts50058"), [50058]);
    }

    #[test]
    fn no_context_without_codes() {
        let text = "Trace ID: 11111111-2222-3333-4444-555555555555";
        assert!(detect(text.as_bytes()).context.is_empty());
    }

    #[test]
    fn invalid_utf8_is_fine() {
        let mut bytes = vec![0xff, 0xfe, b' '];
        bytes.extend_from_slice(b"AADSTS50058 \xc3");
        assert_eq!(find_codes(&bytes)[0].code.number(), 50058);
    }

    #[test]
    fn prefix_is_ascii_folded_only() {
        // U+017F LONG S folds to `s` under Unicode rules; it is not a code.
        assert_eq!(codes("AADSTS50058 aad\u{17f}ts50076"), [50058]);
        assert_eq!(codes("AAD\u{17f}TS50076"), Vec::<u32>::new());
    }

    const INVISIBLE: [&str; 12] = [
        "\u{200b}", "\u{200c}", "\u{200d}", "\u{200e}", "\u{200f}", "\u{202a}", "\u{202e}",
        "\u{2060}", "\u{2064}", "\u{2066}", "\u{2069}", "\u{feff}",
    ];

    fn all_invisible() -> impl Iterator<Item = &'static str> {
        INVISIBLE.into_iter().chain(["\u{00ad}"])
    }

    #[test]
    fn invisible_character_in_the_digits_is_no_code() {
        for inv in all_invisible() {
            for text in [
                format!("AADSTS50{inv}076: MFA"),
                format!("AADSTS5{inv}0076"),
                format!("AADSTS5007{inv}6"),
                format!("AADSTS50{inv}{inv}{inv}076"),
                format!("AADSTS50076{inv}x"),
            ] {
                let found = codes(&text);
                assert_eq!(found, Vec::<u32>::new(), "{text:?}");
                // Never the truncated code either.
                for wrong in [50, 5, 5007, 76, 6, 50076] {
                    assert!(!found.contains(&wrong), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn invisible_character_in_the_prefix_is_no_code() {
        for inv in all_invisible() {
            for text in [
                format!("AAD{inv}STS50076"),
                format!("A{inv}ADSTS50076"),
                format!("AADSTS{inv}50076"),
                format!("AADSTS-{inv}50076"),
                format!("AADST{inv}S50076 and AADSTS{inv}-50076"),
            ] {
                assert_eq!(codes(&text), Vec::<u32>::new(), "{text:?}");
            }
        }
    }

    #[test]
    fn invisible_character_around_a_code_is_fine() {
        for inv in all_invisible() {
            let text = format!("{inv}AADSTS50076{inv} and AADSTS50058{inv}.");
            assert_eq!(codes(&text), [50076, 50058], "{text:?}");
            let found = find_codes(text.as_bytes());
            let span = found[0].spans[0].clone();
            assert_eq!(&text[span], "AADSTS50076");
        }
    }

    #[test]
    fn long_invisible_run_after_a_code_is_refused_not_cut() {
        let run = "\u{200b}".repeat(MAX_INVISIBLE_RUN + 1);
        assert_eq!(codes(&format!("AADSTS50{run}076")), Vec::<u32>::new());
        assert_eq!(codes(&format!("AADSTS50{run} ")), Vec::<u32>::new());
        let short = "\u{200b}".repeat(MAX_INVISIBLE_RUN);
        assert_eq!(codes(&format!("AADSTS50{short} ")), [50]);
    }

    #[test]
    fn other_non_ascii_after_digits_ends_the_code() {
        // En dash, right quote, non-breaking space: visible word breaks.
        assert_eq!(
            codes("AADSTS50076\u{2013}x AADSTS50058\u{2019}s"),
            [50076, 50058]
        );
        assert_eq!(codes("AADSTS50076\u{a0}x"), [50076]);
    }

    fn naive_prefix(hay: &[u8], from: usize) -> Option<usize> {
        (from..hay.len())
            .find(|&i| hay.len() - i >= 6 && hay[i..i + 6].eq_ignore_ascii_case(b"aadsts"))
    }

    #[test]
    fn prefix_search_at_every_position() {
        for len in 0..80 {
            for at in 0..len {
                let mut hay = vec![b'x'; len];
                if at + 6 <= len {
                    hay[at..at + 6].copy_from_slice(b"aAdStS");
                }
                for from in [0, at, at + 1, len, len + 1] {
                    assert_eq!(
                        find_prefix(&hay, from),
                        naive_prefix(&hay, from),
                        "len {len} at {at} from {from}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        #[test]
        fn prefix_search_agrees_with_naive(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    4 => proptest::sample::select(b"aAdDsStTx\xc5\xbf".to_vec()),
                    1 => proptest::prelude::any::<u8>(),
                ],
                0..200,
            ),
            from in 0usize..210,
        ) {
            proptest::prop_assert_eq!(find_prefix(&bytes, from), naive_prefix(&bytes, from));
        }
    }
}
