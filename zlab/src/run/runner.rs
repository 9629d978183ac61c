//! `zlab test`: every check (or the named ones) built, booted and judged, then a summary.

use crate::build::kernel::Kernel;
use crate::build::modules;
use crate::context::RunContext;
use crate::guest::gdb::Debugger;
use crate::guest::init::Ending;
use crate::guest::qemu::{self, Run, Shown};
use crate::guest::session::{self, Kernels};
use crate::guest::snapshot::{self, Ready, Snapshot};
use crate::host::paths::Paths;
use crate::inputs::check::{self, Check};
use crate::inputs::variants;
use crate::judge::decode;
use crate::judge::verdict::{self, Verdict};
use crate::run::median::median;
use crate::run::phases::Phases;
use crate::run::pool::{self, Event};
use crate::run::resume::{self, NotResumed};
use crate::setup::doctor;
use crate::toolchain::tools::Compiler;
use crate::ui::output::{self, Colour};
use crate::ui::progress::StatusLine;
use crate::ui::transcript::Transcript;
use crate::{note, say};
use anyhow::{bail, Result};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub struct Outcome {
    pub check: String,
    /// The check's name as its run folder is named: `-7.2` for a kernel series other than the
    /// default, `.llvm` for an LLVM build (`hello-7.2.llvm`).
    pub label: String,
    /// The toolchain the kernel and modules were built with.
    pub toolchain: Compiler,
    /// The newer rustc's series `--rust` chose (`1.98`), or None for the host's.
    pub rust: Option<String>,
    /// The kernel release booted (or that would have been).
    pub kernel: String,
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
    /// Why the check did not run on this kernel (its `[kernel]` range says so); `result` then
    /// holds the same words.
    pub skipped: Option<String>,
    /// Where the time went (what was measured before a failure, zero after it).
    pub phases: Phases,
    /// How its guest started; None when none did (skipped, or a build failed first).
    pub started: Option<Started>,
}

/// How a check's guest is to start: from the saved guest, or booted in full (and why).
#[derive(Clone)]
pub enum Start {
    Resume(Snapshot),
    Boot(String),
}

/// How a check's guest did start (`-v`, `--json`'s `start`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    Resumed,
    /// Booted in full, and why.
    Booted(String),
}

/// What every report says of an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Passed,
    /// The console was judged and something is wrong.
    Failed,
    /// No boot to judge: a build failed, QEMU did not start.
    Error,
    /// Not for this kernel, by the check's own words.
    Skipped,
}

impl Outcome {
    /// The outcome of one run of `check` with `result`, under the run's folders and kernel.
    pub fn new(
        paths: &Paths,
        kernel: &str,
        check: &Check,
        run: (u32, u32),
        result: Result<Verdict, String>,
    ) -> Outcome {
        Outcome {
            check: check.name.clone(),
            label: paths.label(&check.name),
            toolchain: paths.compiler,
            rust: paths.rust_series.clone(),
            kernel: kernel.to_string(),
            description: check.description.clone(),
            variant: check.variant.clone(),
            run: run.0,
            runs: run.1,
            suites: check.ktap.iter().map(|k| k.suite.clone()).collect(),
            seconds: 0.0,
            // Checks come from a project, so its run folder is known.
            console_log: paths.run_dir(&check.name).map(|dir| dir.join("console.log")).unwrap_or_default(),
            result,
            skipped: None,
            phases: Phases::default(),
            started: None,
        }
    }

    /// A check that is not for this kernel: reported, counted, never failed.
    pub fn skipped(paths: &Paths, kernel: &str, check: &Check, run: (u32, u32), why: String) -> Outcome {
        Outcome { skipped: Some(why.clone()), ..Outcome::new(paths, kernel, check, run, Err(why)) }
    }

    pub fn status(&self) -> Status {
        match (&self.skipped, &self.result) {
            (Some(_), _) => Status::Skipped,
            (None, Ok(v)) if v.passed() => Status::Passed,
            (None, Ok(_)) => Status::Failed,
            (None, Err(_)) => Status::Error,
        }
    }

