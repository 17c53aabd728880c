//! Purpose: read the text in a screenshot, with bounded work.
//!
//! Users post a screenshot of Microsoft's sign-in error page instead of its
//! text. [`Ocr`] prepares the picture in Rust ([`prepare()`]: limits checked
//! from the header, grayscale, dark themes inverted, small text upscaled)
//! and hands it to an [`OcrEngine`]: by default [`Tesseract`], run as a
//! subprocess with a hard timeout, so a crash or a hang on a crafted image
//! stays outside the bot. At most `jobs` images are read at once and at
//! most `queue` wait; the rest are skipped and counted in [`OcrCounters`].
//!
//! Turning the text into codes is [`crate::screen`]'s job.

mod prepare;
mod tesseract;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::Semaphore;

pub use prepare::{prepare, sniff, ImageKind, Prepare, MAX_BYTES, MAX_PIXELS};
pub use tesseract::Tesseract;

/// Most text kept from one image (a screenshot holds far less).
pub const MAX_TEXT: usize = 64 * 1024;

/// Why an image was not read. The `Display` text is for logs (it never
/// holds image content); users get the sentences in [`crate::text`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcrError {
    /// The file is larger than the byte limit.
    #[error("image of {bytes} bytes is over the limit")]
    TooLarge {
        /// The file's size.
        bytes: u64,
    },
    /// The header claims more pixels than the limit.
    #[error("image of {width}x{height} pixels is over the limit")]
    TooManyPixels {
        /// Claimed width.
        width: u32,
        /// Claimed height.
        height: u32,
    },
    /// Not PNG, JPEG or WebP by its magic bytes.
    #[error("not a PNG, JPEG or WebP image")]
    NotAnImage,
    /// Truncated, corrupt or over the decoder's allocation limit.
    #[error("image could not be decoded")]
    Undecodable,
    /// The OCR engine (Tesseract) is not installed.
    #[error("OCR engine not available")]
    Unavailable,
    /// Too many images already waiting.
    #[error("OCR queue full")]
    QueueFull,
    /// The engine took longer than the timeout and was stopped.
    #[error("OCR timed out")]
    Timeout,
    /// The engine failed (could not start, crashed, non-zero exit).
    #[error("OCR engine failed: {0}")]
    Failed(String),
}

/// What the engine returns: the text, or a reason for logs.
pub type EngineResult = Result<String, OcrError>;

/// A boxed future, so [`OcrEngine`] can be used as a trait object.
pub type EngineFuture<'a> = Pin<Box<dyn Future<Output = EngineResult> + Send + 'a>>;

/// Something that reads the text in a prepared picture (a binary PGM file).
/// Tests put a fake here; the service applies the timeout, so an engine
/// only has to stop its work when its future is dropped.
pub trait OcrEngine: Send + Sync + 'static {
    /// True when the engine can run at all (asked once per [`Ocr`]).
    fn available(&self) -> bool;
    /// Reads the text in `pgm`.
    fn recognise(&self, pgm: Vec<u8>) -> EngineFuture<'_>;
}

/// Settings for [`Ocr`].
#[derive(Debug, Clone, PartialEq)]
pub struct OcrConfig {
    /// The Tesseract program (default `tesseract`, found on `PATH`).
    pub program: PathBuf,
    /// Tesseract's page segmentation mode (`--psm`; default 3, measured).
    pub psm: u8,
    /// Images read at once (default 1).
    pub jobs: usize,
    /// Images that may wait for a free job (default 8); more are skipped.
    pub queue: usize,
    /// Longest one image may take in the engine (default 10 s).
    pub timeout: Duration,
    /// Limits and preparation steps.
    pub prepare: Prepare,
}

impl Default for OcrConfig {
    fn default() -> Self {
        OcrConfig {
            program: PathBuf::from("tesseract"),
            psm: 3,
            jobs: 1,
            queue: 8,
            timeout: Duration::from_secs(10),
            prepare: Prepare::default(),
        }
    }
}

/// Counts since start, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OcrCounters {
    /// Images read (text returned, possibly empty).
    pub read: u64,
    /// Images skipped because the engine ran past the timeout.
    pub skipped_timeout: u64,
    /// Images skipped because the queue was full.
    pub skipped_queue_full: u64,
    /// Images skipped because the engine is not installed.
    pub skipped_unavailable: u64,
    /// Images refused: too large, too many pixels, not an image, corrupt.
    pub rejected: u64,
    /// Images the engine failed on.
    pub failed: u64,
}

#[derive(Default)]
struct Counters {
    read: AtomicU64,
    skipped_timeout: AtomicU64,
    skipped_queue_full: AtomicU64,
    skipped_unavailable: AtomicU64,
    rejected: AtomicU64,
    failed: AtomicU64,
}

