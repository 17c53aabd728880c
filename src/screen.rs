//! Purpose: codes in text read from a screenshot (OCR output), which is not
//! typed text: letters and digits get confused, and Microsoft's Conditional
//! Access block page prints its code without the `AADSTS` prefix.
//!
//! [`detect()`] repairs the OCR text ([`normalise`]) and then runs the same
//! [`crate::detect::detect`] as for chat. The repairs are narrow:
//! - A token that looks like an AADSTS code (`AADST5 50O76`, `AAD5TS5OO76`)
//!   is rewritten when the reading is unambiguous: the prefix may only have
//!   `S` read as `5` or `$`, and the digits may have `O`/`o` for 0, `I`/`l`/`|`
//!   for 1, `S` for 5 and `B` for 8, as long as at least half of them are
//!   real digits and the token ends there.
//! - A bare number counts as a code only after an `Error Code` label inside
//!   the block page's "Troubleshooting details" (another of its labels, such
//!   as `Request Id` or `Correlation Id`, close by). A bare number in chat is
//!   never a code: this module is only for OCR text.
//! - `Request ld` (l for I) labels are repaired, and the page's `Request Id`
//!   fills the trace id (it is the same value).

use std::sync::LazyLock;

use regex::Regex;

use crate::detect::{self, Detection};

/// Most prefixless codes taken from one text (the page shows one).
const MAX_PREFIXLESS: usize = 5;
/// How far (bytes) from `Error Code` another label of the block must be.
const LABEL_WINDOW: usize = 600;

/// Finds the codes and ids in OCR text. Spans refer to [`normalise`]d text.
pub fn detect(text: &str) -> Detection {
    let fixed = normalise(text);
    let mut detection = detect::detect(fixed.as_bytes());
    if !detection.codes.is_empty() && detection.context.trace_id.is_none() {
        detection.context.trace_id = REQUEST_ID
            .captures(&fixed)
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_ascii_lowercase());
    }
    detection
}

/// Repairs OCR confusions in code-like tokens and labels, and prefixes the
/// block page's bare `Error Code` number with `AADSTS`. Linear in the
/// input; the output is at most a few bytes per code longer.
pub fn normalise(text: &str) -> String {
    let text = fix_tokens(text);
    let text = fix_labels(&text);
    let text = fix_guids(&text);
    prefix_page_codes(&text)
}

/// Where the prefix may be misread: only `S` as `5` or `$`.
fn prefix_matches(t: &[u8]) -> bool {
    let s = |b: u8| matches!(b, b'S' | b's' | b'5' | b'$');
    t.len() == 6
        && t[0].eq_ignore_ascii_case(&b'a')
        && t[1].eq_ignore_ascii_case(&b'a')
        && t[2].eq_ignore_ascii_case(&b'd')
        && s(t[3])
        && t[4].eq_ignore_ascii_case(&b't')
        && s(t[5])
}

/// A digit as OCR may have printed it.
fn digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b),
        b'O' | b'o' => Some(b'0'),
        b'I' | b'l' | b'|' => Some(b'1'),
        b'S' => Some(b'5'),
        b'B' => Some(b'8'),
        _ => None,
    }
}

/// The digits of a misread number, when unambiguous: 1 to 9 characters, all
/// digit-like, at least half of them real digits.
fn digits(t: &[u8]) -> Option<Vec<u8>> {
    if t.is_empty() || t.len() > 9 {
        return None;
    }
    let real = t.iter().filter(|b| b.is_ascii_digit()).count();
    if real * 2 < t.len() {
        return None;
    }
    t.iter().map(|&b| digit(b)).collect()
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'$' || b == b'|'
}

fn token_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| !is_token_byte(b))
        .map_or(bytes.len(), |n| from + n)
}