    pub fn passed(&self) -> bool {
        self.status() == Status::Passed
    }
}

/// The checks to run: all of checks/, or the named ones (an unknown name is an error), on
/// `--variant`'s kernel where one was given. Each also expects the kernel's banner with the
/// pinned release, so a stale kernel never passes.
pub fn select(ctx: &RunContext, names: &[String]) -> Result<Vec<Check>> {
    let release = ctx.kernel_release()?;
    let mut all = check::load_dir(&ctx.paths.checks_dir()?)?;
    for check in &mut all {
        check.expect.push(format!("Linux version {release} "));
        if let Some(variant) = &ctx.variant {
            check.variant.clone_from(variant);
        }
    }
    pick(all, names)
}

/// The named checks of `all` in the order named, or all of them when none is named; an unknown
/// name is an error that lists the checks there are.
pub fn pick(all: Vec<Check>, names: &[String]) -> Result<Vec<Check>> {
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

/// How many checks to boot at once: `-j N`, else the CPU count.
pub fn jobs(given: Option<u32>) -> usize {
    given.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), |n| n as usize)
}

/// A check as the run plans it, before any guest boots: skipped, or with its kernel.
struct Plan<'a> {
    check: &'a Check,
    skipped: Option<String>,
    kernel: Result<Kernel, String>,
    /// The kernel's up-to-date check or build (and the saved guest's, or its making), counted
    /// in the check's first run.
    kernel_took: f64,
    start: Start,
}

/// Runs each check `repeat` times in a row (its kernel built once), up to `jobs` checks at
/// once; under `-v` each console is shown as it boots (prefixed by its check's name when more
/// than one runs at once). Reports come whole and in check order, whatever the order in which
/// the guests finish.
pub fn run(ctx: &RunContext, names: &[String], repeat: u32, jobs: usize) -> Result<Vec<Outcome>> {
    let checks = select(ctx, names)?;
    doctor::require(ctx)?;
    let release = ctx.kernel_release()?;
    let plans = plan(ctx, &checks, &release)?;
    let jobs = jobs.min(plans.len()).max(1);
    if jobs > 1 {
        note!("zlab: booting up to {jobs} checks at once (-j {jobs})");
    }
    let builds = modules::Builds::default();
    let work = |plan: &Plan| {
        let mut transcript = if jobs > 1 { Transcript::held() } else { Transcript::live() };
        let shown = match (output::verbose(), jobs > 1) {
            (true, false) => Shown::Console,
            (true, true) => Shown::Prefixed(format!("{}| ", plan.check.name)),
            (false, false) => Shown::Spinner,
            (false, true) => Shown::Nothing,
        };
        let outcomes: Vec<Outcome> = (1..=repeat)
            .map(|n| run_planned(ctx, &builds, plan, (n, repeat), &release, &shown, &mut transcript))
            .collect();
        (outcomes, transcript)
    };
    let mut outcomes = Vec::new();
    let mut status = StatusLine::spinner("checks");
    pool::in_order(&plans, jobs, work, |event| match event {
        Event::Done((done, transcript)) => {
            status.clear();
            transcript.show();
            outcomes.extend(done);
        }
        Event::Waiting(finished) => status.update(&format!("{finished} of {} done", plans.len())),
    });
    Ok(outcomes)
}

/// Each check's kernel, made ready in check order before any guest boots (a kernel build uses
/// every CPU, and its progress line wants the terminal to itself).
fn plan<'a>(ctx: &RunContext, checks: &'a [Check], release: &str) -> Result<Vec<Plan<'a>>> {
    let mut kernels = Kernels::default();
    let mut plans = Vec::new();
    for check in checks {
        let skipped = match check.not_for(release)? {
            Some(why) => Some(why),
            None => variants::load(&ctx.paths, &check.variant)?.not_with(&check.variant, ctx.paths.compiler.name())?,
        };
        let started = Instant::now();
        let kernel = match skipped {
            Some(_) => Err("not built: the check is skipped".to_string()),
            None => kernels.get(ctx, &check.variant).map_err(|e| format!("{e:#}")),
        };
        let start = match &kernel {
            Ok(kernel) => start(ctx, kernel, check),
            Err(_) => Start::Boot("no kernel".into()),
        };
        plans.push(Plan { check, skipped, kernel, kernel_took: started.elapsed().as_secs_f64(), start });
    }
    Ok(plans)
}

