//! The subcommands that are glue: each one's work lives in its own module.

use crate::build::kernel::Kernel;
use crate::build::{kernel, modules};
use crate::cli::{BootArgs, ModulesArgs, TestArgs};
use crate::context::RunContext;
use crate::guest::gdb::Debugger;
use crate::guest::init::Ending;
use crate::guest::qemu;
use crate::guest::session::{self, Kernels};
use crate::inputs::check::Check;
use crate::run::runner;
use crate::setup::doctor;
use anyhow::{bail, Result};
use std::process::ExitCode;

pub fn fetch(ctx: &RunContext) -> Result<()> {
    let pins = ctx.pins()?;
    let debs = pins.debs();
    let fetched = crate::inputs::downloads::fetch_missing(ctx, &debs)?;
    if fetched.is_empty() {
        let names: Vec<&str> = debs.iter().map(|d| d.package.as_str()).collect();
        println!("zlab fetch: every pinned download is present and verified ({})", names.join(", "));
    }
    for f in fetched {
        println!("downloaded and verified {f}");
    }
    Ok(())
}

pub fn new(ctx: &RunContext, name: Option<&str>, project: Option<&std::path::Path>) -> Result<()> {
    if let Some(dir) = project {
        let module = name.unwrap_or(crate::build::new_project::TEMPLATE_MODULE);
        let made = crate::build::new_project::create(dir, module)?;
        println!("made the zlab project {} with the module {module} and its check", made.display());
        println!(
            "Next: `cd {}`, then `zlab test` builds the kernel (once), boots it and runs {module}'s KUnit suite.",
            dir.display()
        );
        println!("Then edit modules/{module}/{module}.rs and rerun `zlab test`; README.md says the rest.");
        return Ok(());
    }
    let name = name.expect("clap requires NAME without --project");
    let made = crate::build::scaffold::create(&ctx.paths, name)?;
    println!("made {} and {}", made.module_dir.display(), made.check.display());
    println!("Next: `zlab test {name}` builds it, boots it and runs its KUnit suite; then edit {name}.rs.");
    println!("Editor: rerun `zlab rust-analyzer` so rust-analyzer knows the new module.");
    Ok(())
}

pub fn rust_analyzer(ctx: &RunContext, variant: &str, output: Option<std::path::PathBuf>) -> Result<()> {
    let paths = &ctx.paths;
    let output = match output {
        Some(output) => output,
        None => paths.project()?.root.join("rust-project.json"),
    };
    let written = crate::build::rust_analyzer::write(ctx, variant, &output)?;
    println!("wrote {} ({} crates)", written.file.display(), written.crates);
    println!("  kernel crates: {}", crate::build::rust_analyzer::KERNEL_CRATES.join(", "));
    for (folder, krate) in &written.modules {
        println!("  modules/{folder}: crate {krate}");
    }
    println!("Open the project's folder in your editor; rust-analyzer reads this file from there.");
    println!("It holds absolute paths into {}, so it stays out of git.", paths.home.display());
    Ok(())
}

