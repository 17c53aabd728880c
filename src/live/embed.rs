//! Purpose: show Microsoft's live description beside our family fallback:
//! fields added to the unknown-code embed (Discord markdown escaped, the
//! `{placeholders}` kept visible) and the same words for a terminal.

use crate::code::AadstsCode;
use crate::render::{limits, lookup_url, truncate, EmbedSpec, FieldSpec};
use crate::text;

use super::LiveEntry;

/// The unknown-code embed `fallback` (from `render::unknown`) with
/// Microsoft's message and remediation as the first fields, labelled as
/// Microsoft's text that we have not reviewed. Title, family description
/// and lookup link stay as they were.
pub fn embed(code: AadstsCode, entry: &LiveEntry, host: &str, fallback: &EmbedSpec) -> EmbedSpec {
    let mut out = fallback.clone();
    let mut fields = vec![FieldSpec {
        name: text::LIVE_MESSAGE.into(),
        value: field_value(&entry.message, has_placeholder(&entry.message)),
        inline: false,
    }];
    if let Some(remediation) = &entry.remediation {
        fields.push(FieldSpec {
            name: text::LIVE_REMEDIATION.into(),
            value: field_value(remediation, false),
            inline: false,
        });
    }
    out.url = Some(lookup_url(code, host));
    out.fields.splice(0..0, fields);
    out.fields.truncate(limits::FIELDS);
    out.footer = Some(truncate(
        &match &fallback.footer {
            Some(f) => format!("{f} · {}", text::LIVE_FOOTER),
            None => text::LIVE_FOOTER.to_owned(),
        },
        limits::FOOTER,
    ));
    out
}

/// Microsoft's words for a terminal: a labelled block, no markdown.
pub fn terminal(entry: &LiveEntry) -> String {
    let mut out = format!("{}\n  {}\n", text::LIVE_MESSAGE, entry.message);
    if let Some(r) = &entry.remediation {
        out.push_str(&format!("\n{}\n  {r}\n", text::LIVE_REMEDIATION));
    }
    out
}

fn field_value(s: &str, note_placeholders: bool) -> String {
    let note = if note_placeholders {
        format!("\n{}", text::LIVE_PLACEHOLDERS)
    } else {
        String::new()
    };
    let room = limits::FIELD_VALUE - note.chars().count();
    let mut value = truncate(&markdown(s), room);
    value.push_str(&note);
    value
}