struct Inner {
    config: OcrConfig,
    engine: Box<dyn OcrEngine>,
    available: OnceLock<bool>,
    logged_unavailable: AtomicBool,
    jobs: Semaphore,
    /// Images admitted: running plus waiting.
    admitted: AtomicUsize,
    counters: Counters,
}

/// The OCR service: bounded, timed out, counted. Cheap to clone (shared).
#[derive(Clone)]
pub struct Ocr {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Ocr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ocr")
            .field("config", &self.inner.config)
            .field("counters", &self.counters())
            .finish_non_exhaustive()
    }
}

/// Gives back an admission slot when the read ends, however it ends.
struct Admitted<'a>(&'a AtomicUsize);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Ocr {
    /// The service over Tesseract (`config.program`, `config.psm`).
    pub fn new(config: OcrConfig) -> Ocr {
        let engine = Tesseract::new(config.program.clone(), config.psm);
        Ocr::with_engine(config, Box::new(engine))
    }

    /// The service over any engine (tests use a fake).
    pub fn with_engine(config: OcrConfig, engine: Box<dyn OcrEngine>) -> Ocr {
        let jobs = config.jobs.max(1);
        Ocr {
            inner: Arc::new(Inner {
                jobs: Semaphore::new(jobs),
                config: OcrConfig { jobs, ..config },
                engine,
                available: OnceLock::new(),
                logged_unavailable: AtomicBool::new(false),
                admitted: AtomicUsize::new(0),
                counters: Counters::default(),
            }),
        }
    }

    /// True when the engine can run. Checked once (for Tesseract: runs
    /// `tesseract --version`, a few milliseconds, blocking) and remembered;
    /// [`Ocr::read`] makes that first check on tokio's blocking pool.
    pub fn available(&self) -> bool {
        *self
            .inner
            .available
            .get_or_init(|| self.inner.engine.available())
    }

    /// The settings in use.
    pub fn config(&self) -> &OcrConfig {
        &self.inner.config
    }

    /// The counters so far.
    pub fn counters(&self) -> OcrCounters {
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        OcrCounters {
            read: get(&c.read),
            skipped_timeout: get(&c.skipped_timeout),
            skipped_queue_full: get(&c.skipped_queue_full),
            skipped_unavailable: get(&c.skipped_unavailable),
            rejected: get(&c.rejected),
            failed: get(&c.failed),
        }
    }

    /// Reads the text in an image file's bytes (PNG, JPEG or WebP).
    ///
    /// Waits for a free job when all are busy; fails at once with
    /// [`OcrError::QueueFull`] when `queue` images already wait. Decoding
    /// runs on tokio's blocking pool and the engine in a subprocess, so the
    /// calling runtime thread is never blocked. Needs a tokio runtime with
    /// the time driver (`enable_all`).
    pub async fn read(&self, bytes: Vec<u8>) -> Result<String, OcrError> {
        let inner = &*self.inner;
        let result = self.read_counted(bytes).await;
        let counter = match &result {
            Ok(_) => &inner.counters.read,
            Err(OcrError::Timeout) => &inner.counters.skipped_timeout,
            Err(OcrError::QueueFull) => &inner.counters.skipped_queue_full,
            Err(OcrError::Unavailable) => &inner.counters.skipped_unavailable,
            Err(OcrError::Failed(_)) => &inner.counters.failed,
            Err(_) => &inner.counters.rejected,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        match &result {
            Err(OcrError::Unavailable) => {
                if !inner.logged_unavailable.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        program = %inner.config.program.display(),
                        "OCR engine not found; images are skipped (install tesseract-ocr and tesseract-ocr-eng)"
                    );
                }
            }
            Err(e) => tracing::debug!(error = %e, "image not read"),
            Ok(text) => tracing::debug!(chars = text.len(), "image read"),
        }
        result
    }

    async fn read_counted(&self, bytes: Vec<u8>) -> Result<String, OcrError> {
        let inner = &*self.inner;
        let available = match inner.available.get() {
            Some(&known) => known,
            // The first check runs a subprocess: off the runtime thread.
            None => {
                let me = self.clone();
                tokio::task::spawn_blocking(move || me.available())
                    .await
                    .unwrap_or(false)
            }
        };
        if !available {
            return Err(OcrError::Unavailable);
        }
        let limit = inner.config.jobs + inner.config.queue;
        if inner.admitted.fetch_add(1, Ordering::AcqRel) >= limit {
            inner.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(OcrError::QueueFull);
        }
        let _admitted = Admitted(&inner.admitted);
        let _job = inner
            .jobs
            .acquire()
            .await
            .map_err(|_| OcrError::Failed("job semaphore closed".into()))?;
        let options = inner.config.prepare;
        let pgm = tokio::task::spawn_blocking(move || prepare(&bytes, &options))
            .await
            .map_err(|_| OcrError::Failed("image preparation panicked".into()))??;
        let Some(pgm) = pgm else {
            return Ok(String::new());
        };
        let text = tokio::time::timeout(inner.config.timeout, inner.engine.recognise(pgm))
            .await
            .map_err(|_| OcrError::Timeout)??;
        Ok(truncate(text, MAX_TEXT))
    }
}

