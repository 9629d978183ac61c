//! `zlab repro`: two clean builds of the same pins must be the same bytes. Each build gets its
//! own unpacked source and build dir, at other paths and depths, so a path, a time or a build
//! count that leaks into an output shows up as a difference. Compared: bzImage, vmlinux, every
//! .ko (the kernel's and modules/'), and an initramfs holding every module.
//!
//! The first tree is kept and reused while its build stamp says its inputs are unchanged (it
//! was a clean build of exactly these inputs); the second is always built from nothing.

use crate::build::{self, Kernel};
use crate::compare::{self, Compared};
use crate::guest::{self, Ending};
use crate::initramfs::{self, Contents};
use crate::paths::{remove_dir, Paths};
use crate::pins::Pins;
use crate::{doctor, modules, note, say, source};
use anyhow::{bail, Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

struct Tree {
    root: PathBuf,
    source: PathBuf,
    build: PathBuf,
}

impl Tree {
    fn new(root: PathBuf, source: &str, build: &str) -> Tree {
        Tree { source: root.join(source), build: root.join(build), root }
    }
}

const INITRAMFS: &str = "initramfs.cpio";

pub fn run(paths: &Paths, variant: &str) -> Result<()> {
    doctor::require(paths)?;
    let pins = Pins::load(&paths.source_pins())?;
    let home = paths.home.join(format!("repro{}", paths.compiler.dir_suffix()));
    let trees = [Tree::new(home.join("first"), "linux", "build"), Tree::new(home.join("second/b"), "src-2", "out-2")];
    for (i, tree) in trees.iter().enumerate() {
        let which = if i == 0 { "first" } else { "second" };
        if i == 0 && build::up_to_date(paths, variant, &tree.source, &tree.build)? {
            note!("zlab repro: the first build is a clean build of these inputs already: {}", tree.build.display());
        } else {
            note!("zlab repro: {which} build, from nothing, in {}", tree.root.display());
            remove_dir(&tree.root)?;
            source::unpack(paths, &pins.kernel, &tree.source)?;
        }
        let kernel = build::build_from(paths, variant, &tree.source, &tree.build)
            .with_context(|| format!("the {which} build"))?;
        guest_of(paths, &kernel, &tree.root).with_context(|| format!("the {which} build's modules"))?;
    }

    let [first, second] = &trees;
    let compared = compare_trees(first, second)?;
    let report = home.join("report.txt");
    std::fs::write(&report, report_text(&compared))?;
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
            "not reproducible ({kernel}): {differ} of {} files differ between {} and {} (both kept; report: {})",
            compared.len(),
            first.root.display(),
            second.root.display(),
            report.display()
        );
    }
    remove_dir(&second.root)?;
    say!("reproducible ({kernel}): all {} files are the same bytes in two clean builds", compared.len());
    Ok(())
}

/// Every module of modules/ built against `kernel`, and an initramfs with all of them in `dir`.
fn guest_of(paths: &Paths, kernel: &Kernel, dir: &Path) -> Result<()> {
    let names = modules::list(paths)?;
    let mut files = Vec::new();
    for built in modules::build_each(paths, kernel, &names) {
        let ko = built.result.map_err(|e| anyhow::anyhow!("module {} did not build:\n{e}", built.name))?;
        files.push((format!("{}.ko", built.name), ko));
    }
    let busybox = guest::busybox(paths)?;
    let contents = Contents { busybox: &busybox, steps: &[], ending: Ending::PowerOff, modules: files };
    initramfs::create(kernel, dir, &contents)?;
    Ok(())
}

/// The kernel image, vmlinux and every .ko of both builds, then the two initramfs files.
fn compare_trees(first: &Tree, second: &Tree) -> Result<Vec<Compared>> {
    let mut names: BTreeSet<String> = ["arch/s390/boot/bzImage", "vmlinux"].map(String::from).into();
    names.extend(compare::find(&first.build, &[".ko"])?);
    names.extend(compare::find(&second.build, &[".ko"])?);
    let mut compared = compare::files(&first.build, &second.build, &names)?;
    compared.extend(compare::files(&first.root, &second.root, &BTreeSet::from([INITRAMFS.to_string()]))?);
    Ok(compared)
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
