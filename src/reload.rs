//! Purpose: hot reload. Watches the knowledge folder (and the local notes
//! file) and swaps in the new knowledge when the files change and still
//! validate; a broken edit is logged and the last good knowledge stays.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use crate::engine::Engine;
use crate::knowledge::Knowledge;

/// Reloads that failed validation since start (for /metrics).
static FAILURES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many hot reloads were refused (the last good knowledge stayed).
pub fn failures() -> u64 {
    FAILURES.load(std::sync::atomic::Ordering::Relaxed)
}

/// Quiet time after the last change before reloading (editors write in bursts).
const SETTLE: Duration = Duration::from_millis(300);

/// Loads the knowledge again and, if it is valid, serves it. Returns the
/// number of entries now served, or the load error (nothing is swapped).
pub fn reload(
    dir: &Path,
    notes: Option<&Path>,
    engine: &Engine,
) -> Result<usize, crate::knowledge::LoadError> {
    let knowledge = Knowledge::load(dir, notes)?;
    knowledge.prepare_search();
    let entries = knowledge.len();
    engine.replace(knowledge);
    Ok(entries)
}

/// Starts a background thread that reloads on change. Failing to watch is
/// logged, not fatal: the bot keeps serving what it loaded.
///
/// The folder's parent is watched too, so a deploy that replaces the whole
/// folder (a git checkout, a renamed directory, a swapped symlink) is seen:
/// each change re-arms the watch on whatever the path names now.
pub fn watch(dir: PathBuf, notes: Option<PathBuf>, engine: Arc<Engine>) {
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    let (tx, rx) = mpsc::channel();
    let relevant = {
        let dir = dir.clone();
        let notes = notes.clone();
        move |path: &Path| {
            path.starts_with(&dir) || notes.as_deref().is_some_and(|n| path.ends_with(n))
        }
    };
    let mut watcher =
        match notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Ok(e) = event {
                if !e.kind.is_access() && e.paths.iter().any(|p| relevant(p)) {
                    let _ = tx.send(());
                }
            }
        }) {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!("hot reload off: {e}");
                return;
            }
        };
    let mut targets = vec![dir.clone()];
    targets.extend(dir.parent().map(Path::to_path_buf));
    targets.extend(notes.clone());
    for target in &targets {
        if let Err(e) = watcher.watch(target, RecursiveMode::NonRecursive) {
            tracing::warn!(path = %target.display(), "hot reload cannot watch: {e}");
        }
    }
    std::thread::spawn(move || {
        while rx.recv().is_ok() {
            while rx.recv_timeout(SETTLE).is_ok() {}
            // The folder may be a new one now: watch what the path names.
            let _ = watcher.unwatch(&dir);
            if let Err(e) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
                tracing::warn!(path = %dir.display(), "hot reload cannot watch: {e}");
            }
            match reload(&dir, notes.as_deref(), &engine) {
                Ok(entries) => tracing::info!(
                    entries,
                    version = engine.knowledge().version(),
                    "knowledge reloaded"
                ),
                Err(e) => {
                    FAILURES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::error!("knowledge not reloaded, keeping the last good one: {e}")
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AadstsCode;

    const ENTRY: &str = "[[error]]\ncode = 50076\ntitle = \"TITLE\"\nseverity = \"medium\"\ncategory = \"mfa\"\nmeaning = \"m\"\ncauses = [\"c\"]\nfixes = [\"User: complete MFA now.\"]\nsource = \"learn\"\n";

    #[test]
    fn reload_swaps_good_knowledge_and_keeps_it_on_bad() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("500xx.toml");
        std::fs::write(&file, ENTRY.replace("TITLE", "first")).unwrap();
        let engine = Engine::new(Knowledge::load(dir.path(), None).unwrap());
        let code = AadstsCode::new(50076).unwrap();
        let host = "login.microsoftonline.com";
        assert!(engine.explain(code, host).description.contains("first"));

        std::fs::write(&file, ENTRY.replace("TITLE", "second")).unwrap();
        assert_eq!(reload(dir.path(), None, &engine).unwrap(), 1);
        assert!(engine.explain(code, host).description.contains("second"));

        std::fs::write(&file, "[[error]]\ncode = \"oops\"\n").unwrap();
        assert!(reload(dir.path(), None, &engine).is_err());
        assert!(engine.explain(code, host).description.contains("second"));
    }
}
