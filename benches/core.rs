//! Benchmarks of the core: scanning a large code-free chat log (against
//! `memchr::memmem` for the literal and the `regex` crate), the hot path of
//! a two-code message with a warm cache (with p50/p99 printed), loading
//! the whole knowledge base, and search (p50/p99 over admin-style queries),
//! each on the shipped base and on a synthetic ~1,500-entry base (the shipped
//! entries plus renumbered copies). Results go to BENCHMARKS.md.
//!
//! `cargo bench --bench core` (add `-- scan` etc. to pick a group).
//! `cargo bench --bench core -- fuzz_10m` runs only the long robustness run:
//! ten million generated inputs through the detector, the secret guard and
//! the markdown escaper (one in ten also through the knowledge parser),
//! counting panics.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use aadsts_bot::{detect, markdown, Engine, Knowledge};
use criterion::{Criterion, Throughput};

/// A deterministic chat log without codes: words, ids, near-misses such as
/// `AADB2C90118`, `ADSTS`, `aad sts`, URLs and JSON.
fn chat_log(size: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "the",
        "user",
        "cannot",
        "sign",
        "in",
        "to",
        "Teams",
        "after",
        "password",
        "reset",
        "admin",
        "said",
        "check",
        "Conditional",
        "Access",
        "policy",
        "AADB2C90118",
        "ADSTS",
        "aad",
        "sts",
        "tenant",
        "consent",
        "redirect",
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=abc",
        "{\"error\":\"x\"}",
        "MSIS7012",
        "CAA20004",
        "0x80070005",
        "Azure",
        "AD",
        "Entra",
        "token",
        "expired",
        "again",
        "thanks!",
        "did",
        "you",
        "restart",
        "the",
        "VPN?",
        "DSTS",
        "sts.windows.net",
        "hmm",
        "ok",
        "works",
        "now",
        "🙂",
    ];
    let mut out = Vec::with_capacity(size + 64);
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    while out.len() < size {
        // xorshift: cheap, deterministic word choice.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(WORDS[(x % WORDS.len() as u64) as usize].as_bytes());
        out.push(if x.is_multiple_of(11) { b'\n' } else { b' ' });
    }
    out.truncate(size);
    out
}

fn knowledge_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"))
}

fn scan(c: &mut Criterion) {
    let log = chat_log(64 << 20);
    let mut g = c.benchmark_group("scan_64MiB_code_free");
    g.throughput(Throughput::Bytes(log.len() as u64));
    g.sample_size(20);
    g.bench_function("aadsts_find_codes", |b| {
        b.iter(|| detect::find_codes(black_box(&log)))
    });
    let prefix = regex::bytes::Regex::new(r"(?i-u)aadsts").unwrap();
    g.bench_function("regex_prefix_only", |b| {
        b.iter(|| prefix.find_iter(black_box(&log)).count())
    });
    g.bench_function("aadsts_detect", |b| {
        b.iter(|| detect::detect(black_box(&log)))
    });
    // What stripping invisible characters first would add: one more pass
    // for their UTF-8 lead bytes (U+200B.. and U+2060.. start with E2, U+FEFF
    // with EF, U+00AD with C2).
    g.bench_function("memchr3_invisible_lead_bytes", |b| {
        b.iter(|| memchr::memchr3_iter(0xE2, 0xEF, 0xC2, black_box(&log)).count())
    });
    let finder = memchr::memmem::Finder::new(b"AADSTS");
    g.bench_function("memchr_memmem_literal", |b| {
        b.iter(|| finder.find_iter(black_box(&log)).count())
    });
    let re = regex::bytes::Regex::new(r"(?i)aadsts\d+").unwrap();
    g.bench_function("regex_case_insensitive", |b| {
        b.iter(|| re.find_iter(black_box(&log)).count())
    });
    g.finish();
}

const MESSAGE: &str = "Hi all, after the secret rotation our daemon gets this from the token endpoint:\n\
    {\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret provided.\\r\\n\
    Trace ID: 0b3f6e4a-1111-2222-3333-444455556666\\r\\nCorrelation ID: 9a8b7c6d-aaaa-bbbb-cccc-ddddeeeeffff\\r\\n\
    Timestamp: 2024-05-01 10:20:30Z\"} and the users see AADSTS50076 in the browser. Any idea?";

fn hot_path(c: &mut Criterion, engine: &Engine) {
    assert!(engine.reply_to_text(MESSAGE.as_bytes()).is_some());
    c.bench_function("hot_path_two_codes_warm", |b| {
        b.iter(|| engine.reply_to_text(black_box(MESSAGE.as_bytes())))
    });
}