/// Cuts `s` to at most `max` bytes at a character boundary.
fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// Answers with fixed text, or waits forever, or waits for a signal.
    struct Fake {
        available: bool,
        text: &'static str,
        hang: bool,
        gate: Option<Arc<Semaphore>>,
        started: Arc<AtomicUsize>,
    }

    impl Fake {
        fn text(text: &'static str) -> Fake {
            Fake {
                available: true,
                text,
                hang: false,
                gate: None,
                started: Arc::default(),
            }
        }
    }

    impl OcrEngine for Fake {
        fn available(&self) -> bool {
            self.available
        }
        fn recognise(&self, pgm: Vec<u8>) -> EngineFuture<'_> {
            Box::pin(async move {
                assert!(pgm.starts_with(b"P5\n"));
                self.started.fetch_add(1, Ordering::SeqCst);
                if self.hang {
                    std::future::pending::<()>().await;
                }
                if let Some(g) = &self.gate {
                    g.acquire().await.unwrap().forget();
                }
                Ok(self.text.to_owned())
            })
        }
    }

    /// A small picture with some ink on it.
    fn png() -> Vec<u8> {
        let mut img = image::GrayImage::from_pixel(64, 64, image::Luma([255]));
        for x in 10..50 {
            img.put_pixel(x, 30, image::Luma([0]));
        }
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[tokio::test]
    async fn reads_and_counts() {
        let ocr = Ocr::with_engine(OcrConfig::default(), Box::new(Fake::text("AADSTS50076")));
        assert!(ocr.available());
        assert_eq!(ocr.read(png()).await.unwrap(), "AADSTS50076");
        assert_eq!(ocr.counters().read, 1);
    }

    #[tokio::test]
    async fn rejects_non_images_without_running_the_engine() {
        let fake = Fake::text("x");
        let started = fake.started.clone();
        let ocr = Ocr::with_engine(OcrConfig::default(), Box::new(fake));
        assert_eq!(
            ocr.read(b"not an image".to_vec()).await,
            Err(OcrError::NotAnImage)
        );
        assert_eq!(started.load(Ordering::SeqCst), 0);
        assert_eq!(ocr.counters().rejected, 1);
    }

    #[tokio::test]
    async fn unavailable_engine_skips_and_counts() {
        let fake = Fake {
            available: false,
            ..Fake::text("x")
        };
        let ocr = Ocr::with_engine(OcrConfig::default(), Box::new(fake));
        assert!(!ocr.available());
        assert_eq!(ocr.read(png()).await, Err(OcrError::Unavailable));
        assert_eq!(ocr.read(png()).await, Err(OcrError::Unavailable));
        assert_eq!(ocr.counters().skipped_unavailable, 2);
    }

    #[tokio::test]
    async fn a_hanging_engine_times_out() {
        let fake = Fake {
            hang: true,
            ..Fake::text("x")
        };
        let config = OcrConfig {
            timeout: Duration::from_millis(50),
            ..OcrConfig::default()
        };
        let ocr = Ocr::with_engine(config, Box::new(fake));
        assert_eq!(ocr.read(png()).await, Err(OcrError::Timeout));
        assert_eq!(ocr.counters().skipped_timeout, 1);
    }

    #[tokio::test]
    async fn overflowing_the_queue_skips() {
        let gate = Arc::new(Semaphore::new(0));
        let fake = Fake {
            gate: Some(gate.clone()),
            ..Fake::text("ok")
        };
        let started = fake.started.clone();
        let config = OcrConfig {
            jobs: 1,
            queue: 2,
            ..OcrConfig::default()
        };
        let ocr = Ocr::with_engine(config, Box::new(fake));
        // One runs (held at the gate), two wait, the fourth is refused.
        let mut tasks = Vec::new();
        for _ in 0..3 {
            let o = ocr.clone();
            tasks.push(tokio::spawn(async move { o.read(png()).await }));
        }
        while started.load(Ordering::SeqCst) == 0 || ocr.inner.admitted.load(Ordering::SeqCst) < 3 {
            tokio::task::yield_now().await;
        }
        assert_eq!(ocr.read(png()).await, Err(OcrError::QueueFull));
        assert_eq!(started.load(Ordering::SeqCst), 1, "one job at a time");
        gate.add_permits(3);
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), "ok");
        }
        let c = ocr.counters();
        assert_eq!((c.read, c.skipped_queue_full), (3, 1));
        assert_eq!(ocr.inner.admitted.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn truncates_at_a_char_boundary() {
        assert_eq!(truncate("aé".into(), 2), "a");
        assert_eq!(truncate("abc".into(), 5), "abc");
    }
}
