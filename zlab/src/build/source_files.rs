//! The part of a kernel tree a finished build used, recorded with each file's size and time, so
//! that its up-to-date check looks at those (some 4,400 of the tree's 100,000 files and
//! folders) and not the whole tree: the whole walk took 0.5 s here, most of zlab's share of
//! the edit → verdict loop.
//!
//! The folders are every source folder make visited (those the build dir mirrors) and every
//! folder of a source path a `.cmd` file names: the dependencies fixdep wrote and the inputs on
//! each saved command line. In them: every file those name, and every other file but C, Rust
//! and assembly source — what a compiler reads is in its dependency list, so one it did not
//! read can only matter once a file it did read or a Makefile changes, and that is seen; a
//! Makefile, Kconfig, script or data file is looked at whether named or not. A folder's time
//! changes when a file in it is added, deleted or renamed, and a file's when it is edited. A
//! time is compared for equality, not "newer than", so an older copy put in place with its own
//! time kept (`tar x`, `rsync -a`, `cp -p`) is seen too. Any difference makes the build stale,
//! and make, which knows the real rules, decides what to rebuild. Nothing machine-specific
//! (inodes) goes into the record: under Nix the build dir is the output and must be the same
//! on every machine.

use fs_err as fs;
use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const RECORD: &str = "zlab-source-files";

/// Records what the build in `dir` used of `source`. False (and no record) when a file of
/// those changed after `started`: then make may not have seen it, and the next run asks make.
pub fn record(dir: &Path, source: &Path, started: SystemTime) -> anyhow::Result<bool> {
    let _ = fs::remove_file(dir.join(RECORD));
    let source = fs::canonicalize(source)?;
    let mut lines = String::new();
    let (folders, named) = used(dir, &source);
    for folder in folders {
        let Ok(meta) = std::fs::symlink_metadata(&folder) else { continue };
        if changed_since(&meta, started) {
            return Ok(false);
        }
        lines.push_str(&line(&meta, &folder, &source));
        for entry in fs::read_dir(&folder)?.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            // A folder below is looked at only if the build used it (it is in the list).
            let path = entry.path();
            if meta.is_dir() || (is_compiled_source(&path) && !named.contains(path.to_string_lossy().as_ref())) {
                continue;
            }
            if changed_since(&meta, started) {
                return Ok(false);
            }
            lines.push_str(&line(&meta, &path, &source));
        }
    }
    crate::host::temp::write(&dir.join(RECORD), format!("{}\n{lines}", source.display()))?;
    Ok(true)
}

/// What differs between the source the build in `dir` used and the source now: the first
/// path that changed, or None when nothing did.
pub fn changed(dir: &Path) -> Option<String> {
    let Ok(record) = fs::read_to_string(dir.join(RECORD)) else {
        return Some("zlab has no record of the source files it used".into());
    };
    let mut lines = record.lines();
    let Some(source) = lines.next().filter(|l| !l.is_empty()).map(PathBuf::from) else {
        return Some("its record of the source files is empty".into());
    };
    for recorded in lines {
        let Some((_, rel)) = recorded.rsplit_once('\t') else { return Some("its record is unreadable".into()) };
        let path = if rel == "." { source.clone() } else { source.join(rel) };
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if line(&meta, &path, &source) == format!("{recorded}\n") => {}
            Ok(_) => return Some(format!("{} changed", path.display())),
            Err(_) => return Some(format!("{} is gone", path.display())),
        }
    }
    None
}

