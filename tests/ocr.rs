//! Screenshots of Microsoft's sign-in error pages, drawn by `screens`, read
//! through the library (`Ocr` + `screen::detect`) and through the built
//! binary's `scan IMAGE`; plus crafted images that must get a bounded,
//! polite answer. OCR tests print a skip notice and pass when Tesseract or
//! the DejaVu font is missing, except under `CI=true`, where they fail.

mod screens;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;

use aadsts_bot::ocr::{self, Ocr, OcrConfig, OcrError};
use aadsts_bot::screen;
use serde_json::Value;

use screens::{Page, Spec};

/// True when Tesseract and the font are installed; otherwise prints why the
/// test is skipped, or fails under `CI=true`.
/// The library's settings with a timeout for a shared, loaded machine.
fn config() -> OcrConfig {
    OcrConfig {
        timeout: std::time::Duration::from_secs(120),
        ..OcrConfig::default()
    }
}

fn ocr_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    let ready = *READY
        .get_or_init(|| Ocr::new(OcrConfig::default()).available() && screens::font_available());
    if !ready {
        let why =
            "tesseract (tesseract-ocr, tesseract-ocr-eng) or fonts-dejavu-core is not installed";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: {why}"
        );
        eprintln!("skipping OCR test: {why}");
    }
    ready
}

/// The image set, drawn once per test binary.
fn images() -> &'static [(Spec, Vec<u8>)] {
    static IMAGES: OnceLock<Vec<(Spec, Vec<u8>)>> = OnceLock::new();
    IMAGES.get_or_init(|| {
        screens::image_set()
            .into_iter()
            .map(|s| (s, screens::render(&s)))
            .collect()
    })
}

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aadsts-bot"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DISCORD_TOKEN")
        .env_remove("KNOWLEDGE_NOTES")
        .env(
            "KNOWLEDGE_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
        );
    cmd
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("temp file written");
    path
}

fn scan(path: &Path, json: bool) -> Output {
    let mut cmd = bin();
    // A shared, loaded CI machine can be slow; the limit itself is tested
    // in the library's unit tests.
    cmd.arg("scan").arg(path).args(["--ocr-timeout", "120"]);
    if json {
        cmd.args(["--format", "json"]);
    }
    cmd.output().expect("binary runs")
}

#[tokio::test]
async fn library_reads_every_screenshot() {
    if !ocr_ready() {
        return;
    }
    let ocr = Ocr::new(config());
    let (mut codes_ok, mut trace_ok, mut correlation_ok) = (0, 0, 0);
    let mut misses = Vec::new();
    for (spec, bytes) in images() {
        let started = Instant::now();
        let text = ocr.read(bytes.clone()).await.expect("screenshot is read");
        let took = started.elapsed();
        let d = screen::detect(&text);
        let found: Vec<u32> = d.codes.iter().map(|f| f.code.number()).collect();
        let trace = d.context.trace_id.as_deref() == Some(screens::REQUEST_ID);
        let correlation = d.context.correlation_id.as_deref() == Some(screens::CORRELATION_ID);
        eprintln!(
            "{:<40} codes {found:?} request id {} correlation id {} ({} ms)",
            spec.name(),
            if trace { "ok" } else { "missed" },
            if correlation { "ok" } else { "missed" },
            took.as_millis()
        );
        if found == [spec.page.code()] {
            codes_ok += 1;
        } else {
            misses.push(spec.name());
        }
        trace_ok += usize::from(trace);
        correlation_ok += usize::from(correlation);
    }
    let n = images().len();
    eprintln!(
        "accuracy: codes {codes_ok}/{n}, request id {trace_ok}/{n}, correlation id {correlation_ok}/{n}"
    );
    assert!(misses.is_empty(), "codes missed in {misses:?}");
    assert!(
        trace_ok * 4 >= n * 3,
        "request id read in only {trace_ok}/{n}"
    );
    let c = ocr.counters();
    assert_eq!((c.read, c.failed, c.skipped_timeout), (n as u64, 0, 0));
}

