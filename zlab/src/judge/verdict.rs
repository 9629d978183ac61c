//! The verdict on one boot, from the console alone: QEMU's exit status proves nothing (a
//! panicking s390 guest may power off cleanly).

use crate::guest::init::{INIT_END, INIT_START, OUTPUT_PREFIX, STEP_PREFIX};
use crate::guest::qemu::Run;
use crate::inputs::check::Check;
use crate::judge::console_faults::{self, Fault};
use crate::judge::ktap;
use std::fmt;

/// How many console lines a failure shows when it has no better excerpt.
const TAIL: usize = 20;

#[derive(Debug)]
pub enum Failure {
    Fault(Fault),
    TimedOut {
        limit_secs: u64,
        last_lines: Vec<String>,
    },
    InitNeverRan {
        last_lines: Vec<String>,
        qemu_errors: String,
    },
    InitDidNotFinish {
        last_lines: Vec<String>,
    },
    Step {
        number: usize,
        run: String,
        expected_exit: i32,
        exit: Option<i32>,
        missing: Vec<String>,
        output: Vec<String>,
        /// What the kernel printed while the step ran (`hello: Unknown symbol …`).
        kernel: Vec<String>,
    },
    Missing {
        expected: String,
    },
    Forbidden {
        pattern: String,
        line: String,
    },
    KtapIncomplete {
        problems: Vec<String>,
    },
    KtapFailed {
        failures: Vec<String>,
    },
    /// KUnit said tests ran and none reported a result: a subtest's header then `ok`, or (when
    /// results are required) a console whose KTAP, if any, announced nothing.
    NoTestsRan {
        what: Vec<String>,
    },
    SuiteMissing {
        suite: String,
    },
    SuiteTooSmall {
        suite: String,
        found: usize,
        min: usize,
    },
}

impl Failure {
    /// Where in the source it failed, when the console says (a Rust panic's `panicked at`).
    pub fn location(&self) -> Option<&crate::judge::console_faults::SourceLocation> {
        match self {
            Failure::Fault(fault) => fault.location.as_ref(),
            _ => None,
        }
    }

    /// The other places a detector's report names (judge::detectors).
    pub fn sites(&self) -> &[crate::judge::detectors::Site] {
        match self {
            Failure::Fault(fault) => &fault.sites,
            _ => &[],
        }
    }

    /// A short name for summaries and machine-readable output.
    pub fn kind(&self) -> String {
        match self {
            Failure::Fault(f) => f.kind.to_string(),
            Failure::TimedOut { .. } => "time-out".into(),
            Failure::InitNeverRan { .. } => "no init".into(),
            Failure::InitDidNotFinish { .. } => "init did not finish".into(),
            Failure::Step { number, .. } => format!("step {number} failed"),
            Failure::Missing { .. } => "expected line missing".into(),
            Failure::Forbidden { .. } => "forbidden line".into(),
            Failure::KtapIncomplete { .. } => "KTAP incomplete".into(),
            Failure::KtapFailed { .. } => "KUnit failure".into(),
            Failure::NoTestsRan { .. } => "no tests ran".into(),
            Failure::SuiteMissing { .. } | Failure::SuiteTooSmall { .. } => "KUnit suite".into(),
        }
    }
}

