//! Tests of the reference comparison on small in-memory files.

use super::*;

fn kb_with(entries: &[(u32, &str, &str, &str)]) -> Knowledge {
    let text: String = entries
        .iter()
        .map(|(code, name, meaning, source)| {
            format!(
                "[[error]]\ncode = {code}\nname = \"{name}\"\ntitle = \"Title\"\nseverity = \"medium\"\ncategory = \"mfa\"\nmeaning = \"{meaning}\"\ncauses = [\"c\"]\nfixes = [\"User: complete MFA now.\"]\nsource = \"{source}\"\n"
            )
        })
        .collect();
    Knowledge::from_sources(&[("k.toml", &text)], None).unwrap()
}

fn kb(meaning: &str, name: &str, source: &str) -> Knowledge {
    kb_with(&[(50076, name, meaning, source)])
}

const TSV: &str = "code\tname\tsummary\tsource\n50076\tUserStrongAuthClientAuthNRequired\tDue to a configuration change made by your administrator, or because you moved to a new location, you must use multifactor authentication.\tentra-docs\n50079\tUserStrongAuthEnrollmentRequired\tThe user is required to register.\tentra-docs\n";
const COMMUNITY: &str = "code\tmessage\tin_learn\n50076\tStrong auth is required.\tyes\n90001\tThe community says this about ninety thousand and one in a long sentence here.\tno\n";
const LOOKUP: &str = "code\tmessage\tremediation\n0\tNo specific error message\t\n90001\tx\t\n90002\tThe lookup page has only this code in its list of codes.\tTry the exchange with grant type urn:ietf:params:oauth:grant-type:jwt-bearer and then retry.\n";

fn file(name: &str, text: &str) -> RefFile {
    parse(Path::new(name), text).unwrap()
}

