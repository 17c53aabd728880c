//! Purpose: the secret guard. Notices credentials pasted by mistake next to
//! an error code (tokens, client secrets, passwords, SAS URLs, storage keys,
//! private keys) so the bot can warn the poster. It only says which kind it
//! saw; the value itself is never kept, logged or repeated.
//!
//! One pass over the text with a `RegexSet`; a password candidate is then
//! checked against placeholders (`password: ********`, `"password": null`).

use std::sync::LazyLock;

use regex::bytes::{Regex, RegexSet};

/// A kind of credential the guard recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// A JSON Web Token (access or id token): `eyJ….….…`.
    Jwt,
    /// An Entra / MSAL refresh token (`0.A` and hundreds of base64url
    /// characters) or any `refresh_token` value.
    RefreshToken,
    /// A `client_secret` value.
    ClientSecret,
    /// An `Authorization: Bearer …` header with a token.
    BearerToken,
    /// A password value: `password=…`, `"password": "…"`, `pwd=…`.
    Password,
    /// An Azure shared access signature: a `sig=` next to `sv=` or `se=`.
    SasSignature,
    /// A storage (or Service Bus) connection string key: `AccountKey=…`,
    /// `SharedAccessKey=…`.
    AccountKey,
    /// A private-key block: `-----BEGIN … PRIVATE KEY-----`.
    PrivateKey,
}

impl SecretKind {
    /// Every kind, in the order [`find_secrets`] reports them.
    pub const ALL: [SecretKind; 8] = [
        SecretKind::Jwt,
        SecretKind::RefreshToken,
        SecretKind::ClientSecret,
        SecretKind::BearerToken,
        SecretKind::Password,
        SecretKind::SasSignature,
        SecretKind::AccountKey,
        SecretKind::PrivateKey,
    ];

    /// A stable machine name (`jwt`, `refresh_token`, …) for logs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Jwt => "jwt",
            SecretKind::RefreshToken => "refresh_token",
            SecretKind::ClientSecret => "client_secret",
            SecretKind::BearerToken => "bearer_token",
            SecretKind::Password => "password",
            SecretKind::SasSignature => "sas_signature",
            SecretKind::AccountKey => "account_key",
            SecretKind::PrivateKey => "private_key",
        }
    }

    fn pattern(self) -> &'static str {
        match self {
            SecretKind::Jwt => r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
            SecretKind::RefreshToken => concat!(
                r"(?i-u)\b0\.A[A-Za-z0-9_-][A-Za-z0-9_.*-]{99,}",
                r#"|(?i-u)refresh_token["']?\s*[:=]\s*["']?[A-Za-z0-9_.*~+/-]{20,}"#,
            ),
            SecretKind::ClientSecret => {
                r#"(?i-u)client_secret["']?(?:\s|\+|%20)*(?:=|:|%3a)(?:\s|\+|%20)*["']?[A-Za-z0-9~._\-]{8,}"#
            }
            SecretKind::BearerToken => {
                r#"(?i-u)authorization["']?\s*[:=]\s*["']?bearer\s+[A-Za-z0-9._~+/=\-]{10,}"#
            }
            SecretKind::Password => PASSWORD,
            SecretKind::SasSignature => concat!(
                r#"(?i-u)[?&;=](?:sv|se)=[^\s"'<>]*?[&;]sig=[A-Za-z0-9%+/=]{16,}"#,
                r#"|(?i-u)[?&;=]sig=[A-Za-z0-9%+/=]{16,}[^\s"'<>]*?[&;](?:sv|se)="#,
            ),
            SecretKind::AccountKey => r"(?i-u)\b(?:AccountKey|SharedAccessKey)=[A-Za-z0-9+/]{20,}",
            SecretKind::PrivateKey => r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----",
        }
    }
}

/// `password`, `passwd` or `pwd`, a colon or equals sign, and a value that
/// does not start like a placeholder (`*`, `<`, `{`, `$`, `%`, a path).
const PASSWORD: &str = r#"(?i-u)(?:password|passwd|pwd)["']?\s*[:=]\s*["']?([^\s"'&,;<>{}()\[\]*$%/\\][^\s"'&,;<>]{3,})"#;

/// Values that name no password.
const NOT_PASSWORDS: &[&str] = &[
    "true",
    "false",
    "null",
    "none",
    "nil",
    "undefined",
    "required",
    "redacted",
    "hidden",
    "masked",
    "removed",
    "empty",
    "expired",
    "invalid",
    "incorrect",
    "wrong",
    "reset",
    "changed",
    "xxxx",
];

static SECRETS: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(SecretKind::ALL.map(SecretKind::pattern)).expect("secret patterns are valid")
});
static PASSWORD_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(PASSWORD).expect("password pattern is valid"));

/// The kinds of credential the text seems to hold, each once, in
/// [`SecretKind::ALL`] order; empty for ordinary error pastes.
pub fn find_secrets(text: &[u8]) -> Vec<SecretKind> {
    let matched = SECRETS.matches(text);
    SecretKind::ALL
        .into_iter()
        .enumerate()
        .filter(|&(i, kind)| {
            matched.matched(i) && (kind != SecretKind::Password || has_password(text))
        })
        .map(|(_, kind)| kind)
        .collect()
}

/// True when the text seems to hold a credential of any [`SecretKind`]. The
/// bot then warns the poster (never repeating the secret).
pub fn has_secret(text: &[u8]) -> bool {
    !find_secrets(text).is_empty()
}

