//! Purpose: turn knowledge entries (or unknown codes) into embeds as plain
//! data, within every Discord limit, and lay a whole reply out: at most five
//! code embeds, a line naming the rest, the ids block and the secret warning.
//!
//! Nothing here knows serenity; `bot/embed.rs` converts [`EmbedSpec`] into
//! a Discord embed, and [`terminal`] draws the same data for a terminal.

use crate::code::AadstsCode;
use crate::detect::Context;
use crate::knowledge::{family_of, Audience, Entry, Fix, Knowledge, Severity, Source, Variant};
use crate::text;

/// Discord's limits for one embed and one message.
pub mod limits {
    /// Embed title.
    pub const TITLE: usize = 256;
    /// Embed description.
    pub const DESCRIPTION: usize = 4096;
    /// Field name.
    pub const FIELD_NAME: usize = 256;
    /// Field value.
    pub const FIELD_VALUE: usize = 1024;
    /// Fields per embed.
    pub const FIELDS: usize = 25;
    /// Footer text.
    pub const FOOTER: usize = 2048;
    /// Characters in all embeds of one message together.
    pub const TOTAL: usize = 6000;
    /// Embeds per message.
    pub const EMBEDS: usize = 10;
    /// Message content.
    pub const CONTENT: usize = 2000;
}

/// Code embeds per reply; further codes are named in one line.
pub const MAX_CODE_EMBEDS: usize = 5;

/// One embed field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldSpec {
    /// Bold heading.
    pub name: String,
    /// Markdown body.
    pub value: String,
    /// Whether Discord may put it beside the previous field.
    pub inline: bool,
}

/// An embed as plain data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EmbedSpec {
    /// Title line.
    pub title: String,
    /// Where the title links to.
    pub url: Option<String>,
    /// Markdown body under the title.
    pub description: String,
    /// Side colour, `0xRRGGBB`.
    pub colour: u32,
    /// Fields, in order.
    pub fields: Vec<FieldSpec>,
    /// Small print at the bottom.
    pub footer: Option<String>,
}

impl EmbedSpec {
    /// Characters that count against Discord's 6,000 per message.
    pub fn len(&self) -> usize {
        self.title.chars().count()
            + self.description.chars().count()
            + self
                .fields
                .iter()
                .map(|f| f.name.chars().count() + f.value.chars().count())
                .sum::<usize>()
            + self.footer.as_deref().map_or(0, |f| f.chars().count())
    }

    /// True when the embed holds no text at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Applies every per-embed limit, cutting with an ellipsis.
    fn clamp(mut self) -> Self {
        self.title = truncate(&self.title, limits::TITLE);
        self.description = truncate(&self.description, limits::DESCRIPTION);
        self.fields.truncate(limits::FIELDS);
        for f in &mut self.fields {
            f.name = truncate(&f.name, limits::FIELD_NAME);
            f.value = truncate(&f.value, limits::FIELD_VALUE);
        }
        self.footer = self.footer.map(|f| truncate(&f, limits::FOOTER));
        self
    }

    /// Shrinks the embed to at most `budget` characters: drops optional
    /// fields from the end first, then shortens the longest texts.
    fn fit(&mut self, budget: usize) {
        while self.len() > budget && self.fields.len() > 2 {
            self.fields.pop();
        }
        while self.len() > budget {
            let over = self.len() - budget;
            // Shorten whichever text is longest, by what is over (at least a bit).
            let longest = self
                .fields
                .iter_mut()
                .map(|f| &mut f.value)
                .chain(std::iter::once(&mut self.description))
                .max_by_key(|s| s.chars().count());
            let Some(text) = longest else { break };
            let len = text.chars().count();
            if len <= 2 {
                self.fields.clear();
                self.footer = None;
                self.title = truncate(&self.title, budget.saturating_sub(1).max(1));
                break;
            }
            *text = truncate(text, len.saturating_sub(over.max(16)).max(1));
        }
    }
}