fn indented(lines: &[String]) -> String {
    lines.iter().map(|l| format!("    | {l}")).collect::<Vec<_>>().join("\n")
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Failure::Fault(fault) => write!(f, "{}:\n{}", fault.summary(), indented(&fault.excerpt)),
            Failure::TimedOut { limit_secs, last_lines } => {
                write!(f, "time-out: the guest did not finish within {limit_secs} s; QEMU was killed. Last console lines:\n{}", indented(last_lines))
            }
            Failure::InitNeverRan { last_lines, qemu_errors } => {
                write!(f, "init never ran (no `{INIT_START}` on the console)")?;
                if !qemu_errors.trim().is_empty() {
                    write!(f, "; QEMU said: {}", qemu_errors.trim())?;
                }
                write!(f, ". Last console lines:\n{}", indented(last_lines))
            }
            Failure::InitDidNotFinish { last_lines } => {
                write!(f, "init started but never reached `{INIT_END}`. Last console lines:\n{}", indented(last_lines))
            }
            Failure::Step { number, run, expected_exit, exit, missing, output, kernel } => {
                let first = run.lines().next().unwrap_or("");
                match exit {
                    Some(code) if code != expected_exit => {
                        write!(f, "step {number} `{first}` exited {code}, expected {expected_exit}")?
                    }
                    Some(_) => write!(f, "step {number} `{first}`")?,
                    None => write!(f, "step {number} `{first}` never finished")?,
                }
                for m in missing {
                    write!(f, "; its output lacks {m:?}")?;
                }
                write!(f, ". Its output:\n{}", indented(output))?;
                if !kernel.is_empty() {
                    write!(f, "\n  The kernel said meanwhile:\n{}", indented(kernel))?;
                }
                Ok(())
            }
            Failure::Missing { expected } => write!(f, "expected on the console but never seen: {expected:?}"),
            Failure::Forbidden { pattern, line } => write!(f, "forbidden {pattern:?} seen: {line}"),
            Failure::KtapIncomplete { problems } => write!(f, "the KTAP stream is incomplete: {}", problems.join("; ")),
            Failure::KtapFailed { failures } => write!(f, "KUnit tests failed:\n{}", indented(failures)),
            Failure::NoTestsRan { what } => write!(f, "no tests ran: {}", what.join("; ")),
            Failure::SuiteMissing { suite } => write!(f, "KUnit suite {suite} never reported"),
            Failure::SuiteTooSmall { suite, found, min } => {
                write!(f, "KUnit suite {suite} ran {found} tests, the check expects at least {min}")
            }
        }
    }
}

/// What init recorded for one step.
#[derive(Debug, Default, Clone)]
pub struct StepRecord {
    pub began: bool,
    pub exit: Option<i32>,
    pub output: Vec<String>,
    /// Console lines between the step's markers that are not its output: kernel messages.
    pub kernel: Vec<String>,
}

/// How many kernel lines a failed step shows.
const STEP_KERNEL_LINES: usize = 12;