/// `size mtime.nsec <tab> path relative to the source`, one per file or folder.
fn line(meta: &std::fs::Metadata, path: &Path, source: &Path) -> String {
    let rel = path.strip_prefix(source).ok().filter(|r| !r.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let size = if meta.is_dir() { 0 } else { meta.size() };
    format!("{size} {}.{:09}\t{}\n", meta.mtime(), meta.mtime_nsec(), rel.display())
}

fn changed_since(meta: &std::fs::Metadata, started: SystemTime) -> bool {
    meta.modified().is_ok_and(|t| t >= started)
}

/// C, Rust or assembly source: a file a compiler reads, which its dependency list names.
fn is_compiled_source(path: &Path) -> bool {
    path.extension().is_some_and(|e| ["c", "h", "rs", "S"].iter().any(|x| e == *x))
}

/// The source folders the build in `dir` used, each with every folder above it up to `source`,
/// and every source path its `.cmd` files name.
fn used(dir: &Path, source: &Path) -> (BTreeSet<PathBuf>, BTreeSet<String>) {
    let mut found = BTreeSet::new();
    let mut named = BTreeSet::new();
    let prefix = format!("{}/", source.display());
    let mut pending = vec![dir.to_path_buf()];
    while let Some(build_folder) = pending.pop() {
        let mirrored = source.join(build_folder.strip_prefix(dir).unwrap_or(Path::new("")));
        if is_folder(&mirrored) {
            found.insert(mirrored);
        }
        let Ok(entries) = fs::read_dir(&build_folder) else { continue };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() && entry.file_name().to_string_lossy().ends_with(".cmd") {
                let Ok(text) = fs::read(entry.path()) else { continue };
                named_paths(&text, &prefix, &mut named);
            }
        }
    }
    // gcc names a file as it found it: `arch/s390/boot/../kernel/ebcdic.c`.
    let named: BTreeSet<String> = named
        .into_iter()
        .map(|path| match path.contains("/./") || path.contains("/../") {
            true => fs::canonicalize(&path).map_or(path, |p| p.to_string_lossy().into_owned()),
            false => path,
        })
        .collect();
    for path in named.iter().map(PathBuf::from) {
        if is_folder(&path) {
            found.insert(path);
        } else if let Some(parent) = path.parent().filter(|p| is_folder(p)) {
            found.insert(parent.to_path_buf());
        }
    }
    let mut with_parents = BTreeSet::new();
    for folder in found {
        for up in folder.ancestors().take_while(|a| a.starts_with(source)) {
            if !with_parents.insert(up.to_path_buf()) {
                break;
            }
        }
    }
    (with_parents, named)
}

