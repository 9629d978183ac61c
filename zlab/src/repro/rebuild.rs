//! `zlab repro`: the kernel the checks boot must be the same bytes as a clean build of the same
//! pins. The first tree is the checks' own build (`zlab build`'s dir for this variant and
//! toolchain, from the normally unpacked source): brought up to date the normal way, never
//! removed, and usually a long-lived incremental build, relinked and rebuilt many times. The
//! second is built from nothing, with its own unpacked source and build dir at other paths and
//! depths, so a path, a time, a build count or a leftover of an earlier build that leaks into an
//! output shows up as a difference. Compared: bzImage, vmlinux, every in-tree .ko the build
//! lists in its modules.order, every module of modules/ built against each kernel, and an
//! initramfs holding all of those modules.
//!
//! What repro writes for the first tree (its modules/ builds, its initramfs) goes under
//! `$ZLAB_HOME/repro[.llvm]/checks-build`, never into the build dir, where `zlab modules` and
//! `zlab test` keep theirs. The second tree is `$ZLAB_HOME/repro[.llvm]/second`, removed when the
//! two agree. So `zlab repro` costs one kernel build from nothing when the checks' build exists.

use crate::build::kernel::{self, Kernel};
use crate::build::modules;
use crate::context::RunContext;
use crate::guest::init::{self, Ending};
use crate::guest::initramfs::{self, Contents};
use crate::host::lock::DirLock;
use crate::host::paths::{remove_dir, Paths};
use crate::inputs::source;
use crate::repro::compare::{self, Compared};
use crate::setup::doctor;
use crate::{note, say};
use anyhow::{bail, Context, Result};
use fs_err as fs;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One side of the comparison.
#[derive(Debug)]
pub struct Tree {
    pub source: PathBuf,
    pub build: PathBuf,
    /// modules/<name> built against this kernel (Kbuild's MO=), one folder per module.
    pub modules: PathBuf,
    /// Holds initramfs.cpio and the guest/ files it is made from.
    pub guest: PathBuf,
}

/// Where both trees are, for one variant and toolchain.
#[derive(Debug)]
pub struct Trees {
    /// The checks' build, from the source `zlab build` uses.
    pub first: Tree,
    pub second: Tree,
    /// Holds all of the second tree; removed before it is built and after a passing run.
    pub second_root: PathBuf,
}

impl Trees {
    /// `checks_source` and `checks_build` are the source and dir of the checks' build.
    pub fn new(paths: &Paths, checks_source: &Path, checks_build: &Path) -> Trees {
        let home = repro_home(paths);
        let outputs = home.join("checks-build");
        // One level deeper than the checks' source and build dir, and other names.
        let b = home.join("second/b");
        Trees {
            first: Tree {
                source: checks_source.to_path_buf(),
                build: checks_build.to_path_buf(),
                modules: outputs.join("modules"),
                guest: outputs,
            },
            second: Tree {
                source: b.join("src-2"),
                build: b.join("out-2"),
                modules: b.join("mods-2"),
                guest: b.clone(),
            },
            second_root: home.join("second"),
        }
    }
}

fn repro_home(paths: &Paths) -> PathBuf {
    paths.home.join(paths.label("repro"))
}

const INITRAMFS: &str = "initramfs.cpio";

pub fn run(ctx: &RunContext, variant: &str) -> Result<()> {
    let paths = &ctx.paths;
    doctor::require(ctx)?;
    if let Some(dir) = &ctx.env.kernel_build {
        bail!(
            "ZLAB_KERNEL_BUILD={} names a kernel built elsewhere; zlab repro compares zlab's own build of the checks' kernel with a clean build. Unset ZLAB_KERNEL_BUILD",
            dir.display()
        );
    }
    let pins = ctx.pins()?;
    let home = repro_home(paths);
    // One repro per toolchain at a time: a second waits instead of removing the first's trees.
    let _one_repro = DirLock::acquire(&home)?;
    remove_old_first_tree(&home)?;

    note!("zlab repro: first build: the checks' build, brought up to date as `zlab build` does");
    let checks = kernel::build(ctx, variant, None).context("the first build (the checks' build)")?;
    let trees = Trees::new(paths, &checks.source, &checks.dir);
    let (first, second) = (&trees.first, &trees.second);

    note!("zlab repro: second build, from nothing, in {}", trees.second_root.display());
    remove_dir(&trees.second_root)?;
    source::unpack(ctx, &pins.kernel, &second.source)?;
    let clean =
        kernel::build_from(ctx, variant, &second.source, &second.build).context("the second build (from nothing)")?;
    guest_of(ctx, &clean, second).context("the second build's modules")?;

    // The clean build took minutes, in which another zlab may have rebuilt the checks' build:
    // hold it still while its modules are built and it is compared.
    let _checks_still = DirLock::acquire(&first.build)?;
    if !kernel::up_to_date(ctx, variant, &first.source, &first.build)? {
        bail!(
            "the checks' build {} changed while zlab repro ran (another zlab rebuilt it, or the source was edited); run zlab repro again",
            first.build.display()
        );
    }
    let module_names = guest_of(ctx, &checks, first).context("the checks' build's modules")?;

    let compared = compare_trees(first, second, &module_names)?;
    let report = home.join("report.txt");
    fs::write(&report, report_text(&compared))?;
    for c in &compared {
        match &c.difference {
            None => say!("same     {}  {}", short(&c.first), c.file),
            Some(why) => say!("DIFFERS  {} {}  {}: {why}", short(&c.first), short(&c.second), c.file),
        }
    }
    let differ = compared.iter().filter(|c| !c.identical()).count();
    let kernel = format!("{variant} kernel, {}", paths.compiler.name());
    if differ > 0 {
        bail!(
            "not reproducible ({kernel}): {differ} of {} files differ between the checks' build ({}, modules and initramfs in {}) and a clean build ({}, kept; report: {})",
            compared.len(),
            first.build.display(),
            first.guest.display(),
            trees.second_root.display(),
            report.display()
        );
    }
    remove_dir(&trees.second_root)?;
    say!(
        "reproducible ({kernel}): all {} files are the same bytes in the checks' build and a clean build",
        compared.len()
    );
    Ok(())
}