fn problems(k: &Knowledge, files: &[RefFile]) -> Vec<String> {
    compare(k, files)
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn layouts_are_recognised() {
    assert_eq!(file("a.tsv", TSV).kind, RefKind::Table);
    assert_eq!(file("c.tsv", COMMUNITY).kind, RefKind::Community);
    let l = file("l.tsv", LOOKUP);
    assert_eq!(l.kind, RefKind::Lookup);
    assert_eq!(l.rows.len(), 2, "code 0 is a placeholder");
    assert_eq!(l.rows[1].texts.len(), 2, "message and remediation");
    assert_eq!(l.rows[1].line, 4);
    let err = parse(Path::new("x.tsv"), "a\tb\n").unwrap_err();
    assert!(err.to_string().contains("unknown reference layout"));
}

#[test]
fn reports_missing_codes_with_reference_line() {
    let k = kb(
        "A second factor is needed.",
        "UserStrongAuthClientAuthNRequired",
        "learn",
    );
    assert_eq!(
        problems(&k, &[file("ref.tsv", TSV)]),
        ["ref.tsv:3:1: AADSTS50079 has no entry in the knowledge base"]
    );
}

#[test]
fn reports_name_and_source_mismatch() {
    let k = kb("A second factor is needed.", "UserStrongAuth", "community");
    let p = problems(&k, &[file("ref.tsv", TSV)]);
    assert!(
        p.iter()
            .any(|p| p.starts_with("k.toml:2:8: AADSTS50076 name is \"UserStrongAuth\"")),
        "{p:?}"
    );
    assert!(p.iter().any(|p| p.contains("source must be \"learn\"")));
}

#[test]
fn reports_copied_wording_but_not_seven_words() {
    let copied = kb(
        "Because you moved to a new location, you must use multifactor authentication.",
        "UserStrongAuthClientAuthNRequired",
        "learn",
    );
    assert!(problems(&copied, &[file("ref.tsv", TSV)])
        .iter()
        .any(|p| p.contains("shares 8+ consecutive words with ref.tsv:2")));
    let seven = kb(
        "You moved to a new place, so you must use MFA.",
        "UserStrongAuthClientAuthNRequired",
        "learn",
    );
    assert!(!problems(&seven, &[file("ref.tsv", TSV)])
        .iter()
        .any(|p| p.contains("consecutive")));
}

#[test]
fn copying_is_checked_against_every_file_and_code() {
    // 50076's entry repeats the lookup list's remediation of another code.
    let k = kb(
        "Try the exchange with grant type urn:ietf:params:oauth:grant-type:jwt-bearer and then retry.",
        "UserStrongAuthClientAuthNRequired",
        "learn",
    );
    let p = problems(&k, &[file("l.tsv", LOOKUP)]);
    assert!(p.iter().any(|p| p.contains("with l.tsv:4")), "{p:?}");
}

#[test]
fn identifiers_and_urls_are_one_word() {
    assert_eq!(
        words("Send `urn:ietf:params:oauth:grant-type:jwt-bearer` to https://login.microsoftonline.com/x/oauth2/v2.0/token."),
        [
            "send",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "to",
            "https://login.microsoftonline.com/x/oauth2/v2.0/token"
        ]
    );
    // Quoting a long identifier that Microsoft's text also quotes: 5 words, not 12.
    let entry_text = "The grant urn:ietf:params:oauth:grant-type:jwt-bearer is refused here.";
    let reference =
        "Grant urn:ietf:params:oauth:grant-type:jwt-bearer is not supported by this tenant at all.";
    let k = kb(entry_text, "UserStrongAuthClientAuthNRequired", "learn");
    assert!(copied_words(&k.entries()[0], reference).is_none());
}

#[test]
fn source_marks_follow_the_lists() {
    let table = file("t.tsv", "code\tname\tsummary\n50076\tN\tx\n");
    let community = file("c.tsv", COMMUNITY);
    let lookup = file("l.tsv", LOOKUP);
    let all = [table, community, lookup];
    let ok = kb_with(&[
        (50076, "N", "m", "learn"),
        (90001, "", "m", "community"),
        (90002, "", "m", "lookup"),
    ]);
    assert!(problems(&ok, &all).is_empty(), "{:?}", problems(&ok, &all));
    let bad = kb_with(&[
        (50076, "N", "m", "learn"),
        (90001, "", "m", "lookup"),
        (90002, "", "m", "community"),
        (90003, "", "m", "lookup"),
    ]);
    let p = problems(&bad, &all);
    assert!(
        p.iter()
            .any(|p| p.contains("AADSTS90001 is in the community list")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|p| p.contains("AADSTS90002 is only in the live lookup list")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|p| p.contains("AADSTS90003 is marked source = \"lookup\"")),
        "{p:?}"
    );
    assert_eq!(p.len(), 3, "{p:?}");
}

#[test]
fn learn_entries_must_be_in_the_table() {
    let k = kb("x y", "UserStrongAuthClientAuthNRequired", "learn");
    let head: String = TSV.lines().take(2).map(|l| format!("{l}\n")).collect();
    assert!(problems(&k, &[file("r.tsv", &head)]).is_empty());
    let p = problems(&k, &[file("r.tsv", "code\tname\tsummary\n")]);
    assert!(p[0].contains("does not list it"), "{p:?}");
}

#[test]
fn coverage_counts_each_list_and_the_union() {
    let k = kb_with(&[(50076, "UserStrongAuthClientAuthNRequired", "m", "learn")]);
    let r = compare(
        &k,
        &[
            file("t.tsv", TSV),
            file("c.tsv", COMMUNITY),
            file("l.tsv", LOOKUP),
        ],
    );
    assert_eq!(
        r.coverage.table,
        Some(Count {
            covered: 1,
            total: 2
        })
    );
    assert_eq!(
        r.coverage.all,
        Count {
            covered: 1,
            total: 4
        }
    );
    assert_eq!(
        r.coverage.to_string(),
        "Microsoft's table: 1/2; community list: 1/2; live lookup list: 0/2; all references: 1/4"
    );
    assert_eq!(thousands(1518), "1,518");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1_000_000), "1,000,000");
}

#[test]
fn markdown_table_gives_a_diff() {
    let md = "| Error | Description |\n|---|---|\n| AADSTS50076 | UserStrongAuthNew - text. |\n| AADSTS50079 | UserStrongAuthEnrollmentRequired - The user is required to register. |\n";
    let k = kb_with(&[
        (50076, "UserStrongAuthClientAuthNRequired", "m", "learn"),
        (50080, "Gone", "m", "learn"),
    ]);
    let r = compare(&k, &[file("reference-error-codes.md", md)]);
    let d = &r.diffs[0];
    assert_eq!(d.new, [AadstsCode::new(50079).unwrap()]);
    assert_eq!(d.removed, [AadstsCode::new(50080).unwrap()]);
    assert_eq!(
        d.renamed,
        [(
            AadstsCode::new(50076).unwrap(),
            "UserStrongAuthClientAuthNRequired".to_owned(),
            "UserStrongAuthNew".to_owned()
        )]
    );
    let p: Vec<String> = r.problems.iter().map(ToString::to_string).collect();
    assert!(
        p.iter()
            .any(|p| p.starts_with("reference-error-codes.md:4:1: AADSTS50079 has no entry")),
        "{p:?}"
    );
}

#[test]
fn bad_rows_are_errors() {
    let err = parse(Path::new("r.tsv"), "code\tname\tsummary\nabc\tx\ty\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "r.tsv:2:1: expected `code<TAB>...` with a numeric code"
    );
}