/// Criterion reports means; the target is a tail latency, so time single calls.
fn hot_path_percentiles(engine: &Engine) {
    let mut samples: Vec<Duration> = Vec::with_capacity(200_000);
    for _ in 0..10_000 {
        black_box(engine.reply_to_text(MESSAGE.as_bytes()));
    }
    for _ in 0..200_000 {
        let t = Instant::now();
        black_box(engine.reply_to_text(black_box(MESSAGE.as_bytes())));
        samples.push(t.elapsed());
    }
    samples.sort_unstable();
    let p = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "hot_path_two_codes_warm percentiles over {} calls: p50 {:.2?}  p99 {:.2?}  p99.9 {:.2?}  max {:.2?}",
        samples.len(),
        p(0.50),
        p(0.99),
        p(0.999),
        samples[samples.len() - 1]
    );
}

fn load(c: &mut Criterion) {
    let mut g = c.benchmark_group("knowledge");
    g.sample_size(20);
    g.bench_function("load_and_validate_all", |b| {
        b.iter(|| Knowledge::load(knowledge_dir(), None).expect("knowledge loads"))
    });
    g.bench_function("load_validate_and_index_all", |b| {
        b.iter(|| {
            let k = Knowledge::load(knowledge_dir(), None).expect("knowledge loads");
            k.prepare_search();
            k
        })
    });
    let k = Knowledge::load(knowledge_dir(), None).expect("knowledge loads");
    g.bench_function("search_client_secret_expired", |b| {
        b.iter(|| k.search(black_box("client secret expired"), 10).len())
    });
    g.bench_function("search_autocomplete_prefix", |b| {
        b.iter(|| k.search(black_box("conditional acc"), 25).len())
    });
    g.bench_function("search_typo", |b| {
        b.iter(|| k.search(black_box("authorizaton code expird"), 10).len())
    });
    g.bench_function("search_jargon_and_compound", |b| {
        b.iter(|| k.search(black_box("kmsi keepmesignedin"), 10).len())
    });
    g.finish();
}

/// The next xorshift64* value.
fn step(x: &mut u64) -> u64 {
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32
}

/// Pieces the generated inputs are made of: code parts, separators,
/// escapes, invisible characters, credential parts, markdown, TOML syntax.
const PIECES: &[&str] = &[
    "AADSTS",
    "aadsts",
    "AaDsTs",
    "AADST",
    "0",
    "1",
    "5",
    "9",
    "50076",
    "7000215",
    "123456789",
    " ",
    "-",
    "_",
    "%",
    "%20",
    "%3a",
    "\\n",
    "\\u0022",
    "\n",
    ":",
    "=",
    "\"",
    "'",
    "&",
    "?",
    ";",
    "x",
    "é",
    "\u{200b}",
    "\u{00ad}",
    "\u{feff}",
    "\u{202e}",
    "\u{17f}",
    "Trace ID: ",
    "Request Id: ",
    "0b3f6e4a-1111-2222-3333-444455556666",
    "Timestamp: 2024-05-01 10:20:30Z",
    "password",
    "pwd",
    "client_secret",
    "refresh_token",
    "AccountKey",
    "sig",
    "sv",
    "0.A",
    "eyJ",
    "Authorization: Bearer ",
    "-----BEGIN PRIVATE KEY-----",
    "Zm9vYmFyYmF6",
    "@everyone",
    "<@1>",
    "```",
    "*",
    "|",
    "[x](https://a.example)",
    "https://",
    "#",
    ">",
    "[[error]]\n",
    "code = ",
    "title = ",
    "\"\"\"",
    "'''",
    "[",
    "]",
    "{",
    "}",
];

/// `inputs` generated inputs through detect, find_secrets and
/// markdown::escape, one in ten also through the knowledge parser;
/// reports inputs, seconds and panics.
fn fuzz(inputs: u64) {
    std::panic::set_hook(Box::new(|_| {}));
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let (mut panics, mut with_codes, mut with_secrets, mut parsed) = (0u64, 0u64, 0u64, 0u64);
    let start = Instant::now();
    for i in 0..inputs {
        buf.clear();
        let len = step(&mut x) % 120;
        if i.is_multiple_of(3) {
            // Any bytes at all.
            buf.extend((0..len * 3).map(|_| step(&mut x) as u8));
        } else {
            for _ in 0..len {
                buf.extend_from_slice(PIECES[step(&mut x) as usize % PIECES.len()].as_bytes());
            }
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let d = detect::detect(black_box(&buf));
            let secrets = detect::find_secrets(&buf);
            let text = String::from_utf8_lossy(&buf);
            black_box(markdown::escape(&text));
            let knowledge =
                (i % 10 == 1).then(|| Knowledge::from_sources(&[("x.toml", &text)], None).is_ok());
            (!d.codes.is_empty(), !secrets.is_empty(), knowledge)
        }));
        match outcome {
            Ok((codes, secrets, knowledge)) => {
                with_codes += u64::from(codes);
                with_secrets += u64::from(secrets);
                parsed += u64::from(knowledge.is_some());
            }
            Err(_) => panics += 1,
        }
    }
    let _ = std::panic::take_hook();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "fuzz_10m: {inputs} inputs ({parsed} also through the knowledge parser) in {secs:.1} s \
         ({:.2} µs each); {with_codes} with codes, {with_secrets} with secrets; panics={panics}",
        secs * 1e6 / inputs as f64
    );
    assert_eq!(panics, 0, "some inputs panicked");
}

