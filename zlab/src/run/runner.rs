//! `zlab test`: every check (or the named ones) built, booted and judged, then a summary.

use crate::build::kernel::Kernel;
use crate::context::RunContext;
use crate::guest::gdb::Debugger;
use crate::guest::init::Ending;
use crate::guest::qemu::{self, Run};
use crate::guest::session::{self, Kernels};
use crate::inputs::check::{self, Check};
use crate::judge::verdict::{self, Verdict};
use crate::run::median::median;
use crate::run::phases::Phases;
use crate::setup::doctor;
use crate::toolchain::tools::Compiler;
use crate::ui::output::{self, Colour};
use crate::{note, say};
use anyhow::{bail, Result};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub struct Outcome {
    pub check: String,
    /// The toolchain the kernel and modules were built with.
    pub toolchain: Compiler,
    pub description: String,
    pub variant: String,
    /// Which run of the check this was (1-based) and how many were asked for (`--repeat`).
    pub run: u32,
    pub runs: u32,
    /// The KUnit suites the check names, reported with their own counts.
    pub suites: Vec<String>,
    pub seconds: f64,
    /// The guest's console as recorded (a later run of the same check overwrites it).
    pub console_log: PathBuf,
    /// The verdict, or why there was no boot to judge (a build failed, QEMU did not start).
    pub result: Result<Verdict, String>,
    /// Where the time went (what was measured before a failure, zero after it).
    pub phases: Phases,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(&self.result, Ok(v) if v.passed())
    }

    /// The check's name, with `.llvm` for an LLVM build (as its run folder is named).
    pub fn label(&self) -> String {
        format!("{}{}", self.check, self.toolchain.dir_suffix())
    }
}

