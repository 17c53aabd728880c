//! Purpose: draw a reply (the same [`ReplySpec`] the bot sends) for a
//! terminal: plain words without Discord markdown, masked links as
//! `text (url)`, each link once per answer, wrapped to the window and
//! coloured by severity when standard output is a terminal.
//!
//! Piped output (a file, `| grep`, a test) is never wrapped and never
//! coloured: every line stays whole so it can be searched and diffed, and
//! no escape codes end up in files. `NO_COLOR` (any non-empty value, see
//! <https://no-color.org>) and `TERM=dumb` turn colour off on a terminal too.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::IsTerminal;
use std::sync::LazyLock;

use anstyle::{AnsiColor, Style};
use regex::Regex;

use crate::knowledge::Severity;
use crate::render::{self, EmbedSpec, ReplySpec};
use crate::text;

/// Narrowest width wrapping goes down to (a tiny window still reads).
const MIN_WIDTH: usize = 20;

/// How to draw: wrap width and colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// Wrap lines to this many columns; `None` leaves them whole.
    pub width: Option<usize>,
    /// Colour titles and severities with ANSI escapes.
    pub colour: bool,
}

impl Options {
    /// No wrapping, no colour: what pipes and files get.
    pub const PLAIN: Options = Options {
        width: None,
        colour: false,
    };

    /// The options for this process's standard output: wrapped to the
    /// window and coloured when it is a terminal, plain otherwise.
    pub fn for_stdout() -> Self {
        let stdout = std::io::stdout();
        let is_terminal = stdout.is_terminal();
        let width = is_terminal
            .then(|| terminal_size::terminal_size_of(&stdout))
            .flatten()
            .map(|(w, _)| usize::from(w.0));
        Self::decide(
            is_terminal,
            width,
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("TERM").as_deref(),
        )
    }

    /// The decision behind [`Options::for_stdout`], from its inputs.
    pub fn decide(
        is_terminal: bool,
        width: Option<usize>,
        no_color: Option<&OsStr>,
        term: Option<&OsStr>,
    ) -> Self {
        if !is_terminal {
            return Self::PLAIN;
        }
        let no_color = no_color.is_some_and(|v| !v.is_empty());
        let dumb = term.is_some_and(|t| t == "dumb");
        Self {
            width: width.filter(|&w| w > 0).map(|w| w.max(MIN_WIDTH)),
            colour: !no_color && !dumb,
        }
    }
}

/// Draws `reply` for a terminal.
pub fn render(reply: &ReplySpec, options: &Options) -> String {
    let mut r = Renderer {
        options: *options,
        seen: HashSet::new(),
        out: String::new(),
    };
    if let Some(content) = &reply.content {
        for line in content.lines() {
            let line = if line == text::SECRET_WARNING {
                text::SECRET_WARNING_TERMINAL
            } else {
                line
            };
            let line = r.inline(line);
            r.paragraph(&line, "", "");
        }
        r.out.push('\n');
    }
    for embed in &reply.embeds {
        r.embed(embed);
        r.out.push('\n');
    }
    r.out
}