/// A password value that is not a placeholder (`password: ********`,
/// `"password": null`, `password=xxxxxxxx`).
fn has_password(text: &[u8]) -> bool {
    PASSWORD_VALUE.captures_iter(text).any(|c| {
        c.get(1).is_some_and(|v| {
            let v = v.as_bytes();
            let placeholder = v
                .iter()
                .all(|&b| matches!(b, b'x' | b'X' | b'.' | b'*' | b'-'));
            !placeholder
                && !NOT_PASSWORDS
                    .iter()
                    .any(|w| v.eq_ignore_ascii_case(w.as_bytes()))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<SecretKind> {
        find_secrets(text.as_bytes())
    }

    fn refresh_token() -> String {
        let body: String = (0..400)
            .map(|i| b"AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_"[i * 7 % 38] as char)
            .collect();
        format!(
            "0.AXYAv4j5cvGGr0GRqy180BHbR{body}.AgABAAEAAAD--DLA3VO7QrddgJg7WevrAgDs_wUA9P{body}"
        )
    }

    #[test]
    fn each_kind_is_named() {
        let rt = refresh_token();
        let cases: Vec<(String, SecretKind)> = vec![
            ("token: eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly9mb28ifQ.c2lnbmF0dXJl".into(), SecretKind::Jwt),
            (format!("cache: {rt}"), SecretKind::RefreshToken),
            (format!(r#"{{"refresh_token":"{rt}"}}"#), SecretKind::RefreshToken),
            ("grant_type=refresh_token&refresh_token=M.R3_BAY.-CRkh7a8Zs4bPq2aBcDeF".into(), SecretKind::RefreshToken),
            ("grant_type=client_credentials&client_secret=Abc8Q~verysecretvalue123&scope=x".into(), SecretKind::ClientSecret),
            (r#"{"client_secret": "Abc8Q~verysecretvalue123"}"#.into(), SecretKind::ClientSecret),
            ("Authorization: Bearer abcdefghijklmnop.qrstu".into(), SecretKind::BearerToken),
            ("username=alice@contoso.com&password=Hunter2!Summer".into(), SecretKind::Password),
            (r#"{"username": "alice", "password": "Hunter2!Summer"}"#.into(), SecretKind::Password),
            ("Server=db;Database=x;User Id=sa;Pwd=S3cr3t!x;".into(), SecretKind::Password),
            ("PASSWORD: correcthorse".into(), SecretKind::Password),
            ("https://acct.blob.core.windows.net/c/f.txt?sv=2022-11-02&ss=b&srt=o&se=2024-05-01T10:20:30Z&sp=r&sig=AbCdEf0123456789%2BAbCdEf0123456789%3D".into(), SecretKind::SasSignature),
            ("https://acct.blob.core.windows.net/c?sig=AbCdEf0123456789%2Fxyz&se=2024-05-01&sp=r".into(), SecretKind::SasSignature),
            ("BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=b&sig=AbCdEf0123456789abcdef%3D".into(), SecretKind::SasSignature),
            ("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy==;EndpointSuffix=core.windows.net".into(), SecretKind::AccountKey),
            ("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4=".into(), SecretKind::AccountKey),
            ("-----BEGIN PRIVATE KEY-----\nMIIE".into(), SecretKind::PrivateKey),
            ("-----BEGIN RSA PRIVATE KEY-----".into(), SecretKind::PrivateKey),
        ];
        for (text, kind) in cases {
            assert_eq!(kinds(&text), [kind], "{text}");
            assert!(has_secret(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn several_kinds_in_order() {
        let text = "-----BEGIN PRIVATE KEY----- password=Hunter2!Summer eyJ0eXAiOiJKV1QiLCJh.eyJhdWQiOiJhcGk6.sig";
        assert_eq!(
            kinds(text),
            [
                SecretKind::Jwt,
                SecretKind::Password,
                SecretKind::PrivateKey
            ]
        );
    }

    #[test]
    fn ordinary_errors_are_not_secrets() {
        for text in [
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent is the client secret value",
            "AADSTS50126: Error validating credentials due to invalid username or password.",
            "AADSTS50055: The password is expired.\r\nTrace ID: 0b3f6e4a-1111-2222-3333-444455556666",
            "AADSTS50053: You've tried to sign in too many times with an incorrect user ID or password.",
            "AADSTS70000: The provided grant is invalid or malformed. grant_type=refresh_token",
            "AADSTS700082: The refresh token has expired due to inactivity.",
            "user cannot sign in after password reset, admin said check Conditional Access",
            "client_secret=",
            "Authorization: Bearer",
            "-----BEGIN CERTIFICATE-----",
            "eyJ is how a JWT starts",
            "password=",
            "password: ********",
            r#""password": null, "passwordProfile": {"forceChangePasswordNextSignIn": true}"#,
            "password: <your password>",
            "password={password} pwd=$PWD PWD=/home/alice",
            "password: required",
            "refresh_token=",
            "version 10.AB and 0.A small",
            "the SAS URL expired: ?sv=2022-11-02&se=2024-05-01&sp=r",
            "sig=abc",
            "AccountKey=",
            "AccountName=acct;AccountKey=<key>",
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=abc&response_type=code&redirect_uri=x&state=12345",
        ] {
            assert_eq!(kinds(text), Vec::<SecretKind>::new(), "{text}");
            assert!(!has_secret(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn machine_names_are_distinct() {
        let mut names: Vec<&str> = SecretKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SecretKind::ALL.len());
    }
}
