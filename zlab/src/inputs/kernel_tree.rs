//! A kernel tree of your own instead of the pinned source (`--kernel-source DIR`,
//! `ZLAB_KERNEL_SOURCE`): a git checkout with your patches, rust-next. zlab builds it out of tree
//! (make O=) only, so it must be clean, and it must have Rust on s390, which came with Linux 7.2.

use anyhow::{bail, Result};
use fs_err as fs;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct KernelTree {
    pub dir: PathBuf,
    /// VERSION.PATCHLEVEL.SUBLEVEL from its Makefile, e.g. `7.2.12`.
    pub release: String,
}

/// Checks that `dir` is a clean Linux tree with Rust on s390, before any make runs.
pub fn inspect(dir: &Path) -> Result<KernelTree> {
    if !dir.is_dir() {
        bail!("the kernel source {} is not a folder; give the top folder of a Linux tree", dir.display());
    }
    let release = release(dir);
    let Some(release) = release.filter(|_| dir.join("Kbuild").is_file() && dir.join("arch/s390/Kconfig").is_file())
    else {
        bail!(
            "{} is not a Linux source tree (no top Makefile with VERSION, PATCHLEVEL and SUBLEVEL, or no Kbuild \
or arch/s390/); give the top folder of a kernel checkout",
            dir.display()
        );
    };
    // The kernel's own Makefile refuses an O= build from a tree with any of these.
    let configured = [".config", "include/config", "arch/s390/include/generated"];
    if let Some(found) = configured.iter().find(|p| dir.join(p).exists()) {
        bail!(
            "{} has been configured or built in place (it has {found}); zlab builds out of tree (O=) only, which \
the kernel refuses then: run `make -C {} mrproper` (it deletes that configuration and every build output in \
the tree), or give a clean checkout",
            dir.display(),
            dir.display()
        );
    }
    let s390 = fs::read_to_string(dir.join("arch/s390/Kconfig"))?;
    if !s390.lines().any(|l| l.trim_start().starts_with("select HAVE_RUST")) {
        bail!(
            "Linux {release} in {} has no Rust support on s390 (its arch/s390/Kconfig does not select HAVE_RUST): \
Rust came to s390 with Linux 7.2; give a 7.2 or newer tree",
            dir.display()
        );
    }
    Ok(KernelTree { dir: fs::canonicalize(dir)?, release })
}

/// VERSION.PATCHLEVEL.SUBLEVEL from the tree's top Makefile.
pub fn release(dir: &Path) -> Option<String> {
    let makefile = std::fs::read_to_string(dir.join("Makefile")).ok()?;
    let field = |name: &str| {
        makefile.lines().find_map(|l| {
            let value = l.strip_prefix(name)?.trim_start();
            Some(value.strip_prefix('=')?.trim().to_string()).filter(|v| !v.is_empty())
        })
    };
    Some(format!("{}.{}.{}", field("VERSION")?, field("PATCHLEVEL")?, field("SUBLEVEL")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree with what inspect reads: the Makefile's version, Kbuild, arch/s390/Kconfig.
    fn tree(minor: u32, rust: bool) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("Makefile", &format!("# SPDX-License-Identifier: GPL-2.0\nVERSION = 7\nPATCHLEVEL = {minor}\nSUBLEVEL = 12\nEXTRAVERSION =\n"));
        write("Kbuild", "");
        let select = if rust { "\tselect HAVE_RUST if !EXPOLINE\n" } else { "" };
        write("arch/s390/Kconfig", &format!("config S390\n\tdef_bool y\n{select}\tselect HAVE_SETUP_PER_CPU_AREA\n"));
        dir
    }

    #[test]
    fn a_clean_tree_with_rust_on_s390_is_taken() {
        let dir = tree(2, true);
        let found = inspect(dir.path()).unwrap();
        assert_eq!(found.release, "7.2.12");
        assert_eq!(found.dir, std::fs::canonicalize(dir.path()).unwrap());
    }

    #[test]
    fn a_folder_that_is_no_kernel_tree_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Makefile"), "all:\n\techo hi\n").unwrap();
        let error = format!("{:#}", inspect(dir.path()).unwrap_err());
        assert!(error.contains("is not a Linux source tree"), "{error}");
        let missing = format!("{:#}", inspect(&dir.path().join("nothing")).unwrap_err());
        assert!(missing.contains("is not a folder"), "{missing}");
    }

    #[test]
    fn a_tree_configured_in_place_is_refused_with_mrproper() {
        for left in [".config", "include/config/auto.conf", "arch/s390/include/generated/asm/x.h"] {
            let dir = tree(3, true);
            let path = dir.path().join(left);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "").unwrap();
            let error = format!("{:#}", inspect(dir.path()).unwrap_err());
            assert!(error.contains("configured or built in place") && error.contains("mrproper"), "{left}: {error}");
        }
    }

    #[test]
    fn a_tree_without_rust_on_s390_is_refused() {
        let dir = tree(1, false);
        let error = format!("{:#}", inspect(dir.path()).unwrap_err());
        assert!(error.contains("Linux 7.1.12") && error.contains("no Rust support on s390"), "{error}");
    }
}