/// Rewrites `AADST5 5OO76`-like tokens to `AADSTS 50076`.
fn fix_tokens(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let starts = is_token_byte(bytes[i]) && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if !starts {
            i += 1;
            continue;
        }
        let end = token_end(bytes, i);
        let token = &bytes[i..end];
        let mut next = end;
        if token.len() >= 6 && prefix_matches(&token[..6]) {
            // Digits glued on (`AADST550076`) or after one space or dash.
            let glued = &token[6..];
            let (num_start, num_end) = if glued.is_empty()
                && end + 1 < bytes.len()
                && matches!(bytes[end], b' ' | b'-')
                && is_token_byte(bytes[end + 1])
            {
                (end + 1, token_end(bytes, end + 1))
            } else {
                (i + 6, end)
            };
            if let Some(d) = digits(&bytes[num_start..num_end]) {
                out.push_str(&text[copied..i]);
                out.push_str("AADSTS");
                out.push_str(&text[i + 6..num_start]);
                // `digits` yields ASCII digits only.
                out.extend(d.iter().map(|&b| b as char));
                copied = num_end;
                next = num_end;
            }
        }
        i = next.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

static REQUEST_LD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(request|correlation)(\s?)[l1|]d\b").expect("label pattern is valid")
});
static REQUEST_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\brequest\s?id\s*[:=]?\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b")
        .expect("request id pattern is valid")
});
static ERROR_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\berror\s?code\s*[:;.]?[ \t]*([0-9OoIlSB|]{1,12})\b")
        .expect("error code pattern is valid")
});
static BLOCK_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:troubleshooting\s+details|request\s?id|correlation\s?id|timestamp|app\s?name|device\s?identifier)\b",
    )
    .expect("block label pattern is valid")
});

static GUID_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    let h = "[0-9a-fA-FlIO|]";
    Regex::new(&format!(
        r"\b{h}{{8}}-{h}{{4}}-{h}{{4}}-{h}{{4}}-{h}{{12}}\b"
    ))
    .expect("GUID pattern is valid")
});

/// GUIDs with `l`/`I`/`|` for 1 or `O` for 0 (`4b2e7cla-...`) -> hex.
fn fix_guids(text: &str) -> String {
    GUID_LIKE
        .replace_all(text, |c: &regex::Captures<'_>| {
            c[0].chars()
                .map(|ch| match ch {
                    'l' | 'I' | '|' => '1',
                    'O' => '0',
                    other => other,
                })
                .collect::<String>()
        })
        .into_owned()
}

/// `Request ld` / `Correlation ld` (l or 1 for I) -> `... Id`.
fn fix_labels(text: &str) -> String {
    REQUEST_LD.replace_all(text, "${1}${2}Id").into_owned()
}

