//! Purpose: who acts on a code. Fixes are parsed at load time into
//! [`Fix`] values (`User: …` -> [`Audience::User`]), and
//! [`Entry::who_acts`] decides who has to do something first, so a reply can
//! open with "You can fix this yourself" or "Your IT admin needs to act".

use std::fmt;

use super::schema::Who;
use super::{Category, Entry, Severity, Variant};

/// Who a fix is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// The person signing in.
    User,
    /// The tenant's IT admin.
    Admin,
    /// The app's developer.
    Developer,
}

impl Audience {
    /// Every audience, in the order replies offer them.
    pub const ALL: [Audience; 3] = [Self::User, Self::Admin, Self::Developer];

    /// The role word a fix starts with (`Admin`).
    pub fn role(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Admin => "Admin",
            Self::Developer => "Developer",
        }
    }

    /// The lower-case name (`admin`), as in TOML and button ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
            Self::Developer => "developer",
        }
    }

    /// Splits `Admin: do this` into the audience and the step; `None` when
    /// the text does not start with a known role and `": "`.
    pub fn split_fix(text: &str) -> Option<(Audience, &str)> {
        let (role, step) = text.split_once(": ")?;
        let who = Self::ALL.into_iter().find(|a| a.role() == role)?;
        Some((who, step))
    }
}

/// One step of an entry's fixes, with who does it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// Who does it.
    pub who: Audience,
    /// What to do (without the role prefix).
    pub step: String,
}

impl Fix {
    /// Parses `Admin: do this`; `None` without a known role prefix.
    pub fn parse(text: &str) -> Option<Fix> {
        let (who, step) = Audience::split_fix(text)?;
        Some(Fix {
            who,
            step: step.to_owned(),
        })
    }
}

/// `Admin: do this`, as written in the knowledge file.
impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.who.role(), self.step)
    }
}

/// Serialised as the text written in the file (`"Admin: do this"`), so JSON
/// output keeps its shape.
impl serde::Serialize for Fix {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Who has to act first for a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WhoActs {
    /// The person signing in can fix it.
    User,
    /// The tenant's IT admin needs to act.
    Admin,
    /// The app's developer needs to act.
    Developer,
    /// Usually temporary: try again.
    Transient,
}

impl From<Audience> for WhoActs {
    fn from(a: Audience) -> Self {
        match a {
            Audience::User => Self::User,
            Audience::Admin => Self::Admin,
            Audience::Developer => Self::Developer,
        }
    }
}

impl From<Who> for WhoActs {
    fn from(w: Who) -> Self {
        match w {
            Who::User => Self::User,
            Who::Admin => Self::Admin,
            Who::Developer => Self::Developer,
            Who::Retry => Self::Transient,
        }
    }
}

impl Entry {
    /// Who acts first. In order: the entry's `who` key when set; a mild
    /// service or session hiccup (severity `low`, category `service` or
    /// `session`) is transient; otherwise whoever the first fix is for.
    pub fn who_acts(&self) -> WhoActs {
        if let Some(who) = self.who {
            return who.into();
        }
        if self.severity == Severity::Low
            && matches!(self.category, Category::Service | Category::Session)
        {
            return WhoActs::Transient;
        }
        self.fixes
            .first()
            .map_or(WhoActs::Admin, |f| WhoActs::from(f.who))
    }

    /// Who acts first when the pasted message matched `variant`: the
    /// variant's first fix when it has fixes, else as for the entry.
    pub fn who_acts_for(&self, variant: &Variant) -> WhoActs {
        match (self.who, variant.fixes.first()) {
            (None, Some(fix)) => fix.who.into(),
            _ => self.who_acts(),
        }
    }

    /// The steps for one audience, in the entry's order.
    pub fn steps_for(&self, who: Audience) -> impl Iterator<Item = &Fix> {
        self.fixes.iter().filter(move |f| f.who == who)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Knowledge;

    fn entry(severity: &str, category: &str, fixes: &[&str], who: Option<&str>) -> Entry {
        let fixes: Vec<String> = fixes.iter().map(|f| format!("{f:?}")).collect();
        let who = who.map_or(String::new(), |w| format!("who = \"{w}\"\n"));
        let text = format!(
            "[[error]]\ncode = 50076\ntitle = \"t\"\nseverity = \"{severity}\"\ncategory = \"{category}\"\nmeaning = \"m\"\ncauses = [\"c\"]\nfixes = [{}]\nsource = \"learn\"\n{who}",
            fixes.join(", ")
        );
        let k = Knowledge::from_sources(&[("k.toml", &text)], None).unwrap();
        k.entries()[0].clone()
    }

    #[test]
    fn fixes_parse_into_audience_and_step() {
        let f = Fix::parse("Admin: reset the password.").unwrap();
        assert_eq!(f.who, Audience::Admin);
        assert_eq!(f.step, "reset the password.");
        assert_eq!(f.to_string(), "Admin: reset the password.");
        assert!(Fix::parse("Reset it.").is_none());
        assert!(Fix::parse("Owner: reset it.").is_none());
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            "\"Admin: reset the password.\""
        );
    }

    #[test]
    fn first_fix_decides() {
        let e = entry(
            "medium",
            "credentials",
            &["User: reset your password now.", "Admin: unlock it."],
            None,
        );
        assert_eq!(e.who_acts(), WhoActs::User);
        let e = entry(
            "high",
            "consent",
            &["Admin: grant consent now.", "User: ask your admin."],
            None,
        );
        assert_eq!(e.who_acts(), WhoActs::Admin);
        let e = entry("high", "request", &["Developer: send scope."], None);
        assert_eq!(e.who_acts(), WhoActs::Developer);
    }

    #[test]
    fn low_service_or_session_is_transient() {
        let fix = ["User: wait and sign in again."];
        assert_eq!(
            entry("low", "service", &fix, None).who_acts(),
            WhoActs::Transient
        );
        assert_eq!(
            entry("low", "session", &fix, None).who_acts(),
            WhoActs::Transient
        );
        assert_eq!(
            entry("medium", "service", &fix, None).who_acts(),
            WhoActs::User
        );
        assert_eq!(
            entry("low", "mfa", &fix, None).who_acts(),
            WhoActs::User,
            "a low MFA prompt is the user's to complete"
        );
    }

    #[test]
    fn the_who_key_wins() {
        let fix = ["User: wait and sign in again."];
        assert_eq!(
            entry("low", "service", &fix, Some("admin")).who_acts(),
            WhoActs::Admin
        );
        assert_eq!(
            entry("high", "request", &fix, Some("retry")).who_acts(),
            WhoActs::Transient
        );
        assert_eq!(
            entry("high", "request", &fix, Some("developer")).who_acts(),
            WhoActs::Developer
        );
    }

    #[test]
    fn steps_for_one_audience() {
        let e = entry(
            "high",
            "consent",
            &[
                "Admin: grant consent now.",
                "User: ask your admin.",
                "Admin: check the app.",
            ],
            None,
        );
        let steps: Vec<&str> = e
            .steps_for(Audience::Admin)
            .map(|f| f.step.as_str())
            .collect();
        assert_eq!(steps, ["grant consent now.", "check the app."]);
        assert_eq!(e.steps_for(Audience::Developer).count(), 0);
    }
}
