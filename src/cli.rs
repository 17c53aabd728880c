//! Purpose: the command line: `run` (bot or console), `lookup`, `scan`,
//! `search`, `check`, `stats` and `console`, all over the same engine the
//! bot uses.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{json, Value};

use aadsts_bot::detect::{self, Detection};
use aadsts_bot::knowledge::{reference, Entry, Knowledge, LoadError, ProblemKind};
use aadsts_bot::{live, ocr, render, screen, terminal, text, AadstsCode, Engine};
use console::console;

use crate::config::Config;

mod console;
mod locate;
mod query;
mod usage;

/// `println!` that returns write errors (a closed pipe, as in `| head`)
/// instead of panicking; `main` treats a broken pipe as a normal end.
macro_rules! outln {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)?
    };
}

/// `print!` counterpart of [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {
        write!(std::io::stdout().lock(), $($arg)*)?
    };
}

/// Explain Microsoft Entra ID (Azure AD) AADSTS sign-in error codes, in
/// Discord or in a terminal.
#[derive(Debug, Parser)]
#[command(name = "aadsts-bot", version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("AADSTS_GIT_COMMIT"), ")"), about)]
pub struct Cli {
    /// Folder of knowledge files [env: KNOWLEDGE_DIR; default: ./knowledge, else
    /// next to the executable, else the source checkout it was built from]
    #[arg(long, global = true)]
    knowledge: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Discord bot (or, without DISCORD_TOKEN, the console). The default.
    Run,
    /// Explain one code: `lookup 50076`, `lookup AADSTS50076` or an enum name.
    Lookup {
        /// The code as copied (`AADSTS50076:`, `'50076'`, `aadsts 50076`) or
        /// Microsoft's enum name in any case.
        #[arg(required = true, num_args = 1..)]
        code: Vec<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Find every code in a file (`-` for standard input) and explain each.
    /// A screenshot (PNG, JPEG, WebP) is read with OCR (Tesseract).
    Scan {
        /// The file to scan (text or image), or `-` for standard input.
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Longest Tesseract may take on an image, in seconds.
        #[arg(long, default_value_t = 10, value_name = "SECS")]
        ocr_timeout: u64,
    },
    /// Search the knowledge base by words: `search client secret expired`.
    Search {
        /// What to look for.
        #[arg(required = true)]
        words: Vec<String>,
        /// How many results at most.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Validate the knowledge base; problems as `file:line:col: message`.
    Check {
        /// Folder to check (default: the knowledge folder).
        dir: Option<PathBuf>,
        /// Also compare with reference files (repeat, or give several):
        /// aadsts-codes.tsv, aadsts-codes-added.tsv, community-codes.tsv,
        /// live-lookup-codes.tsv, or Microsoft's reference-error-codes.md.
        #[arg(long, num_args = 1.., action = clap::ArgAction::Append)]
        reference: Vec<PathBuf>,
        /// Also validate a local notes file.
        #[arg(long)]
        notes: Option<PathBuf>,
    },
    /// Counts by severity, category and source, and the thinnest entries.
    Stats {
        /// Folder to read (default: the knowledge folder).
        dir: Option<PathBuf>,
        /// Also show coverage of these reference files (as for `check`).
        #[arg(long, num_args = 1.., action = clap::ArgAction::Append)]
        reference: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Paste text and see the reply the bot would send.
    Console,
    /// `aadsts-bot 50076`: a code where a subcommand belongs (answered with a hint).
    #[command(external_subcommand)]
    External(Vec<String>),
    /// Codes seen over the last 7 and 30 days in every server (from
    /// DATABASE_URL), codes missing from the knowledge base first.
    Usage {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Exit 0 if the running bot's `/healthz` answers 200 (for Docker's HEALTHCHECK).
    Healthcheck {
        /// The URL to ask [default: http://METRICS_ADDR/healthz, 0.0.0.0 as 127.0.0.1].
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Runs the parsed command line.
pub fn run(cli: Cli, config: Config) -> anyhow::Result<ExitCode> {
    let dir = locate::knowledge_dir(cli.knowledge, &config.knowledge_dir);
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => run_default(config, &dir),
        Command::Lookup { code, format } => lookup(&load(&dir, &config)?, &code, format),
        Command::Scan {
            file,
            format,
            ocr_timeout,
        } => scan(&dir, &config, &file, format, ocr_timeout),
        Command::Search {
            words,
            limit,
            format,
        } => search(&load(&dir, &config)?, &words.join(" "), limit, format),
        Command::Check {
            dir: d,
            reference,
            notes,
        } => check(
            d.as_deref().unwrap_or(&dir),
            &reference,
            notes.as_deref().or(config.knowledge_notes.as_deref()),
        ),
        Command::Stats {
            dir: d,
            reference,
            format,
        } => stats(
            &load(d.as_deref().unwrap_or(&dir), &config)?,
            &reference,
            format,
        ),
        Command::Console => console(Engine::new(load(&dir, &config)?)),
        Command::External(args) => Ok(not_a_subcommand(&args)),
        Command::Usage { format } => usage::usage(
            &load(&dir, &config)?,
            &config.database_url,
            format == Format::Json,
        )
        .map(|()| ExitCode::SUCCESS),
        Command::Healthcheck { url } => healthcheck(url, &config),
    }
}

/// `healthcheck`: GET the health URL (3 s timeout); exit 0 on 200, 1 otherwise.
fn healthcheck(url: Option<String>, config: &Config) -> anyhow::Result<ExitCode> {
    let url = match (url, config.metrics_addr) {
        (Some(url), _) => url,
        (None, Some(mut addr)) => {
            if addr.ip().is_unspecified() {
                addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            format!("http://{addr}/healthz")
        }
        (None, None) => bail!("METRICS_ADDR is not set; pass --url"),
    };
    let status = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(3))
                .build()?
                .get(&url)
                .send()
                .await
                .map(|r| r.status())
        });
    match status {
        Ok(s) if s == reqwest::StatusCode::OK => Ok(ExitCode::SUCCESS),
        Ok(s) => {
            eprintln!("{url}: {s}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            eprintln!("{url}: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn load(dir: &Path, config: &Config) -> anyhow::Result<Knowledge> {
    if !dir.exists() {
        bail!(locate::missing_hint(dir));
    }
    Knowledge::load(dir, config.knowledge_notes.as_deref())
        .with_context(|| format!("loading knowledge from {}", dir.display()))
}

fn run_default(mut config: Config, dir: &Path) -> anyhow::Result<ExitCode> {
    // A service whose secret did not load must fail, not sit in a console.
    if config.discord_token.is_none() && !std::io::stdin().is_terminal() {
        bail!(text::NO_TOKEN_NOT_A_TERMINAL);
    }
    let knowledge = load(dir, &config)?;
    if config.discord_token.is_none() {
        eprintln!("{}", text::CONSOLE_NO_TOKEN);
        return console(Engine::new(knowledge));
    }
    // Hot reload watches the folder actually loaded.
    config.knowledge_dir = dir.to_path_buf();
    crate::bot::run(config, knowledge)
}

fn print_json(value: &Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// The JSON shape of one entry (documented in the README): the same keys
/// for known and unknown codes, `null` or `[]` where a value is absent.
fn entry_json(code: AadstsCode, entry: Option<&Entry>) -> Value {
    match entry {
        Some(e) => json!({
            "code": code.number(),
            "known": true,
            "name": e.name,
            "title": e.title,
            "severity": e.severity,
            "category": e.category,
            "meaning": e.meaning,
            "causes": e.causes,
            "fixes": e.fixes,
            "related": e.related.iter().map(|c| c.number()).collect::<Vec<_>>(),
            "links": e.links,
            "source": e.source,
            "notes": e.notes.iter().map(|n| &n.text).collect::<Vec<_>>(),
            "family": aadsts_bot::knowledge::family_of(code).map(|f| f.about),
        }),
        None => json!({
            "code": code.number(),
            "known": false,
            "name": null,
            "title": null,
            "severity": null,
            "category": null,
            "meaning": null,
            "causes": [],
            "fixes": [],
            "related": [],
            "links": [render::lookup_url(code, render::lookup_host(None))],
            "source": null,
            "notes": [],
            "family": aadsts_bot::knowledge::family_of(code).map(|f| f.about),
        }),
    }
}

fn lookup(knowledge: &Knowledge, words: &[String], format: Format) -> anyhow::Result<ExitCode> {
    let input = words.join(" ");
    let code = match query::parse(&input) {
        query::Query::Code(code) => code,
        query::Query::Name(name) => match knowledge.by_name(&name) {
            Some(e) => e.code,
            None => {
                let suggestion = query::nearest_name(knowledge, &name)
                    .or_else(|| knowledge.search(&name, 1).first().map(|h| h.entry))
                    .map(query::describe);
                eprintln!("{}", text::no_entry_for(&name, suggestion.as_deref()));
                return Ok(ExitCode::FAILURE);
            }
        },
    };
    // Microsoft's live lookup, for codes without an entry (when allowed).
    let live = match knowledge.get(code) {
        Some(_) => None,
        None => live_describe(code)?,
    };
    if knowledge.get(code).is_none() {
        let near: Vec<String> = query::nearest_codes(knowledge, code, 3)
            .into_iter()
            .filter_map(|c| knowledge.get(c))
            .map(query::describe)
            .collect();
        if !near.is_empty() {
            eprintln!("{}", text::nearest_codes(code, &near));
        }
    }
    match format {
        Format::Json => {
            let mut value = entry_json(code, knowledge.get(code));
            if let Value::Object(map) = &mut value {
                let entry = live
                    .as_ref()
                    .and_then(|l| l.as_ref().ok())
                    .and_then(Option::as_ref);
                map.insert(
                    "live".into(),
                    entry.map_or(
                        Value::Null,
                        |e| json!({"message": e.message, "remediation": e.remediation}),
                    ),
                );
            }
            print_json(&value)?
        }
        Format::Text => {
            let embed = render::explain_code(knowledge, code, render::lookup_host(None));
            let reply = render::ReplySpec {
                content: None,
                embeds: vec![embed],
            };
            out!(
                "{}",
                terminal::render(&reply, &terminal::Options::for_stdout())
            );
            match &live {
                None => {}
                Some(Ok(Some(entry))) => out!("{}", live::embed::terminal(entry)),
                Some(Ok(None)) => outln!("{}", text::LIVE_NOT_FOUND),
                Some(Err(_)) => outln!("{}", text::LIVE_UNAVAILABLE),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks Microsoft's live lookup about `code` on the public cloud, unless
/// `LIVE_LOOKUP=off` (`None` then). No database here: an in-memory cache.
fn live_describe(
    code: AadstsCode,
) -> anyhow::Result<Option<Result<Option<live::LiveEntry>, live::LiveError>>> {
    let config = live::LiveConfig::from_lookup(|k| std::env::var(k).ok())?;
    if !config.enabled {
        return Ok(None);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the live lookup")?;
    let lookup = live::LiveLookup::new(config, std::sync::Arc::new(live::MemoryCache::default()));
    let outcome = runtime.block_on(lookup.describe(code, render::lookup_host(None)));
    if let Err(e) = &outcome {
        tracing::debug!(code = code.number(), error = %e, "live lookup gave no answer");
    }
    Ok(Some(outcome))
}

/// The file's bytes: mapped, not copied, so a large log costs no allocation.
enum Input {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Input {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Input::Mapped(m) => m,
            Input::Owned(v) => v,
        }
    }
}

fn read_input(file: &Path) -> anyhow::Result<Input> {
    if file == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        return Ok(Input::Owned(buf));
    }
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let len = f
        .metadata()
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    if len == 0 || !f.metadata()?.is_file() {
        let mut buf = Vec::new();
        (&f).read_to_end(&mut buf)
            .with_context(|| format!("reading {}", file.display()))?;
        return Ok(Input::Owned(buf));
    }
    // SAFETY: the map is read-only and lives only for this command; a file
    // truncated underneath us by another process could fault, which is the
    // accepted trade-off of mapping (ripgrep makes the same choice).
    let map =
        unsafe { memmap2::Mmap::map(&f) }.with_context(|| format!("mapping {}", file.display()))?;
    Ok(Input::Mapped(map))
}

/// File names that promise an image; such a file is read as one even when
/// its bytes are not (and then refused politely).
fn image_name(file: &Path) -> bool {
    file.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["png", "jpg", "jpeg", "webp"].contains(&e.to_ascii_lowercase().as_str()))
}

/// Reads the text in an image with OCR, on a small runtime of its own.
fn read_image(bytes: Vec<u8>, timeout_secs: u64) -> anyhow::Result<Result<String, ocr::OcrError>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the OCR runtime")?;
    let ocr = ocr::Ocr::new(ocr::OcrConfig {
        timeout: std::time::Duration::from_secs(timeout_secs),
        ..ocr::OcrConfig::default()
    });
    Ok(runtime.block_on(ocr.read(bytes)))
}

fn scan(
    dir: &Path,
    config: &Config,
    file: &Path,
    format: Format,
    ocr_timeout: u64,
) -> anyhow::Result<ExitCode> {
    let input = read_input(file)?;
    // Images by their magic bytes (the name may say nothing): OCR, then the
    // rules for screenshot text instead of typed text.
    let from_image = ocr::sniff(&input).is_some() || image_name(file);
    let ocr_text;
    let (detection, input): (Detection, &[u8]) = if from_image {
        ocr_text = match read_image(input.to_vec(), ocr_timeout)? {
            Ok(text) => text,
            Err(e) => {
                tracing::debug!(error = %e, "image not read");
                eprintln!("{}", text::ocr_refused(&e));
                return Ok(ExitCode::from(2));
            }
        };
        (screen::detect(&ocr_text), ocr_text.as_bytes())
    } else {
        (detect::detect(&input), &input)
    };
    // Knowledge is only needed once a code is found.
    let knowledge = if detection.codes.is_empty() {
        Knowledge::default()
    } else {
        load(dir, config)?
    };
    match format {
        Format::Json => {
            let mut value = scan_json(&knowledge, &detection);
            value["source"] = json!(if from_image { "image" } else { "text" });
            print_json(&value)?
        }
        Format::Text => {
            if from_image {
                outln!("{}", text::READ_FROM_IMAGE);
            }
            if detection.codes.is_empty() {
                outln!("No AADSTS code found.");
            } else {
                // A terminal has room for every code, not just the bot's five.
                let engine = Engine::new(knowledge);
                let host = render::lookup_host(detection.context.host.as_deref());
                let reply = render::ReplySpec {
                    content: detect::has_secret(input).then(|| text::SECRET_WARNING.to_owned()),
                    embeds: detection
                        .codes
                        .iter()
                        .map(|f| render::EmbedSpec::clone(&engine.explain(f.code, host)))
                        .chain(render::details(&detection.context))
                        .collect(),
                };
                out!(
                    "{}",
                    terminal::render(&reply, &terminal::Options::for_stdout())
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn scan_json(knowledge: &Knowledge, detection: &Detection) -> Value {
    let codes: Vec<Value> = detection
        .codes
        .iter()
        .map(|f| {
            let e = knowledge.get(f.code);
            json!({
                "code": f.code.number(),
                "known": e.is_some(),
                "name": e.and_then(|e| e.name.clone()),
                "title": e.map(|e| e.title.clone()),
                "severity": e.map(|e| e.severity),
                "category": e.map(|e| e.category),
                "spans": f.spans.iter().map(|s| [s.start, s.end]).collect::<Vec<_>>(),
            })
        })
        .collect();
    let c = &detection.context;
    json!({
        "codes": codes,
        "trace_id": c.trace_id,
        "correlation_id": c.correlation_id,
        "timestamp": c.timestamp,
        "error": c.error,
        "host": c.host,
    })
}

fn search(
    knowledge: &Knowledge,
    query: &str,
    limit: usize,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let hits = knowledge.search(query, limit.clamp(1, 10));
    match format {
        Format::Json => {
            let results: Vec<Value> = hits
                .iter()
                .map(|h| {
                    json!({
                        "code": h.entry.code.number(),
                        "name": h.entry.name,
                        "title": h.entry.title,
                        "score": (h.score * 100.0).round() / 100.0,
                    })
                })
                .collect();
            print_json(&json!({ "results": results }))?;
        }
        Format::Text => {
            if hits.is_empty() {
                outln!("{}", text::NO_RESULTS);
            }
            for h in &hits {
                outln!("{:<15} {}", h.entry.code.to_string(), h.entry.title);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_references(paths: &[PathBuf]) -> anyhow::Result<Vec<reference::RefFile>> {
    paths
        .iter()
        .map(|p| reference::read(p).map_err(anyhow::Error::from))
        .collect()
}

fn check(
    dir: &Path,
    reference_files: &[PathBuf],
    notes: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let knowledge = match Knowledge::load(dir, notes) {
        Ok(k) => k,
        Err(LoadError::Invalid(problems)) => {
            for p in &problems {
                outln!("{p}");
            }
            eprintln!("{}", problem_summary(&problems));
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => bail!(e),
    };
    let files = read_references(reference_files)?;
    let report = (!files.is_empty()).then(|| reference::compare(&knowledge, &files));
    let problems = report.as_ref().map_or(&[][..], |r| &r.problems[..]);
    for p in problems {
        outln!("{p}");
    }
    if let Some(r) = &report {
        for d in &r.diffs {
            print_diff(d)?;
        }
        eprintln!("coverage: {}", r.coverage);
    }
    let missing = problems
        .iter()
        .filter(|p| p.kind == ProblemKind::MissingEntry)
        .count();
    eprintln!(
        "{} entries in {}, knowledge version {}; {}{}",
        knowledge.len(),
        dir.display(),
        knowledge.version(),
        problem_summary(problems),
        if report.is_some() {
            format!(", {missing} reference code(s) missing")
        } else {
            String::new()
        },
    );
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `3 problem(s) (2 duplicate, 1 limits)`.
fn problem_summary(problems: &[aadsts_bot::knowledge::Problem]) -> String {
    let mut by_kind: BTreeMap<ProblemKind, usize> = BTreeMap::new();
    for p in problems {
        *by_kind.entry(p.kind).or_default() += 1;
    }
    let kinds: Vec<String> = by_kind
        .iter()
        .map(|(k, n)| format!("{n} {}", k.as_str()))
        .collect();
    if kinds.is_empty() {
        "0 problem(s)".to_owned()
    } else {
        format!("{} problem(s) ({})", problems.len(), kinds.join(", "))
    }
}

/// The changes between Microsoft's markdown table and the knowledge base.
fn print_diff(d: &reference::MarkdownDiff) -> anyhow::Result<()> {
    let list = |codes: &[AadstsCode]| {
        codes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    outln!("diff against {}:", d.path.display());
    outln!(
        "  new codes (no entry yet): {} {}",
        d.new.len(),
        list(&d.new)
    );
    outln!(
        "  removed codes (source = \"learn\", no longer listed): {} {}",
        d.removed.len(),
        list(&d.removed)
    );
    outln!("  renamed enums: {}", d.renamed.len());
    for (code, ours, theirs) in &d.renamed {
        outln!("    {code}: {ours:?} -> {theirs:?}");
    }
    Ok(())
}

fn stats(
    knowledge: &Knowledge,
    reference_files: &[PathBuf],
    format: Format,
) -> anyhow::Result<ExitCode> {
    let files = read_references(reference_files)?;
    let coverage = (!files.is_empty()).then(|| reference::compare(knowledge, &files).coverage);
    let mut severity: BTreeMap<&str, usize> = BTreeMap::new();
    let mut category: BTreeMap<&str, usize> = BTreeMap::new();
    // Every source mark shows, even at zero.
    let mut source: BTreeMap<&str, usize> = [
        aadsts_bot::knowledge::Source::Learn,
        aadsts_bot::knowledge::Source::Community,
        aadsts_bot::knowledge::Source::Lookup,
    ]
    .into_iter()
    .map(|s| (s.as_str(), 0))
    .collect();
    for e in knowledge.entries() {
        *severity.entry(e.severity.as_str()).or_default() += 1;
        *category.entry(e.category.as_str()).or_default() += 1;
        *source.entry(e.source.as_str()).or_default() += 1;
    }
    let mut thin: Vec<&Entry> = knowledge.entries().iter().collect();
    thin.sort_by_key(|e| (e.causes.len() + e.fixes.len(), e.code));
    thin.truncate(10);
    match format {
        Format::Json => print_json(&json!({
            "entries": knowledge.len(),
            "version": knowledge.version(),
            "severity": severity,
            "category": category,
            "source": source,
            "coverage": coverage.as_ref().map(|c| json!({
                "table": c.table.map(|t| json!({"covered": t.covered, "total": t.total})),
                "all": {"covered": c.all.covered, "total": c.all.total},
                "text": c.to_string(),
            })),
            "thinnest": thin.iter().map(|e| json!({"code": e.code.number(), "causes": e.causes.len(), "fixes": e.fixes.len()})).collect::<Vec<_>>(),
        }))?,
        Format::Text => {
            outln!(
                "{} entries, knowledge version {}",
                knowledge.len(),
                knowledge.version()
            );
            for (title, map) in [
                ("By source", &source),
                ("By severity", &severity),
                ("By category", &category),
            ] {
                outln!("\n{title}:");
                for (k, v) in map {
                    outln!("  {k:<20} {v:>5}");
                }
            }
            if let Some(c) = &coverage {
                outln!("\nCoverage: {c}");
            }
            outln!("\nThinnest entries (fewest causes + fixes):");
            for e in thin {
                outln!(
                    "  {:<15} {} cause(s), {} fix(es)  {}",
                    e.code.to_string(),
                    e.causes.len(),
                    e.fixes.len(),
                    e.title
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `aadsts-bot 50076`: a hint to use `lookup`; other words get clap's own
/// error (with a similar subcommand when there is one). Exit status 2.
fn not_a_subcommand(args: &[String]) -> ExitCode {
    use clap::CommandFactory as _;
    let first = args.first().map_or("", String::as_str);
    let mut cmd = Cli::command();
    let message = match query::parse(first) {
        query::Query::Code(code) if first.chars().any(|c| c.is_ascii_digit()) => {
            text::code_as_subcommand(first, code.number())
        }
        _ => {
            let similar = cmd
                .get_subcommands()
                .map(|s| s.get_name().to_owned())
                .filter(|name| strsim::jaro(name, first) > 0.8)
                .max_by(|a, b| strsim::jaro(a, first).total_cmp(&strsim::jaro(b, first)));
            let mut m = format!("unrecognized subcommand {first:?}");
            if let Some(s) = similar {
                m.push_str(&format!("\n\n  tip: a similar subcommand exists: '{s}'"));
            }
            m
        }
    };
    let _ = cmd
        .error(clap::error::ErrorKind::InvalidSubcommand, message)
        .print();
    ExitCode::from(2)
}