/// Whether the check's guest resumes the saved guest (found, or made now, before any check
/// boots) or boots in full, and why.
fn start(ctx: &RunContext, kernel: &Kernel, check: &Check) -> Start {
    if let Some(why) = full_boot_because(ctx, kernel, check) {
        return Start::Boot(why);
    }
    let ready = session::resumed_kernel_args(kernel, check).and_then(|args| snapshot::ready(ctx, kernel, &args));
    match ready {
        Ok(Ready::Usable(saved)) => Start::Resume(saved),
        Ok(Ready::Refused(why)) => Start::Boot(why),
        Err(e) => {
            let why = format!("no saved guest: {e:#}");
            note!("zlab: {why}; the check boots in full");
            Start::Boot(why)
        }
    }
}

/// Why a check boots in full whatever the saved guest, if it does.
fn full_boot_because(ctx: &RunContext, kernel: &Kernel, check: &Check) -> Option<String> {
    let builtin_suites = check.builtin_suites();
    if ctx.full_boot {
        Some("--boot".into())
    } else if check.step.is_empty() && builtin_suites.is_none() {
        Some("it has no steps and no KUnit suite: what it tests is the boot".into())
    } else if builtin_suites.is_some() && !kernel.has("KUNIT_DEBUGFS") {
        Some("its KUnit suites run at boot: this kernel has no KUNIT_DEBUGFS to run them after a resume".into())
    } else if ctx.env.kernel_build.is_some() {
        Some("its kernel is prebuilt (ZLAB_KERNEL_BUILD), read-only, with no saved guest beside it".into())
    } else {
        None
    }
}

/// Run `n` of a planned check, reported into `transcript`.
fn run_planned(
    ctx: &RunContext,
    builds: &modules::Builds,
    plan: &Plan,
    n: (u32, u32),
    release: &str,
    shown: &Shown,
    transcript: &mut Transcript,
) -> Outcome {
    let (check, paths) = (plan.check, &ctx.paths);
    if let Some(why) = &plan.skipped {
        let outcome = Outcome::skipped(paths, release, check, n, why.clone());
        report(&outcome, transcript);
        return outcome;
    }
    let started = Instant::now();
    let attempt = if n.1 > 1 { format!(" (run {}/{})", n.0, n.1) } else { String::new() };
    transcript.note(format!("zlab: check {}{attempt} — {}", check.name, check.description));
    let kernel_took = if n.0 == 1 { plan.kernel_took } else { 0.0 };
    let mut phases = Phases { kernel: kernel_took, ..Phases::default() };
    let mut how = None;
    let result = match &plan.kernel {
        Ok(kernel) => run_one(ctx, builds, kernel, (check, &plan.start), shown, (&mut phases, &mut how), transcript)
            .map_err(|e| format!("{e:#}")),
        Err(e) => Err(e.clone()),
    };
    let outcome = Outcome {
        seconds: kernel_took + started.elapsed().as_secs_f64(),
        phases,
        started: how,
        ..Outcome::new(paths, release, check, n, result)
    };
    report(&outcome, transcript);
    outcome
}

