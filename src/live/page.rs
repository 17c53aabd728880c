//! Purpose: read Microsoft's lookup page (`/error?code=N`): the table with
//! the rows "Error Code", "Message" and optionally "Remediation"; a page
//! without a table means the code is unknown to Microsoft.
//!
//! Parsed with a real HTML parser (`scraper`, on html5ever), so entities,
//! odd nesting and unclosed tags are read the way a browser reads them.

use scraper::{ElementRef, Html, Node};

use crate::code::AadstsCode;
use crate::render::truncate;

use super::{LiveEntry, LiveError};

/// Characters of Microsoft's message kept at most.
pub const MAX_MESSAGE: usize = 1000;
/// Characters of Microsoft's remediation kept at most.
pub const MAX_REMEDIATION: usize = 1000;
/// Characters read from one cell before the rest is ignored.
const MAX_CELL_READ: usize = 8 * 1024;

/// What a row of the lookup table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Code,
    Message,
    Remediation,
}

fn row_kind(label: &str) -> Option<Row> {
    let label = label.trim_end_matches(':').trim().to_ascii_lowercase();
    match label.as_str() {
        "error code" | "code" => Some(Row::Code),
        "message" | "error message" => Some(Row::Message),
        "remediation" => Some(Row::Remediation),
        _ => None,
    }
}

/// Reads the lookup page for `code`: `Ok(Some)` with the message (and the
/// remediation when the page has one), `Ok(None)` when the page has no
/// table (Microsoft doesn't know the code), an error when the page is not
/// the lookup page or its table can't be read.
pub fn parse(body: &str, code: AadstsCode) -> Result<Option<LiveEntry>, LiveError> {
    if !looks_like_html(body) {
        return Err(LiveError::Malformed("not an HTML page"));
    }
    let doc = Html::parse_document(body);
    let tables: Vec<ElementRef<'_>> = doc
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| e.value().name() == "table")
        .collect();
    if tables.is_empty() {
        return Ok(None);
    }
    let Some(rows) = tables.iter().map(|t| rows_of(*t)).find(|r| !r.is_empty()) else {
        return Err(LiveError::Malformed("no lookup table"));
    };
    let value = |kind: Row| {
        rows.iter()
            .find(|(k, v)| *k == kind && !v.is_empty())
            .map(|(_, v)| v.as_str())
    };
    if let Some(shown) = value(Row::Code) {
        let digits: String = shown.chars().filter(char::is_ascii_digit).collect();
        if digits.trim_start_matches('0') != code.number().to_string() {
            return Err(LiveError::Malformed("the page is about another code"));
        }
    }
    let Some(message) = value(Row::Message) else {
        return Err(LiveError::Malformed("no message in the table"));
    };
    Ok(Some(LiveEntry {
        message: truncate(message, MAX_MESSAGE),
        remediation: value(Row::Remediation).map(|r| truncate(r, MAX_REMEDIATION)),
    }))
}

/// Bodies that are plainly not a web page (JSON, text, nothing) are not
/// taken as "no table".
fn looks_like_html(body: &str) -> bool {
    let head: String = body
        .chars()
        .take(4096)
        .collect::<String>()
        .to_ascii_lowercase();
    head.contains("<html") || head.contains("<body") || head.contains("<!doctype html")
}

/// The recognised rows of one table (its own rows, not a nested table's):
/// first cell the label, second the value.
fn rows_of(table: ElementRef<'_>) -> Vec<(Row, String)> {
    table
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| e.value().name() == "tr" && nearest_table(*e) == Some(table))
        .filter_map(|tr| {
            let mut cells = tr
                .children()
                .filter_map(ElementRef::wrap)
                .filter(|c| matches!(c.value().name(), "td" | "th"));
            let kind = row_kind(&cell_text(cells.next()?))?;
            let value = cells.next().map(cell_text).unwrap_or_default();
            Some((kind, value))
        })
        .collect()
}

