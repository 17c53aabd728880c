//! Purpose: make user text safe to echo in a public Discord message.
//!
//! [`escape`] keeps the words as the user wrote them but takes away what
//! Discord would act on: markdown (emphasis, strike, spoilers, code spans
//! and fences, block quotes, headings, lists, masked links), link embeds
//! and mentions (`@everyone`, `@here`, `<@123>`, `<@&123>`, `<#123>`).
//! Replies are also sent with mentions disabled; this is the second guard,
//! for text that is shown rather than parsed.

/// Put after every `@` so that no `@everyone`, `@here` or `<@id>` is left.
const ZERO_WIDTH_JOINER: char = '\u{200D}';

/// Characters that get a backslash wherever they are: Discord accepts a
/// backslash before any ASCII punctuation and then shows it literally.
const INLINE: &[char] = &['\\', '*', '_', '~', '|', '`', '[', ']', '<', '>'];

/// Characters that start a block (heading, quote, list, subtext) when they
/// open a line.
const LINE_START: &[char] = &['#', '>', '-', '+', '*'];

/// Characters cut from the end of a URL: punctuation around it in prose.
const URL_TRAILING: &[char] = &[
    '.', ',', ';', ':', '!', '?', '\'', '"', ')', ']', '}', '*', '_', '~', '|', '\\',
];

/// Escapes `user_text` for a public Discord message: markdown shows as
/// typed, `http(s)` URLs become `<url>` (a link without an embed), and
/// mentions are broken with a zero-width joiner after each `@` and a
/// backslash before each `<`. Inside a URL, `@`, `` ` ``, `|` and `\` are
/// percent-encoded instead.
pub fn escape(user_text: &str) -> String {
    let mut out = String::with_capacity(user_text.len() + user_text.len() / 4 + 8);
    for line in user_text.split_inclusive('\n') {
        escape_line(line, &mut out);
    }
    out
}

fn escape_line(line: &str, out: &mut String) {
    let body = line.trim_start_matches([' ', '\t']);
    out.push_str(&line[..line.len() - body.len()]);
    if body.starts_with(LINE_START) && !body.starts_with(INLINE) {
        out.push('\\');
    }
    // `1. item` would become a numbered list.
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    let numbered = digits > 0 && body[digits..].starts_with('.');
    let mut rest = body;
    let mut pos = 0;
    while let Some(c) = rest.chars().next() {
        if let Some(len) = url_len(body, pos) {
            push_url(&rest[..len], out);
            rest = &rest[len..];
            pos += len;
            continue;
        }
        if numbered && pos == digits {
            out.push('\\');
        }
        if INLINE.contains(&c) {
            out.push('\\');
        }
        out.push(c);
        if c == '@' {
            out.push(ZERO_WIDTH_JOINER);
        }
        rest = &rest[c.len_utf8()..];
        pos += c.len_utf8();
    }
}

/// Length of the `http://` or `https://` URL starting at `text[at..]`, if
/// one starts there (not glued to a word before it).
fn url_len(text: &str, at: usize) -> Option<usize> {
    let rest = &text[at..];
    let scheme = ["https://", "http://"].into_iter().find(|s| {
        rest.get(..s.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(s))
    })?;
    if text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric())
    {
        return None;
    }
    let run = rest
        .find(|c: char| c.is_whitespace() || c == '<' || c == '>')
        .unwrap_or(rest.len());
    let url = rest[..run].trim_end_matches(URL_TRAILING);
    (url.len() > scheme.len()).then_some(url.len())
}

