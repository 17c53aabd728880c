//! The built `aadsts-bot` binary, run as a user would: lookup, scan, search,
//! check, stats and the console, against the repository's knowledge base.
//!
//! Every run happens in a fresh temporary working directory outside the
//! repository, with an emptied environment and the knowledge folder given
//! as an absolute path: a developer's `.env` or shell settings never reach
//! these tests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Settings the binary reads; all are removed (with everything else) so a
/// test sees only what it sets.
const SETTINGS: &[&str] = &[
    "DISCORD_TOKEN",
    "DISCORD_API_URL",
    "DATABASE_URL",
    "DEV_GUILD_ID",
    "KNOWLEDGE_DIR",
    "KNOWLEDGE_NOTES",
    "HOT_RELOAD",
    "COOLDOWN_MINUTES",
    "METRICS_ADDR",
    "RUST_LOG",
    "LIVE_LOOKUP",
    "LIVE_LOOKUP_URL",
    "LIVE_LOOKUP_RATE",
    "NO_COLOR",
    "SHARDS",
];

/// The binary, ready to run in its own empty working directory (kept
/// alive as long as the command).
struct Bin {
    cmd: Command,
    cwd: tempfile::TempDir,
}

impl std::ops::Deref for Bin {
    type Target = Command;
    fn deref(&self) -> &Command {
        &self.cmd
    }
}

impl std::ops::DerefMut for Bin {
    fn deref_mut(&mut self) -> &mut Command {
        &mut self.cmd
    }
}

