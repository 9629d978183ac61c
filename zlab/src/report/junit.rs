//! `zlab test --junit FILE`: the results as JUnit XML for CI test reports, written by
//! quick-junit (cargo-nextest's JUnit writer).
//!
//! The shape, and why: one `<testsuite>` per run of a check, named after the check (with
//! ` (run n/N)` under `--repeat`, so every run is its own suite and test). In it:
//! - a testcase `classname="CHECK" name="boot"`: the verdict on the whole boot, with every
//!   problem zlab found in one `<failure>` (or an `<error>` when there was no boot to judge);
//! - a testcase per KUnit case, `classname="CHECK.SUITE"`, for the suites the check names and
//!   for any suite with a failed case. Every boot of a KUnit kernel runs all ~350 Rust
//!   doctests: listing them under every check would repeat them in every report.
//!
//! GitLab lists testcases as "Suite" (= classname) and "Name"; Jenkins builds its
//! package/class tree by splitting classname at its last dot (CHECK → SUITE → case); GitHub's
//! test-reporter actions group testcases under their `<testsuite>` name. This shape reads well
//! in all three. It validates against the JUnit schema Jenkins' xUnit plugin uses (junit-10.xsd;
//! tests/results.sh checks it).

use crate::judge::ktap::{self, TestResult};
use crate::run::runner::Outcome;
use anyhow::Result;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::path::Path;
use std::time::Duration;

/// Writes the report to `file` whole, so a reader never sees half.
pub fn write(file: &Path, outcomes: &[Outcome]) -> Result<()> {
    crate::host::temp::write(file, to_string(outcomes))
}

pub fn to_string(outcomes: &[Outcome]) -> String {
    let mut report = Report::new("zlab");
    report.add_test_suites(outcomes.iter().map(suite));
    report.set_time(seconds(outcomes.iter().map(|o| o.seconds).sum()));
    let xml = report.to_string().expect("a JUnit report serialises to a string");
    // junit-10.xsd allows no `skipped` on <testsuites> (quick-junit's own addition). The root
    // tag comes first, so the first ` skipped="` is its own.
    xml.replacen(&format!(" skipped=\"{}\"", report.skipped), "", 1)
}

fn suite(o: &Outcome) -> TestSuite {
    let runs = if o.runs > 1 { format!(" (run {}/{})", o.run, o.runs) } else { String::new() };
    let mut suite = TestSuite::new(text(&format!("{}{runs}", o.label)));
    suite.set_time(seconds(o.seconds));
    suite.add_properties([
        Property::new("description", text(&o.description)),
        Property::new("variant", text(&o.variant)),
        Property::new("kernel", text(&o.kernel)),
        Property::new("toolchain", o.toolchain.name()),
        Property::new("console_log", text(&o.console_log.display().to_string())),
    ]);
    suite.add_test_case(boot_case(o, &runs));
    if let Ok(verdict) = &o.result {
        for s in verdict.ktap.suites.iter().filter(|s| o.suites.contains(&s.name) || s.counts().failed > 0) {
            let classname = format!("{}.{}", o.label, s.name);
            for child in &s.children {
                kunit_cases(child, "", None, &classname, &runs, &mut suite);
            }
        }
    }
    suite
}

fn boot_case(o: &Outcome, runs: &str) -> TestCase {
    let status = match (&o.skipped, &o.result) {
        (Some(why), _) => skipped(why),
        (None, Ok(v)) if v.passed() => TestCaseStatus::success(),
        (None, Ok(v)) => {
            let first = v.failures[0].to_string();
            let first = first.lines().next().unwrap_or_default();
            let more = v.failures.len() - 1;
            let message = if more > 0 { format!("{first} (and {more} more)") } else { first.to_string() };
            let kinds = v.failures.iter().map(|f| f.kind()).collect::<Vec<_>>().join(", ");
            let details = v.failures.iter().map(|f| format!("- {f}")).collect::<Vec<_>>().join("\n");
            non_success(NonSuccessKind::Failure, &kinds, &message, &details)
        }
        (None, Err(e)) => {
            let message = format!("could not boot: {}", e.lines().next().unwrap_or_default());
            non_success(NonSuccessKind::Error, "could not boot", &message, e)
        }
    };
    let mut case = TestCase::new(text(&format!("boot{runs}")), status);
    case.set_classname(text(&o.label))
        .set_time(seconds(o.seconds))
        .set_system_out(text(&format!("console: {}\n", o.console_log.display())));
    case
}

/// The leaves below `node` as testcases named by their path in the suite (`case.param`); a
/// failed parameter without its own reason gets its case's.
fn kunit_cases(
    node: &TestResult,
    parent: &str,
    inherited: Option<&str>,
    classname: &str,
    runs: &str,
    out: &mut TestSuite,
) {
    let path = if parent.is_empty() { node.name.clone() } else { format!("{parent}.{}", node.name) };
    let own = ktap::failure_reason(node);
    let reason = own.as_deref().or(inherited);
    if !node.children.is_empty() {
        for child in &node.children {
            kunit_cases(child, &path, reason, classname, runs, out);
        }
        return;
    }
    let status = match node.outcome {
        ktap::Outcome::Pass => TestCaseStatus::success(),
        ktap::Outcome::Skip | ktap::Outcome::Todo => skipped(node.directive.as_deref().unwrap_or_default()),
        ktap::Outcome::Fail => non_success(
            NonSuccessKind::Failure,
            "KUnit failure",
            reason.unwrap_or("not ok"),
            &node.diagnostics.join("\n"),
        ),
    };
    let mut case = TestCase::new(text(&format!("{path}{runs}")), status);
    case.set_classname(text(classname));
    out.add_test_case(case);
}