fn run_one(
    ctx: &RunContext,
    builds: &modules::Builds,
    kernel: &Kernel,
    (check, start): (&Check, &Start),
    shown: &Shown,
    (phases, how): (&mut Phases, &mut Option<Started>),
    transcript: &mut Transcript,
) -> Result<Verdict> {
    let judged = boot_and_judge(ctx, builds, kernel, check, shown, None, start)?;
    *phases = Phases { kernel: phases.kernel, ..judged.phases };
    let log = ctx.paths.run_dir(&check.name)?.join("console.log");
    let seconds = judged.run.elapsed.as_secs_f64();
    transcript.note(match &judged.started {
        Started::Resumed => format!("  resumed from the saved boot in {seconds:.1} s; console: {}", log.display()),
        Started::Booted(why) if output::verbose() => {
            format!("  booted in {seconds:.1} s (in full: {why}); console: {}", log.display())
        }
        Started::Booted(_) => format!("  booted in {seconds:.1} s; console: {}", log.display()),
    });
    *how = Some(judged.started);
    Ok(judged.verdict)
}

/// A check's guest run to power-off (or its time limit) and judged.
pub struct Judged {
    pub run: Run,
    pub verdict: Verdict,
    pub phases: Phases,
    pub started: Started,
}

/// Starts the check's guest as `start` says (a resumed guest that gives no check to judge boots
/// in full instead), console in the check's run folder, and judges it. Under a debugger the
/// guest boots, waits for gdb and has no time limit.
pub fn boot_and_judge(
    ctx: &RunContext,
    builds: &modules::Builds,
    kernel: &Kernel,
    check: &Check,
    shown: &Shown,
    debugger: Option<&Debugger>,
    start: &Start,
) -> Result<Judged> {
    let log = ctx.paths.run_dir(&check.name)?.join("console.log");
    let limit = Some(Duration::from_secs(check.timeout));
    let why = match (start, debugger) {
        (_, Some(_)) => "a debugger attaches".to_string(),
        (Start::Boot(why), None) => why.clone(),
        (Start::Resume(saved), None) => {
            let guest = session::prepare_resumed(ctx, builds, kernel, check, saved)?;
            let disk = guest.machine.resumable.as_ref().map(|r| r.disk.clone()).unwrap_or_default();
            match resume::run(&ctx.tools, saved, &disk, &log, limit, shown)? {
                Ok(run) => return Ok(judged(ctx, kernel, check, guest, run, Started::Resumed)),
                Err(NotResumed(why)) => {
                    note!("zlab: {}: {why}; booting it in full", check.name);
                    why
                }
            }
        }
    };
    let mut guest = session::prepare(ctx, builds, kernel, check, Ending::PowerOff)?;
    let limit = match debugger {
        Some(debugger) => {
            session::attach(&mut guest.machine, debugger);
            None
        }
        None => limit,
    };
    let run = qemu::run_captured(qemu::command(&ctx.tools, &guest.machine), &log, limit, shown)?;
    Ok(judged(ctx, kernel, check, guest, run, Started::Booted(why)))
}

fn judged(
    ctx: &RunContext,
    kernel: &Kernel,
    check: &Check,
    guest: session::Guest,
    run: Run,
    started: Started,
) -> Judged {
    let mut verdict = verdict::judge(check, &run);
    if !verdict.passed() {
        locate_faults(ctx, kernel, check, guest.modules, &mut verdict);
    }
    let phases = Phases {
        modules: guest.modules_took.as_secs_f64(),
        initramfs: guest.initramfs_took.as_secs_f64(),
        ..Phases::default()
    }
    .with_boot(&run);
    Judged { run, verdict, phases, started }
}

/// Names each fault's source line where its frames can be decoded (judge::decode): a module of
/// modules/ without line tables is built again with them for that.
fn locate_faults(
    ctx: &RunContext,
    kernel: &Kernel,
    check: &Check,
    modules: Vec<(String, PathBuf)>,
    verdict: &mut Verdict,
) {
    let with_line_tables = |file_name: &str, booted: &std::path::Path| {
        let name = file_name.strip_suffix(".ko")?;
        check.modules.iter().any(|m| m == name).then_some(())?;
        match modules::debug_twin(ctx, kernel, name, booted) {
            Ok(twin) => Some(twin),
            Err(e) => {
                note!("  zlab: cannot name the source line in {name}: {e:#}");
                None
            }
        }
    };
    let objects = decode::Objects {
        modules,
        vmlinux: Some(kernel.dir.join("vmlinux")),
        addr2line: ctx.tools.cross_tool("addr2line").into(),
        project: ctx.paths.project.as_ref().map(|p| p.root.clone()),
        with_line_tables: &with_line_tables,
        decodable: Default::default(),
    };
    decode::locate(verdict, &objects);
}