/// A whole reply: optional text, then embeds.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct ReplySpec {
    /// Message text above the embeds (the overflow line, the secret warning).
    pub content: Option<String>,
    /// Embeds, at most [`limits::EMBEDS`], together within [`limits::TOTAL`].
    pub embeds: Vec<EmbedSpec>,
}

impl ReplySpec {
    /// Characters of all embeds together.
    pub fn embeds_len(&self) -> usize {
        self.embeds.iter().map(EmbedSpec::len).sum()
    }
}

/// Cuts `s` to at most `max` characters, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let cut = s.char_indices().nth(max - 1).map_or(s.len(), |(i, _)| i);
    let mut out = s[..cut].trim_end().to_owned();
    out.push('…');
    out
}

/// The causes as the bullet list an embed field shows.
pub fn causes_field(causes: &[String]) -> String {
    causes
        .iter()
        .map(|c| format!("• {c}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The fixes as a numbered list with the role in bold (`1. **Admin:** …`).
pub fn fixes_field(fixes: &[Fix]) -> String {
    fixes
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{}. **{}:** {}", i + 1, f.who.role(), f.step))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One audience's steps as a numbered list, without the role word.
fn steps_field<'a>(steps: impl Iterator<Item = &'a Fix>) -> String {
    steps
        .enumerate()
        .map(|(i, f)| format!("{}. {}", i + 1, f.step))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Side colour for a severity.
pub fn colour(severity: Severity) -> u32 {
    match severity {
        Severity::Low => 0x2ecc71,
        Severity::Medium => 0xf1c40f,
        Severity::High => 0xe67e22,
        Severity::Critical => 0xe74c3c,
    }
}

/// Colour of embeds for codes without an entry.
pub const UNKNOWN_COLOUR: u32 = 0x95a5a6;
/// Colour of the ids block.
pub const DETAILS_COLOUR: u32 = 0x5865f2;

/// The sign-in host for Microsoft's lookup page: the sovereign cloud's own
/// when the pasted text shows one, else the public cloud's.
pub fn lookup_host(seen: Option<&str>) -> &'static str {
    match seen {
        Some("login.microsoftonline.us") => "login.microsoftonline.us",
        Some("login.partner.microsoftonline.cn" | "login.chinacloudapi.cn") => {
            "login.partner.microsoftonline.cn"
        }
        _ => "login.microsoftonline.com",
    }
}

/// Microsoft's live lookup page for a code.
pub fn lookup_url(code: AadstsCode, host: &str) -> String {
    format!("https://{host}/error?code={}", code.number())
}

/// `[conditional-access/overview](https://…)` for a Learn link.
fn link_label(url: &str) -> String {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = path.trim_end_matches('/');
    let mut parts = path.rsplit('/');
    let last = parts.next().unwrap_or(path);
    match parts.next() {
        Some(parent) if !parent.contains('.') => format!("{parent}/{last}"),
        _ => last.to_owned(),
    }
}

/// The embed for a code the knowledge base knows. The description opens
/// with who acts first ([`text::who_acts`]), then the title and meaning.
pub fn explain(entry: &Entry, version: &str) -> EmbedSpec {
    explain_with(entry, None, version)
}

/// The embed for a code whose pasted message matched `variant`: it leads
/// with what that wording means (and its own causes and fixes), then the
/// general entry.
pub fn explain_variant(entry: &Entry, variant: &Variant, version: &str) -> EmbedSpec {
    explain_with(entry, Some(variant), version)
}

fn explain_with(entry: &Entry, variant: Option<&Variant>, version: &str) -> EmbedSpec {
    let mut fields = Vec::new();
    if let Some(v) = variant {
        if !v.causes.is_empty() {
            fields.push(FieldSpec {
                name: text::VARIANT_CAUSES.into(),
                value: causes_field(&v.causes),
                inline: false,
            });
        }
        if !v.fixes.is_empty() {
            fields.push(FieldSpec {
                name: text::VARIANT_FIXES.into(),
                value: fixes_field(&v.fixes),
                inline: false,
            });
        }
    }
    fields.extend([
        FieldSpec {
            name: text::CAUSES.into(),
            value: causes_field(&entry.causes),
            inline: false,
        },
        FieldSpec {
            name: text::FIXES.into(),
            value: fixes_field(&entry.fixes),
            inline: false,
        },
        FieldSpec {
            name: text::SEVERITY.into(),
            value: capitalised(entry.severity.as_str()),
            inline: true,
        },
        FieldSpec {
            name: text::CATEGORY.into(),
            value: entry.category.as_str().to_owned(),
            inline: true,
        },
    ]);
    if !entry.related.is_empty() {
        fields.push(FieldSpec {
            name: text::RELATED.into(),
            value: entry
                .related
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(" "),
            inline: true,
        });
    }
    if !entry.links.is_empty() {
        fields.push(FieldSpec {
            name: text::LINKS.into(),
            value: entry
                .links
                .iter()
                .map(|l| format!("[{}]({l})", link_label(l)))
                .collect::<Vec<_>>()
                .join("\n"),
            inline: false,
        });
    }
    if !entry.notes.is_empty() {
        let notes = entry
            .notes
            .iter()
            .map(|n| {
                let links: String = n.links.iter().map(|l| format!(" <{l}>")).collect();
                format!("{}{links}", n.text)
            })
            .collect::<Vec<_>>()
            .join("\n");
        fields.push(FieldSpec {
            name: text::NOTES.into(),
            value: notes,
            inline: false,
        });
    }
    let mut footer = format!("{} {version}", text::FOOTER);
    match entry.source {
        Source::Learn => {}
        Source::Community => {
            footer.push_str(" · ");
            footer.push_str(text::COMMUNITY);
        }
        Source::Lookup => {
            footer.push_str(" · ");
            footer.push_str(text::LOOKUP_ONLY);
        }
    }
    EmbedSpec {
        title: text::embed_title(entry.code, entry.name.as_deref()),
        url: Some(
            entry
                .links
                .first()
                .cloned()
                .unwrap_or_else(|| lookup_url(entry.code, lookup_host(None))),
        ),
        description: match variant {
            None => format!(
                "{}\n**{}**\n{}",
                text::who_acts(entry.who_acts()),
                entry.title,
                entry.meaning
            ),
            Some(v) => format!(
                "{}\n**{}**\n{}\n\n**{}**\n{}",
                text::who_acts(entry.who_acts_for(v)),
                text::variant_heading(&v.phrase),
                v.meaning,
                entry.title,
                entry.meaning
            ),
        },
        colour: colour(entry.severity),
        fields,
        footer: Some(footer),
    }
    .clamp()
}

/// Only `who`'s steps for an entry (the bot's "I'm the admin" buttons):
/// the same title and colour, the steps as the description.
pub fn audience_steps(entry: &Entry, who: Audience) -> EmbedSpec {
    let steps = steps_field(entry.steps_for(who));
    EmbedSpec {
        title: text::embed_title(entry.code, entry.name.as_deref()),
        url: None,
        description: if steps.is_empty() {
            text::no_steps_for(who)
        } else {
            format!("**{}**\n{steps}", text::steps_heading(who))
        },
        colour: colour(entry.severity),
        fields: Vec::new(),
        footer: None,
    }
    .clamp()
}

/// The embed for `code`: its entry's explanation, or the unknown-code embed
/// (family and Microsoft's page on `host`) when the knowledge has none.
pub fn explain_code(knowledge: &Knowledge, code: AadstsCode, host: &str) -> EmbedSpec {
    match knowledge.get(code) {
        Some(entry) => explain(entry, knowledge.version()),
        None => unknown(code, host, knowledge.version()),
    }
}

/// The embed for a code without an entry: its family, and Microsoft's page.
pub fn unknown(code: AadstsCode, host: &str, version: &str) -> EmbedSpec {
    let family = family_of(code);
    EmbedSpec {
        title: format!("{code} · {}", text::UNKNOWN_TITLE),
        url: Some(lookup_url(code, host)),
        description: text::unknown_description(family.map(|f| f.about)),
        colour: UNKNOWN_COLOUR,
        fields: vec![FieldSpec {
            name: text::LINKS.into(),
            value: lookup_url(code, host),
            inline: false,
        }],
        footer: Some(format!("{} {version}", text::FOOTER)),
    }
    .clamp()
}

/// The ids block Microsoft support asks for, when the text had any.
pub fn details(context: &Context) -> Option<EmbedSpec> {
    let rows: Vec<String> = [
        ("Trace ID", &context.trace_id),
        ("Correlation ID", &context.correlation_id),
        ("Timestamp", &context.timestamp),
        ("OAuth error", &context.error),
        ("Sign-in host", &context.host),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: `{v}`")))
    .collect();
    if rows
        .iter()
        .all(|r| r.starts_with("OAuth") || r.starts_with("Sign-in"))
    {
        // Without an id or a time, there is nothing to hand over.
        return None;
    }
    Some(
        EmbedSpec {
            title: text::DETAILS.into(),
            url: None,
            description: rows.join("\n"),
            colour: DETAILS_COLOUR,
            fields: Vec::new(),
            footer: None,
        }
        .clamp(),
    )
}

/// Lays out a reply: the embeds of the first codes (at most
/// [`MAX_CODE_EMBEDS`], in order of appearance), a line naming the codes
/// left over, the ids block and the secret warning. Code embeds shrink so
/// that the whole message stays within Discord's limits.
pub fn reply(
    mut shown: Vec<EmbedSpec>,
    rest: &[AadstsCode],
    details: Option<EmbedSpec>,
    secret_warning: bool,
) -> ReplySpec {
    shown.truncate(MAX_CODE_EMBEDS);
    let mut lines = Vec::new();
    if secret_warning {
        lines.push(text::SECRET_WARNING.to_owned());
    }
    if !rest.is_empty() {
        let names: Vec<String> = rest.iter().map(ToString::to_string).collect();
        lines.push(text::more_codes(&names));
    }
    let content = (!lines.is_empty()).then(|| truncate(&lines.join("\n"), limits::CONTENT));

    let fixed = details.as_ref().map_or(0, EmbedSpec::len);
    let total: usize = fixed + shown.iter().map(EmbedSpec::len).sum::<usize>();
    if total > limits::TOTAL && !shown.is_empty() {
        // Keep the ids block whole; share what is left among the code embeds.
        let budget = (limits::TOTAL - 50).saturating_sub(fixed) / shown.len();
        for e in &mut shown {
            e.fit(budget);
        }
    }
    let mut embeds = shown;
    embeds.extend(details);
    ReplySpec { content, embeds }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|first| first.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Draws a reply for a terminal: the same words, without Discord markdown.
pub fn terminal(reply: &ReplySpec) -> String {
    let mut out = String::new();
    if let Some(content) = &reply.content {
        out.push_str(content);
        out.push_str("\n\n");
    }
    for embed in &reply.embeds {
        out.push_str(&terminal_embed(embed));
        out.push('\n');
    }
    out
}

fn terminal_embed(e: &EmbedSpec) -> String {
    let plain = |s: &str| s.replace("**", "").replace('`', "");
    let rule = "─".repeat(e.title.chars().count().clamp(20, 72));
    let mut out = format!("{}\n{rule}\n{}\n", plain(&e.title), plain(&e.description));
    if let Some(url) = &e.url {
        out.push_str(&format!("{url}\n"));
    }
    for f in &e.fields {
        if f.inline {
            out.push_str(&format!("{}: {}\n", f.name, plain(&f.value)));
        } else {
            out.push_str(&format!("\n{}\n", f.name));
            for line in f.value.lines() {
                out.push_str(&format!("  {}\n", plain(&unlink(line))));
            }
        }
    }
    if let Some(footer) = &e.footer {
        out.push_str(&format!("\n{footer}\n"));
    }
    out
}

/// `[label](url)` -> `url` for terminals.
fn unlink(line: &str) -> String {
    match (line.find("]("), line.ends_with(')')) {
        (Some(i), true) if line.starts_with('[') => line[i + 2..line.len() - 1].to_owned(),
        _ => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Knowledge;

    fn entry_text(code: u32, meaning_len: usize, cause_len: usize) -> String {
        format!(
            "[[error]]\ncode = {code}\nname = \"Name{code}\"\ntitle = \"Title {code}\"\nseverity = \"high\"\ncategory = \"consent\"\nmeaning = \"{}\"\ncauses = [\"{}\", \"{}\", \"{}\"]\nfixes = [\"Admin: {}\", \"User: {}\", \"Developer: {}\"]\nlinks = [\"https://learn.microsoft.com/en-us/entra/identity/conditional-access/overview\"]\nsource = \"learn\"\n",
            "m".repeat(meaning_len),
            "c".repeat(cause_len),
            "d".repeat(cause_len),
            "e".repeat(cause_len),
            "f".repeat(cause_len),
            "g".repeat(cause_len),
            "h".repeat(cause_len),
        )
    }

    fn kb(codes: &[u32], meaning: usize, cause: usize) -> Knowledge {
        let text: String = codes
            .iter()
            .map(|&c| entry_text(c, meaning, cause))
            .collect();
        Knowledge::from_sources(&[("k.toml", &text)], None).unwrap()
    }

    fn code(n: u32) -> AadstsCode {
        AadstsCode::new(n).unwrap()
    }

    #[test]
    fn truncate_at_and_past_the_limit() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(truncate("ééééé", 4), "ééé…");
        assert_eq!(truncate("👍👍👍", 2), "👍…");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(truncate("ab  cd", 4), "ab…");
    }

    #[test]
    fn explain_lays_out_an_entry() {
        let k = kb(&[65001], 50, 20);
        let e = explain(k.get(code(65001)).unwrap(), k.version());
        assert_eq!(e.title, "AADSTS65001 · Name65001");
        assert!(e
            .description
            .starts_with("Your IT admin needs to act\n**Title 65001**\nmmm"));
        assert_eq!(e.colour, colour(Severity::High));
        assert_eq!(e.fields[0].name, text::CAUSES);
        assert!(e.fields[1].value.starts_with("1. **Admin:** fff"));
        assert!(e.fields[1].value.contains("\n2. **User:** ggg"));
        assert_eq!(e.fields[2].value, "High");
        assert_eq!(e.fields.last().unwrap().value, "[conditional-access/overview](https://learn.microsoft.com/en-us/entra/identity/conditional-access/overview)");
        assert!(e.footer.as_deref().unwrap().contains(k.version()));
    }

    #[test]
    fn clamp_honours_each_limit() {
        let e = EmbedSpec {
            title: "t".repeat(300),
            url: None,
            description: "d".repeat(5000),
            colour: 0,
            fields: (0..30)
                .map(|_| FieldSpec {
                    name: "n".repeat(300),
                    value: "v".repeat(2000),
                    inline: false,
                })
                .collect(),
            footer: Some("f".repeat(3000)),
        }
        .clamp();
        assert_eq!(e.title.chars().count(), limits::TITLE);
        assert_eq!(e.description.chars().count(), limits::DESCRIPTION);
        assert_eq!(e.fields.len(), limits::FIELDS);
        assert!(e
            .fields
            .iter()
            .all(|f| f.value.chars().count() == limits::FIELD_VALUE && f.value.ends_with('…')));
        assert!(e
            .fields
            .iter()
            .all(|f| f.name.chars().count() == limits::FIELD_NAME));
        assert_eq!(e.footer.unwrap().chars().count(), limits::FOOTER);
    }

    #[test]
    fn at_the_limit_nothing_is_cut() {
        let e = EmbedSpec {
            title: "t".repeat(limits::TITLE),
            url: None,
            description: String::new(),
            colour: 0,
            fields: vec![FieldSpec {
                name: "n".into(),
                value: "v".repeat(limits::FIELD_VALUE),
                inline: false,
            }],
            footer: None,
        }
        .clamp();
        assert!(!e.title.ends_with('…'));
        assert!(!e.fields[0].value.ends_with('…'));
    }

    #[test]
    fn five_embeds_then_a_line_naming_the_rest() {
        let codes = [50001, 50002, 50003, 50004, 50005, 50006];
        let k = kb(&codes, 20, 10);
        let embeds: Vec<_> = codes
            .iter()
            .map(|&c| explain(k.get(code(c)).unwrap(), "v"))
            .collect();
        let r = reply(
            embeds,
            &[code(50006), code(50007), code(99999)],
            None,
            false,
        );
        assert_eq!(r.embeds.len(), MAX_CODE_EMBEDS);
        assert_eq!(
            r.content.as_deref(),
            Some("Also found: AADSTS50006, AADSTS50007, AADSTS99999. Look them up with `/aadsts`.")
        );
    }

    #[test]
    fn big_replies_shrink_to_the_message_total() {
        let codes = [50001, 50002, 50003, 50004, 50005];
        let k = kb(&codes, 600, 300);
        let embeds: Vec<_> = codes
            .iter()
            .map(|&c| explain(k.get(code(c)).unwrap(), "v"))
            .collect();
        assert!(embeds.iter().map(EmbedSpec::len).sum::<usize>() > limits::TOTAL);
        let ctx = Context {
            trace_id: Some("11111111-2222-3333-4444-555555555555".into()),
            ..Context::default()
        };
        let r = reply(embeds, &[], details(&ctx), true);
        assert!(r.embeds_len() <= limits::TOTAL, "{}", r.embeds_len());
        assert_eq!(r.embeds.len(), 6);
        assert!(r.embeds[..5].iter().all(|e| e.fields.len() >= 2));
        assert_eq!(r.embeds[5].colour, DETAILS_COLOUR);
        assert!(r.content.unwrap().starts_with("⚠️"));
    }

    #[test]
    fn unknown_code_uses_family_and_cloud_host() {
        let e = unknown(
            code(53999),
            lookup_host(Some("login.microsoftonline.us")),
            "v",
        );
        assert_eq!(
            e.url.as_deref(),
            Some("https://login.microsoftonline.us/error?code=53999")
        );
        assert!(e.description.contains("Conditional Access"));
        assert_eq!(
            lookup_host(Some("login.chinacloudapi.cn")),
            "login.partner.microsoftonline.cn"
        );
        assert_eq!(lookup_host(None), "login.microsoftonline.com");
        let e = unknown(code(60000), lookup_host(None), "v");
        assert!(!e.description.contains("usually about"));
    }

    #[test]
    fn details_need_an_id_or_time() {
        assert!(details(&Context::default()).is_none());
        let only_error = Context {
            error: Some("invalid_grant".into()),
            ..Context::default()
        };
        assert!(details(&only_error).is_none());
        let with_id = Context {
            correlation_id: Some("abc".into()),
            error: Some("invalid_grant".into()),
            ..Context::default()
        };
        assert_eq!(
            details(&with_id).unwrap().description,
            "Correlation ID: `abc`\nOAuth error: `invalid_grant`"
        );
    }

    #[test]
    fn terminal_drops_markdown() {
        let k = kb(&[65001], 30, 10);
        let r = reply(
            vec![explain(k.get(code(65001)).unwrap(), "v")],
            &[],
            None,
            false,
        );
        let t = terminal(&r);
        assert!(t.starts_with("AADSTS65001 · Name65001\n"));
        assert!(t.contains("  1. Admin: fff"));
        assert!(t.contains(
            "  https://learn.microsoft.com/en-us/entra/identity/conditional-access/overview"
        ));
        assert!(!t.contains("**"));
    }
}
