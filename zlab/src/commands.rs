//! The subcommands that are glue: each one's work lives in its own module.

use crate::build::kernel::Kernel;
use crate::build::{kernel, modules};
use crate::guest::gdb::Debugger;
use crate::guest::init::Ending;
use crate::guest::qemu;
use crate::guest::session::{self, Kernels};
use crate::host::paths::Paths;
use crate::inputs::check::Check;
use crate::run::runner;
use crate::setup::doctor;
use crate::toolchain::tools::Toolchain;
use anyhow::{bail, Result};
use fs_err as fs;

pub fn fetch(paths: &Paths) -> Result<()> {
    let pins = crate::inputs::pins::Pins::load(&paths.source_pins())?;
    let fetched = crate::inputs::downloads::fetch_missing(paths, &pins.debs())?;
    if fetched.is_empty() {
        println!("zlab fetch: both pinned downloads are present and verified");
    }
    for f in fetched {
        println!("downloaded and verified {f}");
    }
    Ok(())
}

pub fn new(paths: &Paths, name: &str) -> Result<()> {
    let made = crate::build::scaffold::create(paths, name)?;
    println!("made {} and {}", made.module_dir.display(), made.check.display());
    println!("Next: `zlab test {name}` builds it, boots it and runs its KUnit suite; then edit {name}.rs.");
    println!("Editor: rerun `zlab rust-analyzer` so rust-analyzer knows the new module.");
    Ok(())
}

pub fn rust_analyzer(paths: &Paths, variant: &str, output: Option<std::path::PathBuf>) -> Result<()> {
    let output = output.unwrap_or_else(|| paths.repo.join("rust-project.json"));
    let written = crate::build::rust_analyzer::write(paths, variant, &output)?;
    println!("wrote {} ({} crates)", written.file.display(), written.crates);
    println!("  kernel crates: {}", crate::build::rust_analyzer::KERNEL_CRATES.join(", "));
    for (folder, krate) in &written.modules {
        println!("  modules/{folder}: crate {krate}");
    }
    println!("Open the repository's folder in your editor; rust-analyzer reads this file from there.");
    println!("It holds absolute paths into {}, so it stays out of git.", paths.home.display());
    Ok(())
}