/// `<url>`: Discord links it without an embed. Characters that could still
/// mention or start code are percent-encoded (the link stays the same).
fn push_url(url: &str, out: &mut String) {
    out.push('<');
    for c in url.chars() {
        match c {
            '@' => out.push_str("%40"),
            '`' => out.push_str("%60"),
            '|' => out.push_str("%7C"),
            '\\' => out.push_str("%5C"),
            _ => out.push(c),
        }
    }
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(
            escape("AADSTS50076 after a password reset."),
            "AADSTS50076 after a password reset."
        );
        assert_eq!(escape(""), "");
        assert_eq!(
            escape("naïve 🙂 text\nsecond line"),
            "naïve 🙂 text\nsecond line"
        );
    }

    #[test]
    fn inline_markdown_is_escaped() {
        assert_eq!(
            escape("*bold* _it_ ~~gone~~ ||spoiler||"),
            r"\*bold\* \_it\_ \~\~gone\~\~ \|\|spoiler\|\|"
        );
        assert_eq!(escape(r"a\b"), r"a\\b");
        assert_eq!(escape(r"\*"), r"\\\*");
    }

    #[test]
    fn code_spans_and_fences_are_escaped() {
        assert_eq!(escape("`x`"), r"\`x\`");
        assert_eq!(
            escape("```rust\nfn x() {}\n```"),
            "\\`\\`\\`rust\nfn x() {}\n\\`\\`\\`"
        );
    }

    #[test]
    fn masked_links_are_broken() {
        assert_eq!(
            escape("[click](https://evil.example/x)"),
            r"\[click\](<https://evil.example/x>)"
        );
    }

    #[test]
    fn urls_do_not_embed() {
        assert_eq!(
            escape("see https://login.microsoftonline.com/error?code=50076."),
            "see <https://login.microsoftonline.com/error?code=50076>."
        );
        assert_eq!(escape("(HTTP://a.example/b_c)"), "(<HTTP://a.example/b_c>)");
        assert_eq!(escape("https:// alone"), "https:// alone");
        assert_eq!(escape("xhttps://a.example"), "xhttps://a.example");
        assert_eq!(
            escape("https://u@a.example/`x`|y"),
            "<https://u%40a.example/%60x%60%7Cy>"
        );
    }

    #[test]
    fn mentions_are_neutralised() {
        assert_eq!(escape("@everyone look"), "@\u{200D}everyone look");
        assert_eq!(escape("@here"), "@\u{200D}here");
        assert_eq!(escape("<@123>"), "\\<@\u{200D}123\\>");
        assert_eq!(escape("<@!123>"), "\\<@\u{200D}!123\\>");
        assert_eq!(escape("<@&456>"), "\\<@\u{200D}&456\\>");
        assert_eq!(escape("<#789>"), "\\<#789\\>");
        assert_eq!(
            escape("mail alice@contoso.com"),
            "mail alice@\u{200D}contoso.com"
        );
    }

    #[test]
    fn line_starts_are_escaped() {
        assert_eq!(escape("# Heading"), r"\# Heading");
        assert_eq!(escape("> quote\n>>> all"), "\\> quote\n\\>\\>\\> all");
        assert_eq!(
            escape("- item\n  + item\n-# small"),
            "\\- item\n  \\+ item\n\\-# small"
        );
        assert_eq!(escape("* item"), r"\* item");
        assert_eq!(escape("1. first\n10. tenth"), "1\\. first\n10\\. tenth");
        assert_eq!(escape("a - b # c 1. d"), "a - b # c 1. d");
        assert_eq!(escape("1.5 seconds"), "1\\.5 seconds");
    }

    /// How many backslashes stand right before byte `i`.
    fn backslashes_before(s: &[u8], i: usize) -> usize {
        s[..i].iter().rev().take_while(|&&b| b == b'\\').count()
    }

    /// Panics with a reason when `out` still holds a live mention or code mark.
    fn assert_inert(out: &str) {
        let b = out.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            let escaped = backslashes_before(b, i) % 2 == 1;
            match c {
                b'`' => assert!(escaped, "bare backtick at {i} in {out:?}"),
                b'@' => assert!(
                    out[i + 1..].starts_with(ZERO_WIDTH_JOINER),
                    "bare @ at {i} in {out:?}"
                ),
                b'<' if !escaped => {
                    let rest = out[i + 1..].to_ascii_lowercase();
                    assert!(
                        rest.starts_with("http://") || rest.starts_with("https://"),
                        "bare < at {i} in {out:?}"
                    );
                }
                _ => {}
            }
        }
        assert!(!out.contains("@everyone") && !out.contains("@here"));
    }

    /// Undoes [`escape`] for text without URLs.
    fn unescape(out: &str) -> String {
        let mut s = String::new();
        let mut chars = out.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek().is_some_and(|n| n.is_ascii_punctuation()) => {
                    s.extend(chars.next());
                }
                '@' => {
                    s.push(c);
                    chars.next_if_eq(&ZERO_WIDTH_JOINER);
                }
                _ => s.push(c),
            }
        }
        s
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        #[test]
        fn escaped_text_has_no_live_mention_or_fence(
            text in r"(?s).{0,120}|([@<>`#&!0-9 a-z\\:/.\n*_~|\[\]()\-]|everyone|here|https://|<@|<#|<@&|```){0,60}",
        ) {
            assert_inert(&escape(&text));
        }

        #[test]
        fn escaping_keeps_every_character(
            text in r"([@<>`#&!0-9 a-z\\/.\n*_~|\[\]()+\-\u{200d}é🙂]|everyone|```){0,80}",
        ) {
            proptest::prop_assert_eq!(unescape(&escape(&text)), text);
        }
    }
}
