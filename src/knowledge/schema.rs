//! Purpose: the TOML shapes of knowledge files and local-notes files, as
//! serde reads them (with source spans so problems can name line and column).

use serde::Deserialize;
use toml::Spanned;

/// How bad a code is for the people who hit it (rubric in knowledge/README.md).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The user retries or completes an expected step.
    Low,
    /// One user is stuck until they or an admin act.
    Medium,
    /// An app or a group of users is stuck until an admin or developer acts.
    High,
    /// Everyone signing in to the tenant or app is stuck.
    Critical,
}

impl Severity {
    /// Every severity, mildest first.
    pub const ALL: [Severity; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    /// The lower-case name used in TOML and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

/// The fixed list of categories (documented in knowledge/README.md).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)] // each variant is documented in knowledge/README.md
pub enum Category {
    Account,
    Credentials,
    Mfa,
    ConditionalAccess,
    Consent,
    AppConfig,
    ClientAuth,
    Token,
    Request,
    Tenant,
    Federation,
    Hybrid,
    Device,
    Session,
    Service,
}

impl Category {
    /// Every category, in the order of the README table.
    pub const ALL: [Category; 15] = [
        Self::Account,
        Self::Credentials,
        Self::Mfa,
        Self::ConditionalAccess,
        Self::Consent,
        Self::AppConfig,
        Self::ClientAuth,
        Self::Token,
        Self::Request,
        Self::Tenant,
        Self::Federation,
        Self::Hybrid,
        Self::Device,
        Self::Session,
        Self::Service,
    ];

    /// The kebab-case name used in TOML and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Credentials => "credentials",
            Self::Mfa => "mfa",
            Self::ConditionalAccess => "conditional-access",
            Self::Consent => "consent",
            Self::AppConfig => "app-config",
            Self::ClientAuth => "client-auth",
            Self::Token => "token",
            Self::Request => "request",
            Self::Tenant => "tenant",
            Self::Federation => "federation",
            Self::Hybrid => "hybrid",
            Self::Device => "device",
            Self::Session => "session",
            Self::Service => "service",
        }
    }

    /// Words people type that mean this category (used by search).
    pub fn label(self) -> &'static str {
        match self {
            Self::Account => "user account",
            Self::Credentials => "password credentials",
            Self::Mfa => "MFA multi-factor authentication",
            Self::ConditionalAccess => "Conditional Access policy",
            Self::Consent => "consent permissions",
            Self::AppConfig => "app registration configuration",
            Self::ClientAuth => "client authentication secret certificate",
            Self::Token => "token grant",
            Self::Request => "request protocol",
            Self::Tenant => "tenant directory",
            Self::Federation => "federation SAML",
            Self::Hybrid => "hybrid on-premises",
            Self::Device => "device",
            Self::Session => "session single sign-on",
            Self::Service => "service",
        }
    }
}

/// Where an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Listed in Microsoft's reference table on Learn.
    Learn,
    /// Seen in sign-in logs, missing from Microsoft's table.
    Community,
    /// Known only from Microsoft's live lookup page (`login.microsoftonline.com/error?code=N`).
    Lookup,
}

impl Source {
    /// The name used in knowledge files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Learn => "learn",
            Self::Community => "community",
            Self::Lookup => "lookup",
        }
    }
}

/// A knowledge file: `[[error]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    #[serde(default)]
    pub error: Vec<RawEntry>,
}

/// One `[[error]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEntry {
    pub code: Spanned<i64>,
    #[serde(default)]
    pub name: Option<String>,
    pub title: Spanned<String>,
    pub severity: Severity,
    pub category: Category,
    pub meaning: Spanned<String>,
    pub causes: Spanned<Vec<String>>,
    pub fixes: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub related: Vec<Spanned<i64>>,
    #[serde(default)]
    pub links: Vec<Spanned<String>>,
    pub source: Source,
    /// Who acts first, when the fixes alone don't settle it.
    #[serde(default)]
    pub who: Option<Who>,
    /// Explanations for particular wordings of the message.
    #[serde(default)]
    pub variants: Vec<RawVariant>,
}

/// One `[[error.variants]]` table: what a particular wording of the
/// message means.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVariant {
    /// Case-insensitive phrase looked for in the pasted text.
    #[serde(rename = "match")]
    pub phrase: Spanned<String>,
    pub meaning: Spanned<String>,
    #[serde(default)]
    pub causes: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub fixes: Option<Spanned<Vec<Spanned<String>>>>,
}

/// The optional `who` key: who acts first for this code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Who {
    /// The person signing in.
    User,
    /// The tenant's IT admin.
    Admin,
    /// The app's developer.
    Developer,
    /// Nobody yet: it usually passes, so try again.
    Retry,
}

/// A local notes file: `[[note]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNotesFile {
    #[serde(default)]
    pub note: Vec<RawNote>,
}

/// One `[[note]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNote {
    pub code: Spanned<i64>,
    pub text: Spanned<String>,
    #[serde(default)]
    pub links: Vec<Spanned<String>>,
}