pub fn modules(ctx: &RunContext, args: &ModulesArgs) -> Result<()> {
    let all = modules::list(&ctx.paths)?;
    if args.list {
        all.iter().for_each(|m| println!("{m}"));
        return Ok(());
    }
    let names = if args.names.is_empty() { all } else { args.names.clone() };
    let kernel = kernel::build(ctx, &args.variant, None)?;
    let mut failed = 0;
    for built in modules::Builds::default().each(ctx, &kernel, &names) {
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

pub fn initramfs(ctx: &RunContext, check: Option<&str>) -> Result<()> {
    let (check, ending, kernel) = guest_for(ctx, check, false)?;
    let guest = session::prepare(ctx, &modules::Builds::default(), &kernel, &check, ending)?;
    println!("{}", guest.machine.initrd.display());
    Ok(())
}

/// A check's guest, powering off at the end; or, without a check, the interactive guest. Either
/// way with the kernel it boots (the variant's gdb twin when `for_gdb`), built once.
fn guest_for(ctx: &RunContext, check: Option<&str>, for_gdb: bool) -> Result<(Check, Ending, Kernel)> {
    let variant_of =
        |name: &str| if for_gdb { crate::inputs::variants::for_gdb(&ctx.paths, name) } else { Ok(name.to_string()) };
    match check {
        Some(name) => {
            let check = one_check(ctx, name)?;
            let kernel = Kernels::default().get(ctx, &variant_of(&check.variant)?)?;
            Ok((check, Ending::PowerOff, kernel))
        }
        None => {
            // Built first so the in-tree samples exist when the guest's module list is made.
            let kernel = kernel::build(ctx, &variant_of(crate::inputs::variants::DEFAULT)?, None)?;
            Ok((Check::interactive(modules::list(&ctx.paths)?, kernel.rust_samples()), Ending::Shell, kernel))
        }
    }
}

fn one_check(ctx: &RunContext, name: &str) -> Result<Check> {
    Ok(runner::select(ctx, &[name.to_string()])?.remove(0))
}

/// `gdb`: None boots normally; Some(port) waits for a debugger (on a free port when None).
pub fn boot(ctx: &RunContext, args: &BootArgs) -> Result<()> {
    let gdb = args.gdb.then_some(args.gdb_port);
    let (check, interactive) = (args.check.as_deref(), args.interactive);
    doctor::require(ctx)?;
    let tc = &ctx.tools;
    let (check, ending, kernel) = guest_for(ctx, check, gdb.is_some())?;
    let debugger = match gdb {
        Some(port) => Some(debugger(ctx, &kernel, port)?),
        None => None,
    };
    if interactive || ending == Ending::Shell {
        let session::Guest { mut machine, lock: _lock, .. } =
            session::prepare(ctx, &modules::Builds::default(), &kernel, &check, Ending::Shell)?;
        if let Some(debugger) = &debugger {
            session::attach(&mut machine, debugger);
        }
        return qemu::run_interactive(qemu::command(tc, &machine));
    }
    let runner::Judged { run, verdict, .. } = runner::boot_and_judge(
        ctx,
        &modules::Builds::default(),
        &kernel,
        &check,
        &qemu::Shown::Console,
        debugger.as_ref(),
        &runner::Start::Boot("`zlab boot` boots in full".into()),
    )?;
    println!("\nconsole: {}", ctx.paths.run_dir(&check.name)?.join("console.log").display());
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
fn debugger(ctx: &RunContext, kernel: &Kernel, port: Option<u16>) -> Result<Debugger> {
    let tc = &ctx.tools;
    let found = doctor::gdb(tc);
    if !found.ok {
        eprintln!(
            "zlab: warning: the command below needs {}; here: {}. `{}` installs it, or set ZLAB_GDB",
            found.needed,
            found.found,
            doctor::fix_command(&ctx.env)
        );
    }
    Debugger::new(&tc.gdb, kernel, port)
}

/// Exit status 1 when a check failed.
pub fn test(ctx: &RunContext, args: &TestArgs) -> Result<ExitCode> {
    let TestArgs { names, repeat, matrix, .. } = args;
    let (repeat, matrix) = (*repeat, *matrix);
    let jobs =
        args.parallel.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), |n| n as usize);
    if args.list {
        for c in runner::select(ctx, names)? {
            println!("{:<24} {}", c.name, c.description);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.json {
        crate::ui::output::reserve_stdout_for_data();
    }
    let outcomes = if matrix {
        crate::run::matrix::run(ctx, names, repeat, jobs)?
    } else {
        runner::run(ctx, names, repeat, jobs)?
    };
    let all_passed = if matrix {
        crate::run::matrix::summarize(&outcomes)
    } else if repeat > 1 {
        runner::summarize_repeats(&outcomes)
    } else {
        runner::summarize(&outcomes)
    };
    if let Some(file) = &args.junit {
        crate::report::junit::write(file, &outcomes)?;
        crate::note!("zlab: JUnit report: {}", file.display());
    }
    if args.json {
        println!("{}", crate::report::json::to_string(&outcomes));
    }
    Ok(if all_passed { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The shell completion script for `shell`, from the command line's own definition.
pub fn completions(shell: clap_complete::Shell) {
    let mut command = <crate::cli::Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut command, "zlab", &mut std::io::stdout());
}
