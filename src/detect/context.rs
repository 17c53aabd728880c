//! Purpose: the values around a code that Microsoft support asks for
//! (request, trace and correlation ids, timestamp) and hints for the answer
//! (OAuth error class, sign-in host), read from error pages, JSON bodies and
//! redirect URLs.

use std::sync::LazyLock;

use regex::bytes::Regex;

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
    /// `Request Id` (a GUID, lower-cased) from the "Troubleshooting details"
    /// block of Microsoft's sign-in error page, or `request_id` /
    /// `x-ms-request-id` in logs and JSON. A `client-request-id` is the
    /// caller's own id and is not taken.
    pub request_id: Option<String>,
}

impl Context {
    /// True when none of the values was found.
    pub fn is_empty(&self) -> bool {
        *self == Context::default()
    }
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
static REQUEST_ID: LazyLock<Regex> = LazyLock::new(|| labelled(r"request(?:[ _+-]|%20)?id", GUID));
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
        request_id: find_request_id(text),
    }
}

/// The first request id that is not a `client-request-id` (or
/// `client_request_id`, `clientRequestId`).
fn find_request_id(text: &[u8]) -> Option<String> {
    REQUEST_ID
        .captures_iter(text)
        .find(|c| c.get(0).is_some_and(|m| !after_client(text, m.start())))
        .and_then(|c| c.get(1))
        .map(|m| String::from_utf8_lossy(m.as_bytes()).to_ascii_lowercase())
}

/// True when `text[..at]` ends with `client`, `client-`, `client_` or
/// `client ` (any letter case).
fn after_client(text: &[u8], at: usize) -> bool {
    let mut end = at;
    if end > 0 && matches!(text[end - 1], b'-' | b'_' | b' ') {
        end -= 1;
    }
    end >= 6 && text[end - 6..end].eq_ignore_ascii_case(b"client")
}

/// `2024-05-01+10%3a20%3a30Z` (from a redirect URL) -> `2024-05-01 10:20:30Z`.
fn url_unescape_timestamp(s: &str) -> String {
    s.replace("%20", " ")
        .replace('+', " ")
        .replace("%3a", ":")
        .replace("%3A", ":")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::detect;

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

    const GUID_A: &str = "0b3f6e4a-1111-2222-3333-444455556666";

    fn request_id(text: &str) -> Option<String> {
        find_context(text.as_bytes()).request_id
    }

    #[test]
    fn request_id_from_the_troubleshooting_details_block() {
        let page = "Sorry, but we're having trouble signing you in.\n\nAADSTS50105: Your administrator has configured the application to block users.\n\nTroubleshooting details\nIf you contact your administrator, send this info to them.\nRequest Id: 0B3F6E4A-1111-2222-3333-444455556666\nCorrelation Id: 9a8b7c6d-aaaa-bbbb-cccc-ddddeeeeffff\nTimestamp: 2024-05-01T10:20:30.123Z\nMessage: AADSTS50105";
        let c = detect(page.as_bytes()).context;
        assert_eq!(c.request_id.as_deref(), Some(GUID_A));
        assert_eq!(
            c.correlation_id.as_deref(),
            Some("9a8b7c6d-aaaa-bbbb-cccc-ddddeeeeffff")
        );
        assert_eq!(c.timestamp.as_deref(), Some("2024-05-01T10:20:30.123Z"));
    }

    #[test]
    fn request_id_in_any_spelling() {
        for text in [
            format!("Request ID: {GUID_A}"),
            format!("request id : {GUID_A}"),
            format!("REQUEST_ID={GUID_A}"),
            format!("?request_id={GUID_A}&x=1"),
            format!(r#"{{"request_id": "{GUID_A}"}}"#),
            format!(r#"{{'requestId':'{GUID_A}'}}"#),
            format!("x-ms-request-id: {GUID_A}"),
            format!("Request+Id%3a+{GUID_A}"),
        ] {
            assert_eq!(request_id(&text).as_deref(), Some(GUID_A), "{text}");
        }
    }

    #[test]
    fn client_request_id_is_not_the_request_id() {
        let other = "11111111-2222-3333-4444-555555555555";
        assert_eq!(request_id(&format!("client-request-id: {other}")), None);
        assert_eq!(request_id(&format!("client_request_id={other}")), None);
        assert_eq!(request_id(&format!(r#""clientRequestId":"{other}""#)), None);
        assert_eq!(
            request_id(&format!(
                "client-request-id: {other}\nx-ms-request-id: {GUID_A}"
            ))
            .as_deref(),
            Some(GUID_A)
        );
    }

    #[test]
    fn request_id_needs_a_guid() {
        assert_eq!(request_id("Request Id: pending"), None);
        assert_eq!(request_id("Request Id: 0b3f6e4a-1111"), None);
    }
}