fn skipped(message: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::skipped();
    status.set_message(text(message));
    status
}

fn non_success(kind: NonSuccessKind, ty: &str, message: &str, details: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(kind);
    status.set_type(text(ty)).set_message(text(message)).set_description(text(details));
    status
}

/// quick-junit writes times with three decimals, as the schema's time pattern allows.
fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or_default()
}

/// Console text as quick-junit keeps it whole. It strips terminal escape sequences and
/// controls, tabs included, but lets U+FFFE and U+FFFF through, which XML 1.0 forbids. So:
/// control characters (C0 but newline, as an s390 console can carry, and C1, where one such as
/// U+009D would start a sequence that swallows the rest) and those two become U+FFFD, leaving
/// an escape sequence visible and its text in place; tabs become spaces to the next 8-column
/// stop, as a terminal shows them; carriage returns go.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut column = 0;
    for c in s.chars() {
        match c {
            '\t' => {
                let spaces = 8 - column % 8;
                out.extend(std::iter::repeat_n(' ', spaces));
                column += spaces;
                continue;
            }
            '\n' => {
                out.push(c);
                column = 0;
                continue;
            }
            '\r' => {}
            c if allowed_in_xml(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
        column += 1;
    }
    out
}

/// XML 1.0's Char production, less its whitespace (`text` handles it) and the C1 controls.
fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7F}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_become_replacement_characters_and_tabs_spaces() {
        assert_eq!(text("a<b>&c\u{1b}[31m\u{0}\u{7}\u{FFFE}"), "a<b>&c\u{FFFD}[31m\u{FFFD}\u{FFFD}\u{FFFD}");
        assert_eq!(text("line\n\tindented\r"), "line\n        indented");
        assert_eq!(text("c0e5401a94a5\tbrasl\t%r14"), "c0e5401a94a5    brasl   %r14");
    }

    /// What quick-junit itself strips or lets through would otherwise change the text.
    #[test]
    fn quick_junit_keeps_every_character_text_lets_through() {
        let all: String = (0..0x11000u32).filter_map(char::from_u32).collect();
        let safe = text(&all);
        let kept = quick_junit::XmlString::new(&safe);
        if kept.as_str() != safe {
            let lost: Vec<char> = safe.chars().filter(|c| !kept.contains(*c)).collect();
            panic!("quick-junit changes the text, dropping {lost:?}");
        }
        assert_eq!(text("\u{9d}swallowed?\u{85}"), "\u{FFFD}swallowed?\u{FFFD}");
    }

    /// A run with a skipped KUnit case: the suite counts it, the root (where junit-10.xsd has no
    /// `skipped`) does not say so; times have three decimals.
    #[test]
    fn skips_are_counted_on_suites_only_and_times_have_three_decimals() {
        let ktap = ktap::parse(
            "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: demo\n    1..2\n    ok 1 works\n    ok 2 numa # SKIP requires CONFIG_NUMA\nok 1 demo\n",
        );
        let check =
            crate::inputs::check::Check::parse("demo", "description = \"d\"\n[[ktap]]\nsuite = \"demo\"\n").unwrap();
        let paths = crate::host::paths::Paths::for_tests("/p".as_ref(), "/h".as_ref());
        let verdict = crate::judge::verdict::Verdict { failures: vec![], ktap };
        let outcome = Outcome { seconds: 1.23456, ..Outcome::new(&paths, "7.3.4", &check, (1, 1), Ok(verdict)) };
        let xml = to_string(&[outcome]);
        assert!(
            xml.contains("\n<testsuites name=\"zlab\" tests=\"3\" failures=\"0\" errors=\"0\" time=\"1.235\">\n"),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<testsuite name=\"demo\" tests=\"3\" skipped=\"1\" errors=\"0\" failures=\"0\" time=\"1.235\">"
            ),
            "{xml}"
        );
        assert!(xml.contains("<skipped message=\"SKIP requires CONFIG_NUMA\"/>"), "{xml}");
    }

    /// A check that is not for the kernel: its boot case is skipped with the reason, and the
    /// report validates as any other.
    #[test]
    fn a_check_skipped_on_its_kernel_is_a_skipped_boot_case() {
        let text = "description = \"d\"\n[kernel]\nmin = \"7.3\"\nwhy = \"kernel::new_api\"\n";
        let check = crate::inputs::check::Check::parse("demo", text).unwrap();
        let paths = crate::host::paths::Paths {
            kernel_series: Some("7.2".into()),
            ..crate::host::paths::Paths::for_tests("/p".as_ref(), "/h".as_ref())
        };
        let why = check.not_for("7.2.12").unwrap().unwrap();
        let xml = to_string(&[Outcome::skipped(&paths, "7.2.12", &check, (1, 1), why)]);
        assert!(
            xml.contains("<testsuite name=\"demo-7.2\" tests=\"1\" skipped=\"1\" errors=\"0\" failures=\"0\""),
            "{xml}"
        );
        assert!(
            xml.contains("<skipped message=\"for Linux 7.3 or newer, this is 7.2.12: kernel::new_api\"/>"),
            "{xml}"
        );
        assert!(xml.contains("<property name=\"kernel\" value=\"7.2.12\"/>"), "{xml}");
    }
}
