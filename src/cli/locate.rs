//! Purpose: find the knowledge folder when run from anywhere. `--knowledge
//! DIR` and then `KNOWLEDGE_DIR` win; otherwise the first folder that
//! exists of `./knowledge`, `<exe dir>/knowledge`,
//! `<exe dir>/../share/aadsts-bot/knowledge` and the source checkout the
//! binary was built from. When none exists, the error names every path
//! tried and both ways to choose one.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aadsts_bot::text;

/// The checkout the binary was built from (`cargo run`, tests).
const BUILT_FROM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge");

/// Where the knowledge folder came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Origin {
    /// `--knowledge DIR`.
    Flag,
    /// `KNOWLEDGE_DIR` (or `.env`).
    Env,
    /// The first of the usual places that exists.
    Found,
    /// None of these exists (they are listed for the hint).
    NotFound(Vec<PathBuf>),
}

/// The chosen folder and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Located {
    /// The folder to load.
    pub dir: PathBuf,
    /// How it was chosen.
    pub origin: Origin,
}

/// The choice made for this process, kept for [`missing_hint`].
static CHOSEN: OnceLock<Located> = OnceLock::new();

/// Chooses the knowledge folder for this process.
pub(super) fn knowledge_dir(flag: Option<PathBuf>, env_dir: &Path) -> PathBuf {
    let env = std::env::var_os("KNOWLEDGE_DIR")
        .filter(|v| !v.to_string_lossy().trim().is_empty())
        .map(|_| env_dir.to_path_buf());
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let cwd = std::env::current_dir().unwrap_or_default();
    let located = choose(
        flag,
        env,
        &cwd,
        exe_dir.as_deref(),
        Path::new(BUILT_FROM),
        |p| p.is_dir(),
    );
    let dir = located.dir.clone();
    let _ = CHOSEN.set(located);
    dir
}

/// The choice from its inputs; `exists` says whether a folder is there.
pub(super) fn choose(
    flag: Option<PathBuf>,
    env: Option<PathBuf>,
    cwd: &Path,
    exe_dir: Option<&Path>,
    built_from: &Path,
    exists: impl Fn(&Path) -> bool,
) -> Located {
    if let Some(dir) = flag {
        return Located {
            dir,
            origin: Origin::Flag,
        };
    }
    if let Some(dir) = env {
        return Located {
            dir,
            origin: Origin::Env,
        };
    }
    let mut tried = vec![cwd.join("knowledge")];
    if let Some(exe) = exe_dir {
        tried.push(exe.join("knowledge"));
        tried.push(exe.join("../share/aadsts-bot/knowledge"));
    }
    tried.push(built_from.to_path_buf());
    match tried.iter().position(|p| exists(p)) {
        // The working directory's folder stays relative: shorter messages.
        Some(0) => Located {
            dir: PathBuf::from("knowledge"),
            origin: Origin::Found,
        },
        Some(i) => Located {
            dir: tried.swap_remove(i),
            origin: Origin::Found,
        },
        None => Located {
            dir: PathBuf::from("knowledge"),
            origin: Origin::NotFound(tried),
        },
    }
}

/// The error for a knowledge folder `dir` that does not exist, saying
/// where it came from (or every place tried).
pub(super) fn missing_hint(dir: &Path) -> String {
    let show = |p: &Path| p.display().to_string();
    match CHOSEN.get() {
        Some(l) if l.dir == dir => hint_for(l),
        _ => text::knowledge_dir_missing(&show(dir), "the command line"),
    }
}

fn hint_for(located: &Located) -> String {
    let dir = located.dir.display().to_string();
    match &located.origin {
        Origin::Flag => text::knowledge_dir_missing(&dir, "--knowledge"),
        Origin::Env => text::knowledge_dir_missing(&dir, "KNOWLEDGE_DIR"),
        Origin::Found => text::knowledge_dir_missing(&dir, "the usual places"),
        Origin::NotFound(tried) => text::knowledge_not_found(
            &tried
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(existing: &[&str], flag: Option<&str>, env: Option<&str>) -> Located {
        choose(
            flag.map(PathBuf::from),
            env.map(PathBuf::from),
            Path::new("/work/here"),
            Some(Path::new("/opt/app/bin")),
            Path::new("/src/aadsts-bot/knowledge"),
            |p| existing.iter().any(|e| Path::new(e) == p),
        )
    }

    #[test]
    fn flag_then_env_win_even_when_missing() {
        let l = pick(&["/work/here/knowledge"], Some("/k1"), Some("/k2"));
        assert_eq!((l.dir, l.origin), (PathBuf::from("/k1"), Origin::Flag));
        let l = pick(&["/work/here/knowledge"], None, Some("/k2"));
        assert_eq!((l.dir, l.origin), (PathBuf::from("/k2"), Origin::Env));
    }

    #[test]
    fn the_first_existing_place_in_order() {
        let all = [
            "/work/here/knowledge",
            "/opt/app/bin/knowledge",
            "/opt/app/bin/../share/aadsts-bot/knowledge",
            "/src/aadsts-bot/knowledge",
        ];
        assert_eq!(pick(&all, None, None).dir, PathBuf::from("knowledge"));
        assert_eq!(pick(&all[1..], None, None).dir, PathBuf::from(all[1]));
        assert_eq!(pick(&all[2..], None, None).dir, PathBuf::from(all[2]));
        assert_eq!(pick(&all[3..], None, None).dir, PathBuf::from(all[3]));
    }

    #[test]
    fn nothing_found_names_every_path_and_both_settings() {
        let l = pick(&[], None, None);
        let hint = hint_for(&l);
        for part in [
            "/work/here/knowledge",
            "/opt/app/bin/knowledge",
            "/opt/app/bin/../share/aadsts-bot/knowledge",
            "/src/aadsts-bot/knowledge",
            "--knowledge DIR",
            "KNOWLEDGE_DIR",
        ] {
            assert!(hint.contains(part), "{part} missing in {hint}");
        }
        assert!(hint_for(&pick(&[], None, Some("/k2"))).contains("/k2 (from KNOWLEDGE_DIR)"));
    }
}