/// `[text](https://…)`: a masked link.
static MASKED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[([^\]\n]*)\]\((https?://[^)\s]+)\)").expect("valid pattern"));
/// `<https://…>`: a link Discord shows without a preview.
static ANGLED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<(https?://[^>\s]+)>").expect("valid pattern"));
/// Any URL, for finding the links an embed already prints.
static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"https?://[^\s)>\]]+").expect("valid pattern"));

struct Renderer {
    options: Options,
    /// Links printed so far in this answer.
    seen: HashSet<String>,
    out: String,
}

impl Renderer {
    fn embed(&mut self, e: &EmbedSpec) {
        let severity = severity_of(e.colour);
        let title = plain(&e.title);
        let width = self.options.width.unwrap_or(usize::MAX);
        let rule_len = textwrap::core::display_width(&title)
            .clamp(20, 72)
            .min(width);
        self.styled_paragraph(&title, title_style(severity));
        self.out.push_str(&"─".repeat(rule_len));
        self.out.push('\n');

        // The title's link, unless a field below prints it anyway.
        let in_fields: HashSet<&str> = e
            .fields
            .iter()
            .flat_map(|f| URL.find_iter(&f.value).map(|m| m.as_str()))
            .chain(URL.find_iter(&e.description).map(|m| m.as_str()))
            .collect();

        for (i, line) in e.description.lines().enumerate() {
            let bold = i == 0 && line.starts_with("**") && line.ends_with("**") && line.len() > 4;
            let line = self.inline(line);
            if bold {
                self.styled_paragraph(&line, Style::new().bold());
            } else {
                self.paragraph(&line, "", "");
            }
        }
        if let Some(url) = &e.url {
            if !in_fields.contains(url.as_str()) && self.seen.insert(url.clone()) {
                self.paragraph(url, "", "");
            }
        }
        for f in &e.fields {
            if f.inline {
                let value = self.inline(&f.value);
                let value = if f.name == text::SEVERITY {
                    paint(
                        &value,
                        severity.map_or(Style::new(), severity_style),
                        &self.options,
                    )
                } else {
                    value
                };
                let line = format!("{}: {value}", f.name);
                self.paragraph(&line, "", "  ");
                continue;
            }
            let lines: Vec<String> = f.value.lines().filter_map(|l| self.field_line(l)).collect();
            if lines.is_empty() {
                continue;
            }
            self.out.push('\n');
            let heading = paint(&f.name, Style::new().bold(), &self.options);
            self.out.push_str(&heading);
            self.out.push('\n');
            for line in &lines {
                let hang = " ".repeat(2 + marker_width(line));
                self.paragraph(line, "  ", &hang);
            }
        }
        if let Some(footer) = &e.footer {
            self.out.push('\n');
            let footer = plain(footer);
            let footer = paint(&footer, Style::new().dimmed(), &self.options);
            self.out.push_str(&footer);
            self.out.push('\n');
        }
    }

    /// One line of a list field; `None` when it is only a link already printed.
    fn field_line(&mut self, line: &str) -> Option<String> {
        let trimmed = line.trim();
        let only_link = MASKED
            .captures(trimmed)
            .filter(|c| c.get(0).is_some_and(|m| m.len() == trimmed.len()))
            .map(|c| c[2].to_owned())
            .or_else(|| {
                URL.find(trimmed)
                    .filter(|m| m.len() == trimmed.len())
                    .map(|m| m.as_str().to_owned())
            });
        match only_link {
            Some(url) if self.seen.contains(&url) => None,
            Some(url) if !trimmed.starts_with('[') => {
                self.seen.insert(url);
                Some(trimmed.to_owned())
            }
            _ => Some(self.inline(trimmed)),
        }
    }

    /// Markdown to plain text, links written out once per answer.
    fn inline(&mut self, s: &str) -> String {
        let s = MASKED.replace_all(s, |c: &regex::Captures<'_>| {
            let (label, url) = (plain(&c[1]), &c[2]);
            if self.seen.insert(url.to_owned()) {
                if label.is_empty() || label == url {
                    url.to_owned()
                } else {
                    format!("{label} ({url})")
                }
            } else {
                label
            }
        });
        let s = ANGLED.replace_all(&s, |c: &regex::Captures<'_>| {
            let url = &c[1];
            if self.seen.insert(url.to_owned()) {
                url.to_owned()
            } else {
                String::new()
            }
        });
        for m in URL.find_iter(&s) {
            self.seen.insert(m.as_str().to_owned());
        }
        let s = plain(&s);
        // A dropped link can leave a double or trailing space.
        let mut out = String::with_capacity(s.len());
        for word in s.split(' ').filter(|w| !w.is_empty()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        let lead = s.len() - s.trim_start_matches(' ').len();
        format!("{}{out}", " ".repeat(lead))
    }

    /// Writes `line` wrapped (when a width is set), with the given indents.
    fn paragraph(&mut self, line: &str, first: &str, rest: &str) {
        match self.options.width {
            Some(width) => {
                let opts = textwrap::Options::new(width)
                    .initial_indent(first)
                    .subsequent_indent(rest)
                    .break_words(false)
                    .word_splitter(textwrap::WordSplitter::NoHyphenation);
                for l in textwrap::wrap(line, opts) {
                    self.out.push_str(l.trim_end());
                    self.out.push('\n');
                }
            }
            None => {
                self.out.push_str(first);
                self.out.push_str(line);
                self.out.push('\n');
            }
        }
    }

    /// [`Self::paragraph`], each wrapped line in `style`.
    fn styled_paragraph(&mut self, line: &str, style: Style) {
        let start = self.out.len();
        self.paragraph(line, "", "");
        if self.options.colour {
            let wrapped = self.out.split_off(start);
            for l in wrapped.lines() {
                self.out.push_str(&paint(l, style, &self.options));
                self.out.push('\n');
            }
        }
    }
}

