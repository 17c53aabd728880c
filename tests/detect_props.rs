//! Property tests for the detector, the secret guard, the markdown escaper
//! and the knowledge parser: none of them panics on any input (about 100,000
//! generated inputs per `cargo test` run in all), every span the detector
//! reports holds the code it names, a code put into random text is found,
//! the codes found agree with a naive reading of the text, and an invisible
//! character inside a code never yields a different (truncated) code.
//!
//! Most inputs are expanded from a proptest-drawn `(seed, length)` pair by a
//! small xorshift generator over a biased alphabet: proptest's own
//! per-element strategies cost about 140 µs an input in a debug build, the
//! expansion almost nothing, which is what lets 100,000 inputs run in a
//! debug `cargo test` on a small machine. A failing case still shrinks (to
//! a shorter length) and prints the text.
//!
//! The ten-million-input run lives in `benches/core.rs` (`fuzz_10m`).

use aadsts_bot::detect::{detect, find_codes, find_secrets, has_secret};
use aadsts_bot::{markdown, Knowledge};
use proptest::prelude::*;

/// The next xorshift64* value.
fn step(x: &mut u64) -> u64 {
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32
}

/// Expands `seed` into `len` pieces drawn from `alphabet`.
fn expand(seed: u64, len: usize, alphabet: &[&str]) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len * 2);
    for _ in 0..len {
        out.extend_from_slice(alphabet[step(&mut x) as usize % alphabet.len()].as_bytes());
    }
    out
}

/// Any bytes at all, up to `max` of them.
fn any_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    (any::<u64>(), 0..max).prop_map(|(seed, len)| {
        let mut x = seed | 1;
        (0..len).map(|_| step(&mut x) as u8).collect()
    })
}

/// Pieces drawn from `alphabet`, up to `max` of them.
fn pieces(alphabet: &'static [&'static str], max: usize) -> impl Strategy<Value = Vec<u8>> {
    (any::<u64>(), 0..max).prop_map(move |(seed, len)| expand(seed, len, alphabet))
}

/// Any text (valid UTF-8, all planes), up to `max` characters.
fn any_text(max: usize) -> impl Strategy<Value = String> {
    (any::<u64>(), 0..max).prop_map(|(seed, len)| {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                let r = step(&mut x) as u32;
                // Mostly ASCII, sometimes anything.
                let c = if r.is_multiple_of(4) {
                    r % 0x11_0000
                } else {
                    r % 0x80
                };
                char::from_u32(c).unwrap_or('\u{fffd}')
            })
            .collect()
    })
}

/// Invisible characters the detector must look through (as UTF-8).
const INVISIBLE: &[&str] = &[
    "\u{200b}", "\u{200c}", "\u{200d}", "\u{200e}", "\u{200f}", "\u{202a}", "\u{202b}", "\u{202c}",
    "\u{202d}", "\u{202e}", "\u{2060}", "\u{2061}", "\u{2062}", "\u{2063}", "\u{2064}", "\u{2066}",
    "\u{2067}", "\u{2068}", "\u{2069}", "\u{feff}", "\u{00ad}",
];

/// Bytes the detector cares about: prefix letters, digits, separators,
/// escapes, invisible and other non-ASCII characters.
const TRICKY: &[&str] = &[
    "a", "A", "d", "D", "s", "S", "t", "T", "0", "1", "2", "5", "7", "9", " ", "-", "%", "2", "0",
    ":", "\\", "n", "u", "_", "x", "AADSTS", "aadsts", "%20", "%3a", "\n", "\u{200b}", "\u{00ad}",
    "\u{feff}", "\u{202e}", "é", "–", "\u{17f}", "\u{fffd}", "{", "\"",
];

/// Pieces that build (and break) codes, with no `%` or `\`, so that a token
/// starts exactly where the previous byte is no letter, digit or underscore.
const CODE_PIECES: &[&str] = &[
    "AADSTS",
    "aadsts",
    "AaDsTs",
    "AADST",
    "S",
    "0",
    "1",
    "5",
    "9",
    "50076",
    "7000215",
    "00",
    "123456789",
    " ",
    "-",
    "_",
    "x",
    ".",
    ":",
    "\n",
    "é",
    "–",
    "\u{200b}",
    "\u{200d}",
    "\u{2060}",
    "\u{feff}",
    "\u{00ad}",
    "\u{202a}",
    "\u{2069}",
];

