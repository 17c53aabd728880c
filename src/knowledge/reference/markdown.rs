//! Purpose: read Microsoft's `reference-error-codes.md` (the AADSTS table as
//! MicrosoftDocs/entra-docs keeps it) into rows, the way
//! `/work/shared/reference/parse_reference.py` does: pipe tables whose header
//! starts `Error | Description`; the code without `AADSTS`; the enum name
//! split off the description's start; links reduced to their text, HTML lists
//! and breaks flattened, `**` and backticks dropped, whitespace collapsed; a
//! code listed twice gives one row with both texts joined by ` || `.

use std::collections::HashMap;

use regex::Regex;

/// One code of the table, as the markdown has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdRow {
    /// The code as written, without `AADSTS` and spaces (usually digits).
    pub code: String,
    /// The CamelCase enum name the description starts with, or empty.
    pub name: String,
    /// The rest of the description, cleaned.
    pub summary: String,
    /// 1-based line of the code's first row.
    pub line: usize,
}

/// The regular expressions of the cleaning steps, compiled once per parse.
struct Cleaner {
    link: Regex,
    li_li: Regex,
    ul_li: Regex,
    li_ul: Regex,
    ul_or_li: Regex,
    br: Regex,
    controls: Regex,
    spaces: Regex,
    double_period: Regex,
    space_before_punct: Regex,
    name: Regex,
    separator: Regex,
}

impl Cleaner {
    fn new() -> Self {
        // Fixed patterns: a failure here is a bug caught by every test.
        let re = |p: &str| Regex::new(p).unwrap_or_else(|e| panic!("pattern {p}: {e}"));
        Self {
            link: re(r"\[([^\]]*)\]\(([^)]*)\)"),
            li_li: re(r"</li>\s*<li>"),
            ul_li: re(r"<ul>\s*<li>"),
            li_ul: re(r"</li>\s*</ul>"),
            ul_or_li: re(r"</?(ul|li)\s*/?>"),
            br: re(r"(?i)<\s*/?\s*br\s*/?\s*>"),
            controls: re(r"[\t\r\n]+"),
            spaces: re(r"\s+"),
            double_period: re(r"\.\s*\.(\s|$)"),
            space_before_punct: re(r"\s+([.;,])"),
            name: re(r"^([A-Z][A-Za-z0-9_]*)\s*(?:-\s+|-$|$)"),
            separator: re(r"^\s*\|?\s*:?-{2,}"),
        }
    }

    /// `clean()` of the Python script, step for step.
    fn clean(&self, text: &str) -> String {
        let t = self.link.replace_all(text, "$1");
        let t = self.li_li.replace_all(&t, "; ");
        let t = self.ul_li.replace_all(&t, " ");
        let t = self.li_ul.replace_all(&t, ". ");
        let t = self.ul_or_li.replace_all(&t, " ");
        let t = self.br.replace_all(&t, " ");
        let t = t.replace("**", "").replace('`', "").replace("\\\"", "\"");
        let t = self.controls.replace_all(&t, " ");
        let t = self.spaces.replace_all(&t, " ");
        let t = t.trim();
        let t = self.double_period.replace_all(t, ".${1}");
        let t = self.space_before_punct.replace_all(&t, "${1}");
        t.trim().to_owned()
    }

    /// `Name - text` -> (`Name`, `text`) when `Name` is CamelCase.
    fn split_name(&self, desc: &str) -> (String, String) {
        if let Some(m) = self.name.captures(desc) {
            let name = &m[1];
            if is_camel(name) {
                let end = m.get(0).map_or(0, |m| m.end());
                return (name.to_owned(), desc[end..].trim().to_owned());
            }
        }
        (String::new(), desc.to_owned())
    }
}

fn is_camel(token: &str) -> bool {
    token.bytes().filter(u8::is_ascii_uppercase).count() >= 2
        && token.bytes().any(|b| b.is_ascii_lowercase())
        && !token.starts_with("AADSTS")
}

/// The cells of a table line, outer pipes removed, each trimmed.
fn cells(line: &str) -> Vec<&str> {
    let s = line.trim();
    let s = s.strip_prefix('|').unwrap_or(s);
    let s = s.strip_suffix('|').unwrap_or(s);
    s.split('|').map(str::trim).collect()
}

/// Every row of the AADSTS tables in `md`, in order of first appearance.
pub fn parse(md: &str) -> Vec<MdRow> {
    let cleaner = Cleaner::new();
    let lines: Vec<&str> = md.lines().collect();
    let mut rows: Vec<MdRow> = Vec::new();
    let mut by_code: HashMap<String, usize> = HashMap::new();
    let mut i = 0;
    while i < lines.len() {
        let is_table = lines[i].trim().starts_with('|')
            && lines
                .get(i + 1)
                .is_some_and(|next| cleaner.separator.is_match(next));
        if !is_table {
            i += 1;
            continue;
        }
        let header: Vec<String> = cells(lines[i])
            .iter()
            .take(2)
            .map(|h| h.to_lowercase())
            .collect();
        let wanted = header == ["error", "description"];
        let mut j = i + 2;
        while j < lines.len() && lines[j].trim().starts_with('|') {
            if wanted {
                add_row(&cleaner, &cells(lines[j]), j + 1, &mut rows, &mut by_code);
            }
            j += 1;
        }
        i = j;
    }
    rows
}

