//! `zlab bench`: the edit → verdict loop measured on this machine, phase by phase, and (with
//! `--cold`, `--peer`) a fresh kernel build and the kernel's own kunit.py on the same tree. Each
//! measurement runs zlab as a new process, as a developer would. `--write` keeps the numbers in
//! docs/benchmarks.json and renders docs/benchmarks.md with its chart.

use crate::cli::BenchArgs;
use crate::context::RunContext;
use crate::toolchain::tools::Compiler;
mod chart;
mod cold;
mod defconfig;
mod detectors;
mod parallel;
mod peer;
mod report;
mod results;
mod stats;
mod warm;

use anyhow::Result;
use std::path::PathBuf;

pub fn run(ctx: &RunContext, opts: &BenchArgs) -> Result<()> {
    let paths = &ctx.paths;
    let mut results = results::Results::load(paths)?;
    if opts.render {
        for file in report::render(paths, &results)? {
            eprintln!("zlab bench: rendered {} from docs/benchmarks.json, measuring nothing", file.display());
        }
        return Ok(());
    }
    results.machine = results::Machine::here(ctx);
    eprintln!(
        "zlab bench: warm loop, {} runs of `touch` + `zlab test {}`, resumed and with --boot in turn",
        opts.runs, opts.check
    );
    let this = Subject::this(ctx)?;
    let mut loops = warm::edit_loops(ctx, &this, &opts.check, opts.runs, &[warm::Start::Resumed, warm::Start::Booted])?;
    results.warm_booted = loops.pop();
    results.warm = loops.pop();
    eprintln!("zlab bench: boot and the Rust doctests, {} runs of `zlab test rust-doctests --boot`", opts.runs);
    results.doctests = Some(warm::doctests(ctx, &this, opts.runs)?);
    eprintln!(
        "zlab bench: every check, {} runs each of `zlab test -j 1`, `zlab test -j 1 --boot` and `zlab test` (-j the CPU count)",
        opts.runs
    );
    results.parallel = Some(parallel::every_check(ctx, opts.runs)?);
    let run = results.machine.run.clone();
    // What --peer and --defconfig are set against is built in the same run.
    if opts.cold || opts.peer || opts.defconfig {
        eprintln!("zlab bench: a fresh build of the test kernel and its rust-doctests boot (minutes)");
        results.cold = Some(cold::fresh_build(ctx, &run)?);
    }
    if opts.peer {
        eprintln!("zlab bench: kunit.py run --arch=s390 on the same tree, fresh (minutes)");
        results.peer = Some(peer::kunit_py(ctx, &run)?);
    }
    results.peer_again = peer::again(ctx)?;
    if opts.defconfig {
        eprintln!("zlab bench: s390 defconfig with Rust, built from nothing (long: most of an hour on 2 cores)");
        results.defconfig = Some(defconfig::build(ctx, &run)?);
    }
    if opts.detectors {
        eprintln!("zlab bench: the bug detectors, one kernel built from nothing per rung (about 25 min)");
        results.detectors = Some(detectors::measure(ctx, &opts.check, opts.runs)?);
    }
    print!("{}", report::summary(&results));
    if opts.write {
        for file in report::write(paths, &results)? {
            eprintln!("zlab bench: wrote {}", file.display());
        }
    }
    Ok(())
}

/// What a measurement runs zlab on: a project, and a kernel build dir of its own when the
/// kernel measured is not the project's (a fresh build, a detector rung).
pub struct Subject {
    pub project: PathBuf,
    pub kernel_build: Option<PathBuf>,
}

impl Subject {
    /// This run's project and its own kernel builds.
    pub fn this(ctx: &RunContext) -> Result<Subject> {
        Ok(Subject { project: ctx.paths.project()?.root.clone(), kernel_build: None })
    }
}

/// This zlab as a new process, as a developer would run it, with this run's project, home,
/// toolchain, kernel (series or tree of your own) and rustc: the builds it measures are the
/// ones this run names.
fn zlab_process(ctx: &RunContext) -> Result<std::process::Command> {
    zlab_process_for(ctx, &Subject::this(ctx)?)
}

/// zlab_process, on the subject's project and kernel build.
fn zlab_process_for(ctx: &RunContext, subject: &Subject) -> Result<std::process::Command> {
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.env("ZLAB_PROJECT", &subject.project)
        .env("ZLAB_HOME", &ctx.paths.home)
        .env(Compiler::VARIABLE, ctx.paths.compiler.name());
    if let Some(series) = &ctx.kernel {
        cmd.env("ZLAB_KERNEL", series);
    }
    if let Some(tree) = crate::environment::non_empty(&ctx.env.kernel_source) {
        cmd.env("ZLAB_KERNEL_SOURCE", tree);
    }
    if let Some(rust) = &ctx.rust {
        cmd.env("ZLAB_RUST", &rust.series);
    }
    if let Some(dir) = &subject.kernel_build {
        cmd.env("ZLAB_KERNEL_BUILD", dir);
    }
    Ok(cmd)
}