/// Pieces of credentials and of the text around them.
const SECRETISH: &[&str] = &[
    "password",
    "Password",
    "pwd",
    "client_secret",
    "refresh_token",
    "AccountKey",
    "SharedAccessKey",
    "sig",
    "sv",
    "se",
    "=",
    ":",
    " ",
    "\"",
    "'",
    "?",
    "&",
    ";",
    "0.A",
    "eyJ",
    ".",
    "Bearer ",
    "Authorization: ",
    "-----BEGIN ",
    "PRIVATE KEY-----",
    "RSA ",
    "abcdefgh",
    "Zm9vYmFy",
    "0123456789",
    "_-",
    "%2B",
    "%3D",
    "/",
    "+",
    "*****",
    "null",
    "<key>",
    "\n",
    "é",
];

/// Pieces of knowledge files: keys, tables, quotes, numbers.
const TOML_ISH: &[&str] = &[
    "[[error]]\n",
    "code = ",
    "50076",
    "0",
    "-1",
    "99999999999",
    "name = ",
    "title = ",
    "severity = ",
    "\"medium\"",
    "\"critical\"",
    "category = ",
    "\"mfa\"",
    "meaning = ",
    "causes = [",
    "fixes = [",
    "related = [",
    "links = [",
    "source = \"learn\"",
    "]",
    ",",
    "\"text\"",
    "\"https://learn.microsoft.com/x\"",
    "'''",
    "\"\"\"",
    "\n",
    " ",
    "=",
    "[error]\n",
    "{",
    "}",
    "#",
    "\\",
    "\"\\u00e9\"",
    "true",
    "1979-05-27",
    ".",
    "é",
    "x",
    "notes",
];

/// Separators and letters for the text around a code.
const PROSE: &[&str] = &[
    "a", "Z", "0", " ", ".", ",", ":", ";", "!", "?", "'", "\"", "(", ")", "\n",
];

/// Length of the invisible character at `text[at..]`, 0 if none.
fn invisible_len(text: &[u8], at: usize) -> usize {
    INVISIBLE
        .iter()
        .find(|inv| text[at..].starts_with(inv.as_bytes()))
        .map_or(0, |inv| inv.len())
}

/// The detection rules read byte by byte, without any search: used as the
/// oracle for texts from [`code_pieces`].
fn naive_codes(text: &[u8]) -> Vec<u32> {
    let mut codes: Vec<u32> = Vec::new();
    let mut i = 0;
    while i + 6 <= text.len() {
        let glued = i > 0 && (text[i - 1].is_ascii_alphanumeric() || text[i - 1] == b'_');
        if glued || !text[i..i + 6].eq_ignore_ascii_case(b"aadsts") {
            i += 1;
            continue;
        }
        let mut j = i + 6;
        if matches!(text.get(j), Some(b' ' | b'-')) {
            j += 1;
        }
        let digits = text[j..].iter().take_while(|b| b.is_ascii_digit()).count();
        let mut k = j + digits;
        let mut invisible = 0;
        while k < text.len() && invisible_len(text, k) > 0 && invisible <= 16 {
            k += invisible_len(text, k);
            invisible += 1;
        }
        let goes_on = invisible > 16 || text.get(k).is_some_and(u8::is_ascii_alphanumeric);
        let number: u64 = std::str::from_utf8(&text[j..j + digits])
            .ok()
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        if (1..=9).contains(&digits) && !goes_on && number != 0 {
            if !codes.contains(&(number as u32)) {
                codes.push(number as u32);
            }
            i = j + digits;
        } else {
            i += 1;
        }
    }
    codes
}

