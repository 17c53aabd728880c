//! The built `aadsts-bot` binary, run as a user would: lookup, scan, search,
//! check, stats and the console, against the repository's knowledge base.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aadsts-bot"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DISCORD_TOKEN")
        .env_remove("KNOWLEDGE_NOTES")
        .env("KNOWLEDGE_DIR", knowledge_dir());
    cmd
}

fn knowledge_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn run_with_stdin(args: &[&str], input: &str) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

#[test]
fn lookup_prints_a_readable_explanation() {
    let o = run(&["lookup", "50076"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.starts_with("AADSTS50076 · UserStrongAuthClientAuthNRequired\n"),
        "{out}"
    );
    for part in [
        "Likely causes",
        "What to do",
        "Severity: ",
        "Related codes: ",
        "https://",
    ] {
        assert!(out.contains(part), "missing {part:?} in\n{out}");
    }
}

#[test]
fn lookup_json_has_the_documented_fields() {
    let v = json(&run(&["lookup", "AADSTS50076", "--format", "json"]));
    assert_eq!(v["code"], 50076);
    assert_eq!(v["known"], true);
    assert_eq!(v["name"], "UserStrongAuthClientAuthNRequired");
    assert_eq!(v["category"], "mfa");
    for key in [
        "title", "severity", "meaning", "causes", "fixes", "related", "links",
    ] {
        assert!(!v[key].is_null(), "{key} missing");
    }
    assert!(v["fixes"].as_array().unwrap().len() >= 3);
}

#[test]
fn lookup_by_enum_name_in_any_case() {
    let v = json(&run(&[
        "lookup",
        "invalidclientsecretexpiredkeysprovided",
        "--format",
        "json",
    ]));
    assert_eq!(v["code"], 7000222);
}

#[test]
fn lookup_of_an_unknown_code_points_to_microsoft() {
    let o = run(&["lookup", "53999", "--format", "json"]);
    assert!(o.status.success());
    let v = json(&o);
    assert_eq!(v["known"], false);
    assert_eq!(
        v["links"][0],
        "https://login.microsoftonline.com/error?code=53999"
    );
    assert_eq!(v["family"], "Conditional Access and device compliance");
}

#[test]
fn lookup_of_nonsense_fails_with_a_hint() {
    let o = run(&["lookup", "redirect uri"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("is not an AADSTS code"), "{err}");
    assert!(err.contains("Did you mean"), "{err}");
}

const TOKEN_RESPONSE: &str = r#"{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys for app '00000000-0000-0000-0000-000000000000' are expired.\r\nTrace ID: 0b3f6e4a-1111-2222-3333-444455556666\r\nCorrelation ID: 9a8b7c6d-aaaa-bbbb-cccc-ddddeeeeffff\r\nTimestamp: 2024-05-01 10:20:30Z","error_codes":[7000222],"timestamp":"2024-05-01 10:20:30Z"} and later aadsts-50076 and AADSTS7000222 again"#;

#[test]
fn scan_json_reports_codes_spans_and_ids() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("log.txt");
    std::fs::write(&file, TOKEN_RESPONSE).unwrap();
    let o = run(&["scan", file.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success());
    let v = json(&o);
    let codes = v["codes"].as_array().unwrap();
    assert_eq!(codes.len(), 2);
    assert_eq!(codes[0]["code"], 7000222);
    assert_eq!(codes[0]["known"], true);
    assert_eq!(codes[0]["spans"].as_array().unwrap().len(), 2);
    let [start, end] = [0, 1].map(|i| codes[0]["spans"][0][i].as_u64().unwrap() as usize);
    assert_eq!(&TOKEN_RESPONSE[start..end], "AADSTS7000222");
    assert_eq!(codes[1]["code"], 50076);
    assert_eq!(v["trace_id"], "0b3f6e4a-1111-2222-3333-444455556666");
    assert_eq!(v["correlation_id"], "9a8b7c6d-aaaa-bbbb-cccc-ddddeeeeffff");
    assert_eq!(v["timestamp"], "2024-05-01 10:20:30Z");
    assert_eq!(v["error"], "invalid_client");
    assert!(v["host"].is_null());
}

#[test]
fn scan_reads_standard_input_and_explains() {
    let o = run_with_stdin(
        &["scan", "-"],
        "Sign-in failed: AADSTS65001: consent missing\n",
    );
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("AADSTS65001 · DelegationDoesNotExist"),
        "{out}"
    );
}

#[test]
fn scan_text_explains_every_code_not_just_five() {
    let text = "AADSTS50076 AADSTS50079 AADSTS50058 AADSTS50126 AADSTS65001 AADSTS700016 AADSTS7000215\nTrace ID: 11111111-2222-3333-4444-555555555555\n";
    let o = run_with_stdin(&["scan", "-"], text);
    assert!(o.status.success());
    let out = stdout(&o);
    for code in ["AADSTS50076 ·", "AADSTS700016 ·", "AADSTS7000215"] {
        assert!(out.contains(code), "{code} missing in\n{out}");
    }
    assert!(out.contains("Send this to your admin"));
    assert!(out.contains("Trace ID: 11111111-2222-3333-4444-555555555555"));
}

#[test]
fn scan_of_code_free_text_succeeds_quietly() {
    let o = run_with_stdin(
        &["scan", "-", "--format", "json"],
        "nothing to see, AADB2C90118 is B2C\n",
    );
    assert!(o.status.success());
    let v = json(&o);
    assert_eq!(v["codes"], Value::Array(vec![]));
    assert!(v["trace_id"].is_null());
}

#[test]
fn scan_of_a_missing_file_is_an_error() {
    let o = run(&["scan", "/definitely/not/here.log"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("opening /definitely/not/here.log"));
}

#[test]
fn search_ranks_the_right_code_first() {
    let v = json(&run(&[
        "search", "client", "secret", "expired", "--format", "json",
    ]));
    let results = v["results"].as_array().unwrap();
    assert!(!results.is_empty() && results.len() <= 10);
    assert_eq!(results[0]["code"], 7000222);
    assert!(results[0]["score"].as_f64().unwrap() > 0.0);
}

#[test]
fn check_passes_on_the_shipped_knowledge() {
    let o = run(&["check"]);
    assert!(
        o.status.success(),
        "{}{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn check_reports_file_line_col_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("500xx.toml"),
        "[[error]]\ncode = 50076\ntitle = \"t\"\nseverity = \"severe\"\ncategory = \"mfa\"\nmeaning = \"m\"\ncauses = [\"c\"]\nfixes = [\"User: do this thing.\"]\nsource = \"learn\"\n",
    )
    .unwrap();
    let o = run(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let expected = format!(
        "{}:4:12: unknown variant `severe`",
        dir.path().join("500xx.toml").display()
    );
    assert!(out.starts_with(&expected), "{out}");
}

#[test]
fn check_against_the_reference_table() {
    let reference =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/aadsts-codes.tsv");
    if !reference.exists() {
        // The table lives beside the repo; without it there is nothing to compare.
        return;
    }
    let o = run(&["check", "--reference", reference.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("0 reference code(s) missing"));
}

#[test]
fn stats_show_counts_and_thin_entries() {
    let v = json(&run(&["stats", "--format", "json"]));
    assert!(v["entries"].as_u64().unwrap() >= 600);
    assert!(v["severity"]["high"].as_u64().unwrap() > 0);
    assert!(v["category"]["mfa"].as_u64().unwrap() > 0);
    assert_eq!(v["thinnest"].as_array().unwrap().len(), 10);
}

#[test]
fn console_shows_the_reply_the_bot_would_send() {
    let o = run_with_stdin(&["console"], "AADSTS50058 silent sign-in\n\nno code here\n");
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("The bot would reply with 1 code:"), "{out}");
    assert!(
        out.contains("AADSTS50058 · UserInformationNotProvided"),
        "{out}"
    );
    assert!(out.contains("No AADSTS code found in that text"), "{out}");
}

#[test]
fn without_a_token_the_default_command_is_the_console() {
    let o = run_with_stdin(&[], "AADSTS50076\n");
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("DISCORD_TOKEN is not set"));
    assert!(stdout(&o).contains("AADSTS50076 · UserStrongAuthClientAuthNRequired"));
}

#[test]
fn a_broken_setting_is_named() {
    let o = bin()
        .env("DEV_GUILD_ID", "not-a-number")
        .arg("lookup")
        .arg("50076")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("invalid DEV_GUILD_ID"));
}

const ONE_ENTRY: &str = "[[error]]\ncode = 50076\nname = \"UserStrongAuthClientAuthNRequired\"\ntitle = \"MFA needed\"\nseverity = \"medium\"\ncategory = \"mfa\"\nmeaning = \"A second factor is needed.\"\ncauses = [\"A policy asks for it.\"]\nfixes = [\"User: complete the MFA prompt.\"]\nsource = \"learn\"\n";

#[test]
fn check_with_several_reference_files_and_the_markdown_table() {
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    std::fs::create_dir(&kb).unwrap();
    std::fs::write(kb.join("500xx.toml"), ONE_ENTRY).unwrap();
    let table = dir.path().join("table.tsv");
    std::fs::write(
        &table,
        "code\tname\tsummary\tsource\n50076\tUserStrongAuthClientAuthNRequired\tx\tentra-docs\n",
    )
    .unwrap();
    let lookup = dir.path().join("lookup.tsv");
    std::fs::write(
        &lookup,
        "code\tmessage\tremediation\n0\tplaceholder\t\n50076\tx\t\n90002\ty\t\n",
    )
    .unwrap();
    let md = dir.path().join("reference-error-codes.md");
    std::fs::write(
        &md,
        "| Error | Description |\n|---|---|\n| AADSTS50076 | UserStrongAuthNewName - text |\n| AADSTS50079 | UserStrongAuthEnrollmentRequired - text |\n",
    )
    .unwrap();
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let o = run(&[
        "check",
        &path(&kb),
        "--reference",
        &path(&table),
        &path(&lookup),
        "--reference",
        &path(&md),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        out.contains("reference-error-codes.md:4:1: AADSTS50079 has no entry"),
        "{out}"
    );
    assert!(
        out.contains("new codes (no entry yet): 1 AADSTS50079"),
        "{out}"
    );
    assert!(
        out.contains(
            "AADSTS50076: \"UserStrongAuthClientAuthNRequired\" -> \"UserStrongAuthNewName\""
        ),
        "{out}"
    );
    assert!(
        err.contains(
            "coverage: Microsoft's table: 1/2; live lookup list: 1/2; all references: 1/3"
        ),
        "{err}"
    );
    assert!(err.contains("1 reference code(s) missing"), "{err}");

    let o = run(&[
        "stats",
        &path(&kb),
        "--reference",
        &path(&table),
        "--format",
        "json",
    ]);
    let v = json(&o);
    assert_eq!(v["source"]["lookup"], 0);
    assert_eq!(v["coverage"]["table"]["covered"], 1);
}

#[test]
fn check_names_a_missing_or_empty_folder() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["check", dir.path().to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("has no *.toml file"));
    let missing = dir.path().join("nowhere");
    let o = run(&["check", missing.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("nowhere") && err.contains("KNOWLEDGE_DIR"),
        "{err}"
    );
}

#[test]
fn check_reports_a_syntax_error_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("500xx.toml"), "[[error]]\ncode = = 1\n").unwrap();
    let pointing = ONE_ENTRY
        .replace("50076", "50176")
        .replace("source = ", "related = [50001, 50002, 50003]\nsource = ");
    std::fs::write(dir.path().join("501xx.toml"), pointing).unwrap();
    let o = run(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("1 problem(s) (1 syntax)"));
}
