//! `zlab modules`: every modules/<name> of the project built out of tree against a kernel build,
//! with the output kept in the build dir (Kbuild's MO=), under the project's key, so the project
//! stays clean and two projects' modules never meet.

use crate::build::kbuild_path;
use crate::build::kernel::Kernel;
use crate::context::RunContext;
use crate::host::lock::DirLock;
use crate::host::paths::Paths;
use anyhow::{bail, Context, Result};
use fs_err as fs;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

pub struct Built {
    pub name: String,
    pub result: Result<PathBuf, String>,
}

/// The module folders under modules/ (each with a Kbuild file), sorted. Hidden folders are not
/// modules: `zlab new` makes its module in one before moving it in.
pub fn list(paths: &Paths) -> Result<Vec<String>> {
    let dir = paths.modules_dir()?;
    let mut names: Vec<String> = fs::read_dir(&dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Kbuild").is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort();
    Ok(names)
}

/// The module builds of one `zlab test`, so that checks sharing a module build it once, also
/// when they run at once (`-j`); kept by kernel build dir and module.
#[derive(Default)]
pub struct Builds {
    made: Mutex<BTreeMap<Key, Arc<OnceLock<Made>>>>,
}

/// The kernel build dir and the module's name.
type Key = (PathBuf, String);

/// A module's .ko, or why it did not build.
type Made = Result<PathBuf, String>;

impl Builds {
    /// Each named module, built unless this run has built it for `kernel` already; one
    /// module's failure does not stop the others.
    pub fn each(&self, ctx: &RunContext, kernel: &Kernel, names: &[String]) -> Vec<Built> {
        names.iter().map(|name| Built { name: name.clone(), result: self.one(ctx, kernel, name) }).collect()
    }

    fn one(&self, ctx: &RunContext, kernel: &Kernel, name: &str) -> Made {
        let key = (kernel.dir.clone(), name.to_string());
        let cell = self.made.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).entry(key).or_default().clone();
        // A second check needing the module waits here while the first one builds it.
        cell.get_or_init(|| build_one(ctx, kernel, name).map_err(|e| format!("{e:#}"))).clone()
    }
}

fn build_one(ctx: &RunContext, kernel: &Kernel, name: &str) -> Result<PathBuf> {
    let out = kernel.modules_out.join(&ctx.paths.project()?.key).join(name);
    build_into(ctx, kernel, name, &out, &[])
}

/// modules/NAME built again with line tables (rustc `-Cdebuginfo=line-tables-only`, C `-g1`)
/// beside its normal build, for addr2line to decode a fault in `booted` (judge::decode); the
/// modules a guest boots have none, so the warm loop never pays for them. The copy is used only
/// if its code is byte for byte the booted module's: debug info must not change code, and
/// this proves it did not.
pub fn debug_twin(ctx: &RunContext, kernel: &Kernel, name: &str, booted: &Path) -> Result<PathBuf> {
    let out = kernel.modules_out.join(&ctx.paths.project()?.key).join(format!("{name}.line-tables"));
    let flags = [("KRUSTFLAGS", "-Cdebuginfo=line-tables-only -Zdwarf-version=4"), ("KCFLAGS", "-g1 -gdwarf-4")];
    let twin = build_into(ctx, kernel, name, &out, &flags)?;
    match code_differs(booted, &twin)? {
        None => Ok(twin),
        Some(section) => bail!("its build with line tables differs from the booted one in {section}"),
    }
}