pub fn modules(paths: &Paths, names: &[String], variant: &str, list: bool) -> Result<()> {
    let all = modules::list(paths)?;
    if list {
        all.iter().for_each(|m| println!("{m}"));
        return Ok(());
    }
    let names = if names.is_empty() { all } else { names.to_vec() };
    let kernel = kernel::build(paths, variant, None)?;
    let mut failed = 0;
    for built in modules::build_each(paths, &kernel, &names) {
        match built.result {
            Ok(ko) => println!("ok     {:<16} {}", built.name, ko.display()),
            Err(e) => {
                failed += 1;
                println!("FAILED {:<16}\n{}", built.name, indent(&e));
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} module(s) did not build", names.len());
    }
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

pub fn initramfs(paths: &Paths, check: Option<&str>) -> Result<()> {
    let (check, ending, kernel) = guest_for(paths, check, false)?;
    let guest = session::prepare(paths, &kernel, &check, ending)?;
    println!("{}", guest.machine.initrd.display());
    Ok(())
}

/// A check's guest, powering off at the end; or, without a check, the interactive guest. Either
/// way with the kernel it boots (the variant's gdb twin when `for_gdb`), built once.
fn guest_for(paths: &Paths, check: Option<&str>, for_gdb: bool) -> Result<(Check, Ending, Kernel)> {
    let variant_of =
        |name: &str| if for_gdb { crate::inputs::variants::for_gdb(paths, name) } else { Ok(name.to_string()) };
    match check {
        Some(name) => {
            let check = one_check(paths, name)?;
            let kernel = Kernels::default().get(paths, &variant_of(&check.variant)?)?;
            Ok((check, Ending::PowerOff, kernel))
        }
        None => {
            // Built first so the in-tree samples exist when the guest's module list is made.
            let kernel = kernel::build(paths, &variant_of(crate::inputs::variants::DEFAULT)?, None)?;
            Ok((everything(paths, &kernel)?, Ending::Shell, kernel))
        }
    }
}

fn one_check(paths: &Paths, name: &str) -> Result<Check> {
    Ok(runner::select(paths, &[name.to_string()])?.remove(0))
}

/// Without a check: every zlab module and every in-tree Rust sample in /lib/modules, and a shell.
fn everything(paths: &Paths, kernel: &Kernel) -> Result<Check> {
    let kernel_samples = fs::read_dir(kernel.dir.join("samples/rust"))
        .map(|d| {
            let mut v: Vec<String> = d
                .filter_map(|e| e.ok()?.file_name().to_str().map(str::to_string))
                .filter(|n| n.ends_with(".ko"))
                .map(|n| format!("samples/rust/{n}"))
                .collect();
            v.sort();
            v
        })
        .unwrap_or_default();
    Ok(Check {
        name: "interactive".into(),
        description: "interactive shell".into(),
        variant: crate::inputs::variants::DEFAULT.into(),
        timeout: crate::inputs::check::DEFAULT_TIMEOUT_SECS,
        modules: modules::list(paths)?,
        kernel_modules: kernel_samples,
        kernel_args: vec![],
        expect: vec![],
        forbid: vec![],
        step: vec![],
        ktap: vec![],
        // A person at the shell expects a module's KUnit suite to run when they load it.
        kunit: crate::inputs::check::Kunit::All,
    })
}

/// `gdb`: None boots normally; Some(port) waits for a debugger (on a free port when None).
pub fn boot(paths: &Paths, check: Option<&str>, interactive: bool, gdb: Option<Option<u16>>) -> Result<()> {
    doctor::require(paths)?;
    let tc = Toolchain::from_env(paths);
    let (check, ending, kernel) = guest_for(paths, check, gdb.is_some())?;
    let debugger = match gdb {
        Some(port) => Some(debugger(&tc, &kernel, port)?),
        None => None,
    };
    if interactive || ending == Ending::Shell {
        let session::Guest { mut machine, lock: _lock, .. } = session::prepare(paths, &kernel, &check, Ending::Shell)?;
        if let Some(debugger) = &debugger {
            session::attach(&mut machine, debugger);
        }
        return qemu::run_interactive(qemu::command(&tc, &machine));
    }
    let (run, verdict, _) = runner::boot_and_judge(paths, &tc, &kernel, &check, true, debugger.as_ref())?;
    println!("\nconsole: {}", paths.run_dir(&check.name).join("console.log").display());
    if !verdict.passed() {
        for failure in &verdict.failures {
            println!("  - {failure}");
        }
        bail!("{} failed ({} problem(s))", check.name, verdict.failures.len());
    }
    println!("{} passed in {:.1} s", check.name, run.elapsed.as_secs_f64());
    Ok(())
}

/// The debugger for `kernel`; a warning, not an error, when no s390-capable gdb is installed
/// (the command can still be run once it is).
fn debugger(tc: &Toolchain, kernel: &Kernel, port: Option<u16>) -> Result<Debugger> {
    let found = doctor::gdb(tc);
    if !found.ok {
        eprintln!(
            "zlab: warning: the command below needs {}; here: {}. `{}` installs it, or set ZLAB_GDB",
            found.needed,
            found.found,
            doctor::fix_command()
        );
    }
    Debugger::new(&tc.gdb, kernel, port)
}

/// What `zlab test` reports besides the human summary.
pub struct Reports<'a> {
    pub json: bool,
    pub junit: Option<&'a std::path::Path>,
}

pub fn test(paths: &Paths, names: &[String], list: bool, repeat: u32, matrix: bool, reports: Reports) -> Result<()> {
    if list {
        for c in runner::select(paths, names)? {
            println!("{:<24} {}", c.name, c.description);
        }
        return Ok(());
    }
    if reports.json {
        crate::ui::output::reserve_stdout_for_data();
    }
    let outcomes =
        if matrix { crate::run::matrix::run(paths, names, repeat)? } else { runner::run(paths, names, repeat)? };
    let all_passed = if matrix {
        crate::run::matrix::summarize(&outcomes)
    } else if repeat > 1 {
        runner::summarize_repeats(&outcomes)
    } else {
        runner::summarize(&outcomes)
    };
    if let Some(file) = reports.junit {
        crate::report::junit::write(file, &outcomes)?;
        crate::note!("zlab: JUnit report: {}", file.display());
    }
    if reports.json {
        println!("{}", crate::report::json::to_string(&outcomes));
    }
    if !all_passed {
        std::process::exit(1);
    }
    Ok(())
}

/// The shell completion script for `shell`, from the command line's own definition.
pub fn completions(shell: clap_complete::Shell) {
    let mut command = <crate::cli::Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut command, "zlab", &mut std::io::stdout());
}