fn nearest_table(e: ElementRef<'_>) -> Option<ElementRef<'_>> {
    e.ancestors()
        .filter_map(ElementRef::wrap)
        .find(|a| a.value().name() == "table")
}

/// A cell's text as a reader sees it: entities decoded, line breaks and
/// blocks as spaces, scripts left out, white space collapsed.
fn cell_text(cell: ElementRef<'_>) -> String {
    let mut raw = String::new();
    for node in cell.descendants() {
        if raw.len() > MAX_CELL_READ {
            break;
        }
        match node.value() {
            Node::Text(t) => {
                let hidden = node
                    .ancestors()
                    .filter_map(ElementRef::wrap)
                    .any(|a| matches!(a.value().name(), "script" | "style" | "template"));
                if !hidden {
                    raw.push_str(t);
                }
            }
            Node::Element(e)
                if matches!(
                    e.name(),
                    "br" | "p" | "div" | "li" | "ul" | "ol" | "tr" | "td"
                ) =>
            {
                raw.push(' ');
            }
            _ => {}
        }
    }
    collapse(&raw)
}

/// Runs of white space (no-break spaces too) become one space; control and
/// zero-width characters go.
pub fn collapse(s: &str) -> String {
    s.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| !c.is_control() && !matches!(c, '\u{200b}'..='\u{200d}' | '\u{feff}'))
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(n: u32) -> AadstsCode {
        AadstsCode::new(n).unwrap()
    }

    fn page(rows: &str) -> String {
        format!(
            "<!DOCTYPE html><html><head><title>Error lookup</title></head><body>\
             <form method=\"post\"><input name=\"code\"></form>\
             <table class=\"table\"><tbody>{rows}</tbody></table></body></html>"
        )
    }

    #[test]
    fn reads_message_and_remediation() {
        let body = page(
            "<tr><td>Error Code</td><td>50058</td></tr>\
             <tr><td>Message</td><td>Session information is not sufficient.</td></tr>\
             <tr><td>Remediation</td><td>Sign in again.</td></tr>",
        );
        assert_eq!(
            parse(&body, code(50058)).unwrap(),
            Some(LiveEntry {
                message: "Session information is not sufficient.".into(),
                remediation: Some("Sign in again.".into()),
            })
        );
    }

    #[test]
    fn remediation_is_optional() {
        let body = page(
            "<tr><td>Error Code</td><td>17003</td></tr>\
             <tr><td>Message</td><td>User key ({keyType}) could not be provisioned.</td></tr>",
        );
        let e = parse(&body, code(17003)).unwrap().unwrap();
        assert_eq!(e.message, "User key ({keyType}) could not be provisioned.");
        assert_eq!(e.remediation, None);
    }

    #[test]
    fn an_empty_remediation_is_none() {
        let body = page(
            "<tr><th>Error Code:</th><td>1</td></tr><tr><th>Message:</th><td>m</td></tr>\
             <tr><th>Remediation:</th><td> &nbsp; </td></tr>",
        );
        assert_eq!(parse(&body, code(1)).unwrap().unwrap().remediation, None);
    }

    #[test]
    fn no_table_means_no_such_code() {
        let body = "<html><body><p>Code not found!</p></body></html>";
        assert_eq!(parse(body, code(1)).unwrap(), None);
    }

    #[test]
    fn entities_are_decoded_and_space_collapsed() {
        let body = page(
            "<tr><td>Message</td><td>\n  The app &#39;{appName}&#39; &amp; its\n\t<b>owner</b>&nbsp;&nbsp;can&#x27;t&lt;br&gt;<br>sign in.</td></tr>",
        );
        assert_eq!(
            parse(&body, code(5)).unwrap().unwrap().message,
            "The app '{appName}' & its owner can't<br> sign in."
        );
    }

    #[test]
    fn long_texts_are_capped() {
        let long = "word ".repeat(600);
        let body = page(&format!(
            "<tr><td>Message</td><td>{long}</td></tr><tr><td>Remediation</td><td>{long}</td></tr>"
        ));
        let e = parse(&body, code(5)).unwrap().unwrap();
        assert!(e.message.chars().count() <= MAX_MESSAGE);
        assert!(e.message.ends_with('…'));
        assert!(e.remediation.unwrap().chars().count() <= MAX_REMEDIATION);
    }

    #[test]
    fn a_table_without_the_rows_is_malformed() {
        let body = page("<tr><td>Something</td><td>else</td></tr>");
        assert!(matches!(
            parse(&body, code(5)),
            Err(LiveError::Malformed(_))
        ));
    }

    #[test]
    fn a_table_without_a_message_is_malformed() {
        let body = page("<tr><td>Error Code</td><td>5</td></tr>");
        assert!(matches!(
            parse(&body, code(5)),
            Err(LiveError::Malformed(_))
        ));
    }

    #[test]
    fn a_page_about_another_code_is_malformed() {
        let body =
            page("<tr><td>Error Code</td><td>6</td></tr><tr><td>Message</td><td>m</td></tr>");
        assert!(matches!(
            parse(&body, code(5)),
            Err(LiveError::Malformed(_))
        ));
    }

    #[test]
    fn a_cut_off_page_is_read_as_far_as_it_goes() {
        let body = "<html><body><table><tr><td>Error Code</td><td>5</td></tr><tr><td>Message</td><td>Half a mes";
        assert_eq!(parse(body, code(5)).unwrap().unwrap().message, "Half a mes");
        let body = "<html><body><table><tr><td>Error Code</td><td>5";
        assert!(matches!(parse(body, code(5)), Err(LiveError::Malformed(_))));
    }

    #[test]
    fn json_or_text_is_not_a_page() {
        for body in ["", "{\"error\":\"busy\"}", "Service unavailable"] {
            assert!(
                matches!(parse(body, code(5)), Err(LiveError::Malformed(_))),
                "{body}"
            );
        }
    }

    #[test]
    fn scripts_in_cells_are_not_text() {
        let body = page("<tr><td>Message</td><td>Shown<script>var hidden = 1;</script></td></tr>");
        assert_eq!(parse(&body, code(5)).unwrap().unwrap().message, "Shown");
    }

    #[test]
    fn nested_tables_do_not_lend_their_rows() {
        let body = "<html><body><table><tr><td>\
             <table><tr><td>Message</td><td>inner</td></tr></table>\
             </td></tr></table></body></html>";
        // The outer table has no rows of its own; the inner one is the lookup table.
        assert_eq!(parse(body, code(5)).unwrap().unwrap().message, "inner");
    }

    proptest::proptest! {
        #[test]
        fn any_body_gives_a_bounded_answer_or_an_error(body in ".{0,400}") {
            if let Ok(Some(e)) = parse(&body, code(5)) {
                proptest::prop_assert!(e.message.chars().count() <= MAX_MESSAGE);
            }
        }

        #[test]
        fn any_cell_text_comes_back_collapsed_and_capped(
            message in "[ -~\u{a0}\u{e9}\n\t]{1,1500}",
        ) {
            let escaped = message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            let body = page(&format!("<tr><td>Message</td><td>{escaped}</td></tr>"));
            match parse(&body, code(5)) {
                Ok(Some(e)) => {
                    let want = collapse(&message);
                    proptest::prop_assert!(e.message.chars().count() <= MAX_MESSAGE);
                    if want.chars().count() <= MAX_MESSAGE {
                        proptest::prop_assert_eq!(e.message, want);
                    }
                }
                // Only white space: no message.
                other => proptest::prop_assert!(collapse(&message).is_empty(), "{:?}", other),
            }
        }
    }

    #[test]
    fn collapse_drops_controls_and_zero_width() {
        assert_eq!(collapse(" a\u{0}b \u{200b} \u{a0}c\r\n"), "ab c");
    }
}
