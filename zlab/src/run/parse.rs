//! `zlab parse LOG`: the verdict on a console zlab did not boot — a run on a real LinuxONE
//! machine, a CI artifact, a log a colleague sent — with the same KTAP counts and fault report
//! as `zlab test`. With `--check NAME` the console is held to that check as `zlab test` holds a
//! boot (so it must come from a zlab guest: init's markers); without, to its faults and KTAP.
//! `--ktap` also fails it when no KUnit test reported a result, as the kernel's `kunit.py parse`
//! does; without it a console that never meant to run KUnit (a module check's) passes on the rest.

use crate::cli::ParseArgs;
use crate::context::RunContext;
use crate::guest::qemu::Run;
use crate::inputs::check::Check;
use crate::judge::verdict::{self, Verdict};
use crate::report::json;
use crate::say;
use crate::ui::output::{self, Colour};
use anyhow::{Context, Result};
use serde::Serialize;
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

pub const FORMAT: &str = "zlab-parse-result";
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Parsed {
    format: &'static str,
    version: u32,
    console: String,
    /// The check the console was held to, or null for its faults and KTAP alone.
    check: Option<String>,
    /// Whether a console with no KUnit test result fails (`--ktap`).
    ktap_required: bool,
    /// "pass" or "fail".
    result: &'static str,
    failures: Vec<json::FailureEntry>,
    ktap: json::Ktap,
}

/// Exit status: 0 the console passes, 1 it does not, 2 it could not be read.
pub fn run(ctx: &RunContext, args: &ParseArgs) -> Result<ExitCode> {
    if args.json {
        output::reserve_stdout_for_data();
    }
    let console = read(&args.log)?;
    let (check, mut verdict) = match &args.check {
        Some(name) => {
            let check = one_check(ctx, name)?;
            let run = Run {
                console,
                timed_out: false,
                qemu_errors: String::new(),
                elapsed: Duration::ZERO,
                line_times: vec![],
            };
            let verdict = verdict::judge(&check, &run);
            (Some(check), verdict)
        }
        None => (None, verdict::judge_console(&console)),
    };
    if args.ktap {
        verdict::require_tests(&mut verdict);
    }
    report(&args.log, check.as_ref(), &verdict);
    if args.json {
        let named: Vec<String> = check.iter().flat_map(|c| c.ktap.iter().map(|k| k.suite.clone())).collect();
        let parsed = Parsed {
            format: FORMAT,
            version: VERSION,
            console: args.log.display().to_string(),
            check: check.map(|c| c.name),
            ktap_required: args.ktap,
            result: if verdict.passed() { "pass" } else { "fail" },
            failures: json::failure_entries(&verdict.failures),
            ktap: json::ktap_of(&verdict.ktap, &named),
        };
        println!("{}", serde_json::to_string_pretty(&parsed).expect("the result serialises"));
    }
    Ok(if verdict.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The project's check `name` as its file has it (no expectation of a kernel release: the
/// console may come from any kernel).
fn one_check(ctx: &RunContext, name: &str) -> Result<Check> {
    let all = crate::inputs::check::load_dir(&ctx.paths.checks_dir()?)?;
    Ok(crate::run::runner::pick(all, &[name.to_string()])?.remove(0))
}

/// The file, or standard input for `-`; bytes that are not UTF-8 become U+FFFD, as a console's
/// stray bytes do in `zlab test`.
fn read(log: &Path) -> Result<String> {
    let mut bytes = Vec::new();
    if log == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes).context("reading the console from standard input")?;
    } else {
        bytes = fs_err::read(log).context("cannot read the console log (give a file, or - for standard input)")?;
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn report(log: &Path, check: Option<&Check>, verdict: &Verdict) {
    let counts = verdict.ktap.counts();
    if counts.total() == 0 && verdict.ktap.ktap_seen {
        say!("KUnit: no tests ran (KTAP began, but no test reported a result)");
    } else if counts.total() == 0 {
        say!("KUnit: no KTAP results on this console");
    } else {
        say!("KUnit: {} tests, {counts}", counts.total());
        for suite in &verdict.ktap.suites {
            let c = suite.counts();
            say!("  {} {}/{} passed", suite.name, c.passed, c.total());
        }
    }
    let against = check.map_or_else(|| "faults and KTAP".to_string(), |c| format!("check {}", c.name));
    if verdict.passed() {
        say!("{} {} ({against})", output::paint_human(Colour::Green, "PASS"), log.display());
    } else {
        say!("{} {} ({against})", output::paint_human(Colour::Red, "FAIL"), log.display());
        for failure in &verdict.failures {
            say!("  - {failure}");
        }
    }
}
