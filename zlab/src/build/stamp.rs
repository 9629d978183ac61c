//! Whether a finished kernel build is still current, without asking make: make's own pass over
//! an up-to-date tree takes 3–4 s, most of a warm edit → verdict loop. A build is current when
//! its inputs (variant, merged fragments, kernel source pin, every tool binary, the make
//! flags) hash to what the last successful build recorded, and no file or folder of the source
//! tree is newer than that record: someone edited the kernel, or deleted, renamed or added a
//! file (which changes its folder's time), as a `git checkout` of another branch does.

use crate::host::process::which;
use crate::toolchain::tools::Toolchain;
use fs_err as fs;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::SystemTime;

const STAMP: &str = "zlab-build-stamp";
/// Bumped when zlab changes what a build makes (targets, environment), so old stamps lapse.
const RECIPE: &str = "bzImage modules [scripts_gdb]; reproducible env v2";

pub struct Inputs<'a> {
    pub variant: &'a str,
    pub merged_fragments: &'a str,
    pub source: &'a Path,
    pub toolchain: &'a Toolchain,
}

/// The hash of everything a build's output depends on, as hex.
pub fn fingerprint(inputs: &Inputs) -> String {
    let tc = inputs.toolchain;
    let mut h = Sha256::new();
    let mut add = |label: &str, value: &str| {
        h.update(label.as_bytes());
        h.update([0]);
        h.update(value.as_bytes());
        h.update([0]);
    };
    add("recipe", RECIPE);
    add("variant", inputs.variant);
    add("fragments", inputs.merged_fragments);
    add("source", &inputs.source.display().to_string());
    add("compiler", tc.compiler.name());
    add("llvm", &tc.llvm);
    add("cross", &tc.cross_compile);
    add("flags", &tc.extra_make_flags.join(" "));
    let mut tools = vec![tc.rustc.clone(), tc.rustdoc.clone(), tc.bindgen.clone(), tc.libclang_dir.join("libclang.so")];
    tools.extend(tc.compilers());
    for tool in tools {
        add("tool", &identity(&tool));
    }
    crate::inputs::pins::hex(&h.finalize())
}

/// Path, size and modification time of the file a tool name resolves to.
fn identity(tool: &Path) -> String {
    let resolved = which(&tool.to_string_lossy()).or_else(|| tool.exists().then(|| tool.to_path_buf()));
    let Some(path) = resolved.and_then(|p| fs::canonicalize(p).ok()) else {
        return format!("{} missing", tool.display());
    };
    match fs::metadata(&path) {
        Ok(m) => format!("{} {} {:?}", path.display(), m.len(), m.modified().ok()),
        Err(_) => format!("{} unreadable", path.display()),
    }
}

/// True when `dir` holds a finished build with this fingerprint and the source is unchanged.
pub fn is_current(dir: &Path, fingerprint: &str, source: &Path, image: &Path) -> bool {
    staleness(dir, fingerprint, source, image).is_none()
}

/// Why the build in `dir` is not current (what a rebuild's note says), or None when it is.
pub fn staleness(dir: &Path, fingerprint: &str, source: &Path, image: &Path) -> Option<String> {
    let stamp = dir.join(STAMP);
    let (Ok(recorded), Ok(when)) = (fs::read_to_string(&stamp), fs::metadata(&stamp).and_then(|m| m.modified())) else {
        return Some("no finished build here yet".into());
    };
    if recorded.trim() != fingerprint {
        return Some("its inputs changed (variant, fragments, source, a tool or the make flags)".into());
    }
    if let Some(missing) = OUTPUTS.iter().map(|f| dir.join(f)).chain([image.to_path_buf()]).find(|f| !f.is_file()) {
        return Some(format!("{} is missing", missing.display()));
    }
    newer_file(source, when).map(|path| format!("the source changed: {} is newer than the last build", path.display()))
}

/// Build products whose loss (a cleaned or half-deleted build dir) means make has work to do.
const OUTPUTS: [&str; 4] = ["vmlinux", "vmlinux.o", "Module.symvers", ".config"];

/// Records a successful build; `forget` before building, so an interrupted build has no stamp.
pub fn record(dir: &Path, fingerprint: &str) -> std::io::Result<()> {
    fs::write(dir.join(STAMP), format!("{fingerprint}\n"))
}

pub fn forget(dir: &Path) {
    let _ = fs::remove_file(dir.join(STAMP));
}

