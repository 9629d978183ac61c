//! `zlab bench --detectors`: what each of the kernel's bug detectors costs, side by side in one
//! run. Each rung is the test kernel without detectors plus one more of them, built from
//! nothing as the kernel of a scratch project (the bench check and rust-doctests copied into
//! it, a kernel/variants.toml of its own), then booted: rust-doctests, the warm loop and, where
//! the kernel has kmemleak, the bench check with a leak scan.

use super::cold::{build_from_nothing, now, today};
use super::stats::{round, Stats};
use super::warm::{doctests, edit_loop, zlab_test};
use super::Subject;
use crate::context::RunContext;
use crate::host::paths::remove_dir;
use crate::inputs::{kconfig, variants};
use anyhow::{bail, Context, Result};
use fs_err as fs;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The fragment that holds the cheap detectors, on in every variant.
const DETECTORS: &str = "detectors";
/// The expensive ones, each in a fragment of the debug variant.
const EXPENSIVE: [&str; 2] = ["lockdep", "leaks"];
/// The cheap detectors in the order the rungs add them; together they are DETECTORS.
const STEPS: [&[&str]; 3] =
    [&["RUST_OVERFLOW_CHECKS", "RUST_DEBUG_ASSERTIONS"], &["DEBUG_KERNEL", "DEBUG_ATOMIC_SLEEP"], &["KFENCE"]];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DetectorCosts {
    pub date: String,
    pub run: String,
    pub runs: usize,
    /// The check the warm loop touched (and the leak scan ran).
    pub check: String,
    pub rungs: Vec<Rung>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rung {
    /// What this rung adds to the one before, e.g. `+ KFENCE`.
    pub name: String,
    pub fragments: Vec<String>,
    /// This rung is the shipped test kernel.
    pub is_test_kernel: bool,
    pub build_seconds: f64,
    /// Object files the build made.
    pub objects: usize,
    /// Guest clock, from the kernel's start to "Run /init" (rust-doctests boots).
    pub boot_to_init: Stats,
    /// Host clock, QEMU's start to its exit, for rust-doctests.
    pub doctests_boot: Stats,
    pub doctests_passed: u64,
    pub warm_loop: Stats,
    /// The check with `leaks = true` (two kmemleak scans after its steps), against the same
    /// check without, on a kernel with kmemleak.
    pub leak_scan: Option<LeakScan>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeakScan {
    pub with: Stats,
    pub without: Stats,
}

/// One rung to build: its label, the fragments, and settings of its own on top.
struct Plan {
    name: String,
    fragments: Vec<String>,
    own: String,
    is_test_kernel: bool,
}

pub fn measure(ctx: &RunContext, check: &str, runs: u32) -> Result<DetectorCosts> {
    let plans = plans(ctx)?;
    let mut rungs = Vec::new();
    for (index, plan) in plans.iter().enumerate() {
        eprintln!(
            "zlab bench: detector rung {} of {}, {}: building the kernel from nothing (minutes)",
            index + 1,
            plans.len(),
            plan.name
        );
        rungs.push(rung(ctx, plan, index, check, runs)?);
    }
    Ok(DetectorCosts { date: today(), run: now(), runs: runs as usize, check: check.to_string(), rungs })
}

/// The test variant without DETECTORS, then each STEP added, the test kernel itself, and the
/// test kernel with each EXPENSIVE fragment.
fn plans(ctx: &RunContext) -> Result<Vec<Plan>> {
    let test = variants::load(&ctx.paths, variants::DEFAULT)?.fragments;
    if !test.iter().any(|f| f == DETECTORS) {
        bail!("the test variant has no `{DETECTORS}` fragment: kernel/variants.toml no longer says where the detectors are");
    }
    let without: Vec<String> = test.iter().filter(|f| *f != DETECTORS).cloned().collect();
    let settings = kconfig::parse_fragment(DETECTORS, &variants::fragment(&ctx.paths, DETECTORS)?)?;
    let stepped: Vec<&str> = STEPS.concat();
    let unstepped: Vec<&str> = settings.iter().map(|s| s.symbol.as_str()).filter(|s| !stepped.contains(s)).collect();
    if !unstepped.is_empty() || settings.len() != stepped.len() {
        bail!(
            "kernel/configs/{DETECTORS}.config and the bench's rungs ({}) differ (not in a rung: {}): update STEPS in zlab/src/bench/detectors.rs",
            stepped.join(", "),
            unstepped.join(", ")
        );
    }
    let mut plans = vec![Plan {
        name: format!("none ({})", without.join(", ")),
        fragments: without.clone(),
        own: String::new(),
        is_test_kernel: false,
    }];
    let mut own = String::new();
    for (index, step) in STEPS.iter().enumerate() {
        let last = index + 1 == STEPS.len();
        for symbol in *step {
            let setting = settings.iter().find(|s| s.symbol == *symbol).expect("checked above");
            own.push_str(&format!("CONFIG_{}={}\n", setting.symbol, setting.value));
        }
        plans.push(Plan {
            name: format!("+ {}{}", step.join(", "), if last { " = the test kernel" } else { "" }),
            // The last step is the shipped fragment itself: the test kernel as it is built.
            fragments: if last { test.clone() } else { without.clone() },
            own: if last { String::new() } else { own.clone() },
            is_test_kernel: last,
        });
    }
    for fragment in EXPENSIVE {
        let symbols: Vec<String> = kconfig::parse_fragment(fragment, &variants::fragment(&ctx.paths, fragment)?)?
            .into_iter()
            .map(|s| s.symbol)
            .collect();
        plans.push(Plan {
            name: format!("test kernel + {fragment} ({})", symbols.join(", ")),
            fragments: test.iter().cloned().chain([fragment.to_string()]).collect(),
            own: String::new(),
            is_test_kernel: false,
        });
    }
    Ok(plans)
}

const OWN_FRAGMENT: &str = "zlab-bench-rung";

fn rung(ctx: &RunContext, plan: &Plan, index: usize, check: &str, runs: u32) -> Result<Rung> {
    let root = ctx.paths.home.join("bench/detectors");
    let project = scratch_project(ctx, &root.join(format!("rung-{index}")), plan, check)?;
    let kernel = root.join("kernel");
    let builder = Subject { project: project.clone(), kernel_build: None };
    let build_seconds = round(
        build_from_nothing(ctx, &builder, &kernel)
            .with_context(|| format!("the rung `{}`, whose project is {}", plan.name, project.display()))?,
    );
    let objects = object_files(&kernel)?;
    let subject = Subject { project, kernel_build: Some(kernel.clone()) };
    let booted = doctests(ctx, &subject, runs)?;
    let warm = edit_loop(ctx, &subject, check, runs)?;
    let leak_scan = if has_kmemleak(&kernel)? { Some(leak_scan(ctx, &subject, check, runs)?) } else { None };
    remove_dir(&kernel)?;
    Ok(Rung {
        name: plan.name.clone(),
        fragments: plan.fragments.clone(),
        is_test_kernel: plan.is_test_kernel,
        build_seconds,
        objects,
        boot_to_init: booted.guest_boot_to_init,
        doctests_boot: booted.wall_boot,
        doctests_passed: booted.tests_passed,
        warm_loop: warm.wall,
        leak_scan,
    })
}

/// A project with this one's `check` (and its modules), rust-doctests, `<check>-leaks` and
/// `<check>-no-leaks` (the check with `leaks = true` and `false`), whose test kernel is the plan's.
fn scratch_project(ctx: &RunContext, dir: &Path, plan: &Plan, check: &str) -> Result<PathBuf> {
    let this = ctx.paths.project()?.root.clone();
    remove_dir(dir)?;
    fs::create_dir_all(dir.join("checks"))?;
    fs::create_dir_all(dir.join("kernel/configs"))?;
    fs::write(
        dir.join(crate::host::project::MANIFEST),
        format!("[project]\nname = \"bench-rung-{}\"\n", dir_name(dir)),
    )?;
    let modules = crate::run::runner::select(ctx, &[check.to_string()])?.remove(0).modules;
    for module in &modules {
        copy_flat(&this.join("modules").join(module), &dir.join("modules").join(module))?;
    }
    for name in [check, "rust-doctests"] {
        fs::copy(this.join(format!("checks/{name}.toml")), dir.join(format!("checks/{name}.toml")))?;
    }
    let text = fs::read_to_string(this.join(format!("checks/{check}.toml")))?;
    // A top-level key goes before the file's first table. Unset, `leaks` means a scan whenever
    // the kernel has kmemleak, so the check without one says so.
    for (suffix, leaks) in [("leaks", true), ("no-leaks", false)] {
        fs::write(dir.join(format!("checks/{check}-{suffix}.toml")), format!("leaks = {leaks}\n{text}"))?;
    }
    let mut fragments = plan.fragments.clone();
    if !plan.own.is_empty() {
        fs::write(dir.join(format!("kernel/configs/{OWN_FRAGMENT}.config")), &plan.own)?;
        fragments.push(OWN_FRAGMENT.to_string());
    }
    let list: Vec<String> = fragments.iter().map(|f| format!("\"{f}\"")).collect();
    fs::write(
        dir.join("kernel/variants.toml"),
        format!(
            "[{}]\ndescription = \"zlab bench --detectors: {}\"\nfragments = [{}]\n",
            variants::DEFAULT,
            plan.name,
            list.join(", ")
        ),
    )?;
    Ok(dir.to_path_buf())
}

fn dir_name(dir: &Path) -> String {
    dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A module folder's files (modules are flat: Kbuild and sources).
fn copy_flat(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let path = entry?.path();
        if path.is_file() {
            fs::copy(&path, to.join(path.file_name().expect("a file has a name")))?;
        }
    }
    Ok(())
}

fn object_files(dir: &Path) -> Result<usize> {
    let mut count = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "o") {
                count += 1;
            }
        }
    }
    Ok(count)
}

fn has_kmemleak(kernel: &Path) -> Result<bool> {
    let config = fs::read_to_string(kernel.join(".config"))?;
    Ok(kconfig::parse_config(&config).get("DEBUG_KMEMLEAK").is_some_and(|v| v == "y"))
}

fn leak_scan(ctx: &RunContext, subject: &Subject, check: &str, runs: u32) -> Result<LeakScan> {
    let leaks = format!("{check}-leaks");
    let time = |name: &str| -> Result<Stats> {
        zlab_test(ctx, subject, name)?;
        let mut walls = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            zlab_test(ctx, subject, name)?;
            walls.push(started.elapsed().as_secs_f64());
        }
        Stats::of(&walls).context("no runs")
    };
    Ok(LeakScan { with: time(&leaks)?, without: time(&format!("{check}-no-leaks"))? })
}
