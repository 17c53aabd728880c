//! Purpose: how fast and how lean reading a screenshot is, and which image
//! preparation helps Tesseract (a plain harness: criterion has no p95).
//!
//! Run on one core, as the bot's budget assumes:
//! `taskset -c 0 cargo bench --bench ocr` (needs tesseract-ocr,
//! tesseract-ocr-eng and fonts-dejavu-core). It prints:
//! 1. latency of `Ocr::read` + `screen::detect` on a 1920x1080 sign-in
//!    error screenshot and on a 1920x1080 picture with no text (p50/p95/max);
//! 2. the same through the release binary, `aadsts-bot scan IMAGE`;
//! 3. peak RSS: of our process alone (a fresh copy of this bench reading one
//!    image, `VmHWM`), and of the Tesseract subprocess (`/usr/bin/time`);
//! 4. with `-- --variants`: accuracy and cost of each preparation variant
//!    over the test image set.
//!
//! Results go in BENCHMARKS.md.

#[path = "../tests/screens/mod.rs"]
mod screens;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aadsts_bot::ocr::{self, Ocr, OcrConfig, Prepare};
use aadsts_bot::screen;

const RUNS: usize = 10;

/// The defaults, with a timeout long enough for a loaded machine (the
/// bench measures; the limit is tested elsewhere).
fn config() -> OcrConfig {
    OcrConfig {
        timeout: Duration::from_secs(300),
        ..OcrConfig::default()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    // The bot's runtime: one thread.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime starts")
}

fn percentiles(mut v: Vec<Duration>) -> String {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
    format!(
        "p50 {:>5} ms  p95 {:>5} ms  max {:>5} ms  (n={})",
        at(0.50).as_millis(),
        at(0.95).as_millis(),
        at(1.0).as_millis(),
        v.len()
    )
}

/// CPU time used so far by this process and its waited-for children
/// (Tesseract), from `/proc/self/stat` (clock ticks, 100 per second). On a
/// shared, loaded machine this is what one idle core would take.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_comm = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    // Fields 14-17 of stat(5): utime stime cutime cstime; after the comm
    // field the state is field 3, so they are at indexes 11..15 here.
    let ticks: u64 = after_comm
        .split_whitespace()
        .skip(11)
        .take(4)
        .filter_map(|n| n.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// `--rss FILE`: read one image in this fresh process; print our peak RSS.
fn rss_mode(file: &Path) {
    let bytes = std::fs::read(file).expect("image file");
    let ocr = Ocr::new(config());
    let text = runtime().block_on(ocr.read(bytes)).expect("image is read");
    let codes = screen::detect(&text).codes.len();
    println!("{} {codes}", vm_hwm_kib());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--rss") {
        rss_mode(Path::new(&args[i + 1]));
        return;
    }
    let ocr = Ocr::new(config());
    if !ocr.available() || !screens::font_available() {
        eprintln!("skipped: install tesseract-ocr, tesseract-ocr-eng and fonts-dejavu-core");
        return;
    }
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ocr-bench");
    std::fs::create_dir_all(&out).expect("bench dir");
    let shot = screens::render(&screens::bench_screenshot());
    let blank = screens::blank();
    let shot_file = out.join("screen-1920x1080.png");
    let blank_file = out.join("blank-1920x1080.png");
    std::fs::write(&shot_file, &shot).expect("write");
    std::fs::write(&blank_file, &blank).expect("write");
    let rt = runtime();

    println!("== library: Ocr::read + screen::detect (current-thread runtime)");
    for (name, bytes) in [
        ("screenshot 1920x1080", &shot),
        ("no text 1920x1080", &blank),
    ] {
        let times: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                let text = rt.block_on(ocr.read(bytes.clone())).expect("read");
                let _ = screen::detect(&text);
                t.elapsed()
            })
            .collect();
        println!("{name:<22} {}", percentiles(times));
    }

    println!("== binary: aadsts-bot scan IMAGE (process start to exit)");
    let bin = env!("CARGO_BIN_EXE_aadsts-bot");
    for (name, file) in [
        ("screenshot 1920x1080", &shot_file),
        ("no text 1920x1080", &blank_file),
    ] {
        let times: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                let status = Command::new(bin)
                    .arg("scan")
                    .arg(file)
                    .env(
                        "KNOWLEDGE_DIR",
                        concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"),
                    )
                    .stdout(std::process::Stdio::null())
                    .status()
                    .expect("binary runs");
                assert!(status.success());
                t.elapsed()
            })
            .collect();
        println!("{name:<22} {}", percentiles(times));
    }

    println!("== peak RSS");
    let me = std::env::current_exe().expect("bench path");
    for (name, file) in [
        ("screenshot 1920x1080", &shot_file),
        ("no text 1920x1080", &blank_file),
    ] {
        let o = Command::new(&me)
            .arg("--rss")
            .arg(file)
            .output()
            .expect("bench runs");
        let kib: u64 = String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        println!(
            "{name:<22} our process (VmHWM)   {:>6.1} MiB",
            kib as f64 / 1024.0
        );
    }
    let pgm = ocr::prepare(&shot, &Prepare::default())
        .expect("prepared")
        .expect("has ink");
    let pgm_file = out.join("screen.pgm");
    std::fs::write(&pgm_file, &pgm).expect("write");
    if Path::new("/usr/bin/time").exists() {
        let o = Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg("tesseract")
            .arg(&pgm_file)
            .args(["stdout", "-l", "eng", "--psm", "3"])
            .env("OMP_THREAD_LIMIT", "1")
            .output()
            .expect("tesseract runs");
        let kib: f64 = String::from_utf8_lossy(&o.stderr)
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0.0);
        println!(
            "{:<22} tesseract subprocess  {:>6.1} MiB",
            "screenshot 1920x1080",
            kib / 1024.0
        );
    }

    println!(
        "== preparation variants over the image set (codes right / request ids right / time; codes by plain detect::detect)"
    );
    let images: Vec<(screens::Spec, Vec<u8>)> = screens::image_set()
        .into_iter()
        .map(|s| (s, screens::render(&s)))
        .collect();
    let base = config();
    let variants: Vec<(&str, OcrConfig)> = vec![
        (
            "default (psm 3, crop, invert, 2x below 1000 px)",
            base.clone(),
        ),
        (
            "no crop",
            OcrConfig {
                prepare: Prepare {
                    crop: false,
                    ..base.prepare
                },
                ..base.clone()
            },
        ),
        (
            "no invert",
            OcrConfig {
                prepare: Prepare {
                    invert_dark: false,
                    ..base.prepare
                },
                ..base.clone()
            },
        ),
        (
            "no upscale",
            OcrConfig {
                prepare: Prepare {
                    upscale_below: 0,
                    ..base.prepare
                },
                ..base.clone()
            },
        ),
        (
            "always 2x",
            OcrConfig {
                prepare: Prepare {
                    upscale_below: u32::MAX,
                    ..base.prepare
                },
                ..base.clone()
            },
        ),
        (
            "binarise (Otsu)",
            OcrConfig {
                prepare: Prepare {
                    binarise: true,
                    ..base.prepare
                },
                ..base.clone()
            },
        ),
        (
            "psm 6",
            OcrConfig {
                psm: 6,
                ..base.clone()
            },
        ),
        (
            "psm 11",
            OcrConfig {
                psm: 11,
                ..base.clone()
            },
        ),
    ];
    for (name, config) in variants {
        let ocr = Ocr::new(config);
        let (mut codes, mut ids, mut plain) = (0, 0, 0);
        let (t, c) = (Instant::now(), cpu_time());
        for (spec, bytes) in &images {
            let text = rt.block_on(ocr.read(bytes.clone())).unwrap_or_default();
            // Typed-text rules only (no screen.rs repairs), for comparison.
            let p = aadsts_bot::detect::detect(text.as_bytes());
            if p.codes.len() == 1 && p.codes[0].code.number() == spec.page.code() {
                plain += 1;
            }
            let d = screen::detect(&text);
            if d.codes.len() == 1 && d.codes[0].code.number() == spec.page.code() {
                codes += 1;
            }
            if d.context.trace_id.as_deref() == Some(screens::REQUEST_ID) {
                ids += 1;
            }
        }
        println!(
            "{name:<50} {codes:>2}/{n}  {ids:>2}/{n}  wall {:>6} ms  cpu {:>6} ms  (plain detect: {plain}/{n} codes)",
            t.elapsed().as_millis(),
            cpu_time().saturating_sub(c).as_millis(),
            n = images.len()
        );
    }
}