/// Before the first tree was the checks' build, repro kept its own first tree (about 3 GB) in
/// `first`; nothing uses it any more. Returns whether there was one to remove.
fn remove_old_first_tree(home: &Path) -> Result<bool> {
    let old = home.join("first");
    if !old.exists() {
        return Ok(false);
    }
    note!(
        "zlab repro: removing {}, an earlier zlab repro's first tree (the first tree is now the checks' build)",
        old.display()
    );
    remove_dir(&old)?;
    Ok(true)
}

/// Every module of modules/ built against `kernel` into the tree's modules folder, and an
/// initramfs with all of them in its guest folder. Returns the modules' files, relative to the
/// modules folder.
fn guest_of(ctx: &RunContext, kernel: &Kernel, tree: &Tree) -> Result<BTreeSet<String>> {
    let kernel = Kernel { modules_out: tree.modules.clone(), ..kernel.clone() };
    let names = modules::list(&ctx.paths)?;
    let mut files = Vec::new();
    let mut relative = BTreeSet::new();
    for built in modules::Builds::default().each(ctx, &kernel, &names) {
        let ko = built.result.map_err(|e| anyhow::anyhow!("module {} did not build:\n{e}", built.name))?;
        // Under the project's key, as `zlab modules` builds them.
        let inside = ko.strip_prefix(&tree.modules).context("a module was built outside the tree's modules folder")?;
        relative.insert(inside.to_string_lossy().into_owned());
        files.push((format!("{}.ko", built.name), ko));
    }
    let busybox = init::busybox(ctx)?;
    let contents = Contents {
        busybox: &busybox,
        steps: &[],
        leak_scan: false,
        ending: Ending::PowerOff,
        kunit: None,
        modules: files,
    };
    initramfs::create(&kernel, &tree.guest, &contents)?;
    Ok(relative)
}

/// The kernel image, vmlinux and the in-tree modules of both builds, the modules/ builds of
/// both, then the two initramfs files.
fn compare_trees(first: &Tree, second: &Tree, module_names: &BTreeSet<String>) -> Result<Vec<Compared>> {
    let mut names: BTreeSet<String> = ["arch/s390/boot/bzImage", "vmlinux"].map(String::from).into();
    names.extend(in_tree_modules(&first.build)?);
    names.extend(in_tree_modules(&second.build)?);
    let mut compared = compare::files(&first.build, &second.build, &names)?;
    let mut ours = compare::files(&first.modules, &second.modules, module_names)?;
    ours.iter_mut().for_each(|c| c.file = format!("modules/{}", c.file));
    compared.extend(ours);
    compared.extend(compare::files(&first.guest, &second.guest, &BTreeSet::from([INITRAMFS.to_string()]))?);
    Ok(compared)
}

/// The .ko files a kernel build made, from its modules.order (which lists `dir/name.o`, or
/// `dir/name.ko` in older kernels). Not a search of the build dir: a long-lived build may hold
/// .ko files of an earlier configuration, and zlab's own modules/ outputs.
fn in_tree_modules(build: &Path) -> Result<BTreeSet<String>> {
    let order = build.join("modules.order");
    let text = match fs::read_to_string(&order) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", order.display())),
    };
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("{}.ko", l.strip_suffix(".o").or_else(|| l.strip_suffix(".ko")).unwrap_or(l)))
        .collect())
}

fn report_text(compared: &[Compared]) -> String {
    let mut text = String::new();
    for c in compared {
        let sum = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
        let verdict = c.difference.as_deref().unwrap_or("same");
        text.push_str(&format!("{}  {}  {}  {verdict}\n", sum(&c.first), sum(&c.second), c.file));
    }
    text
}