/// Removes every inherited setting from `cmd`, keeping only `PATH`.
fn scrub(cmd: &mut Command) -> &mut Command {
    for var in SETTINGS {
        cmd.env_remove(var);
    }
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

/// The binary without a knowledge folder set (for the resolution tests).
fn bare_bin_at(exe: &Path) -> Bin {
    let cwd = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(exe);
    // Never Microsoft's live page from tests (tests/live_cli.rs uses a fake).
    scrub(&mut cmd)
        .current_dir(cwd.path())
        .env("LIVE_LOOKUP", "off");
    Bin { cmd, cwd }
}

fn bare_bin() -> Bin {
    bare_bin_at(Path::new(env!("CARGO_BIN_EXE_aadsts-bot")))
}

/// The binary with the repository's knowledge folder.
fn bin() -> Bin {
    let mut b = bare_bin();
    b.env("KNOWLEDGE_DIR", knowledge_dir());
    b
}

fn knowledge_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn run_with_stdin(args: &[&str], input: &str) -> Output {
    feed(bin(), args, input)
}

fn feed(mut b: Bin, args: &[&str], input: &str) -> Output {
    let mut child = b
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

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
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
fn lookup_of_words_fails_with_a_suggestion() {
    let o = run(&["lookup", "redirect uri"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with("no entry for \"redirect uri\"; did you mean "),
        "{err}"
    );
}

#[test]
fn lookup_accepts_what_people_copy() {
    for args in [
        &["AADSTS50076:"][..],
        &["\"AADSTS50076\""],
        &["'50076'"],
        &["AADSTS50076."],
        &["aadsts 50076"],
        &["aadsts", "50076"],
        &["AADSTS-50076,"],
        &["UserStrongAuthClientAuthNRequired"],
        &["USERSTRONGAUTHCLIENTAUTHNREQUIRED"],
        &["\"userStrongAuthClientAuthNRequired\":"],
        &[
            "Error",
            "AADSTS50076:",
            "Due",
            "to",
            "a",
            "configuration",
            "change",
        ],
    ] {
        let o = bin()
            .arg("lookup")
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert_eq!(json(&o)["code"], 50076, "{args:?}");
    }
}

#[test]
fn a_misspelt_name_suggests_the_nearest_and_fails() {
    let o = run(&["lookup", "UserStrongAuthClientAuthNRequird"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "no entry for \"UserStrongAuthClientAuthNRequird\"; did you mean UserStrongAuthClientAuthNRequired (AADSTS50076)?\n"
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn an_unknown_code_names_known_codes_near_it() {
    // 5007 has no entry; codes starting with its digits do (AADSTS5007x).
    let o = run(&["lookup", "5007"]);
    assert!(o.status.success());
    let err = stderr(&o);
    assert!(
        err.starts_with("AADSTS5007 has no entry in the knowledge base; nearest known: "),
        "{err}"
    );
    assert!(err.contains("(AADSTS5007"), "{err}");
    assert!(stdout(&o).starts_with("AADSTS5007 · not in our knowledge base yet"));
}

#[test]
fn a_code_instead_of_a_subcommand_gets_a_hint() {
    for (arg, hint) in [
        ("50076", "run `aadsts-bot lookup 50076`"),
        ("AADSTS50076", "run `aadsts-bot lookup 50076`"),
        ("AADSTS50076:", "run `aadsts-bot lookup 50076`"),
    ] {
        let o = run(&[arg]);
        assert_eq!(o.status.code(), Some(2), "{arg}");
        let err = stderr(&o);
        assert!(err.contains(hint), "{arg}: {err}");
        assert_eq!(stdout(&o), "");
    }
    let o = run(&["lokup", "50076"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("a similar subcommand exists: 'lookup'"));
}

/// The keys README.md's "JSON shapes" lists for `lookup --format json`.
fn documented_lookup_keys() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("- `lookup --format json`: `{")
        .expect("README documents lookup's JSON");
    let shape = &readme[start..];
    let shape = &shape[..shape.find("}`").unwrap()];
    shape
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn lookup_json_has_the_same_documented_keys_for_known_and_unknown_codes() {
    let mut documented = documented_lookup_keys();
    documented.sort();
    assert!(documented.len() >= 14, "{documented:?}");
    let known = json(&run(&["lookup", "50076", "--format", "json"]));
    let unknown = json(&run(&["lookup", "53999", "--format", "json"]));
    assert_eq!(keys(&known), documented);
    assert_eq!(keys(&unknown), documented);
    for key in ["name", "title", "severity", "category", "meaning", "source"] {
        assert!(unknown[key].is_null(), "{key}");
        assert!(!known[key].is_null(), "{key}");
    }
    assert_eq!(unknown["notes"], Value::Array(vec![]));
    assert_eq!(unknown["causes"], Value::Array(vec![]));
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
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference");
    let (table, added) = (
        dir.join("aadsts-codes.tsv"),
        dir.join("aadsts-codes-added.tsv"),
    );
    if !table.exists() || !added.exists() {
        // The table lives beside the repo; without it there is nothing to compare.
        return;
    }
    let o = run(&[
        "check",
        "--reference",
        table.to_str().unwrap(),
        "--reference",
        added.to_str().unwrap(),
    ]);
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

#[test]
fn console_takes_a_whole_paste_with_blank_lines() {
    let input = "AADSTS50058 silent sign-in failed\n\nTrace ID: 11111111-2222-3333-4444-555555555555\n.\n\nno code here\n\n.\nquit\nAADSTS50076\n";
    let o = run_with_stdin(&["console"], input);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    // The blank line did not split the first paste: its ids are in its answer.
    let first = out.split("No AADSTS code found").next().unwrap();
    assert!(
        first.starts_with("The bot would reply with 1 code:\n"),
        "{out}"
    );
    assert!(
        first.contains("AADSTS50058 · UserInformationNotProvided"),
        "{out}"
    );
    assert!(
        first.contains("Trace ID: 11111111-2222-3333-4444-555555555555"),
        "{out}"
    );
    assert_eq!(
        out.matches("No AADSTS code found in that text").count(),
        1,
        "{out}"
    );
    // `quit` ended the session before the last paste.
    assert!(!out.contains("AADSTS50076"), "{out}");
    // Piped: no prompt anywhere, no escape codes; the intro went to stderr.
    assert!(
        !out.contains("Ctrl-D") && !stderr(&o).contains(">"),
        "{}",
        stderr(&o)
    );
    assert!(!out.contains('\x1b'));
    assert!(stderr(&o).contains("a line holding only `.` or with Ctrl-D"));
}

#[test]
fn console_answers_a_paste_ended_by_end_of_input() {
    let o = run_with_stdin(&["console"], "first line\n\nAADSTS50076 on the third");
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.starts_with("The bot would reply with 1 code:\n"),
        "{out}"
    );
    assert!(out.contains("AADSTS50076 · UserStrongAuthClientAuthNRequired"));
    let o = run_with_stdin(&["console"], "");
    assert!(o.status.success());
    assert_eq!(stdout(&o), "");
}

#[test]
fn console_uses_terminal_wording() {
    let codes = "AADSTS50076 AADSTS50079 AADSTS50058 AADSTS50126 AADSTS65001 AADSTS700016 client_secret=abcdefghijklmnopqrstuvwxyz0123456789ABCD\n";
    let o = run_with_stdin(&["console"], codes);
    let out = stdout(&o);
    assert!(out.contains("Also found: AADSTS700016."), "{out}");
    assert!(out.contains("aadsts-bot lookup CODE"), "{out}");
    for discord in [
        "/aadsts",
        "Dismiss",
        "explained above",
        "this channel",
        "**",
        "`",
        "](",
    ] {
        assert!(!out.contains(discord), "{discord:?} in\n{out}");
    }
}

#[test]
fn piped_output_is_whole_lines_without_colour() {
    let o = run(&["lookup", "50076"]);
    let out = stdout(&o);
    assert!(!out.contains('\x1b'), "{out:?}");
    // The meaning is one long line: not wrapped when piped.
    assert!(out.lines().any(|l| l.chars().count() > 120), "{out}");
    // Masked links are written as `label (url)`, each link once.
    let link_lines: Vec<&str> = out.lines().filter(|l| l.contains("https://")).collect();
    assert!(link_lines.iter().any(|l| l.contains(" (https://")), "{out}");
    for l in &link_lines {
        let url = &l[l.find("https://").unwrap()..];
        assert_eq!(
            out.matches(url.trim_end_matches(')')).count(),
            1,
            "{url} twice in\n{out}"
        );
    }
}

/// Runs the binary with `args` on a pseudo-terminal 60 columns wide
/// (util-linux `script`) with `env` set; `None` where `script` is missing.
fn on_a_terminal(args: &str, env: &[(&str, &str)]) -> Option<String> {
    typed_on_a_terminal(args, env, "")
}

/// [`on_a_terminal`], with `input` typed into the terminal.
fn typed_on_a_terminal(args: &str, env: &[(&str, &str)], input: &str) -> Option<String> {
    let cwd = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("script");
    scrub(&mut cmd)
        .current_dir(cwd.path())
        .env("KNOWLEDGE_DIR", knowledge_dir())
        .env("TERM", "xterm")
        .envs(env.iter().copied());
    let command = format!(
        "stty cols 60 rows 40; exec {} {args}",
        env!("CARGO_BIN_EXE_aadsts-bot")
    );
    let mut child = cmd
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(input.as_bytes()).ok()?;
    let o = child.wait_with_output().ok()?;
    o.status.success().then(|| stdout(&o).replace('\r', ""))
}

/// `line` without ANSI colour sequences.
fn strip_ansi(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn a_terminal_gets_colour_and_wrapping_unless_no_color() {
    let Some(coloured) = on_a_terminal("lookup 50076", &[]) else {
        eprintln!(
            "no `script` to make a pseudo-terminal; the terminal module's unit tests cover this"
        );
        return;
    };
    assert!(coloured.contains("\x1b["), "{coloured:?}");
    let mut wrapped = false;
    // A single word longer than the width (a link path) can't be wrapped.
    for line in coloured
        .lines()
        .filter(|l| !l.contains("https://") && strip_ansi(l).trim().contains(' '))
    {
        let visible = strip_ansi(line);
        let width = visible.trim_end().chars().count();
        assert!(width <= 60, "{visible:?}");
        wrapped |= width > 40;
    }
    assert!(wrapped, "{coloured}");
    let plain = on_a_terminal("lookup 50076", &[("NO_COLOR", "1")]).unwrap();
    assert!(!plain.contains('\x1b'), "{plain:?}");
    assert!(plain.contains("Likely causes"));
}

#[test]
fn console_on_a_terminal_prompts_between_answers() {
    let Some(out) = typed_on_a_terminal(
        "console",
        &[("NO_COLOR", "1")],
        "AADSTS50076\n\nmore\n.\nexit\n",
    ) else {
        return;
    };
    let prompt = "paste, then `.` or Ctrl-D > ";
    let answer = out
        .find("The bot would reply with 1 code:")
        .unwrap_or_else(|| panic!("{out}"));
    // A prompt before the paste and another after the answer, then `exit`.
    assert!(out[..answer].contains(prompt), "{out}");
    assert!(out[answer..].contains(prompt), "{out}");
    assert!(
        out.contains("AADSTS50076 · UserStrongAuthClientAuthNRequired"),
        "{out}"
    );
}

#[test]
fn without_a_token_and_without_a_terminal_run_fails_naming_the_token() {
    for args in [&[][..], &["run"]] {
        let o = bin().args(args).stdin(Stdio::null()).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains("DISCORD_TOKEN is not set"), "{err}");
        assert!(err.contains("aadsts-bot console"), "{err}");
        assert_eq!(stdout(&o), "");
    }
    // `console` still opens the console without a terminal.
    let o = run_with_stdin(&["console"], "AADSTS50076\n");
    assert!(o.status.success());
    assert!(stdout(&o).contains("AADSTS50076 · UserStrongAuthClientAuthNRequired"));
}

#[test]
fn without_a_token_on_a_terminal_run_opens_the_console() {
    // stdin from the pseudo-terminal (ended at once by `script`'s /dev/null input).
    let Some(out) = on_a_terminal("run", &[]) else {
        return;
    };
    assert!(
        out.contains("DISCORD_TOKEN is not set, so the bot is not connecting"),
        "{out}"
    );
    assert!(out.contains("aadsts-bot console:"), "{out}");
}

#[test]
fn tests_never_see_a_dotenv_or_the_shell_settings() {
    // A developer's `.env` (cp .env.example .env, token filled in) sits in
    // the repository, where cargo runs the tests. The binary runs elsewhere:
    let b = bin();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .canonicalize()
        .unwrap();
    let cwd = b.cwd.path().canonicalize().unwrap();
    assert!(!cwd.starts_with(&repo), "{cwd:?} is inside the repository");
    assert!(
        cwd.ancestors().all(|d| !d.join(".env").exists()),
        "a .env above {cwd:?} would be read"
    );
    // A token set in the test's own environment is removed too.
    let mut b = bin();
    b.env("DISCORD_TOKEN", "from-the-developers-shell");
    scrub(&mut b).env("KNOWLEDGE_DIR", knowledge_dir());
    let o = b.stdin(Stdio::null()).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("DISCORD_TOKEN is not set"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_binary_reads_a_dotenv_in_its_working_directory() {
    // A closed port: bind, note it, let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut b = bin();
    std::fs::write(
        b.cwd.path().join(".env"),
        format!("DISCORD_TOKEN=token-from-dotenv\nDISCORD_API_URL=http://127.0.0.1:{port}\nDATABASE_URL=sqlite::memory:\nHOT_RELOAD=false\n"),
    )
    .unwrap();
    let mut child = b
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // With the token from .env and no terminal it starts the bot, which
    // cannot reach Discord: a prompt non-zero exit, not a console.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the bot kept running without a reachable Discord");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert!(!status.success(), "{err}");
    assert!(!err.contains("DISCORD_TOKEN is not set"), "{err}");
    assert!(
        !err.contains("token-from-dotenv"),
        "the token was printed: {err}"
    );
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].contains(&format!(
            "cannot reach Discord's API at http://127.0.0.1:{port}"
        )),
        "{err}"
    );
    assert_eq!(stdout(&o), "");
}

/// A knowledge folder with one entry for 50076 titled `title`.
fn custom_knowledge(dir: &Path, title: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("500xx.toml"),
        format!("[[error]]\ncode = 50076\nname = \"UserStrongAuthClientAuthNRequired\"\ntitle = \"{title}\"\nseverity = \"medium\"\ncategory = \"mfa\"\nmeaning = \"A custom meaning for this test.\"\ncauses = [\"One cause.\", \"Another cause.\", \"A third cause.\"]\nfixes = [\"User: sign in again with MFA.\", \"Admin: check the policy.\", \"Developer: handle the claims challenge.\"]\nsource = \"learn\"\n"),
    )
    .unwrap();
}

fn title_of_50076(mut b: Bin) -> String {
    let o = b
        .args(["lookup", "50076", "--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    json(&o)["title"].as_str().unwrap().to_owned()
}

#[test]
fn knowledge_in_the_working_directory_wins() {
    let b = bare_bin();
    custom_knowledge(
        &b.cwd.path().join("knowledge"),
        "From the working directory",
    );
    assert_eq!(title_of_50076(b), "From the working directory");
}

#[test]
fn knowledge_is_found_from_any_directory() {
    // Nothing in the working directory: the checkout it was built from.
    let b = bare_bin();
    let expected = json(&run(&["lookup", "50076", "--format", "json"]))["title"].clone();
    assert_eq!(title_of_50076(b), expected.as_str().unwrap());
}

#[test]
fn knowledge_next_to_the_executable() {
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let bin_dir = root.path().join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let exe = bin_dir.join("aadsts-bot");
    let built = Path::new(env!("CARGO_BIN_EXE_aadsts-bot"));
    if std::fs::hard_link(built, &exe).is_err() {
        std::fs::copy(built, &exe).unwrap();
    }
    custom_knowledge(
        &root.path().join("share/aadsts-bot/knowledge"),
        "From share",
    );
    assert_eq!(title_of_50076(bare_bin_at(&exe)), "From share");
    custom_knowledge(&bin_dir.join("knowledge"), "Beside the binary");
    assert_eq!(title_of_50076(bare_bin_at(&exe)), "Beside the binary");
}

#[test]
fn a_missing_knowledge_folder_names_its_setting() {
    let o = bare_bin()
        .env("KNOWLEDGE_DIR", "/no/such/knowledge")
        .args(["lookup", "50076"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o)
            .contains("knowledge folder /no/such/knowledge (from KNOWLEDGE_DIR) does not exist"),
        "{}",
        stderr(&o)
    );
    let o = bin()
        .args(["--knowledge", "/no/such/dir", "lookup", "50076"])
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains("/no/such/dir (from --knowledge)"),
        "{}",
        stderr(&o)
    );
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
