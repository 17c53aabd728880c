//! Purpose: the [`OcrEngine`] that runs Debian's `tesseract` as a
//! subprocess: picture on standard input, text on standard output. A crash
//! on a crafted image ends only the child; dropping the future (the
//! service's timeout) kills it.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::{EngineFuture, OcrEngine, OcrError, MAX_TEXT};

/// Tesseract run as `tesseract stdin stdout -l eng --psm N`.
#[derive(Debug, Clone)]
pub struct Tesseract {
    program: PathBuf,
    psm: u8,
}

impl Tesseract {
    /// The engine for `program` (e.g. `tesseract`) with page segmentation
    /// mode `psm` (3: automatic; 6: one block; 11: sparse text).
    pub fn new(program: PathBuf, psm: u8) -> Tesseract {
        Tesseract { program, psm }
    }

    async fn run(&self, pgm: Vec<u8>) -> Result<String, OcrError> {
        let mut child = Command::new(&self.program)
            .args(["stdin", "stdout", "-l", "eng", "--psm"])
            .arg(self.psm.to_string())
            // One thread: the bot bounds its jobs itself, and OpenMP's
            // spinning threads only slow a shared core down.
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| OcrError::Failed(format!("starting tesseract: {e}")))?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| OcrError::Failed("no stdin pipe".into()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| OcrError::Failed("no stdout pipe".into()))?;
        let write = async move {
            // A child that exits early closes the pipe; its status says why.
            let _ = stdin.write_all(&pgm).await;
            drop(stdin);
        };
        let read = async move {
            let mut out = Vec::new();
            stdout
                .take(MAX_TEXT as u64 + 1)
                .read_to_end(&mut out)
                .await
                .map(|_| out)
        };
        let ((), out) = tokio::join!(write, read);
        let out = out.map_err(|e| OcrError::Failed(format!("reading tesseract output: {e}")))?;
        if out.len() > MAX_TEXT {
            // More text than any screenshot holds: stop it rather than wait.
            let _ = child.start_kill();
        }
        let status = child
            .wait()
            .await
            .map_err(|e| OcrError::Failed(format!("waiting for tesseract: {e}")))?;
        if !status.success() {
            return Err(OcrError::Failed(format!("tesseract exited with {status}")));
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

impl OcrEngine for Tesseract {
    fn available(&self) -> bool {
        std::process::Command::new(&self.program)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn recognise(&self, pgm: Vec<u8>) -> EngineFuture<'_> {
        Box::pin(self.run(pgm))
    }
}
