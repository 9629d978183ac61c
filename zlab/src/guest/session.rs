//! Turning a check into a bootable guest: the kernel its variant needs, its modules built, and
//! an initramfs in the check's run folder. Shared by `boot`, `initramfs` and `test`.

use crate::build::kernel::{self, Kernel};
use crate::build::modules;
use crate::context::RunContext;
use crate::guest::gdb::Debugger;
use crate::guest::init::{self, Ending};
use crate::guest::initramfs::{self, Contents};
use crate::guest::qemu::{Machine, GUEST_MEMORY_MIB};
use crate::guest::snapshot::Snapshot;
use crate::host::lock::DirLock;
use crate::inputs::check::Check;
use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Kernels built during this run, by variant, so checks that share one build it once.
#[derive(Default)]
pub struct Kernels {
    built: BTreeMap<String, Result<Kernel, String>>,
}

impl Kernels {
    pub fn get(&mut self, ctx: &RunContext, variant: &str) -> Result<Kernel> {
        let entry = self
            .built
            .entry(variant.to_string())
            .or_insert_with(|| kernel::build(ctx, variant, None).map_err(|e| format!("{e:#}")));
        match entry {
            Ok(kernel) => Ok(kernel.clone()),
            Err(e) => bail!("the {variant} kernel did not build: {e}"),
        }
    }
}

/// Builds the check's zlab modules and lists every module file the guest gets.
pub fn guest_modules(
    ctx: &RunContext,
    builds: &modules::Builds,
    kernel: &Kernel,
    check: &Check,
) -> Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for built in builds.each(ctx, kernel, &check.modules) {
        match built.result {
            Ok(ko) => files.push((format!("{}.ko", built.name), ko)),
            Err(e) => errors.push(format!("module {} did not build:\n{e}", built.name)),
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    for relative in &check.kernel_modules {
        let file = kernel.module_file(relative);
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !file.is_file() {
            bail!(
                "kernel module {relative} is not in the {} build: does a fragment in kernel/configs set it to m?",
                kernel.variant
            );
        }
        files.push((name, file));
    }
    Ok(files)
}

/// A check's guest, ready to boot, and how long its parts took to make.
pub struct Guest {
    pub machine: Machine,
    /// The check's run folder stays locked (for the boot too) until the guest is dropped.
    pub lock: DirLock,
    /// Each module in the guest: its file name there and the file it came from.
    pub modules: Vec<(String, PathBuf)>,
    pub modules_took: Duration,
    pub initramfs_took: Duration,
}

/// The check's guest, ready to boot: its modules built (or taken from `builds`) and its
/// initramfs written into the check's run folder.
pub fn prepare(
    ctx: &RunContext,
    builds: &modules::Builds,
    kernel: &Kernel,
    check: &Check,
    ending: Ending,
) -> Result<Guest> {
    prepared(ctx, builds, kernel, check, ending, |dir, contents| {
        Ok(Machine {
            kernel: kernel.bzimage(),
            initrd: initramfs::create(kernel, dir, contents)?,
            kernel_args: with_leak_scan_args(check.kernel_command_line(), contents.leak_scan),
            memory_mib: GUEST_MEMORY_MIB,
            gdb_port: None,
            resumable: None,
        })
    })
}

/// The check's guest, ready to resume from `saved`: its modules built and its cpio written into
/// the disk the saved guest reads.
pub fn prepare_resumed(
    ctx: &RunContext,
    builds: &modules::Builds,
    kernel: &Kernel,
    check: &Check,
    saved: &Snapshot,
) -> Result<Guest> {
    prepared(ctx, builds, kernel, check, Ending::PowerOff, |dir, contents| {
        let disk = crate::guest::snapshot::payload_disk(dir, &initramfs::payload(kernel, dir, contents)?)?;
        let mut machine = saved.machine.clone();
        if let Some(resumable) = &mut machine.resumable {
            resumable.disk = disk;
        }
        Ok(machine)
    })
}

/// The kernel arguments of the saved guest the check resumes, which it is keyed on: the check's
/// own, and those a leak scan needs.
pub fn resumed_kernel_args(kernel: &Kernel, check: &Check) -> Result<Vec<String>> {
    Ok(with_leak_scan_args(check.resumed_kernel_command_line(), leak_scan(kernel, check)?))
}

fn with_leak_scan_args(mut args: Vec<String>, leak_scan: bool) -> Vec<String> {
    if leak_scan {
        args.extend(init::LEAK_SCAN_KERNEL_ARGS.iter().map(|a| a.to_string()));
    }
    args
}

fn prepared(
    ctx: &RunContext,
    builds: &modules::Builds,
    kernel: &Kernel,
    check: &Check,
    ending: Ending,
    machine: impl FnOnce(&std::path::Path, &Contents) -> Result<Machine>,
) -> Result<Guest> {
    let dir = ctx.paths.run_dir(&check.name)?;
    let lock = DirLock::acquire(&dir)?;
    let started = Instant::now();
    let modules = guest_modules(ctx, builds, kernel, check)?;
    let modules_took = started.elapsed();
    let started = Instant::now();
    let busybox = init::busybox(ctx)?;
    let leak_scan = leak_scan(kernel, check)?;
    let contents = Contents {
        busybox: &busybox,
        steps: &check.step,
        leak_scan,
        ending,
        kunit: check.resumed_kunit(),
        modules: modules.clone(),
    };
    let machine = machine(&dir, &contents)?;
    Ok(Guest { machine, lock, modules, modules_took, initramfs_took: started.elapsed() })
}

/// Whether the check's guest scans for leaks: as its `leaks` says, else when the kernel has
/// kmemleak. A check that asks for it on a kernel without kmemleak is refused.
fn leak_scan(kernel: &Kernel, check: &Check) -> Result<bool> {
    let kmemleak = kernel.has("DEBUG_KMEMLEAK");
    match check.leaks {
        Some(true) if !kmemleak => bail!(
            "check {} asks for `leaks = true`, but its kernel ({}) has no kmemleak (CONFIG_DEBUG_KMEMLEAK): give it a variant that has, e.g. `variant = \"debug\"` in the check or `--variant debug`",
            check.name,
            kernel.variant
        ),
        Some(asked) => Ok(asked),
        None => Ok(kmemleak),
    }
}

/// Makes the guest wait for `debugger` and run where its gdb command expects the kernel; says
/// how to attach before anything starts.
pub fn attach(machine: &mut Machine, debugger: &Debugger) {
    machine.gdb_port = Some(debugger.port);
    machine.kernel_args.extend(crate::guest::gdb::KERNEL_ARGS.iter().map(|a| a.to_string()));
    eprintln!("{}", debugger.announcement());
}