/// The first of `dir` and everything below it that changed after `than`. A git checkout's own
/// `.git` is not the kernel's source (git touches it on every `git status`).
fn newer_file(dir: &Path, than: SystemTime) -> Option<std::path::PathBuf> {
    let newer = |meta: std::io::Result<std::fs::Metadata>| meta.and_then(|m| m.modified()).is_ok_and(|t| t > than);
    if newer(fs::metadata(dir)) {
        return Some(dir.to_path_buf());
    }
    let Ok(entries) = fs::read_dir(dir) else { return None };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            if entry.file_name() != ".git" {
                if let Some(found) = newer_file(&entry.path(), than) {
                    return Some(found);
                }
            }
        } else if newer(entry.metadata()) {
            return Some(entry.path());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toolchain() -> Toolchain {
        Toolchain {
            compiler: crate::toolchain::tools::Compiler::Gcc,
            llvm: "/nonexistent/llvm/".into(),
            rustc: "/nonexistent/rustc".into(),
            rustdoc: "/nonexistent/rustdoc".into(),
            bindgen: "/nonexistent/bindgen".into(),
            libclang_dir: "/nonexistent".into(),
            cross_compile: "s390x-linux-gnu-".into(),
            qemu: "qemu-system-s390x".into(),
            gdb: "gdb-multiarch".into(),
            jobs: 2,
            extra_make_flags: vec![],
        }
    }

    fn print(tc: &Toolchain, fragments: &str) -> String {
        fingerprint(&Inputs { variant: "test", merged_fragments: fragments, source: Path::new("/src"), toolchain: tc })
    }

    #[test]
    fn any_input_changes_the_fingerprint() {
        let tc = toolchain();
        let base = print(&tc, "CONFIG_RUST=y\n");
        assert_eq!(base, print(&tc, "CONFIG_RUST=y\n"));
        assert_ne!(base, print(&tc, "CONFIG_RUST=y\nCONFIG_X=y\n"));
        let mut other = toolchain();
        other.rustc = "/other/rustc".into();
        assert_ne!(base, print(&other, "CONFIG_RUST=y\n"));
        let mut flags = toolchain();
        flags.extra_make_flags = vec!["CC=clang".into()];
        assert_ne!(base, print(&flags, "CONFIG_RUST=y\n"));
        let mut llvm = toolchain();
        llvm.compiler = crate::toolchain::tools::Compiler::Llvm;
        assert_ne!(base, print(&llvm, "CONFIG_RUST=y\n"));
    }

    #[test]
    fn a_newer_source_file_or_a_missing_image_makes_a_build_stale() {
        let dir = tempfile::tempdir().unwrap();
        let (build, source) = (dir.path().join("build"), dir.path().join("src/arch"));
        std::fs::create_dir_all(&build).unwrap();
        std::fs::create_dir_all(&source).unwrap();
        std::fs::write(source.join("old.c"), "").unwrap();
        let image = build.join("bzImage");
        std::fs::write(&image, "").unwrap();
        for output in OUTPUTS {
            std::fs::write(build.join(output), "").unwrap();
        }
        let old = SystemTime::now() - std::time::Duration::from_secs(60);
        std::fs::File::options().write(true).open(source.join("old.c")).unwrap().set_modified(old).unwrap();
        record(&build, "abc").unwrap();
        let source = dir.path().join("src");
        assert!(is_current(&build, "abc", &source, &image));
        assert!(!is_current(&build, "abd", &source, &image));
        std::fs::remove_file(build.join("vmlinux.o")).unwrap();
        assert!(!is_current(&build, "abc", &source, &image));
        std::fs::write(build.join("vmlinux.o"), "").unwrap();
        std::fs::write(source.join("arch/edited.c"), "").unwrap();
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options().write(true).open(source.join("arch/edited.c")).unwrap().set_modified(later).unwrap();
        let why = staleness(&build, "abc", &source, &image).unwrap();
        // The new file changed its folder too, which may be found first.
        assert!(why.starts_with("the source changed: ") && why.contains("/src/arch"), "{why}");
        forget(&build);
        assert!(!is_current(&build, "abc", &dir.path().join("nothing"), &image));
    }

    /// A tree whose every file and folder is a minute old, a build of it recorded now.
    fn recorded_build_of_an_old_tree() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (build, source) = (dir.path().join("build"), dir.path().join("src"));
        for folder in [build.clone(), source.join("arch/s390"), source.join(".git")] {
            std::fs::create_dir_all(folder).unwrap();
        }
        for file in ["arch/s390/a.c", "arch/s390/b.c", ".git/index"] {
            std::fs::write(source.join(file), "").unwrap();
        }
        let old = SystemTime::now() - std::time::Duration::from_secs(60);
        for path in ["arch/s390/a.c", "arch/s390/b.c", ".git/index", ".git", "arch/s390", "arch", ""] {
            std::fs::File::open(source.join(path)).unwrap().set_modified(old).unwrap();
        }
        for output in OUTPUTS.iter().chain(["bzImage"].iter()) {
            std::fs::write(build.join(output), "").unwrap();
        }
        record(&build, "abc").unwrap();
        // File times come from a clock that ticks every few milliseconds: what follows is later.
        std::thread::sleep(std::time::Duration::from_millis(20));
        (dir, build, source)
    }

    #[test]
    fn a_deleted_or_renamed_source_file_makes_the_build_stale() {
        let (_dir, build, source) = recorded_build_of_an_old_tree();
        let image = build.join("bzImage");
        assert!(is_current(&build, "abc", &source, &image));
        std::fs::remove_file(source.join("arch/s390/b.c")).unwrap();
        assert!(!is_current(&build, "abc", &source, &image), "a deleted file went unnoticed");

        let (_dir, build, source) = recorded_build_of_an_old_tree();
        std::fs::rename(source.join("arch/s390/b.c"), source.join("arch/s390/c.c")).unwrap();
        assert!(!is_current(&build, "abc", &source, &build.join("bzImage")), "a renamed file went unnoticed");
    }

    #[test]
    fn git_s_own_files_are_not_the_source() {
        let (_dir, build, source) = recorded_build_of_an_old_tree();
        std::fs::write(source.join(".git/index"), "changed by git status").unwrap();
        std::fs::write(source.join(".git/ORIG_HEAD"), "").unwrap();
        assert!(is_current(&build, "abc", &source, &build.join("bzImage")));
    }

    #[test]
    fn an_io_error_names_the_file_it_was_about() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("no-such-build-dir");
        let message = record(&gone, "x").unwrap_err().to_string();
        assert!(message.contains(&gone.join(STAMP).display().to_string()), "{message}");
        assert!(message.contains("No such file or directory"), "{message}");
    }
}