/// A realistic paste with the given code (and nothing secret).
fn paste(code: u32) -> String {
    format!(
        "AADSTS{code}: The user or administrator has not consented.\r\nTrace ID: 0b3f6e4a-1111-2222-3333-444455556666\r\nCorrelation ID: 9a8b7c6d-aaaa-bbbb-cccc-ddddeeeeffff\r\nTimestamp: 2024-05-01 10:20:30Z"
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(25_000))]

    #[test]
    fn nothing_panics_on_any_bytes(bytes in any_bytes(400)) {
        let d = detect(&bytes);
        let _ = find_secrets(&bytes);
        let _ = markdown::escape(&String::from_utf8_lossy(&bytes));
        prop_assert!(d.codes.len() <= bytes.len() / 7 + 1);
    }

    #[test]
    fn nothing_panics_on_tricky_text(bytes in pieces(TRICKY, 300)) {
        let d = detect(&bytes);
        prop_assert!(d.codes.len() <= bytes.len() / 7 + 1);
        let expected = if d.codes.is_empty() { Vec::new() } else { find_secrets(&bytes) };
        prop_assert_eq!(d.secrets, expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn codes_agree_with_a_naive_reading(bytes in pieces(CODE_PIECES, 40)) {
        let found: Vec<u32> = find_codes(&bytes).iter().map(|f| f.code.number()).collect();
        prop_assert_eq!(found, naive_codes(&bytes), "{:?}", String::from_utf8_lossy(&bytes));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn spans_hold_their_codes_in_order(bytes in pieces(TRICKY, 300)) {
        let found = find_codes(&bytes);
        for f in &found {
            for span in &f.spans {
                let text = &bytes[span.clone()];
                prop_assert!(text[..6].eq_ignore_ascii_case(b"aadsts"));
                let digits = f.code.number().to_string();
                prop_assert!(text.ends_with(digits.as_bytes()));
                // Separator, then leading zeros (`AADSTS050076` is 50076).
                let middle = &text[6..text.len() - digits.len()];
                let separated = [&b""[..], b" ", b"-", b"%20"].iter().any(|sep| {
                    middle.starts_with(sep) && middle[sep.len()..].iter().all(|&b| b == b'0')
                });
                prop_assert!(separated, "{:?}", middle);
            }
        }
        let mut spans: Vec<_> = found.into_iter().flat_map(|f| f.spans).collect();
        spans.sort_by_key(|s| s.start);
        for pair in spans.windows(2) {
            prop_assert!(pair[0].end <= pair[1].start);
        }
    }

    #[test]
    fn secret_guard_is_consistent_on_secretish_text(bytes in pieces(SECRETISH, 60)) {
        let kinds = find_secrets(&bytes);
        prop_assert_eq!(has_secret(&bytes), !kinds.is_empty());
        let mut sorted = kinds.clone();
        sorted.sort_unstable();
        sorted.dedup();
        prop_assert_eq!(sorted, kinds);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]

    #[test]
    fn invisible_character_never_truncates_a_code(
        code in 10u32..=999_999_999,
        cut in 1usize..9,
        inv in prop::sample::select(INVISIBLE),
        around in pieces(PROSE, 20),
    ) {
        let digits = code.to_string();
        let cut = cut.min(digits.len() - 1);
        let around = String::from_utf8_lossy(&around);
        let text = format!("{around} AADSTS{}{inv}{} {around}", &digits[..cut], &digits[cut..]);
        let found: Vec<u32> = find_codes(text.as_bytes()).iter().map(|f| f.code.number()).collect();
        let truncated: u32 = digits[..cut].parse().unwrap_or(0);
        prop_assert!(!found.contains(&truncated), "{:?}", text);
        prop_assert!(found.is_empty(), "{:?}", text);
    }

    #[test]
    fn knowledge_parser_never_panics_on_any_text(text in any_text(200)) {
        let _ = Knowledge::from_sources(&[("x.toml", &text)], None);
    }

    #[test]
    fn knowledge_parser_never_panics_on_toml_ish_text(bytes in pieces(TOML_ISH, 60)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Knowledge::from_sources(&[("x.toml", &text)], Some(("notes.toml", &text)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn inserted_code_is_found(
        before in pieces(PROSE, 200),
        after in pieces(PROSE, 200),
        code in 1u32..=999_999_999,
        upper in any::<bool>(),
    ) {
        let prefix = if upper { "AADSTS" } else { "aadsts" };
        let (before, after) = (String::from_utf8_lossy(&before), String::from_utf8_lossy(&after));
        let text = format!("{before} {prefix}{code}: {after}");
        let found = find_codes(text.as_bytes());
        prop_assert!(found.iter().any(|f| f.code.number() == code), "{text}");
    }

    #[test]
    fn first_appearance_order(codes in prop::collection::vec(1u32..100_000, 1..20)) {
        let text: String = codes.iter().map(|c| format!("AADSTS{c} ")).collect();
        let mut distinct = Vec::new();
        for c in &codes {
            if !distinct.contains(c) {
                distinct.push(*c);
            }
        }
        let found: Vec<u32> = find_codes(text.as_bytes()).iter().map(|f| f.code.number()).collect();
        prop_assert_eq!(found, distinct);
    }

    #[test]
    fn ordinary_pastes_are_not_secrets(code in 1u32..=999_999_999) {
        let text = paste(code);
        let d = detect(text.as_bytes());
        prop_assert_eq!(d.codes.len(), 1);
        prop_assert!(d.secrets.is_empty(), "{text}");
        prop_assert!(d.context.trace_id.is_some());
    }
}
