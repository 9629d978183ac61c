//! A first build with another rustc starts from a copy of a finished build of the same kernel,
//! variant and C compiler (`--rust 1.98` from the floor's `build/test`). Only rustc differs, so
//! Kconfig's own tracking of the rustc version and Kbuild's of each command line make the copy
//! rebuild every Rust object and relink, and leave the C objects alone: about a third of a
//! build from nothing. The copy is the other build's files, never links to them, so building
//! one never touches the other.

use crate::host::lock::{DirLock, LOCK_FILE};
use crate::host::process;
use crate::note;
use anyhow::{Context, Result};
use fs_err as fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Written before the copy and removed after it: a dir holding it was left half-copied.
const COPYING: &str = "zlab-seeding-from";

/// If `dir` (locked by the caller) holds nothing yet, or only a copy that was interrupted, fills
/// it from the first of `siblings` that holds a finished build of `source` (`finished_marker`
/// says so), copying everything but the sibling's lock and `own_records`. Says whether it did.
pub fn from_sibling(
    dir: &Path,
    source: &Path,
    siblings: &[PathBuf],
    finished_marker: &str,
    own_records: &[&str],
) -> Result<bool> {
    if dir.join(COPYING).exists() {
        clear(dir)?;
    }
    if !entries(dir, &[LOCK_FILE])?.is_empty() {
        return Ok(false);
    }
    for sibling in siblings {
        if !sibling.join(finished_marker).is_file() || !built_from(sibling, source) {
            continue;
        }
        let _their_lock = DirLock::acquire(sibling)?;
        if !sibling.join(finished_marker).is_file() {
            continue;
        }
        note!(
            "zlab: starting from a copy of {} (the same kernel, variant and compiler; make rebuilds what this rustc compiles)",
            sibling.display()
        );
        fs::write(dir.join(COPYING), format!("{}\n", sibling.display()))?;
        copy(sibling, dir, &[own_records, &[LOCK_FILE, COPYING]].concat())?;
        fs::remove_file(dir.join(COPYING))?;
        return Ok(true);
    }
    Ok(false)
}

/// Kbuild leaves a `source` link to its tree in every O= dir.
fn built_from(dir: &Path, source: &Path) -> bool {
    match (std::fs::canonicalize(dir.join("source")), std::fs::canonicalize(source)) {
        (Ok(theirs), Ok(ours)) => theirs == ours,
        _ => false,
    }
}

/// What `dir` holds, but for the names in `except`.
fn entries(dir: &Path, except: &[&str]) -> Result<Vec<PathBuf>> {
    let mut paths = vec![];
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if !except.iter().any(|n| name == *n) {
            paths.push(entry.path());
        }
    }
    Ok(paths)
}

fn clear(dir: &Path) -> Result<()> {
    note!("zlab: {} holds an interrupted copy; removing it", dir.display());
    for path in entries(dir, &[LOCK_FILE])? {
        if path.is_dir() && !path.is_symlink() {
            fs::remove_dir_all(&path)?;
        } else {
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// `cp -a` keeps the files' times, which make compares, and the `source` link.
fn copy(from: &Path, to: &Path, except: &[&str]) -> Result<()> {
    let items = entries(from, except)?;
    if items.is_empty() {
        return Ok(());
    }
    let mut cp = Command::new("cp");
    cp.args(["-a", "--reflink=auto", "-t"]).arg(to).args(&items);
    process::stdout_of(&mut cp).with_context(|| format!("copying {} into {}", from.display(), to.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKER: &str = "zlab-variant";
    /// What kernel.rs passes as a build dir's own.
    const OWN: [&str; 4] = [MARKER, "zlab-build-stamp", "zlab.config", "zlab-modules"];

    /// A finished build dir of `source` with one object, and a source tree for it.
    fn finished_build(root: &Path, name: &str, source: &Path) -> PathBuf {
        let dir = root.join(name);
        std::fs::create_dir_all(dir.join("kernel")).unwrap();
        std::os::unix::fs::symlink(source, dir.join("source")).unwrap();
        std::fs::write(dir.join("kernel/fork.o"), "object").unwrap();
        std::fs::create_dir_all(dir.join("zlab-modules/hello")).unwrap();
        for own in [MARKER, "zlab-build-stamp", "zlab.config", ".zlab.lock"] {
            std::fs::write(dir.join(own), name).unwrap();
        }
        dir
    }

    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let source = root.path().join("linux");
        std::fs::create_dir_all(&source).unwrap();
        let dir = root.path().join("test-rust1.98");
        DirLock::acquire(&dir).unwrap();
        (root, source, dir)
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn an_empty_dir_gets_the_siblings_files_but_not_its_records_or_modules() {
        let (root, source, dir) = setup();
        let sibling = finished_build(root.path(), "test", &source);
        assert!(from_sibling(&dir, &source, std::slice::from_ref(&sibling), MARKER, &OWN).unwrap());
        assert_eq!(names(&dir), [".zlab.lock", "kernel", "source"]);
        assert_eq!(std::fs::read_to_string(dir.join("kernel/fork.o")).unwrap(), "object");
        assert_eq!(std::fs::canonicalize(dir.join("source")).unwrap(), std::fs::canonicalize(&source).unwrap());
        // A copy, not a link: writing the copy leaves the sibling's file as it was.
        std::fs::write(dir.join("kernel/fork.o"), "rebuilt").unwrap();
        assert_eq!(std::fs::read_to_string(sibling.join("kernel/fork.o")).unwrap(), "object");
        assert!(names(&sibling).contains(&"zlab-modules".to_string()));
    }

    #[test]
    fn unfinished_or_other_source_siblings_are_passed_over() {
        let (root, source, dir) = setup();
        let unfinished = finished_build(root.path(), "test", &source);
        std::fs::remove_file(unfinished.join(MARKER)).unwrap();
        let other_tree = root.path().join("linux-other");
        std::fs::create_dir_all(&other_tree).unwrap();
        let other = finished_build(root.path(), "test-rust1.97", &other_tree);
        assert!(!from_sibling(&dir, &source, &[unfinished, other, root.path().join("absent")], MARKER, &OWN).unwrap());
        assert_eq!(names(&dir), [".zlab.lock"]);
    }

    #[test]
    fn a_dir_with_a_build_of_its_own_is_left_alone() {
        let (root, source, dir) = setup();
        std::fs::write(dir.join("vmlinux"), "its own").unwrap();
        let sibling = finished_build(root.path(), "test", &source);
        assert!(!from_sibling(&dir, &source, &[sibling], MARKER, &OWN).unwrap());
        assert_eq!(names(&dir), [".zlab.lock", "vmlinux"]);
    }

    #[test]
    fn an_interrupted_copy_is_removed_and_made_again() {
        let (root, source, dir) = setup();
        let sibling = finished_build(root.path(), "test", &source);
        std::fs::write(dir.join(COPYING), "test\n").unwrap();
        std::fs::create_dir_all(dir.join("kernel")).unwrap();
        std::fs::write(dir.join("kernel/fork.o"), "obj").unwrap();
        std::fs::write(dir.join("half-copied.o"), "").unwrap();
        assert!(from_sibling(&dir, &source, &[sibling], MARKER, &OWN).unwrap());
        assert_eq!(names(&dir), [".zlab.lock", "kernel", "source"]);
        assert_eq!(std::fs::read_to_string(dir.join("kernel/fork.o")).unwrap(), "object");
    }
}
