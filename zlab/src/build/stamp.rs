//! Whether a finished kernel build is still current, without asking make: make's own pass over
//! an up-to-date tree takes 3–4 s, most of a warm edit → verdict loop. A build is current when
//! its inputs (variant, merged fragments, kernel source pin, every tool binary, the make
//! flags) hash to what the last successful build recorded, and the part of the source tree it
//! used is as it was (source_files.rs): nobody edited the kernel, or deleted, renamed or added
//! a file, as a `git checkout` of another branch does.

use super::source_files;
use crate::toolchain::identity::identity;
use crate::toolchain::tools::{Compiler, Toolchain};
use fs_err as fs;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::SystemTime;

pub const STAMP: &str = "zlab-build-stamp";
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
    // A GCC build never reads LLVM=; `zlab --matrix` with another ZLAB_LLVM must not restamp it.
    if tc.compiler == Compiler::Llvm {
        add("llvm", &tc.llvm);
    }
    add("cross", &tc.cross_compile);
    add("flags", &tc.extra_make_flags.join(" "));
    for tool in tc.kernel_build_tools() {
        add("tool", &identity(&tool));
    }
    crate::inputs::pins::hex(&h.finalize())
}

/// Why the build in `dir` is not current (what a rebuild's note says), or None when it is.
pub fn staleness(dir: &Path, fingerprint: &str, image: &Path) -> Option<String> {
    let Ok(recorded) = fs::read_to_string(dir.join(STAMP)) else {
        return Some("no finished build here yet".into());
    };
    if recorded.trim() != fingerprint {
        return Some("its inputs changed (variant, fragments, source, a tool or the make flags)".into());
    }
    if let Some(missing) = OUTPUTS.iter().map(|f| dir.join(f)).chain([image.to_path_buf()]).find(|f| !f.is_file()) {
        return Some(format!("{} is missing", missing.display()));
    }
    source_files::changed(dir).map(|what| format!("the source changed: {what} since the last build"))
}

/// Build products whose loss (a cleaned or half-deleted build dir) means make has work to do.
const OUTPUTS: [&str; 4] = ["vmlinux", "vmlinux.o", "Module.symvers", ".config"];

/// Records a successful build of `source` that began at `started`, and says whether it did:
/// a source file that changed during the build leaves no stamp, since make may have read it
/// before the change, so the next run asks make again. `forget` before building, so an
/// interrupted build has no stamp either.
pub fn record(dir: &Path, fingerprint: &str, source: &Path, started: SystemTime) -> anyhow::Result<bool> {
    if !source_files::record(dir, source, started)? {
        return Ok(false);
    }
    fs::write(dir.join(STAMP), format!("{fingerprint}\n"))?;
    Ok(true)
}

pub fn forget(dir: &Path) {
    let _ = fs::remove_file(dir.join(STAMP));
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
        let llvm_print = print(&llvm, "CONFIG_RUST=y\n");
        assert_ne!(base, llvm_print);
        llvm.llvm = "-17".into();
        assert_ne!(llvm_print, print(&llvm, "CONFIG_RUST=y\n"), "LLVM= chose other LLVM tools");
    }

    #[test]
    fn a_gcc_build_does_not_depend_on_the_llvm_choice() {
        let tc = toolchain();
        let mut other = toolchain();
        other.llvm = "/somewhere/else/".into();
        assert_eq!(print(&tc, "CONFIG_RUST=y\n"), print(&other, "CONFIG_RUST=y\n"));
    }

    /// A build dir with every output, whose one `.cmd` file names `src/arch/s390/a.c`.
    fn finished_build(old: bool) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (build, source) = (dir.path().join("build"), dir.path().join("src"));
        std::fs::create_dir_all(build.join("arch/s390")).unwrap();
        std::fs::create_dir_all(source.join("arch/s390")).unwrap();
        std::fs::write(source.join("arch/s390/a.c"), "").unwrap();
        let cmd = format!("source_arch/s390/a.o := {}/arch/s390/a.c\n", source.display());
        std::fs::write(build.join("arch/s390/.a.o.cmd"), cmd).unwrap();
        for output in OUTPUTS.iter().chain(["bzImage"].iter()) {
            std::fs::write(build.join(output), "").unwrap();
        }
        let started = if old { SystemTime::now() } else { SystemTime::UNIX_EPOCH };
        if old {
            let past = started - std::time::Duration::from_secs(60);
            for path in ["arch/s390/a.c", "arch/s390", "arch", ""] {
                std::fs::File::open(source.join(path)).unwrap().set_modified(past).unwrap();
            }
        }
        let recorded = record(&build, "abc", &source, started).unwrap();
        assert_eq!(recorded, old, "a build is recorded only when no source file is newer than its start");
        (dir, build, source)
    }

    #[test]
    fn another_fingerprint_a_missing_output_or_a_changed_source_makes_a_build_stale() {
        let (_dir, build, source) = finished_build(true);
        let image = build.join("bzImage");
        assert_eq!(staleness(&build, "abc", &image), None);
        assert!(staleness(&build, "abd", &image).unwrap().starts_with("its inputs changed"));
        std::fs::remove_file(build.join("vmlinux.o")).unwrap();
        assert_eq!(
            staleness(&build, "abc", &image).unwrap(),
            format!("{} is missing", build.join("vmlinux.o").display())
        );
        std::fs::write(build.join("vmlinux.o"), "").unwrap();
        std::fs::write(source.join("arch/s390/a.c"), "edited").unwrap();
        let why = staleness(&build, "abc", &image).unwrap();
        assert!(why.starts_with("the source changed: ") && why.contains("arch/s390/a.c changed"), "{why}");
        forget(&build);
        assert_eq!(staleness(&build, "abc", &image).unwrap(), "no finished build here yet");
    }

    #[test]
    fn a_source_file_changed_during_the_build_leaves_no_stamp() {
        let (_dir, build, _source) = finished_build(false);
        assert_eq!(staleness(&build, "abc", &build.join("bzImage")).unwrap(), "no finished build here yet");
    }

    #[test]
    fn an_io_error_names_the_file_it_was_about() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("no-such-build-dir");
        let message = format!("{:#}", record(&gone, "x", dir.path(), SystemTime::now()).unwrap_err());
        assert!(message.contains(&gone.display().to_string()), "{message}");
        assert!(message.contains("No such file or directory"), "{message}");
    }
}