fn report(outcome: &Outcome, out: &mut Transcript) {
    let pass = output::paint_human(Colour::Green, "PASS");
    let fail = output::paint_human(Colour::Red, "FAIL");
    if let Some(why) = &outcome.skipped {
        out.report(format!("{} {}: {why}", output::paint_human(Colour::Yellow, "SKIP"), outcome.label));
        return;
    }
    match &outcome.result {
        Ok(v) if v.passed() => {
            let ktap = ktap_details(outcome, v);
            let ktap = if ktap.is_empty() { ktap } else { format!(", {ktap}") };
            out.report(format!("{pass} {} ({:.1} s{ktap})", outcome.label, outcome.seconds));
        }
        Ok(v) => {
            out.report(format!("{fail} {} ({:.1} s)", outcome.label, outcome.seconds));
            for failure in &v.failures {
                out.report(format!("  - {failure}"));
            }
            out.report(format!("  console: {}", outcome.console_log.display()));
        }
        Err(e) => {
            out.report(format!("{fail} {} ({:.1} s): could not boot", outcome.label, outcome.seconds));
            for line in e.lines() {
                out.report(format!("  {line}"));
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
    let mut names: Vec<&str> = outcomes.iter().map(|o| o.label.as_str()).collect();
    names.dedup();
    for name in names {
        let runs: Vec<&Outcome> = outcomes.iter().filter(|o| o.label == name).collect();
        let mut seconds: Vec<f64> = runs.iter().map(|o| o.seconds).collect();
        seconds.sort_by(f64::total_cmp);
        let passed = runs.iter().filter(|o| o.passed()).count();
        let failed_runs: Vec<String> = runs
            .iter()
            .enumerate()
            .filter(|(_, o)| matches!(o.status(), Status::Failed | Status::Error))
            .map(|(i, _)| format!("run {}", i + 1))
            .collect();
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
        let (result, details) = match (o.status(), &o.result) {
            (Status::Skipped, _) => ("skip", o.skipped.clone().unwrap_or_default()),
            (Status::Passed, Ok(v)) => ("pass", ktap_details(o, v)),
            (_, Ok(v)) => ("FAIL", v.failures.iter().map(|f| f.kind()).collect::<Vec<_>>().join(", ")),
            (_, Err(_)) => ("FAIL", "could not boot".to_string()),
        };
        // Padded before it is painted: escape codes have no width on screen.
        let colour = match o.status() {
            Status::Passed => Colour::Green,
            Status::Skipped => Colour::Yellow,
            Status::Failed | Status::Error => Colour::Red,
        };
        let result = output::paint_human(colour, &format!("{result:<6}"));
        say!("{:<24} {result} {:>8.1}  {}", o.label, o.seconds, details);
    }
    closing_line(outcomes)
}

/// `N passed, N failed` (and `, N skipped` when a check was not for its kernel), alone on the
/// last line (bin/test-all and CI read it); true if nothing failed.
pub fn closing_line(outcomes: &[Outcome]) -> bool {
    let (line, failed) = tally(outcomes);
    say!("{line}");
    failed == 0
}

/// `N passed, N failed` (`, N skipped` when any was), and how many failed.
pub fn tally(outcomes: &[Outcome]) -> (String, usize) {
    let count = |status: Status| outcomes.iter().filter(|o| o.status() == status).count();
    let (passed, skipped) = (count(Status::Passed), count(Status::Skipped));
    let failed = outcomes.len() - passed - skipped;
    let skipped = if skipped > 0 { format!(", {skipped} skipped") } else { String::new() };
    (format!("{passed} passed, {failed} failed{skipped}"), failed)
}