/// Queries as support members type them: words, jargon, typos, words run
/// together, prefixes while typing, codes.
const QUERIES: &[&str] = &[
    "client secret expired",
    "conditional acc",
    "keep me signed in",
    "kmsi",
    "sspr registration",
    "prt invalid",
    "whfb key not registered",
    "obo wrong tenant",
    "pkce verifier mismatch",
    "tenant not found",
    "wrong tenant",
    "keepmesignedin",
    "clientsecret expired",
    "pasword expired",
    "condtional access",
    "authorizaton code expired",
    "certifcate thumbprint",
    "user not assigned to app",
    "redirect uri",
    "admin consent",
    "AADSTS7000",
    "UserStrongAuthClientAuthNRequired",
    "pass through agent",
    "b2b guest",
];

/// The shipped files plus copies of their entries under new codes in
/// `synthetic.toml`, until the base holds about `target` entries.
fn synthetic_base(target: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut blocks = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(knowledge_dir())
        .expect("knowledge dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("knowledge file");
        std::fs::write(dir.path().join(path.file_name().expect("name")), &text).expect("copy");
        blocks.extend(text.split("[[error]]\n").skip(1).map(str::to_owned));
    }
    let extra = target.saturating_sub(blocks.len());
    let mut out = String::new();
    for (i, block) in blocks.iter().cycle().take(extra).enumerate() {
        let (first, rest) = block.split_once('\n').expect("code line");
        assert!(first.starts_with("code = "), "{first}");
        out.push_str(&format!("[[error]]\ncode = {}\n{rest}", 900_000_000 + i));
    }
    std::fs::write(dir.path().join("synthetic.toml"), out).expect("synthetic file");
    dir
}

fn load_synthetic(c: &mut Criterion, dir: &Path) {
    let mut g = c.benchmark_group("knowledge_1500");
    g.sample_size(20);
    g.bench_function("load_and_validate_all", |b| {
        b.iter(|| Knowledge::load(dir, None).expect("synthetic knowledge loads"))
    });
    g.finish();
}

/// Single search calls over [`QUERIES`], timed one by one.
fn search_percentiles(label: &str, k: &Knowledge) {
    k.prepare_search();
    let mut samples: Vec<Duration> = Vec::with_capacity(QUERIES.len() * 4000);
    for q in QUERIES.iter().cycle().take(QUERIES.len() * 200) {
        black_box(k.search(q, 10));
    }
    for q in QUERIES.iter().cycle().take(QUERIES.len() * 4000) {
        let t = Instant::now();
        black_box(k.search(black_box(q), 10));
        samples.push(t.elapsed());
    }
    samples.sort_unstable();
    let p = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "search percentiles, {label} ({} entries), {} calls over {} queries: p50 {:.2?}  p99 {:.2?}  p99.9 {:.2?}  max {:.2?}",
        k.len(),
        samples.len(),
        QUERIES.len(),
        p(0.50),
        p(0.99),
        p(0.999),
        samples[samples.len() - 1]
    );
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if filter.iter().any(|f| f == "fuzz_10m") {
        fuzz(10_000_000);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let engine = Engine::new(Knowledge::load(knowledge_dir(), None).expect("knowledge loads"));
    let synthetic = synthetic_base(1_500);
    scan(&mut c);
    hot_path(&mut c, &engine);
    load(&mut c);
    load_synthetic(&mut c, synthetic.path());
    c.final_summary();
    if filter.is_empty()
        || filter
            .iter()
            .any(|f| "hot_path_two_codes_warm".contains(f.as_str()))
    {
        hot_path_percentiles(&engine);
    }
    if filter.is_empty()
        || filter
            .iter()
            .any(|f| "knowledge_search".contains(f.as_str()))
    {
        search_percentiles("shipped base", &engine.knowledge());
        let big = Knowledge::load(synthetic.path(), None).expect("synthetic knowledge loads");
        search_percentiles("synthetic base", &big);
    }
}