/// `Error Code: 53003` -> `Error Code: AADSTS53003`, only inside the block
/// page's troubleshooting details.
fn prefix_page_codes(text: &str) -> String {
    let labels: Vec<usize> = BLOCK_LABEL.find_iter(text).map(|m| m.start()).collect();
    if labels.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 6 * MAX_PREFIXLESS);
    let mut copied = 0;
    for caps in ERROR_CODE.captures_iter(text).take(MAX_PREFIXLESS) {
        let (Some(label), Some(number)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        let near = labels.iter().any(|&l| {
            l.abs_diff(label.start()) <= LABEL_WINDOW && !(label.start()..label.end()).contains(&l)
        });
        let Some(d) = digits(number.as_str().as_bytes()).filter(|_| near) else {
            continue;
        };
        out.push_str(&text[copied..number.start()]);
        out.push_str("AADSTS");
        out.extend(d.iter().map(|&b| b as char));
        copied = number.end();
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn codes(text: &str) -> Vec<u32> {
        detect(text).codes.iter().map(|f| f.code.number()).collect()
    }

    const BLOCK: &str = "You cannot access this right now\n\
        Troubleshooting details\nError Code: 53003\n\
        Request Id: 4b2e7c1a-9f3d-4e6b-8a21-5c7d9e0f1a2b\n\
        Correlation Id: d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6\n";

    #[test]
    fn clean_text_is_unchanged() {
        let t = "AADSTS50076: Due to a configuration change";
        assert_eq!(normalise(t), t);
        assert_eq!(codes(t), [50076]);
    }

    #[test]
    fn prefix_with_s_read_as_5() {
        assert_eq!(codes("AADST550076: Due to"), [50076]);
        assert_eq!(codes("AAD5TS50076: Due to"), [50076]);
        assert_eq!(codes("AAD$TS50076"), [50076]);
        assert_eq!(normalise("AADST5 50076"), "AADSTS 50076");
    }

    #[test]
    fn digits_with_letters_read_for_digits() {
        assert_eq!(codes("AADSTS5OO76: x"), [50076]);
        assert_eq!(codes("AADSTS7OOO16 x"), [700016]);
        assert_eq!(codes("AADSTSI00l6"), [10016]);
        assert_eq!(codes("AADSTS5S158"), [55158]);
        assert_eq!(codes("AADSTS5005B"), [50058]);
        assert_eq!(codes("AADSTS-5OO76"), [50076]);
    }

    #[test]
    fn ambiguous_or_wordy_tokens_are_left_alone() {
        // Mostly letters: not a number.
        assert_eq!(normalise("AADSTSOOIl"), "AADSTSOOIl");
        // Letters that are no digit.
        assert!(codes("AADSTS5OO7x").is_empty());
        // Too many digits.
        assert!(codes("AADSTS1234567890").is_empty());
        // The prefix's A, D and T are never guessed.
        assert!(codes("4ADSTS50076").is_empty());
        assert!(codes("AAOSTS50076").is_empty());
        // Inside a longer word.
        assert_eq!(normalise("XAADST550076"), "XAADST550076");
    }

    #[test]
    fn block_page_error_code_needs_the_page_labels() {
        assert_eq!(codes(BLOCK), [53003]);
        assert_eq!(
            codes("Error Code: 53003\nTimestamp: 2024-05-01T10:20:30Z"),
            [53003]
        );
        assert_eq!(codes("Troubleshooting details\nError code 53OO3"), [53003]);
        assert!(codes("Error Code: 53003").is_empty(), "no block label near");
        assert!(codes("Please call us, Error Code: 53003, thanks").is_empty());
    }

    #[test]
    fn block_labels_far_away_do_not_count() {
        let far = format!("Request Id: x\n{}\nError Code: 53003", "word ".repeat(200));
        assert!(codes(&far).is_empty());
    }

    #[test]
    fn bare_numbers_elsewhere_are_not_codes() {
        assert!(codes("Request Id: 53003 Timestamp 50076").is_empty());
        assert!(codes("call 50076 or 53003").is_empty());
    }

    #[test]
    fn prefixed_error_code_is_not_doubled() {
        let t = "Troubleshooting details\nError Code: AADSTS53003";
        assert_eq!(normalise(t), t);
        assert_eq!(codes(t), [53003]);
    }

    #[test]
    fn request_id_fills_the_trace_id_and_ld_is_repaired() {
        let d = detect(
            &BLOCK
                .replace("Request Id", "Request ld")
                .replace("Correlation Id", "Correlation ld"),
        );
        assert_eq!(
            d.context.trace_id.as_deref(),
            Some("4b2e7c1a-9f3d-4e6b-8a21-5c7d9e0f1a2b")
        );
        assert_eq!(
            d.context.correlation_id.as_deref(),
            Some("d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6")
        );
    }

    #[test]
    fn guids_with_l_for_1_are_repaired() {
        let d = detect(
            &BLOCK
                .replace("4b2e7c1a", "4b2e7cla")
                .replace("a1b2", "alb2"),
        );
        assert_eq!(
            d.context.trace_id.as_deref(),
            Some("4b2e7c1a-9f3d-4e6b-8a21-5c7d9e0f1a2b")
        );
        assert_eq!(
            d.context.correlation_id.as_deref(),
            Some("d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6")
        );
        // Not GUID-shaped: untouched.
        assert_eq!(normalise("hello-world"), "hello-world");
    }

    #[test]
    fn non_ascii_text_survives() {
        let t = "Anmeldung — AADST5 5OO76 ü Troubleshooting details Error Code: 53OO3 é";
        let n = normalise(t);
        assert!(n.contains("AADSTS 50076 ü"));
        assert!(n.contains("Error Code: AADSTS53003 é"));
    }

    proptest! {
        #[test]
        fn never_panics_and_stays_bounded(s in "\\PC{0,400}") {
            let n = normalise(&s);
            prop_assert!(n.len() <= s.len() + 6 * MAX_PREFIXLESS);
            let _ = detect(&s);
        }

        #[test]
        fn code_like_soup_never_panics(s in "[AaDdSsTt5$O0oIl1|B8 :\\-\n]{0,300}(Error Code|Request ld|Timestamp)?[0-9OIlSB ]{0,40}") {
            let n = normalise(&s);
            prop_assert!(n.len() <= s.len() + 6 * MAX_PREFIXLESS);
            let _ = detect(&s);
        }
    }
}
