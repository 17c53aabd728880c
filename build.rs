//! Purpose: build script. Puts the git commit into `AADSTS_GIT_COMMIT` for
//! `--version` ("unknown" when git or the repository isn't there, e.g. in a
//! source tarball or a Docker build without `.git`).

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

fn main() {
    let commit = std::env::var("AADSTS_GIT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git(&["rev-parse", "--short", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=AADSTS_GIT_COMMIT={commit}");
    println!("cargo:rerun-if-env-changed=AADSTS_GIT_COMMIT");
    // Rebuild when HEAD moves: HEAD itself, the branch it names, packed refs.
    // `--git-path` resolves these for worktrees too.
    for path in ["HEAD", "packed-refs"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={}", PathBuf::from(p).display());
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(p) = git(&["rev-parse", "--git-path", &branch]) {
            println!("cargo:rerun-if-changed={}", PathBuf::from(p).display());
        }
    }
    if git(&["rev-parse", "--git-dir"]).is_none() {
        // No repository: nothing to watch; don't rerun on every file change.
        println!("cargo:rerun-if-changed=build.rs");
    }
}