/// A real folder: a symbolic link to one is recorded as the link it is.
fn is_folder(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Every path starting with `prefix` in a `.cmd` file's text: the dependencies fixdep wrote,
/// and the inputs and `-I` folders of the saved command line.
fn named_paths(text: &[u8], prefix: &str, named: &mut BTreeSet<String>) {
    let mut from = 0;
    while let Some(at) = memchr::memmem::find(&text[from..], prefix.as_bytes()) {
        let tail = &text[from + at..];
        let end =
            tail.iter().position(|&b| b.is_ascii_whitespace() || b"\\:;,)'\"=".contains(&b)).unwrap_or(tail.len());
        let path = String::from_utf8_lossy(&tail[..end]);
        if !named.contains(path.as_ref()) {
            named.insert(path.into_owned());
        }
        from += at + end.max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A kernel tree and a build of it, recorded, every file and folder of the tree a minute
    /// older than the build. The build dir has `kernel/` (so the build visited src/kernel), and
    /// a `.cmd` file naming `arch/s390/a.c`, `b.c` (the way gcc does, through `..`), the `-I`
    /// folder `include` and `include/linux/x.h`.
    fn recorded() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (build, source) = (dir.path().join("build"), dir.path().join("src"));
        let files = [
            "arch/s390/a.c",
            "arch/s390/b.c",
            "arch/s390/unused.c",
            "kernel/Makefile",
            "include/linux/x.h",
            "drivers/gpu/g.c",
        ];
        for file in files.iter().chain([".git/index"].iter()) {
            let path = source.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "int x;\n").unwrap();
        }
        std::fs::create_dir_all(build.join("kernel")).unwrap();
        let s = source.display();
        let cmd = format!("savedcmd_a.o := gcc -I{s}/include -c {s}/arch/s390/a.c\ndeps_a.o := \\\n  {s}/include/linux/x.h \\\n  {s}/kernel/../arch/s390/b.c \\\n");
        std::fs::write(build.join(".a.o.cmd"), cmd).unwrap();
        let past = SystemTime::now() - Duration::from_secs(60);
        let mut paths: Vec<PathBuf> = walk(&source);
        paths.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        for path in paths {
            std::fs::File::open(&path).unwrap().set_modified(past).unwrap();
        }
        assert!(record(&build, &source, SystemTime::now()).unwrap());
        // File times come from a clock that ticks every few milliseconds: what follows is later.
        std::thread::sleep(Duration::from_millis(20));
        (dir, build, source)
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = vec![dir.to_path_buf()];
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                out.extend(walk(&entry.path()));
            } else {
                out.push(entry.path());
            }
        }
        out
    }

    fn why(build: &Path) -> String {
        changed(build).expect("the change went unnoticed")
    }

    #[test]
    fn an_unchanged_tree_is_unchanged() {
        let (_dir, build, _source) = recorded();
        assert_eq!(changed(&build), None);
    }

    #[test]
    fn an_edited_file_is_noticed_even_with_an_older_time() {
        let (_dir, build, source) = recorded();
        std::fs::write(source.join("arch/s390/a.c"), "int y;\n").unwrap();
        assert!(why(&build).ends_with("arch/s390/a.c changed"), "{}", why(&build));

        let (_dir, build, source) = recorded();
        let folder_time = std::fs::metadata(source.join("kernel")).unwrap().modified().unwrap();
        let copy = source.join("kernel/Makefile.new");
        std::fs::write(&copy, "int y;\n").unwrap();
        std::fs::File::open(&copy).unwrap().set_modified(SystemTime::now() - Duration::from_secs(86400)).unwrap();
        std::fs::rename(&copy, source.join("kernel/Makefile")).unwrap();
        std::fs::File::open(source.join("kernel")).unwrap().set_modified(folder_time).unwrap();
        assert!(why(&build).ends_with("kernel/Makefile changed"), "an older copy in place, its time kept (rsync -a)");
    }

    #[test]
    fn a_deleted_renamed_or_added_file_is_noticed() {
        let (_dir, build, source) = recorded();
        std::fs::remove_file(source.join("arch/s390/b.c")).unwrap();
        assert!(why(&build).contains("arch/s390"), "{}", why(&build));

        let (_dir, build, source) = recorded();
        std::fs::rename(source.join("arch/s390/b.c"), source.join("arch/s390/c.c")).unwrap();
        assert!(why(&build).contains("arch/s390"), "{}", why(&build));

        let (_dir, build, source) = recorded();
        std::fs::write(source.join("include/linux/y.h"), "").unwrap();
        assert!(why(&build).contains("include/linux"), "{}", why(&build));
    }

    #[test]
    fn a_deleted_file_with_its_folder_s_time_restored_is_gone() {
        let (_dir, build, source) = recorded();
        let folder = source.join("arch/s390");
        let old = std::fs::metadata(&folder).unwrap().modified().unwrap();
        std::fs::remove_file(folder.join("b.c")).unwrap();
        std::fs::File::open(&folder).unwrap().set_modified(old).unwrap();
        assert!(why(&build).ends_with("arch/s390/b.c is gone"), "{}", why(&build));
    }

    #[test]
    fn what_the_build_did_not_use_is_not_looked_at() {
        let (_dir, build, source) = recorded();
        std::fs::write(source.join("drivers/gpu/g.c"), "edited").unwrap();
        std::fs::write(source.join("arch/s390/unused.c"), "edited").unwrap();
        std::fs::write(source.join("drivers/gpu/new.c"), "").unwrap();
        std::fs::write(source.join(".git/index"), "changed by git status").unwrap();
        assert_eq!(changed(&build), None);
    }

    #[test]
    fn a_build_without_a_record_is_not_current() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(changed(dir.path()).unwrap(), "zlab has no record of the source files it used");
        std::fs::write(dir.path().join(RECORD), "").unwrap();
        assert_eq!(changed(dir.path()).unwrap(), "its record of the source files is empty");
    }

    #[test]
    fn paths_are_read_from_dependencies_commands_and_include_options() {
        let mut named = BTreeSet::new();
        let text = "savedcmd_x := gcc -I/s/include -include /s/include/linux/k.h -fmacro-prefix-map=/s/= /s/x.c\n\
                    deps_x := \\\n  /s/include/a.h \\\n    $(wildcard include/config/X) \\\n\n/s/x.c:\n";
        named_paths(text.as_bytes(), "/s/", &mut named);
        let names: Vec<&str> = named.iter().map(String::as_str).collect();
        assert_eq!(names, ["/s/", "/s/include", "/s/include/a.h", "/s/include/linux/k.h", "/s/x.c"]);
    }
}