fn short(sum: &Option<String>) -> String {
    sum.as_deref().map(|s| s[..16].to_string()).unwrap_or_else(|| format!("{:<16}", "(missing)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toolchain::tools::Compiler;

    fn paths(compiler: Compiler) -> Paths {
        Paths { compiler, ..Paths::for_tests("/repo".as_ref(), "/h".as_ref()) }
    }

    fn trees(compiler: Compiler) -> (Paths, Trees) {
        let paths = paths(compiler);
        let trees = Trees::new(&paths, Path::new("/h/src/linux-7.3.4-abc"), &paths.build_dir("test"));
        (paths, trees)
    }

    #[test]
    fn the_first_tree_is_the_checks_build_and_repro_never_removes_it() {
        for compiler in [Compiler::Gcc, Compiler::Llvm] {
            let (paths, t) = trees(compiler);
            assert_eq!(t.first.build, paths.build_dir("test"));
            assert_eq!(t.first.source, Path::new("/h/src/linux-7.3.4-abc"));
            let home = repro_home(&paths);
            assert_eq!(home, paths.home.join(format!("repro{}", compiler.dir_suffix())));
            // What repro removes (the second tree, an old `first`) holds nothing of the first tree.
            for removed in [&t.second_root, &home.join("first")] {
                assert!(!t.first.build.starts_with(removed) && !t.first.source.starts_with(removed), "{removed:?}");
            }
            for second in [&t.second.source, &t.second.build, &t.second.modules, &t.second.guest] {
                assert!(second.starts_with(&t.second_root), "{second:?}");
            }
        }
    }

    #[test]
    fn what_repro_writes_for_the_first_tree_stays_out_of_its_build_dir() {
        let (paths, t) = trees(Compiler::Gcc);
        for ours in [&t.first.modules, &t.first.guest] {
            assert!(ours.starts_with(repro_home(&paths)) && !ours.starts_with(&t.first.build), "{ours:?}");
        }
    }

    #[test]
    fn the_two_trees_outputs_cannot_collide() {
        let (_, t) = trees(Compiler::Gcc);
        let dirs = [&t.first.build, &t.first.modules, &t.second.build, &t.second.modules, &t.second.source];
        for (i, a) in dirs.iter().enumerate() {
            for b in &dirs[i + 1..] {
                assert!(!a.starts_with(b) && !b.starts_with(a), "{a:?} and {b:?} overlap");
            }
        }
        assert_ne!(t.first.guest.join(INITRAMFS), t.second.guest.join(INITRAMFS));
    }

    #[test]
    fn the_second_tree_is_at_other_paths_and_depths() {
        let (_, t) = trees(Compiler::Gcc);
        let depth = |p: &Path| p.components().count();
        assert_ne!(depth(&t.first.build), depth(&t.second.build));
        assert_ne!(depth(&t.first.source), depth(&t.second.source));
        assert_ne!(depth(&t.first.modules), depth(&t.second.modules));
        assert_ne!(t.first.source.file_name(), t.second.source.file_name());
    }

    #[test]
    fn gcc_and_llvm_repro_trees_are_apart() {
        let ((gcc_paths, gcc), (llvm_paths, llvm)) = (trees(Compiler::Gcc), trees(Compiler::Llvm));
        let (gcc_home, llvm_home) = (repro_home(&gcc_paths), repro_home(&llvm_paths));
        assert_ne!(gcc_home, llvm_home);
        assert_ne!(gcc.first.build, llvm.first.build);
        assert!(!gcc.second_root.starts_with(&llvm_home) && !llvm.second_root.starts_with(&gcc_home));
    }

    #[test]
    fn an_old_first_tree_is_removed_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("first/build/arch")).unwrap();
        std::fs::write(dir.path().join("first/build/vmlinux"), "old").unwrap();
        std::fs::create_dir_all(dir.path().join("checks-build")).unwrap();
        assert!(remove_old_first_tree(dir.path()).unwrap());
        assert!(!dir.path().join("first").exists() && dir.path().join("checks-build").is_dir());
        assert!(!remove_old_first_tree(dir.path()).unwrap());
    }

    #[test]
    fn in_tree_modules_come_from_modules_order_not_from_what_lies_around() {
        let dir = tempfile::tempdir().unwrap();
        assert!(in_tree_modules(dir.path()).unwrap().is_empty());
        std::fs::create_dir_all(dir.path().join("samples/rust")).unwrap();
        std::fs::write(dir.path().join("samples/rust/left_over.ko"), "").unwrap();
        std::fs::write(dir.path().join("modules.order"), "samples/rust/rust_minimal.o\n\nfs/old_style.ko\n").unwrap();
        let found: Vec<String> = in_tree_modules(dir.path()).unwrap().into_iter().collect();
        assert_eq!(found, ["fs/old_style.ko", "samples/rust/rust_minimal.ko"]);
    }
}