/// Microsoft's text as Discord markdown that shows it literally: every
/// character markdown could act on is escaped, and each `{placeholder}` is
/// set as inline code so it reads as a blank to fill in.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '{' {
            if let Some(len) = placeholder_len(rest) {
                out.push('`');
                out.push_str(&rest[..len]);
                out.push('`');
                rest = &rest[len..];
                continue;
            }
        }
        if matches!(
            c,
            '\\' | '*'
                | '_'
                | '~'
                | '`'
                | '|'
                | '<'
                | '>'
                | '#'
                | '-'
                | '['
                | ']'
                | '('
                | ')'
                | '{'
                | '}'
                | '@'
                | ':'
        ) {
            out.push('\\');
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Bytes of a `{placeholder}` at the start of `s`: braces around 1 to 64
/// letters, digits, `_`, `.` or `-`.
fn placeholder_len(s: &str) -> Option<usize> {
    let inner = s.strip_prefix('{')?;
    let end = inner.find('}')?;
    let name = &inner[..end];
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    ok.then_some(end + 2)
}

fn has_placeholder(s: &str) -> bool {
    s.match_indices('{')
        .any(|(i, _)| placeholder_len(&s[i..]).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render;

    fn code(n: u32) -> AadstsCode {
        AadstsCode::new(n).unwrap()
    }

    /// Reads escaped markdown back: `\\x` is `x`, code spans are kept as is.
    fn unescape(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        let mut in_code = false;
        while let Some(c) = chars.next() {
            match c {
                '`' => in_code = !in_code,
                '\\' if !in_code => out.extend(chars.next()),
                _ => out.push(c),
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn escaping_shows_every_character_literally(s in "[ -~\u{e9}]{0,200}") {
            let md = markdown(&s);
            proptest::prop_assert_eq!(unescape(&md), s);
            // Outside code spans, no markdown character is left bare.
            let mut in_code = false;
            let mut escaped = false;
            for c in md.chars() {
                if escaped { escaped = false; continue; }
                match c {
                    '\\' if !in_code => escaped = true,
                    '`' => in_code = !in_code,
                    '*' | '_' | '~' | '|' | '<' | '>' | '[' | ']' | '(' | ')' if !in_code => {
                        proptest::prop_assert!(false, "bare {} in {}", c, md);
                    }
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn placeholders_become_inline_code() {
        assert_eq!(
            markdown("User account '{user}' from '{idp}'"),
            "User account '`{user}`' from '`{idp}`'"
        );
    }

    #[test]
    fn markdown_characters_are_escaped() {
        assert_eq!(
            markdown("*bold* _it_ ~x~ `c` ||s|| > q # h - [l](u) <@1> \\ {not a placeholder}"),
            "\\*bold\\* \\_it\\_ \\~x\\~ \\`c\\` \\|\\|s\\|\\| \\> q \\# h \\- \\[l\\]\\(u\\) \\<\\@1\\> \\\\ \\{not a placeholder\\}"
        );
    }

    #[test]
    fn links_are_not_turned_into_masked_links() {
        assert_eq!(markdown("see https://aka.ms/x"), "see https\\://aka.ms/x");
    }

    #[test]
    fn the_embed_keeps_the_fallback_and_labels_microsofts_text() {
        let c = code(17003);
        let host = render::lookup_host(None);
        let fallback = render::unknown(c, host, "v1");
        let entry = LiveEntry {
            message: "User key ({keyType}) could not be provisioned.".into(),
            remediation: Some("Try *again*.".into()),
        };
        let e = embed(c, &entry, host, &fallback);
        assert_eq!(e.title, fallback.title);
        assert_eq!(e.description, fallback.description);
        assert_eq!(e.fields[0].name, text::LIVE_MESSAGE);
        assert!(e.fields[0]
            .value
            .starts_with("User key \\(`{keyType}`\\) could not be provisioned."));
        assert!(e.fields[0].value.ends_with(text::LIVE_PLACEHOLDERS));
        assert_eq!(e.fields[1].name, text::LIVE_REMEDIATION);
        assert_eq!(e.fields[1].value, "Try \\*again\\*.");
        assert_eq!(&e.fields[2..], &fallback.fields[..]);
        assert!(e.footer.unwrap().ends_with(text::LIVE_FOOTER));
        assert_eq!(
            e.url.as_deref(),
            Some("https://login.microsoftonline.com/error?code=17003")
        );
    }

    #[test]
    fn without_remediation_there_is_one_field_more_than_the_fallback() {
        let c = code(17001);
        let fallback = render::unknown(c, "login.microsoftonline.us", "v1");
        let entry = LiveEntry {
            message: "Protected credential key can not be decoded.".into(),
            remediation: None,
        };
        let e = embed(c, &entry, "login.microsoftonline.us", &fallback);
        assert_eq!(e.fields.len(), fallback.fields.len() + 1);
        assert!(!e.fields[0].value.contains(text::LIVE_PLACEHOLDERS));
        assert_eq!(
            e.url.as_deref(),
            Some("https://login.microsoftonline.us/error?code=17001")
        );
    }

    #[test]
    fn the_longest_texts_fit_discords_limits() {
        let c = code(17001);
        let fallback = render::unknown(c, render::lookup_host(None), "v1");
        let worst = format!("{{a}}{}", "*".repeat(999));
        let entry = LiveEntry {
            message: worst.clone(),
            remediation: Some(worst),
        };
        let e = embed(c, &entry, render::lookup_host(None), &fallback);
        for f in &e.fields {
            assert!(
                f.value.chars().count() <= limits::FIELD_VALUE,
                "{}",
                f.value.len()
            );
        }
        assert!(e.len() <= limits::TOTAL);
    }

    #[test]
    fn the_terminal_block_is_plain_and_labelled() {
        let entry = LiveEntry {
            message: "Key {keyType} *bad*".into(),
            remediation: None,
        };
        let t = terminal(&entry);
        assert!(t.starts_with(text::LIVE_MESSAGE));
        assert!(t.contains("Key {keyType} *bad*"));
        assert!(!t.contains(text::LIVE_REMEDIATION));
    }
}