/// Builds modules/NAME into `out` with `flags` added to the environment's own (the kernel's
/// KRUSTFLAGS and KCFLAGS).
fn build_into(ctx: &RunContext, kernel: &Kernel, name: &str, out: &Path, flags: &[(&str, &str)]) -> Result<PathBuf> {
    let src = ctx.paths.modules_dir()?.join(name);
    if !src.join("Kbuild").is_file() {
        bail!("modules/{name} has no Kbuild file (is the name right? `zlab modules --list` shows them)");
    }
    kbuild_path::require_usable(&[&src, out])?;
    let _lock = DirLock::acquire(out)?;
    let tc = &ctx.tools;
    let mut make = tc.kernel_make(&kernel.source, &kernel.dir);
    make.arg(format!("M={}", src.display()))
        .arg(format!("MO={}", out.display()))
        .arg(format!("-j{}", tc.jobs))
        .arg("modules");
    for (variable, flag) in flags {
        let own = std::env::var(variable).unwrap_or_default();
        make.env(variable, format!("{own} {flag}").trim_start());
    }
    let output = crate::host::process::dies_with_zlab(&mut make, crate::host::process::Signal::TERM)
        .output()
        .with_context(|| format!("could not run make for modules/{name}"))?;
    let log = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    fs::write(out.join("zlab-build.log"), &log)?;
    let ko = out.join(format!("{name}.ko"));
    if !output.status.success() {
        bail!("{}\n(full log: {})", first_error(&log), out.join("zlab-build.log").display());
    }
    if !ko.is_file() {
        bail!("the build succeeded but made no {name}.ko: its Kbuild must say `obj-m := {name}.o`");
    }
    Ok(ko)
}

/// The first code section whose bytes differ between two builds of a module, if any.
fn code_differs(a: &Path, b: &Path) -> Result<Option<String>> {
    use object::{Object, ObjectSection, SectionKind};
    let (a_bytes, b_bytes) = (fs::read(a)?, fs::read(b)?);
    let parse = |bytes, file: &Path| object::File::parse(bytes).with_context(|| format!("reading {}", file.display()));
    let (a_elf, b_elf) = (parse(&*a_bytes, a)?, parse(&*b_bytes, b)?);
    for section in a_elf.sections().filter(|s| s.kind() == SectionKind::Text) {
        let name = section.name().unwrap_or("?").to_string();
        let twin = b_elf.section_by_name(&name).map(|s| s.data().map(<[u8]>::to_vec));
        if twin.transpose()?.as_deref() != Some(section.data()?) {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// The compiler's first error with the lines that locate it (rustc prints ` --> file:line` after).
pub fn first_error(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    let start =
        lines.iter().position(|l| l.starts_with("error") || l.contains(": error:") || l.contains(": fatal error:"));
    match start {
        Some(i) => lines[i..].iter().take(8).take_while(|l| !l.is_empty()).copied().collect::<Vec<_>>().join("\n"),
        None => lines.iter().rev().take(10).rev().copied().collect::<Vec<_>>().join("\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::{first_error, list};
    use crate::host::paths::Paths;

    #[test]
    fn a_hidden_folder_is_not_a_module() {
        let repo = tempfile::tempdir().unwrap();
        for dir in ["mine", ".mine.x4Tq9z", "notes"] {
            std::fs::create_dir_all(repo.path().join("modules").join(dir)).unwrap();
        }
        std::fs::write(repo.path().join("modules/mine/Kbuild"), "").unwrap();
        std::fs::write(repo.path().join("modules/.mine.x4Tq9z/Kbuild"), "").unwrap();
        let paths = Paths::for_tests(repo.path(), &repo.path().join("home"));
        assert_eq!(list(&paths).unwrap(), ["mine"]);
    }

    #[test]
    fn the_first_rust_error_with_its_location() {
        let log = "  RUSTC [M] x.o\nwarning: unstable feature specified for `-Ctarget-feature`: `backchain`\n\nerror[E0425]: cannot find value `y` in this scope\n --> /m/x.rs:10:5\n  |\n10 |     y\n\nerror: aborting due to 1 previous error\n";
        let e = first_error(log);
        assert!(e.starts_with("error[E0425]") && e.contains("x.rs:10:5"), "{e}");
        assert!(!e.contains("aborting"));
    }

    #[test]
    fn a_c_error_is_found_too() {
        let log = "  CC [M]  shim.o\n/m/shim.c:3:1: error: unknown type name 'foo'\n    3 | foo x;\n";
        assert!(first_error(log).starts_with("/m/shim.c:3:1: error"));
    }
}