fn add_row(
    cleaner: &Cleaner,
    row: &[&str],
    line: usize,
    rows: &mut Vec<MdRow>,
    by_code: &mut HashMap<String, usize>,
) {
    let raw: String = row
        .first()
        .map_or("", |c| c.trim())
        .chars()
        .filter(|&c| c != ' ')
        .collect();
    let code = match raw.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("aadsts") => raw[6..].to_owned(),
        _ => raw,
    };
    let desc = row.get(1..).map_or(String::new(), |d| d.join(" | "));
    let (name, mut summary) = cleaner.split_name(&cleaner.clean(&desc));
    match by_code.get(&code) {
        Some(&k) => {
            let prev = &mut rows[k];
            if prev.name.is_empty() {
                prev.name = name;
            } else if !name.is_empty() && name != prev.name {
                summary = format!("{name} - {summary}");
            }
            let joined = format!("{} || {summary}", prev.summary);
            prev.summary = joined.trim_matches([' ', '|']).to_owned();
        }
        None => {
            by_code.insert(code.clone(), rows.len());
            rows.push(MdRow {
                code,
                name,
                summary,
                line,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small table with the real article's quirks: a link, an HTML list,
    /// a `<br>`, bold and backticks, a code listed twice, a name-only row, a
    /// description without a name, and a second table that is not codes.
    const SAMPLE: &str = "\
---
title: Microsoft Entra authentication and authorization error codes
---
# Error codes

| Parameter | Description |
|-----------|-------------|
| `error` | An error code string. |

## AADSTS error codes

| Error | Description |
|---|---|
| AADSTS16000 | SelectUserAccount - This is an interrupt thrown by Microsoft Entra ID. See [the flow](https://learn.microsoft.com/x). |
| AADSTS50053 | This error can result from two different reasons: <br><ul><li>IdsLocked - The account is locked.</li><li>Sign-in was blocked.</li></ul> |
| AADSTS50076 | UserStrongAuthClientAuthNRequired - Due to a configuration change, you must use **multifactor** authentication to access '{resource}'. |
| AADSTS50147 | MissingCodeChallenge - The size of the code challenge parameter isn't valid. |
| AADSTS50147 | MissingCodeChallenge - The code challenge is required. |
| AADSTS 90014 | MissingRequiredField - An expected field isn't present in the `credential`. |
| AADSTS7000112 | UnauthorizedClientApplicationDisabled |

Text after the table.
";

    #[test]
    fn parses_the_code_table_only() {
        let rows = parse(SAMPLE);
        let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(
            codes,
            ["16000", "50053", "50076", "50147", "90014", "7000112"]
        );
        assert_eq!(rows[0].line, 14);
    }

    #[test]
    fn splits_names_and_cleans_text() {
        let rows = parse(SAMPLE);
        assert_eq!(rows[0].name, "SelectUserAccount");
        assert_eq!(
            rows[0].summary,
            "This is an interrupt thrown by Microsoft Entra ID. See the flow."
        );
        assert_eq!(rows[1].name, "", "the name inside a list is not the row's");
        assert_eq!(
            rows[1].summary,
            "This error can result from two different reasons: IdsLocked - The account is locked.; Sign-in was blocked."
        );
        assert_eq!(
            rows[2].summary,
            "Due to a configuration change, you must use multifactor authentication to access '{resource}'."
        );
        assert_eq!(rows[4].name, "MissingRequiredField");
        assert_eq!(
            rows[4].summary,
            "An expected field isn't present in the credential."
        );
        assert_eq!(rows[5].name, "UnauthorizedClientApplicationDisabled");
        assert_eq!(rows[5].summary, "");
    }

    #[test]
    fn a_code_listed_twice_is_one_row() {
        let rows = parse(SAMPLE);
        let r = &rows[3];
        assert_eq!(r.name, "MissingCodeChallenge");
        assert_eq!(
            r.summary,
            "The size of the code challenge parameter isn't valid. || The code challenge is required."
        );
        assert_eq!(r.line, 17);
    }

    #[test]
    fn no_table_no_rows() {
        assert!(parse("# nothing\n| a |\n").is_empty());
        assert!(parse("").is_empty());
    }

    #[test]
    fn camel_names() {
        assert!(is_camel("InvalidRequest"));
        assert!(!is_camel("Invalid"));
        assert!(!is_camel("AADSTSFoo"));
        assert!(!is_camel("ABC"));
    }
}
