//! Purpose: find AADSTS codes in pasted text (chat, stack traces, JSON bodies,
//! redirect URLs) and the ids Microsoft support asks for next to them.
//!
//! The scan is linear: a vectorised search for the `AADSTS` prefix in any
//! letter case skips code-free text at memory speed, and only the few
//! candidates it finds are checked by hand. The context (trace id,
//! correlation id, timestamp, OAuth error, sign-in host) is only looked for
//! once a code was found, so code-free text costs nothing more.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::code::{AadstsCode, MAX_DIGITS};

const PREFIX: &[u8; 6] = b"aadsts";

/// One distinct code and every place it appears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The code.
    pub code: AadstsCode,
    /// Byte ranges of each appearance (prefix, separator and digits).
    pub spans: Vec<Range<usize>>,
}

/// The values around the codes that a support engineer asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Context {
    /// `Trace ID` (a GUID), when the text shows one.
    pub trace_id: Option<String>,
    /// `Correlation ID` (a GUID), when the text shows one.
    pub correlation_id: Option<String>,
    /// `Timestamp` as Microsoft prints it, e.g. `2024-05-01 10:20:30Z`.
    pub timestamp: Option<String>,
    /// The OAuth error class (`invalid_grant`, `interaction_required`, ...).
    pub error: Option<String>,
    /// The sign-in host, lower-cased (`login.microsoftonline.us`, ...).
    pub host: Option<String>,
}

impl Context {
    /// True when none of the values was found.
    pub fn is_empty(&self) -> bool {
        *self == Context::default()
    }
}

/// Everything found in one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detection {
    /// Distinct codes in order of first appearance.
    pub codes: Vec<Found>,
    /// Ids and hints around them; empty when no code was found.
    pub context: Context,
}

/// Finds codes and, when there is at least one, their context.
pub fn detect(text: &[u8]) -> Detection {
    let codes = find_codes(text);
    let context = if codes.is_empty() {
        Context::default()
    } else {
        find_context(text)
    };
    Detection { codes, context }
}

/// Finds every distinct code, in order of first appearance, with all spans.
pub fn find_codes(text: &[u8]) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    let mut index: HashMap<AadstsCode, usize> = HashMap::new();
    let mut from = 0;
    while let Some(start) = prefilter::find(text, from) {
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

/// Checks the candidate prefix at `start` and reads the code after it.
/// Returns the code and the end of its span.
fn code_at(text: &[u8], start: usize) -> Option<(AadstsCode, usize)> {
    if !starts_token(text, start) {
        return None;
    }
    let mut i = start + PREFIX.len();
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
    // `AADSTS50058abc` is a longer word, not a code.
    if text.get(i).is_some_and(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let number = text[digits_start..i]
        .iter()
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    AadstsCode::new(number).map(|code| (code, i))
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

const SEP: &str = r"(?:\s|\+|%20)*";
const COLON: &str = r"(?::|=|%3[aA])";
const GUID: &str = r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})";

fn labelled(label: &str, value: &str) -> Regex {
    let pattern = format!(r#"(?i){label}["']?{SEP}{COLON}{SEP}["']?{value}"#);
    Regex::new(&pattern).expect("context pattern is valid")
}

static TRACE_ID: LazyLock<Regex> = LazyLock::new(|| labelled(r"trace(?:[ _+-]|%20)?id", GUID));
static CORRELATION_ID: LazyLock<Regex> =
    LazyLock::new(|| labelled(r"correlation(?:[ _+-]|%20)?id", GUID));
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    labelled(
        "timestamp",
        r"(\d{4}-\d{2}-\d{2}(?:[ T+]|%20)\d{2}(?::|%3[aA])\d{2}(?::|%3[aA])\d{2}(?:\.\d{1,7})?Z?)",
    )
});
static OAUTH_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:["']error["']\s*:\s*["']|[?&#]error=)([a-z_]{3,40})\b"#)
        .expect("error pattern is valid")
});
static HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(login\.microsoftonline\.(?:com|us|de)|login\.partner\.microsoftonline\.cn|login\.chinacloudapi\.cn|login\.windows\.net)\b",
    )
    .expect("host pattern is valid")
});

/// Finds the context values (first of each) anywhere in the text.
pub fn find_context(text: &[u8]) -> Context {
    let first = |re: &Regex| {
        re.captures(text)
            .and_then(|c| c.get(1))
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
    };
    Context {
        trace_id: first(&TRACE_ID).map(|s| s.to_ascii_lowercase()),
        correlation_id: first(&CORRELATION_ID).map(|s| s.to_ascii_lowercase()),
        timestamp: first(&TIMESTAMP).map(|s| url_unescape_timestamp(&s)),
        error: first(&OAUTH_ERROR),
        host: first(&HOST).map(|s| s.to_ascii_lowercase()),
    }
}