#[test]
fn binary_scans_every_screenshot() {
    if !ocr_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    for (spec, bytes) in images() {
        let path = write(
            dir.path(),
            &format!("{}.{}", spec.name(), spec.extension()),
            bytes,
        );
        let out = scan(&path, true);
        assert!(out.status.success(), "{}: {out:?}", spec.name());
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON output");
        assert_eq!(v["source"], "image", "{}", spec.name());
        let codes: Vec<u64> = v["codes"]
            .as_array()
            .expect("codes array")
            .iter()
            .map(|c| c["code"].as_u64().expect("code number"))
            .collect();
        assert_eq!(codes, [u64::from(spec.page.code())], "{}", spec.name());
    }
}

#[test]
fn binary_answers_an_image_like_text_and_says_so() {
    if !ocr_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (spec, bytes) = images()
        .iter()
        .find(|(s, _)| matches!(s.page, Page::Blocked(53003)))
        .expect("a block page in the set");
    // Named .txt: recognised by its magic bytes, not its name.
    let path = write(dir.path(), "screenshot.txt", bytes);
    let out = scan(&path, false);
    assert!(out.status.success(), "{}: {out:?}", spec.name());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(aadsts_bot::text::READ_FROM_IMAGE),
        "{stdout}"
    );
    assert!(stdout.contains("AADSTS53003"), "{stdout}");
    assert!(
        stdout.contains(screens::REQUEST_ID),
        "the trace id is shown: {stdout}"
    );
}

#[tokio::test]
async fn an_image_without_text_reads_as_nothing() {
    if !ocr_ready() {
        return;
    }
    let ocr = Ocr::new(config());
    let text = ocr.read(screens::blank()).await.expect("blank is read");
    assert!(screen::detect(&text).codes.is_empty());
}

/// CRC-32 (PNG's), to craft chunk headers that pass the decoder's check.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A 45-byte PNG that claims `width` x `height` RGB pixels and holds none.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    png.extend_from_slice(&0u32.to_be_bytes());
    png.extend_from_slice(b"IEND");
    png.extend_from_slice(&crc32(b"IEND").to_be_bytes());
    png
}

/// Pseudo-random bytes (xorshift), the same on every run.
fn noise(n: usize) -> Vec<u8> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn truncated_png() -> Vec<u8> {
    let img = image::GrayImage::from_pixel(400, 300, image::Luma([200]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("PNG encodes");
    let mut bytes = out.into_inner();
    bytes.truncate(bytes.len() / 2);
    bytes
}

#[test]
fn crafted_images_are_refused_before_decoding() {
    let opts = ocr::Prepare::default();
    let started = Instant::now();
    assert_eq!(
        ocr::prepare(&png_claiming(100_000, 100_000), &opts),
        Err(OcrError::TooManyPixels {
            width: 100_000,
            height: 100_000
        })
    );
    assert_eq!(
        ocr::prepare(&truncated_png(), &opts),
        Err(OcrError::Undecodable)
    );
    assert_eq!(ocr::prepare(&noise(4096), &opts), Err(OcrError::NotAnImage));
    // Within the pixel limit but holding no data: refused, not allocated.
    assert_eq!(
        ocr::prepare(&png_claiming(6000, 6000), &opts),
        Err(OcrError::Undecodable)
    );
    let mut big = png_claiming(10, 10);
    big.resize(ocr::MAX_BYTES + 1, 0);
    assert_eq!(
        ocr::prepare(&big, &opts),
        Err(OcrError::TooLarge {
            bytes: ocr::MAX_BYTES as u64 + 1
        })
    );
    assert!(started.elapsed().as_secs() < 5, "refusals are cheap");
}

#[test]
fn binary_refuses_crafted_images_politely() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        (
            "huge.png",
            png_claiming(100_000, 100_000),
            OcrError::TooManyPixels {
                width: 0,
                height: 0,
            },
        ),
        ("cut.png", truncated_png(), OcrError::Undecodable),
        ("random.png", noise(4096), OcrError::NotAnImage),
    ];
    let ready = Ocr::new(OcrConfig::default()).available();
    for (name, bytes, error) in cases {
        let out = scan(&write(dir.path(), name, &bytes), false);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        let expected = if ready {
            aadsts_bot::text::ocr_refused(&error)
        } else {
            aadsts_bot::text::ocr_refused(&OcrError::Unavailable)
        };
        // Without Tesseract a warning log line comes first; the answer is the last line.
        assert_eq!(
            stderr.trim().lines().last(),
            Some(expected),
            "{name}: {stderr}"
        );
    }
}
