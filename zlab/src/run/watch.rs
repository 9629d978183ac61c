//! `zlab watch [CHECK…]`: the checks run once, then again each time what they depend on
//! changes: a module's sources (its .rs, .c and .h files, Kbuild, Makefile), the check's own
//! checks/NAME.toml, or the project's kernel/ (config fragments, pins: every check, its kernel
//! rebuilt first). An editor's save is a burst of writes and renames; a round starts once the
//! project has been quiet for QUIET. inotify (the notify crate), not polling. Ctrl-C ends it as
//! it ends `zlab test`: every make and QEMU dies with zlab.

use crate::context::RunContext;
use crate::inputs::check::{self, Check};
use crate::run::runner;
use crate::{note, say};
use anyhow::{Context, Result};
use notify::{RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the project must be quiet after a change before the checks run.
const QUIET: Duration = Duration::from_millis(300);

/// The project's folders a check depends on.
const WATCHED: [&str; 3] = ["modules", "checks", "kernel"];

pub fn run(ctx: &RunContext, names: &[String], jobs: usize) -> Result<()> {
    let root = ctx.paths.project()?.root.clone();
    let (tx, changes) = mpsc::channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Only what changes a file: zlab's own reads of the checks and fragments are events too.
        let Some(event) = event.ok().filter(|e| e.kind.is_create() || e.kind.is_modify() || e.kind.is_remove()) else {
            return;
        };
        for path in event.paths {
            let _ = tx.send(path);
        }
    })
    .context("could not start watching files (inotify)")?;
    for folder in WATCHED.map(|f| root.join(f)).iter().filter(|dir| dir.is_dir()) {
        watcher.watch(folder, RecursiveMode::Recursive).with_context(|| format!("watching {}", folder.display()))?;
    }
    let (mut round, mut due) = (1, Due::Every);
    loop {
        run_round(ctx, names, &due, round, jobs);
        note!("zlab watch: watching modules/, checks/ and kernel/ of {} (Ctrl-C stops)", root.display());
        loop {
            let changed = next_change(&changes, &root)?;
            due = match due_for(&changed) {
                Some(due) => due,
                None => continue,
            };
            let shown: Vec<String> = changed.iter().map(|p| p.display().to_string()).collect();
            say!();
            say!("zlab watch: changed: {}", shown.join(", "));
            break;
        }
        round += 1;
    }
}

/// What a change makes due.
#[derive(Debug, PartialEq, Eq)]
enum Due {
    /// Every watched check (kernel/ changed, or the first round).
    Every,
    /// The checks that load one of these modules or are one of these check files.
    Some { modules: BTreeSet<String>, checks: BTreeSet<String> },
}

/// One round: the watched checks that are due, run as `zlab test` runs them, and a closing
/// line with the time it took. Nothing that goes wrong ends the watch.
fn run_round(ctx: &RunContext, names: &[String], due: &Due, round: u32, jobs: usize) {
    let started = Instant::now();
    let chosen = match due_checks(ctx, names, due) {
        Ok(chosen) => chosen,
        Err(e) => return say!("zlab watch: round {round}: {e:#}; fix it and save again"),
    };
    if chosen.is_empty() {
        return say!("zlab watch: round {round}: no watched check depends on that");
    }
    say!("zlab watch: round {round}: {}", chosen.join(", "));
    // A new context each round, so changed pins and fragments are read again.
    let outcomes = RunContext::new(ctx.env.clone(), ctx.paths.compiler, ctx.kernel.clone())
        .and_then(|fresh| fresh.with_rust(ctx.rust.as_ref().map(|r| r.series.as_str())))
        .and_then(|fresh| fresh.with_variant(ctx.variant.as_deref()))
        .map(|fresh| fresh.with_full_boot(ctx.full_boot))
        .and_then(|fresh| runner::run(&fresh, &chosen, 1, jobs));
    match outcomes {
        Ok(outcomes) => {
            let (tally, _) = runner::tally(&outcomes);
            say!("zlab watch: round {round}: {tally} in {:.1} s", started.elapsed().as_secs_f64());
        }
        Err(e) => say!("zlab watch: round {round}: {e:#}"),
    }
}