/// The checks to run: all of checks/, or the named ones (an unknown name is an error). Each
/// also expects the kernel's banner with the pinned release, so a stale kernel never passes.
pub fn select(ctx: &RunContext, names: &[String]) -> Result<Vec<Check>> {
    let release = ctx.pins()?.kernel.release.clone();
    let mut all = check::load_dir(&ctx.paths.checks_dir()?)?;
    for check in &mut all {
        check.expect.push(format!("Linux version {release} "));
    }
    if names.is_empty() {
        return Ok(all);
    }
    let mut chosen = Vec::new();
    for name in names {
        match all.iter().find(|c| &c.name == name) {
            Some(c) => chosen.push(c.clone()),
            None => bail!(
                "no check named `{name}`; checks/ has: {}",
                all.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        }
    }
    Ok(chosen)
}

/// Runs each check `repeat` times in a row (its kernel built once); under `-v` each console is
/// shown as it boots.
pub fn run(ctx: &RunContext, names: &[String], repeat: u32) -> Result<Vec<Outcome>> {
    let paths = &ctx.paths;
    let echo_console = output::verbose();
    let checks = select(ctx, names)?;
    doctor::require(ctx)?;
    let mut kernels = Kernels::default();
    let mut outcomes = Vec::new();
    let runs = checks.iter().flat_map(|check| (1..=repeat).map(move |n| (check, n)));
    for (check, n) in runs {
        let started = Instant::now();
        let attempt = if repeat > 1 { format!(" (run {n}/{repeat})") } else { String::new() };
        note!("zlab: check {}{attempt} — {}", check.name, check.description);
        let mut phases = Phases::default();
        let result = run_one(ctx, &mut kernels, check, echo_console, &mut phases).map_err(|e| format!("{e:#}"));
        let outcome = Outcome {
            check: check.name.clone(),
            toolchain: paths.compiler,
            description: check.description.clone(),
            variant: check.variant.clone(),
            run: n,
            runs: repeat,
            suites: check.ktap.iter().map(|k| k.suite.clone()).collect(),
            seconds: started.elapsed().as_secs_f64(),
            console_log: paths.run_dir(&check.name)?.join("console.log"),
            result,
            phases,
        };
        report(&outcome);
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

fn run_one(ctx: &RunContext, kernels: &mut Kernels, check: &Check, echo: bool, phases: &mut Phases) -> Result<Verdict> {
    let started = Instant::now();
    let kernel = kernels.get(ctx, &check.variant)?;
    phases.kernel = started.elapsed().as_secs_f64();
    let (run, verdict, boot_phases) = boot_and_judge(ctx, &kernel, check, echo, None)?;
    *phases = Phases { kernel: phases.kernel, ..boot_phases };
    let log = ctx.paths.run_dir(&check.name)?.join("console.log");
    note!("  booted in {:.1} s; console: {}", run.elapsed.as_secs_f64(), log.display());
    Ok(verdict)
}

/// Boots the check's guest to power-off (or its time limit), console in the check's run
/// folder, and judges it. Under a debugger the guest waits for gdb and has no time limit.
pub fn boot_and_judge(
    ctx: &RunContext,
    kernel: &Kernel,
    check: &Check,
    echo: bool,
    debugger: Option<&Debugger>,
) -> Result<(Run, Verdict, Phases)> {
    let session::Guest { mut machine, lock: _lock, modules_took, initramfs_took } =
        session::prepare(ctx, kernel, check, Ending::PowerOff)?;
    let log = ctx.paths.run_dir(&check.name)?.join("console.log");
    let limit = match debugger {
        Some(debugger) => {
            session::attach(&mut machine, debugger);
            None
        }
        None => Some(Duration::from_secs(check.timeout)),
    };
    let run = qemu::run_captured(qemu::command(&ctx.tools, &machine), &log, limit, echo)?;
    let verdict = verdict::judge(check, &run);
    let phases =
        Phases { modules: modules_took.as_secs_f64(), initramfs: initramfs_took.as_secs_f64(), ..Phases::default() }
            .with_boot(&run);
    Ok((run, verdict, phases))
}

fn report(outcome: &Outcome) {
    let pass = output::paint_human(Colour::Green, "PASS");
    let fail = output::paint_human(Colour::Red, "FAIL");
    match &outcome.result {
        Ok(v) if v.passed() => {
            let ktap = ktap_details(outcome, v);
            let ktap = if ktap.is_empty() { ktap } else { format!(", {ktap}") };
            say!("{pass} {} ({:.1} s{ktap})", outcome.label(), outcome.seconds);
        }
        Ok(v) => {
            say!("{fail} {} ({:.1} s)", outcome.label(), outcome.seconds);
            for failure in &v.failures {
                say!("  - {failure}");
            }
            say!("  console: {}", outcome.console_log.display());
        }
        Err(e) => {
            say!("{fail} {} ({:.1} s): could not boot", outcome.label(), outcome.seconds);
            for line in e.lines() {
                say!("  {line}");
            }
        }
    }
}

/// "KUnit 352/352 passed (rust_doctests_kernel 350/350)": every KTAP result of the boot, and
/// those of the suites the check names.
fn ktap_details(outcome: &Outcome, verdict: &Verdict) -> String {
    let all = verdict.ktap.counts();
    if all.total() == 0 {
        return String::new();
    }
    let named: Vec<String> = outcome
        .suites
        .iter()
        .filter_map(|name| verdict.ktap.suite(name))
        .map(|suite| {
            let c = suite.counts();
            format!("{} {}/{}", suite.name, c.passed, c.total())
        })
        .collect();
    let named = if named.is_empty() { String::new() } else { format!(" ({})", named.join(", ")) };
    let skipped = if all.skipped > 0 { format!(", {} skipped", all.skipped) } else { String::new() };
    format!("KUnit {}/{} passed{skipped}{named}", all.passed, all.total())
}

/// For repeated runs: per check, how many runs passed and the fastest, median and slowest;
/// then the closing `N passed, N failed` line, counting runs.
pub fn summarize_repeats(outcomes: &[Outcome]) -> bool {
    say!();
    say!("{:<24} {:>9}  {:>7} {:>7} {:>7}  failures", "check", "passed", "min s", "median", "max s");
    let mut names: Vec<String> = outcomes.iter().map(Outcome::label).collect();
    names.dedup();
    for name in names {
        let runs: Vec<&Outcome> = outcomes.iter().filter(|o| o.label() == name).collect();
        let mut seconds: Vec<f64> = runs.iter().map(|o| o.seconds).collect();
        seconds.sort_by(f64::total_cmp);
        let passed = runs.iter().filter(|o| o.passed()).count();
        let failed_runs: Vec<String> =
            runs.iter().enumerate().filter(|(_, o)| !o.passed()).map(|(i, _)| format!("run {}", i + 1)).collect();
        say!(
            "{:<24} {:>9}  {:>7.1} {:>7.1} {:>7.1}  {}",
            name,
            format!("{passed}/{}", runs.len()),
            seconds[0],
            median(&seconds).unwrap_or_default(),
            seconds[seconds.len() - 1],
            failed_runs.join(", ")
        );
    }
    closing_line(outcomes)
}

/// The summary table and the closing `N passed, N failed` line.
pub fn summarize(outcomes: &[Outcome]) -> bool {
    say!();
    say!("{:<24} {:<6} {:>8}  details", "check", "result", "seconds");
    for o in outcomes {
        let (result, details) = match &o.result {
            Ok(v) if v.passed() => ("pass", ktap_details(o, v)),
            Ok(v) => ("FAIL", v.failures.iter().map(|f| f.kind()).collect::<Vec<_>>().join(", ")),
            Err(_) => ("FAIL", "could not boot".to_string()),
        };
        // Padded before it is painted: escape codes have no width on screen.
        let colour = if o.passed() { Colour::Green } else { Colour::Red };
        let result = output::paint_human(colour, &format!("{result:<6}"));
        say!("{:<24} {result} {:>8.1}  {}", o.label(), o.seconds, details);
    }
    closing_line(outcomes)
}

/// `N passed, N failed`, alone on the last line (bin/test-all and CI read it); true if all passed.
pub fn closing_line(outcomes: &[Outcome]) -> bool {
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    say!("{} passed, {} failed", passed, outcomes.len() - passed);
    passed == outcomes.len()
}