/// Strips the markdown Discord renders: bold markers and code backticks.
fn plain(s: &str) -> String {
    s.replace("**", "").replace('`', "")
}

/// Columns of a list marker (`• `, `12. `) so wrapped lines hang under the text.
fn marker_width(line: &str) -> usize {
    if line.starts_with("• ") {
        return 2;
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && line[digits..].starts_with(". ") {
        digits + 2
    } else {
        0
    }
}

fn paint(s: &str, style: Style, options: &Options) -> String {
    if options.colour && !s.is_empty() && style != Style::new() {
        format!("{style}{s}{style:#}")
    } else {
        s.to_owned()
    }
}

/// The severity behind an embed's side colour (`None`: unknown code or ids).
fn severity_of(colour: u32) -> Option<Severity> {
    Severity::ALL
        .into_iter()
        .find(|&s| render::colour(s) == colour)
}

fn severity_style(severity: Severity) -> Style {
    let colour = match severity {
        Severity::Low => AnsiColor::Green,
        Severity::Medium => AnsiColor::Yellow,
        Severity::High => AnsiColor::BrightRed,
        Severity::Critical => AnsiColor::Red,
    };
    let style = Style::new().fg_color(Some(colour.into()));
    if severity == Severity::Critical {
        style.bold()
    } else {
        style
    }
}

fn title_style(severity: Option<Severity>) -> Style {
    match severity {
        Some(s) => severity_style(s).bold(),
        None => Style::new().bold(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::AadstsCode;
    use crate::detect::Context;
    use crate::knowledge::Knowledge;
    use crate::render::{explain, reply, unknown, FieldSpec};

    const LINK: &str =
        "https://learn.microsoft.com/en-us/entra/identity/conditional-access/overview";

    fn kb(meaning: &str) -> Knowledge {
        let text = format!(
            "[[error]]\ncode = 65001\nname = \"Name65001\"\ntitle = \"Title 65001\"\nseverity = \"high\"\ncategory = \"consent\"\nmeaning = \"{meaning}\"\ncauses = [\"ccc one\", \"ddd two\", \"eee three\"]\nfixes = [\"Admin: grant consent fff\", \"User: sign in again ggg\", \"Developer: request the scope hhh\"]\nrelated = [65004]\nlinks = [\"{LINK}\"]\nsource = \"learn\"\n\n[[error]]\ncode = 65004\nname = \"Other\"\ntitle = \"Other title\"\nseverity = \"low\"\ncategory = \"consent\"\nmeaning = \"m\"\ncauses = [\"a\", \"b\", \"c\"]\nfixes = [\"User: sign in again\", \"User: restart the app\", \"User: ask the helpdesk\"]\nlinks = [\"{LINK}\"]\nsource = \"learn\"\n"
        );
        Knowledge::from_sources(&[("k.toml", &text)], None).unwrap()
    }

    fn code(n: u32) -> AadstsCode {
        AadstsCode::new(n).unwrap()
    }

    fn one(k: &Knowledge, c: u32) -> ReplySpec {
        reply(
            vec![explain(k.get(code(c)).unwrap(), "v")],
            &[],
            None,
            false,
        )
    }

    #[test]
    fn terminal_drops_markdown() {
        let k = kb("mmm");
        let t = render(&one(&k, 65001), &Options::PLAIN);
        assert!(t.starts_with("AADSTS65001 · Name65001\n"), "{t}");
        assert!(t.contains("\nTitle 65001\nmmm\n"), "{t}");
        assert!(t.contains("  1. Admin: grant consent fff\n"), "{t}");
        assert!(t.contains("Related codes: AADSTS65004\n"), "{t}");
        for markdown in ["**", "`", "](", "<http"] {
            assert!(!t.contains(markdown), "{markdown:?} in\n{t}");
        }
    }

    #[test]
    fn masked_links_become_text_and_url() {
        let k = kb("mmm");
        let t = render(&one(&k, 65001), &Options::PLAIN);
        assert!(
            t.contains(&format!("  conditional-access/overview ({LINK})\n")),
            "{t}"
        );
    }

    #[test]
    fn each_link_is_printed_once_per_answer() {
        let k = kb("mmm");
        let both = reply(
            vec![
                explain(k.get(code(65001)).unwrap(), "v"),
                explain(k.get(code(65004)).unwrap(), "v"),
            ],
            &[],
            None,
            false,
        );
        let t = render(&both, &Options::PLAIN);
        assert_eq!(t.matches(LINK).count(), 1, "{t}");
        let u = render(
            &reply(
                vec![unknown(code(53999), "login.microsoftonline.com", "v")],
                &[],
                None,
                false,
            ),
            &Options::PLAIN,
        );
        assert_eq!(
            u.matches("https://login.microsoftonline.com/error?code=53999")
                .count(),
            1,
            "{u}"
        );
    }

    #[test]
    fn angled_links_and_title_links_are_written_out() {
        let e = EmbedSpec {
            title: "T".into(),
            url: Some("https://example.com/title".into()),
            description: "See <https://example.com/a> and <https://example.com/a> again.".into(),
            colour: 0,
            fields: vec![FieldSpec {
                name: "Notes".into(),
                value: "Ask `ops` in **#help** <https://example.com/b>".into(),
                inline: false,
            }],
            footer: None,
        };
        let t = render(
            &ReplySpec {
                content: None,
                embeds: vec![e],
            },
            &Options::PLAIN,
        );
        assert!(t.contains("See https://example.com/a and again.\n"), "{t}");
        assert!(t.contains("https://example.com/title\n"), "{t}");
        assert!(
            t.contains("  Ask ops in #help https://example.com/b\n"),
            "{t}"
        );
    }

    #[test]
    fn wraps_to_the_width_with_hanging_indents() {
        let long = "word ".repeat(40);
        let k = kb(long.trim());
        let t = render(
            &one(&k, 65001),
            &Options {
                width: Some(40),
                colour: false,
            },
        );
        // Lines stay within the width, except a URL that cannot be broken.
        for line in t.lines().filter(|l| !l.contains("https://")) {
            assert!(line.chars().count() <= 40, "{line:?} in\n{t}");
        }
        assert!(t.contains("\nword word"), "{t}");
        // A URL is never split, so it stays clickable.
        assert!(
            t.contains(&format!("  conditional-access/overview\n  ({LINK})\n")),
            "{t}"
        );
    }

    #[test]
    fn unwrapped_without_a_width() {
        let long = "word ".repeat(40);
        let k = kb(long.trim());
        let t = render(&one(&k, 65001), &Options::PLAIN);
        assert!(t.contains(long.trim()), "{t}");
    }

    #[test]
    fn colour_only_when_asked() {
        let k = kb("mmm");
        let plain = render(&one(&k, 65001), &Options::PLAIN);
        assert!(!plain.contains('\x1b'));
        let coloured = render(
            &one(&k, 65001),
            &Options {
                width: None,
                colour: true,
            },
        );
        let high = severity_style(Severity::High).bold();
        assert!(
            coloured.starts_with(&format!("{high}AADSTS65001 · Name65001{high:#}\n")),
            "{coloured:?}"
        );
        assert!(coloured.contains("Severity: \x1b["), "{coloured:?}");
    }

    #[test]
    fn decide_honours_pipes_no_color_and_dumb_terminals() {
        assert_eq!(
            Options::decide(false, Some(120), None, None),
            Options::PLAIN
        );
        assert_eq!(
            Options::decide(true, Some(120), None, Some(OsStr::new("xterm"))),
            Options {
                width: Some(120),
                colour: true
            }
        );
        assert!(!Options::decide(true, Some(120), Some(OsStr::new("1")), None).colour);
        assert!(Options::decide(true, Some(120), Some(OsStr::new("")), None).colour);
        assert!(!Options::decide(true, None, None, Some(OsStr::new("dumb"))).colour);
        assert_eq!(
            Options::decide(true, Some(5), None, None).width,
            Some(MIN_WIDTH)
        );
        assert_eq!(Options::decide(true, None, None, None).width, None);
    }

    #[test]
    fn discord_wording_gets_its_terminal_counterpart() {
        let ctx = Context {
            trace_id: Some("abc".into()),
            ..Context::default()
        };
        let r = reply(Vec::new(), &[], render::details(&ctx), true);
        let t = render(&r, &Options::PLAIN);
        assert!(t.starts_with(text::SECRET_WARNING_TERMINAL), "{t}");
        assert!(t.contains("Trace ID: abc\n"), "{t}");
        assert!(!t.contains("this channel"), "{t}");
    }
}
