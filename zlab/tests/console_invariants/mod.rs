//! What must hold for any console, however garbled: the KTAP report, the fault scan and the
//! verdict agree with each other and with the text. Shared by the property tests
//! (`mod console_invariants;`) and the cargo-fuzz target in fuzz/ (`#[path]`).

#![allow(dead_code)] // each test crate uses a part

use zlab::guest::qemu::Run;
use zlab::inputs::check::Check;
use zlab::judge::console_faults;
use zlab::judge::ktap::{self, Outcome, Report, TestResult};
use zlab::judge::verdict::{self, Failure};

/// A console line that is neither KTAP nor a fault: inserting it anywhere changes no result.
pub const NOISE: &str = "[    9.999999] random: crng init done";

/// Parses `console`, judges it twice (timed out or not) and asserts every invariant below.
pub fn check_console(console: &str) -> Report {
    let report = ktap::parse(console);
    check_report(console, &report);
    check_faults(console);
    for timed_out in [false, true] {
        check_verdict(console, &report, timed_out);
    }
    report
}

fn all_results(results: &[TestResult]) -> Vec<&TestResult> {
    let mut all = Vec::new();
    let mut stack: Vec<&TestResult> = results.iter().collect();
    while let Some(result) = stack.pop() {
        all.push(result);
        stack.extend(&result.children);
    }
    all
}

pub fn check_report(console: &str, report: &Report) {
    // Every result comes from an `ok`/`not ok` line, or stands for a subtest left open, which is
    // always a problem.
    let results = all_results(&report.suites);
    let result_lines = console.lines().filter(|l| l.contains("ok ")).count();
    assert!(
        results.len() <= result_lines + report.problems.len(),
        "{} results from {result_lines} result lines and {} problems",
        results.len(),
        report.problems.len()
    );

    // One failure per failed leaf at least, one per failed result at most, none without one.
    let failures = report.failures();
    let failed_results = results.iter().filter(|r| r.outcome == Outcome::Fail).count();
    assert!(failures.len() >= report.counts().failed, "{failures:?} for {:?}", report.counts());
    assert!(failures.len() <= failed_results, "{failures:?} from {failed_results} failed results");
    assert_eq!(failures.is_empty(), failed_results == 0, "{failures:?}");

    // Carriage returns and unrelated lines between any two lines change nothing.
    assert_eq!(&ktap::parse(&console.replace('\n', "\r\n")), report, "with CRLF line ends");
    let mut noisy = format!("{NOISE}\n");
    for piece in console.split_inclusive('\n') {
        noisy.push_str(piece);
        if piece.ends_with('\n') {
            noisy.push_str(NOISE);
            noisy.push('\n');
        }
    }
    assert_eq!(&ktap::parse(&noisy), report, "with a noise line after each line");
}

pub fn check_faults(console: &str) {
    let lines: Vec<&str> = console.lines().map(|l| l.trim_end_matches('\r')).collect();
    let faults = console_faults::scan(console);
    for pair in faults.windows(2) {
        assert!(pair[0].line_number < pair[1].line_number, "{faults:?}");
    }
    for fault in &faults {
        let index = fault.line_number - 1;
        assert_eq!(fault.excerpt.first().map(String::as_str), lines.get(index).copied(), "{fault:?}");
        assert_eq!(fault.excerpt.len(), (lines.len() - index).min(16), "{fault:?}");
    }
    let tail = console_faults::last_lines(console, 5);
    assert_eq!(tail, lines[lines.len().saturating_sub(5)..], "last_lines");
}

/// A check with steps, expectations and a suite, so judging exercises every part of the verdict.
pub fn busy_check() -> Check {
    let text = "description = \"x\"\nexpect = [\"ok \"]\nforbid = [\"BUG\"]\n\
                [[step]]\nrun = \"a\"\nexpect = [\"x\"]\n[[step]]\nrun = \"b\"\nexit = 7\n\
                [[ktap]]\nsuite = \"s\"\nmin_tests = 2\n";
    Check::parse("busy", text).unwrap()
}

pub fn run(console: &str, timed_out: bool) -> Run {
    Run {
        console: console.to_string(),
        timed_out,
        qemu_errors: String::new(),
        elapsed: std::time::Duration::ZERO,
        line_times: vec![],
    }
}

fn check_verdict(console: &str, report: &Report, timed_out: bool) {
    let verdict = verdict::judge(&busy_check(), &run(console, timed_out));
    assert_eq!(&verdict.ktap, report);
    // Kernel faults come first, one failure each, in console order.
    let fault_lines: Vec<usize> = console_faults::scan(console).iter().map(|f| f.line_number).collect();
    let reported_fault_lines: Vec<usize> = verdict
        .failures
        .iter()
        .map_while(|f| match f {
            Failure::Fault(fault) => Some(fault.line_number),
            _ => None,
        })
        .collect();
    assert_eq!(reported_fault_lines, fault_lines);
    let count = |wanted: fn(&Failure) -> bool| verdict.failures.iter().filter(|f| wanted(f)).count();
    assert_eq!(count(|f| matches!(f, Failure::Fault(_))), fault_lines.len());
    assert_eq!(count(|f| matches!(f, Failure::TimedOut { .. })), usize::from(timed_out));
    assert_eq!(count(|f| matches!(f, Failure::KtapIncomplete { .. })), usize::from(!report.is_complete()));
    assert_eq!(count(|f| matches!(f, Failure::KtapFailed { .. })), usize::from(!report.failures().is_empty()));
    assert_eq!(count(|f| matches!(f, Failure::NoTestsRan { .. })), usize::from(!report.ran_nothing.is_empty()));
    assert_eq!(count(|f| matches!(f, Failure::SuiteMissing { .. })), usize::from(report.suite("s").is_none()));
    assert_eq!(count(|f| matches!(f, Failure::Missing { .. })), usize::from(!console.contains("ok ")));
    assert_eq!(verdict.passed(), verdict.failures.is_empty());
    for failure in &verdict.failures {
        assert!(!failure.kind().is_empty() && !failure.to_string().is_empty(), "{failure:?}");
    }
}
