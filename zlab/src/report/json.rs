//! `zlab test --json`: the results as one JSON document on stdout. The field names are stable;
//! docs/results.md describes each. Add fields freely, rename or remove none without raising
//! `version`.

use crate::judge::ktap::{self, TestResult};
use crate::judge::verdict::Failure;
use crate::run::runner::{Outcome, Started};
use serde::Serialize;

pub const FORMAT: &str = "zlab-test-results";
pub const VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Results {
    pub format: &'static str,
    pub version: u32,
    pub checks: Vec<CheckRun>,
    pub totals: Totals,
}

#[derive(Serialize)]
pub struct CheckRun {
    pub name: String,
    /// "gcc" or "llvm": the compilers of the kernel and modules.
    pub toolchain: &'static str,
    /// The series of the newer rustc `--rust` chose, e.g. "1.98"; null for the host's rustc.
    pub rust: Option<String>,
    /// The kernel release booted, e.g. "7.3.4".
    pub kernel: String,
    pub description: String,
    pub variant: String,
    pub run: u32,
    pub runs: u32,
    /// "pass", "fail" (the console was judged and something is wrong), "error" (no boot to
    /// judge: a build failed, QEMU did not start) or "skipped" (the check is not for this
    /// kernel; `skipped` says why).
    pub result: &'static str,
    pub skipped: Option<String>,
    pub seconds: f64,
    pub console_log: String,
    pub failures: Vec<FailureEntry>,
    pub ktap: Option<Ktap>,
    /// Seconds per phase: kernel, modules, initramfs, boot_to_init, steps, shutdown.
    pub phases: crate::run::phases::Phases,
    /// "resumed" (from the guest saved after one boot of its kernel) or "booted" (in full;
    /// `booted_because` says why); null when no guest started.
    pub start: Option<&'static str>,
    pub booted_because: Option<String>,
}

#[derive(Serialize)]
pub struct FailureEntry {
    pub kind: String,
    pub message: String,
    /// `{file, line, column}` where the source says it failed (a Rust panic), else null.
    pub location: Option<crate::judge::console_faults::SourceLocation>,
    /// The other places a detector's report names, each `{role, location, symbol}`: the
    /// acquisitions of a lock-order cycle, the lock held where a task slept, where memory was
    /// allocated and freed.
    pub sites: Vec<crate::judge::detectors::Site>,
}

#[derive(Serialize)]
pub struct Ktap {
    pub complete: bool,
    pub problems: Vec<String>,
    pub counts: ktap::Counts,
    pub suites: Vec<Suite>,
}

#[derive(Serialize)]
pub struct Suite {
    pub name: String,
    /// Whether the check names this suite (its `[[ktap]]` entries).
    pub named_by_check: bool,
    pub result: ktap::Outcome,
    pub counts: ktap::Counts,
    pub cases: Vec<Case>,
}

#[derive(Serialize)]
pub struct Case {
    pub name: String,
    pub result: ktap::Outcome,
    pub directive: Option<String>,
    pub diagnostics: Vec<String>,
    /// Parameterised cases and sub-suites: their own results.
    pub cases: Vec<Case>,
}

#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct Totals {
    pub runs: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub skipped: usize,
}

pub fn results(outcomes: &[Outcome]) -> Results {
    let checks: Vec<CheckRun> = outcomes.iter().map(check_run).collect();
    let count = |result: &str| checks.iter().filter(|c| c.result == result).count();
    let totals = Totals {
        runs: checks.len(),
        passed: count("pass"),
        failed: count("fail"),
        errors: count("error"),
        skipped: count("skipped"),
    };
    Results { format: FORMAT, version: VERSION, checks, totals }
}

pub fn to_string(outcomes: &[Outcome]) -> String {
    serde_json::to_string_pretty(&results(outcomes)).expect("the results serialise")
}

fn check_run(o: &Outcome) -> CheckRun {
    let (result, failures, ktap) = match &o.result {
        _ if o.skipped.is_some() => ("skipped", vec![], None),
        Ok(v) => {
            (if v.passed() { "pass" } else { "fail" }, failure_entries(&v.failures), Some(ktap_of(&v.ktap, &o.suites)))
        }
        Err(e) => {
            let failure =
                FailureEntry { kind: "could not boot".into(), message: e.clone(), location: None, sites: vec![] };
            ("error", vec![failure], None)
        }
    };
    CheckRun {
        name: o.check.clone(),
        toolchain: o.toolchain.name(),
        rust: o.rust.clone(),
        kernel: o.kernel.clone(),
        description: o.description.clone(),
        variant: o.variant.clone(),
        run: o.run,
        runs: o.runs,
        result,
        skipped: o.skipped.clone(),
        seconds: (o.seconds * 1000.0).round() / 1000.0,
        console_log: o.console_log.display().to_string(),
        failures,
        ktap,
        phases: o.phases.clone(),
        start: o.started.as_ref().map(|s| match s {
            Started::Resumed => "resumed",
            Started::Booted(_) => "booted",
        }),
        booted_because: match &o.started {
            Some(Started::Booted(why)) => Some(why.clone()),
            _ => None,
        },
    }
}

pub fn failure_entries(failures: &[Failure]) -> Vec<FailureEntry> {
    failures
        .iter()
        .map(|f| FailureEntry {
            kind: f.kind(),
            message: f.to_string(),
            location: f.location().cloned(),
            sites: f.sites().to_vec(),
        })
        .collect()
}

/// Every KTAP result of a console; `named` are the suites a check names.
pub fn ktap_of(report: &ktap::Report, named: &[String]) -> Ktap {
    Ktap {
        complete: report.is_complete(),
        problems: report.problems.clone(),
        counts: report.counts(),
        suites: report.suites.iter().map(|s| suite(s, named.contains(&s.name))).collect(),
    }
}

fn suite(s: &TestResult, named_by_check: bool) -> Suite {
    Suite {
        name: s.name.clone(),
        named_by_check,
        result: s.outcome,
        counts: s.counts(),
        cases: s.children.iter().map(case).collect(),
    }
}

fn case(t: &TestResult) -> Case {
    Case {
        name: t.name.clone(),
        result: t.outcome,
        directive: t.directive.clone(),
        diagnostics: t.diagnostics.clone(),
        cases: t.children.iter().map(case).collect(),
    }
}