/// `2024-05-01+10%3a20%3a30Z` (from a redirect URL) -> `2024-05-01 10:20:30Z`.
fn url_unescape_timestamp(s: &str) -> String {
    s.replace("%20", " ")
        .replace('+', " ")
        .replace("%3a", ":")
        .replace("%3A", ":")
}

static SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        r#"|(?i:client_secret["']?(?:\s|\+|%20)*(?:=|:|%3a)(?:\s|\+|%20)*["']?[A-Za-z0-9~._\-]{8,})"#,
        r#"|(?i:authorization["']?\s*[:=]\s*["']?bearer\s+[A-Za-z0-9._~+/=\-]{10,})"#,
        r"|-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----",
    ))
    .expect("secret pattern is valid")
});

/// True when the text seems to hold a credential: a JWT, a `client_secret`
/// value, an `Authorization: Bearer` header or a private-key block. The bot
/// then warns the poster (never repeating the secret).
pub fn has_secret(text: &[u8]) -> bool {
    SECRET.is_match(text)
}

/// The search for the next `aadsts` in any letter case.
mod prefilter {
    use super::PREFIX;

    /// Position of the next case-insensitive `aadsts` at or after `from`.
    pub fn find(hay: &[u8], from: usize) -> Option<usize> {
        if from >= hay.len() {
            return None;
        }
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked just above.
                return unsafe { avx2::find(hay, from) };
            }
        }
        scalar(hay, from)
    }

    /// True when `hay[at..]` starts with the prefix in any letter case.
    #[inline]
    pub fn is_prefix_at(hay: &[u8], at: usize) -> bool {
        hay.get(at..at + PREFIX.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(PREFIX))
    }

    /// Byte-at-a-time search: jumps between `d`/`D` bytes with memchr (the
    /// third letter), then checks the whole prefix around each.
    pub fn scalar(hay: &[u8], from: usize) -> Option<usize> {
        let mut at = from + 2;
        while at < hay.len() {
            let d = at + memchr::memchr2(b'd', b'D', &hay[at..])?;
            if is_prefix_at(hay, d - 2) {
                return Some(d - 2);
            }
            at = d + 1;
        }
        None
    }

    #[cfg(target_arch = "x86_64")]
    mod avx2 {
        use std::arch::x86_64::*;

        /// Compares 32 positions at a time: folds each byte to lower case
        /// with `| 0x20` (which maps only `A`/`a` to `a`, and so on for the
        /// other letters) and tests offsets 0, 2, 3 and 5 (`a`, `d`, `s`,
        /// `s`); offsets 1 and 4 are checked on the rare hits.
        #[target_feature(enable = "avx2")]
        pub unsafe fn find(hay: &[u8], from: usize) -> Option<usize> {
            const WIDTH: usize = 32;
            let fold = _mm256_set1_epi8(0x20);
            let a = _mm256_set1_epi8(b'a' as i8);
            let d = _mm256_set1_epi8(b'd' as i8);
            let s = _mm256_set1_epi8(b's' as i8);
            let ptr = hay.as_ptr();
            let mut i = from;
            // Each block reads bytes i..i+WIDTH+5; stop while that stays in bounds.
            while i + WIDTH + 5 <= hay.len() {
                // SAFETY: i + 5 + 32 <= len, so every load below is in bounds.
                let at = |k: usize| folded(ptr.add(i + k), fold);
                let m = _mm256_and_si256(
                    _mm256_and_si256(_mm256_cmpeq_epi8(at(0), a), _mm256_cmpeq_epi8(at(2), d)),
                    _mm256_and_si256(_mm256_cmpeq_epi8(at(3), s), _mm256_cmpeq_epi8(at(5), s)),
                );
                let mut mask = _mm256_movemask_epi8(m) as u32;
                while mask != 0 {
                    let j = i + mask.trailing_zeros() as usize;
                    if super::is_prefix_at(hay, j) {
                        return Some(j);
                    }
                    mask &= mask - 1;
                }
                i += WIDTH;
            }
            (i..hay.len()).find(|&j| super::is_prefix_at(hay, j))
        }

        /// Loads 32 bytes from `ptr` and folds ASCII letters to lower case.
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn folded(ptr: *const u8, fold: __m256i) -> __m256i {
            _mm256_or_si256(_mm256_loadu_si256(ptr as *const __m256i), fold)
        }
    }
}

/// The portable search, exposed for the benchmarks and property tests.
#[doc(hidden)]
pub fn find_prefix_scalar(hay: &[u8], from: usize) -> Option<usize> {
    prefilter::scalar(hay, from)
}