#[derive(Debug)]
pub struct Verdict {
    pub failures: Vec<Failure>,
    pub ktap: ktap::Report,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

pub fn judge(check: &Check, run: &Run) -> Verdict {
    let console = run.console.as_str();
    let mut failures: Vec<Failure> = console_faults::scan(console).into_iter().map(Failure::Fault).collect();
    let lines: Vec<&str> = console.lines().collect();
    let tail = || console_faults::last_lines(console, TAIL);
    let started = lines.iter().any(|l| l.trim_end() == INIT_START);
    let finished = lines.iter().any(|l| l.trim_end() == INIT_END);
    if run.timed_out {
        failures.push(Failure::TimedOut { limit_secs: check.timeout, last_lines: tail() });
    } else if !started {
        failures.push(Failure::InitNeverRan { last_lines: tail(), qemu_errors: run.qemu_errors.clone() });
    } else if !finished {
        failures.push(Failure::InitDidNotFinish { last_lines: tail() });
    }

    let records = step_records(&lines, check.step.len());
    for (i, (step, record)) in check.step.iter().zip(&records).enumerate() {
        if !record.began {
            continue; // the guest stopped before it: already reported above
        }
        let output = record.output.join("\n");
        let missing: Vec<String> = step.expect.iter().filter(|e| !output.contains(e.as_str())).cloned().collect();
        if record.exit != Some(step.exit) || !missing.is_empty() {
            failures.push(Failure::Step {
                number: i + 1,
                run: step.run.clone(),
                expected_exit: step.exit,
                exit: record.exit,
                missing,
                output: record.output.clone(),
                kernel: record.kernel.iter().take(STEP_KERNEL_LINES).cloned().collect(),
            });
        }
    }

    for expected in &check.expect {
        if !console.contains(expected.as_str()) {
            failures.push(Failure::Missing { expected: expected.clone() });
        }
    }
    for pattern in &check.forbid {
        if let Some(line) = lines.iter().find(|l| l.contains(pattern.as_str())) {
            failures.push(Failure::Forbidden { pattern: pattern.clone(), line: line.to_string() });
        }
    }

    let report = ktap::parse(console);
    failures.extend(ktap_failures(&report));
    for wanted in &check.ktap {
        match report.suite(&wanted.suite) {
            None => failures.push(Failure::SuiteMissing { suite: wanted.suite.clone() }),
            Some(suite) => {
                let found = suite.counts().total();
                if found < wanted.min_tests {
                    failures.push(Failure::SuiteTooSmall { suite: wanted.suite.clone(), found, min: wanted.min_tests });
                }
            }
        }
    }
    Verdict { failures, ktap: report }
}

/// The verdict on a console with no check to hold it to (`zlab parse` of a log from a real
/// machine, a CI artifact): its faults and its KTAP results alone, no init markers, steps or
/// expected lines asked for.
pub fn judge_console(console: &str) -> Verdict {
    let mut failures: Vec<Failure> = console_faults::scan(console).into_iter().map(Failure::Fault).collect();
    let report = ktap::parse(console);
    failures.extend(ktap_failures(&report));
    Verdict { failures, ktap: report }
}

/// Fails `verdict` when no KUnit test reported a result, as the kernel's `kunit.py parse` does:
/// for a console that must carry KUnit results (`zlab parse --ktap`). Without it, a console with
/// no KTAP, or only a run with nothing to run (`KTAP version 1`, `1..0`: what the kernel prints
/// at every boot where `kunit.filter_glob` names no suite it has, as a module check's does),
/// is judged on the rest.
pub fn require_tests(verdict: &mut Verdict) {
    if verdict.ktap.counts().total() > 0 {
        return;
    }
    let what = if verdict.ktap.ktap_seen {
        "KTAP began, but no test reported a result (a plan of 0, or nothing after the header)"
    } else {
        "there is no KTAP on this console (is CONFIG_KUNIT on, did a KUnit suite run?)"
    };
    verdict.failures.push(Failure::NoTestsRan { what: vec![what.to_string()] });
}

/// A KTAP stream cut short, the tests that failed, and subtests that ran nothing.
fn ktap_failures(report: &ktap::Report) -> Vec<Failure> {
    let mut out = Vec::new();
    if !report.is_complete() {
        out.push(Failure::KtapIncomplete { problems: report.problems.clone() });
    }
    let failed = report.failures();
    if !failed.is_empty() {
        out.push(Failure::KtapFailed { failures: failed });
    }
    if !report.ran_nothing.is_empty() {
        out.push(Failure::NoTestsRan { what: report.ran_nothing.clone() });
    }
    out
}

/// Reads init's step markers back from the console.
pub fn step_records(lines: &[&str], steps: usize) -> Vec<StepRecord> {
    let mut records = vec![StepRecord::default(); steps];
    let mut running: Option<usize> = None;
    for line in lines {
        // Only the line end goes: a step's output keeps its own trailing spaces.
        let line = line.trim_end_matches(['\r', '\n']);
        if let Some(rest) = line.strip_prefix(STEP_PREFIX) {
            let mut words = rest.split_whitespace();
            let Some(n) = words.next().and_then(|n| n.parse::<usize>().ok()).filter(|n| (1..=steps).contains(n)) else {
                continue;
            };
            match words.next() {
                Some("begin") => {
                    records[n - 1].began = true;
                    running = Some(n);
                }
                Some("end") => {
                    records[n - 1].exit = words.next().and_then(|w| w.strip_prefix("rc=")).and_then(|c| c.parse().ok());
                    running = None;
                }
                _ => {}
            }
        } else if let Some(n) = running.filter(|_| !line.starts_with(OUTPUT_PREFIX) && !line.trim().is_empty()) {
            records[n - 1].kernel.push(line.to_string());
        } else if let Some(rest) = line.strip_prefix(OUTPUT_PREFIX) {
            if let Some((n, text)) = rest.split_once("| ").or_else(|| rest.split_once('|')) {
                if let Some(record) =
                    n.parse::<usize>().ok().filter(|n| (1..=steps).contains(n)).map(|n| &mut records[n - 1])
                {
                    record.output.push(text.to_string());
                }
            }
        }
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    /// init's `sed` copies a step's output as printed, trailing spaces too, and the console keeps
    /// them: an expectation ending in a space matches it, as it does in the check's `expect`.
    #[test]
    fn step_output_keeps_its_trailing_spaces() {
        let lines = ["zlab-step 1 begin", "zlab-out 1| count: ", "zlab-out 1| done\r", "zlab-step 1 end rc=0 "];
        let records = step_records(&lines, 1);
        assert_eq!(records[0].output, ["count: ", "done"]);
        assert_eq!(records[0].exit, Some(0));
    }

    /// A console from a machine zlab did not boot has no init markers: judged alone, it passes
    /// on clean KTAP and fails on a fault or a failed test, never for want of init.
    #[test]
    fn a_console_judged_alone_needs_no_init() {
        let clean = "[    1.0] KTAP version 1\n[    1.1] 1..1\n[    1.2] ok 1 works\n";
        let verdict = judge_console(clean);
        assert!(verdict.passed(), "{:?}", verdict.failures);
        assert_eq!(verdict.ktap.counts().passed, 1);
        let failed = judge_console(&clean.replace("ok 1 works", "not ok 1 works"));
        assert_eq!(failed.failures.iter().map(Failure::kind).collect::<Vec<_>>(), ["KUnit failure"]);
        let panicked = judge_console("[    2.0] Kernel panic - not syncing: Fatal exception\n");
        assert_eq!(panicked.failures.iter().map(Failure::kind).collect::<Vec<_>>(), ["kernel panic"]);
    }

    /// A module check's boot: KUnit ran with no suite to run (`1..0`). It passes as it is, and
    /// fails as "no tests ran" where results are required, as a console with no KTAP does.
    #[test]
    fn no_tests_ran_fails_only_where_results_are_required() {
        let kinds = |v: &Verdict| v.failures.iter().map(Failure::kind).collect::<Vec<_>>();
        let filtered = "[    0.5] KTAP version 1\n[    0.5] 1..0\n[    0.8] hello: loaded\n";
        let mut verdict = judge_console(filtered);
        assert!(verdict.passed(), "{:?}", verdict.failures);
        require_tests(&mut verdict);
        assert_eq!(kinds(&verdict), ["no tests ran"]);
        assert!(verdict.failures[0].to_string().contains("KTAP began, but no test reported a result"));

        let mut plain = judge_console("[    0.8] hello: loaded\n");
        require_tests(&mut plain);
        assert!(plain.failures[0].to_string().contains("no KTAP on this console"), "{}", plain.failures[0]);

        let mut ran = judge_console("KTAP version 1\n1..1\nok 1 s # SKIP\n");
        require_tests(&mut ran);
        assert!(ran.passed(), "a skipped test reported: {:?}", ran.failures);
    }

    /// A subtest that printed its header and then `ok` ran nothing: that fails always.
    #[test]
    fn a_subtest_that_ran_nothing_fails() {
        let verdict = judge_console("KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\nok 1 s\n");
        assert_eq!(verdict.failures.iter().map(Failure::kind).collect::<Vec<_>>(), ["no tests ran"]);
        assert_eq!(
            verdict.failures[0].to_string(),
            "no tests ran: suite s: its header was printed, then `ok` with no test result between"
        );
    }
}