/// The watched checks (the named ones, else all of checks/ as it is now) that `due` names.
fn due_checks(ctx: &RunContext, names: &[String], due: &Due) -> Result<Vec<String>> {
    let all = check::load_dir(&ctx.paths.checks_dir()?)?;
    let watched: Vec<Check> = runner::pick(all, names)?;
    let is_due = |c: &Check| match due {
        Due::Every => true,
        Due::Some { modules, checks } => checks.contains(&c.name) || c.modules.iter().any(|m| modules.contains(m)),
    };
    Ok(watched.iter().filter(|c| is_due(c)).map(|c| c.name.clone()).collect())
}

/// The project's changed files (relative to it) once a relevant change has come and the
/// project has been quiet for QUIET since.
fn next_change(changes: &mpsc::Receiver<PathBuf>, root: &Path) -> Result<BTreeSet<PathBuf>> {
    let mut changed = BTreeSet::new();
    loop {
        let path = if changed.is_empty() {
            changes.recv().context("the file watcher stopped")?
        } else {
            match changes.recv_timeout(QUIET) {
                Ok(path) => path,
                Err(mpsc::RecvTimeoutError::Timeout) => return Ok(changed),
                Err(mpsc::RecvTimeoutError::Disconnected) => anyhow::bail!("the file watcher stopped"),
            }
        };
        if let Some(relative) = path.strip_prefix(root).ok().filter(|p| relevant(p)) {
            changed.insert(relative.to_path_buf());
        }
    }
}

/// A file a check depends on, by its place in the project; an editor's swap, backup and
/// temporary files are not (`.hello.rs.swp`, `hello.rs~`, vim's `4913`).
fn relevant(path: &Path) -> bool {
    let parts: Vec<&str> = path.iter().filter_map(|p| p.to_str()).collect();
    let Some(file) = parts.last() else { return false };
    if file.starts_with('.') || file.ends_with('~') {
        return false;
    }
    let extension = Path::new(file).extension().and_then(|e| e.to_str()).unwrap_or("");
    match parts.first() {
        Some(&"modules") if parts.len() >= 3 => {
            matches!(extension, "rs" | "c" | "h") || matches!(*file, "Kbuild" | "Makefile")
        }
        Some(&"checks") => parts.len() == 2 && extension == "toml",
        Some(&"kernel") => matches!(extension, "config" | "toml"),
        _ => false,
    }
}

/// What the changed files make due; None when nothing is.
fn due_for(changed: &BTreeSet<PathBuf>) -> Option<Due> {
    let (mut modules, mut checks) = (BTreeSet::new(), BTreeSet::new());
    for path in changed {
        let parts: Vec<&str> = path.iter().filter_map(|p| p.to_str()).collect();
        match parts.as_slice() {
            ["kernel", ..] => return Some(Due::Every),
            ["modules", module, ..] => {
                modules.insert(module.to_string());
            }
            ["checks", file] => {
                checks.insert(file.trim_end_matches(".toml").to_string());
            }
            _ => {}
        }
    }
    (!modules.is_empty() || !checks.is_empty()).then_some(Due::Some { modules, checks })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_checks_and_kernel_inputs_count_editor_files_do_not() {
        for path in [
            "modules/hello/hello.rs",
            "modules/zfacility/shim.c",
            "modules/zfacility/shim.h",
            "modules/hello/Kbuild",
            "checks/hello.toml",
            "kernel/configs/base.config",
            "kernel/source.toml",
        ] {
            assert!(relevant(Path::new(path)), "{path}");
        }
        for path in [
            "modules/hello/.hello.rs.swp",
            "modules/hello/hello.rs~",
            "modules/hello/4913",
            "modules/hello/README.md",
            "modules/Kbuild",
            "checks/sub/x.toml",
            "checks/notes.txt",
            "README.md",
        ] {
            assert!(!relevant(Path::new(path)), "{path}");
        }
    }

    #[test]
    fn a_module_change_makes_its_checks_due_and_kernel_makes_all() {
        let set = |paths: &[&str]| paths.iter().map(PathBuf::from).collect::<BTreeSet<_>>();
        let due = due_for(&set(&["modules/hello/hello.rs", "checks/echo.toml"])).unwrap();
        assert_eq!(due, Due::Some { modules: ["hello".to_string()].into(), checks: ["echo".to_string()].into() });
        assert_eq!(due_for(&set(&["modules/hello/hello.rs", "kernel/configs/rust.config"])), Some(Due::Every));
        assert_eq!(due_for(&set(&[])), None);
    }
}