/// The search the scanner uses (vectorised where the CPU allows).
#[doc(hidden)]
pub fn find_prefix(hay: &[u8], from: usize) -> Option<usize> {
    prefilter::find(hay, from)
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
    fn context_from_microsoft_error_text() {
        let text = "AADSTS50076: Due to a configuration change made by your administrator, you must use MFA.\r\nTrace ID: 0B3F6E4A-1111-2222-3333-444455556666\r\nCorrelation ID: 9a8b7c6d-aaaa-bbbb-cccc-ddddeeeeffff\r\nTimestamp: 2024-05-01 10:20:30Z";
        let d = detect(text.as_bytes());
        assert_eq!(
            d.context.trace_id.as_deref(),
            Some("0b3f6e4a-1111-2222-3333-444455556666")
        );
        assert_eq!(
            d.context.correlation_id.as_deref(),
            Some("9a8b7c6d-aaaa-bbbb-cccc-ddddeeeeffff")
        );
        assert_eq!(d.context.timestamp.as_deref(), Some("2024-05-01 10:20:30Z"));
        assert_eq!(d.context.error, None);
    }

    #[test]
    fn context_from_json_body() {
        let body = r#"{"error":"invalid_grant","error_description":"AADSTS70008: expired","error_codes":[70008],"timestamp":"2024-05-01 10:20:30Z","trace_id":"11111111-2222-3333-4444-555555555555","correlation_id":"66666666-7777-8888-9999-000000000000"}"#;
        let c = detect(body.as_bytes()).context;
        assert_eq!(c.error.as_deref(), Some("invalid_grant"));
        assert_eq!(
            c.trace_id.as_deref(),
            Some("11111111-2222-3333-4444-555555555555")
        );
        assert_eq!(
            c.correlation_id.as_deref(),
            Some("66666666-7777-8888-9999-000000000000")
        );
        assert_eq!(c.timestamp.as_deref(), Some("2024-05-01 10:20:30Z"));
    }

    #[test]
    fn context_from_redirect_url() {
        let url = "https://login.microsoftonline.us/common/oauth2/authorize?x#error=interaction_required&error_description=AADSTS50058%3a+A+silent+sign-in+request+was+sent.%0d%0aTrace+ID%3a+11111111-2222-3333-4444-555555555555%0d%0aTimestamp%3a+2024-05-01+10%3a20%3a30Z";
        let c = detect(url.as_bytes()).context;
        assert_eq!(c.error.as_deref(), Some("interaction_required"));
        assert_eq!(c.host.as_deref(), Some("login.microsoftonline.us"));
        assert_eq!(
            c.trace_id.as_deref(),
            Some("11111111-2222-3333-4444-555555555555")
        );
        assert_eq!(c.timestamp.as_deref(), Some("2024-05-01 10:20:30Z"));
    }

    #[test]
    fn python_msal_dict_error() {
        let text = "{'error': 'invalid_client', 'error_description': 'AADSTS7000215: Invalid client secret provided.'}";
        assert_eq!(
            detect(text.as_bytes()).context.error.as_deref(),
            Some("invalid_client")
        );
    }

    #[test]
    fn china_host() {
        let text = "https://login.partner.microsoftonline.cn/x AADSTS50011";
        assert_eq!(
            detect(text.as_bytes()).context.host.as_deref(),
            Some("login.partner.microsoftonline.cn")
        );
    }

    #[test]
    fn no_context_without_codes() {
        let text = "Trace ID: 11111111-2222-3333-4444-555555555555";
        assert!(detect(text.as_bytes()).context.is_empty());
    }

    #[test]
    fn secrets_are_noticed() {
        for text in [
            "token: eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly9mb28ifQ.c2lnbmF0dXJl",
            "grant_type=client_credentials&client_secret=Abc8Q~verysecretvalue123&scope=x",
            r#"{"client_secret": "Abc8Q~verysecretvalue123"}"#,
            "Authorization: Bearer abcdefghijklmnop.qrstu",
            "-----BEGIN PRIVATE KEY-----\nMIIE",
            "-----BEGIN RSA PRIVATE KEY-----",
        ] {
            assert!(has_secret(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn ordinary_errors_are_not_secrets() {
        for text in [
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent is the client secret value",
            "client_secret=",
            "Authorization: Bearer",
            "-----BEGIN CERTIFICATE-----",
            "eyJ is how a JWT starts",
        ] {
            assert!(!has_secret(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn invalid_utf8_is_fine() {
        let mut bytes = vec![0xff, 0xfe, b' '];
        bytes.extend_from_slice(b"AADSTS50058 \xc3");
        assert_eq!(find_codes(&bytes)[0].code.number(), 50058);
    }

    #[test]
    fn vector_and_scalar_search_agree_near_block_edges() {
        for len in 0..80 {
            for at in 0..len {
                let mut hay = vec![b'x'; len];
                if at + 6 <= len {
                    hay[at..at + 6].copy_from_slice(b"aAdStS");
                }
                assert_eq!(
                    find_prefix(&hay, 0),
                    find_prefix_scalar(&hay, 0),
                    "len {len} at {at}"
                );
            }
        }
    }
}
