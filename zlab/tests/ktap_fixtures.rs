//! KTAP parser and fault scanner against console logs in tests/fixtures.
//! `boot-*.log` are real s390x captures of the 7.3 kernel; `synthetic-*.log`
//! are written by hand to the formats in lib/kunit/test.c.

mod console_invariants;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use console_invariants::check_console;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::FileFailurePersistence;
use zlab::judge::console_faults::{self, FaultKind};
use zlab::judge::ktap::{self, Counts, Outcome, TestResult};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(name: &str) -> String {
    String::from_utf8_lossy(&fixture_bytes(name)).into_owned()
}

fn all_fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".log"))
        .collect();
    names.sort();
    names
}

/// Parses `pass:1 fail:2 skip:3 total:6` as KUnit prints it.
fn parse_stats(text: &str) -> Option<(Counts, usize)> {
    let mut values = text.split_whitespace().map(|field| {
        let (_, value) = field.split_once(':')?;
        value.parse::<usize>().ok()
    });
    let mut next = || values.next().flatten();
    let (passed, failed, skipped, total) = (next()?, next()?, next()?, next()?);
    Some((Counts { passed, failed, skipped }, total))
}

/// The kernel's own tally of a suite's leaves: the `# Totals:` line, which
/// KUnit prints (only when total > 1) right before the suite's result.
fn kernel_totals(suite: &TestResult) -> Option<(Counts, usize)> {
    suite.diagnostics.iter().find_map(|d| d.trim_start().strip_prefix("# Totals: ")).and_then(parse_stats)
}

fn fault_kinds(console: &str) -> Vec<(FaultKind, usize)> {
    console_faults::scan(console).iter().map(|f| (f.kind, f.line_number)).collect()
}

// ---- real captures ----

#[test]
fn real_boot_runs_all_doctests_and_matches_the_kernels_tally() {
    let console = fixture("boot-doctests.log");
    let report = ktap::parse(&console);
    assert!(report.is_complete(), "{:?}", report.problems);
    let names: Vec<&str> = report.suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["rust_kernel_fmt", "rust_spinlock_irq_condvar", "rust_doctests_kernel"]);
    let doctests = report.suite("rust_doctests_kernel").expect("doctest suite");
    assert_eq!(doctests.outcome, Outcome::Pass);
    assert_eq!(doctests.children.len(), 350);
    let (kernel_counts, total) = kernel_totals(doctests).expect("# Totals line");
    assert_eq!(total, 350);
    assert_eq!(doctests.counts(), kernel_counts);
    assert_eq!(kernel_counts.passed, 350);
    assert!(doctests.diagnostics.iter().any(|d| d == "# rust_doctests_kernel: pass:350 fail:0 skip:0 total:350"));
    // Each doctest announces its source location before its result.
    let first = &doctests.children[0];
    assert_eq!(first.name, "rust_doctest_kernel_alloc_allocator_rs_0");
    assert_eq!(
        first.diagnostics,
        ["# rust_doctest_kernel_alloc_allocator_rs_0.location: rust/kernel/alloc/allocator.rs:176"]
    );
    assert_eq!(report.counts(), Counts { passed: 352, failed: 0, skipped: 0 });
    assert!(report.failures().is_empty());
    // Rust samples print "Emergency message (level 0)" etc.; none is a fault.
    assert!(console_faults::scan(&console).is_empty());
    assert_eq!(console_faults::last_lines(&console, 1), ["ZLAB-INIT-END"]);
}

#[test]
fn real_boot_with_kunit_disabled_has_no_ktap() {
    let console = fixture("boot-kunit-disabled-samples.log");
    assert!(console.contains("] kunit: disabled"));
    let report = ktap::parse(&console);
    assert!(report.suites.is_empty());
    assert!(report.is_complete(), "{:?}", report.problems);
    assert!(console_faults::scan(&console).is_empty());
}

// ---- synthetic ----

#[test]
fn synthetic_passing_boot_with_crlf_and_interleaved_output() {
    let report = ktap::parse(&fixture("synthetic-doctests-pass.log"));
    assert!(report.is_complete(), "{:?}", report.problems);
    assert_eq!(report.counts(), Counts { passed: 13, failed: 0, skipped: 1 });
    let doctests = report.suite("rust_doctests_kernel").expect("suite");
    assert_eq!(kernel_totals(doctests).map(|t| t.0), Some(doctests.counts()));
    assert_eq!(doctests.children[8].directive.as_deref(), Some("SKIP requires CONFIG_NUMA"));
    assert!(report.failures().is_empty());
}

#[test]
fn synthetic_failing_doctest_is_reported_with_its_assertion() {
    let report = ktap::parse(&fixture("synthetic-doctest-failure.log"));
    assert!(report.is_complete(), "{:?}", report.problems);
    let doctests = report.suite("rust_doctests_kernel").expect("suite");
    assert_eq!(doctests.outcome, Outcome::Fail);
    assert_eq!(doctests.counts(), Counts { passed: 4, failed: 1, skipped: 0 });
    assert_eq!(kernel_totals(doctests).map(|t| t.0), Some(doctests.counts()));
    assert_eq!(
        report.failures(),
        ["rust_doctests_kernel.rust_doctest_kernel_sync_arc_rs_0: ASSERTION FAILED at rust/kernel/sync/arc.rs:28"]
    );
}

#[test]
fn synthetic_parameterised_suite_counts_parameters_as_leaves() {
    let report = ktap::parse(&fixture("synthetic-param-tests.log"));
    assert!(report.is_complete(), "{:?}", report.problems);
    let suite = report.suite("example_params").expect("suite");
    // `# Totals:` counts parameters, `# example_params:` counts cases.
    assert_eq!(kernel_totals(suite).map(|t| t.0), Some(suite.counts()));
    assert_eq!(suite.counts(), Counts { passed: 6, failed: 1, skipped: 1 });
    assert_eq!(report.counts(), Counts { passed: 6, failed: 2, skipped: 1 });
    assert_eq!(
        report.failures(),
        [
            "example_params.example_array_test.param-2: EXPECTATION FAILED at lib/kunit/kunit-example-test.c:212",
            "example_init_fails: failed to initialize (-12)",
        ]
    );
}

#[test]
fn synthetic_crash_mid_suite_is_incomplete_and_faults_are_found() {
    let console = fixture("synthetic-crash-mid-suite.log");
    let report = ktap::parse(&console);
    assert_eq!(
        report.problems,
        [
            "suite rust_doctests_kernel: 120 of 349 results, the stream stops there",
            "top level: 0 of 2 suite results, then the stream stops there",
        ]
    );
    assert_eq!(report.counts(), Counts { passed: 120, failed: 0, skipped: 0 });
    assert_eq!(report.failures(), ["rust_doctests_kernel: 120 of 349 results, the stream stops there"]);
    assert_eq!(fault_kinds(&console), [(FaultKind::Oops, 265), (FaultKind::Panic, 283)]);
    let oops = &console_faults::scan(&console)[0];
    assert_eq!(oops.excerpt.len(), 16);
    assert!(oops.excerpt[0].ends_with("Oops: 0004 ilc:3 [#1]SMP "));
}

#[test]
fn synthetic_module_suites_form_new_top_level_runs() {
    let report = ktap::parse(&fixture("synthetic-module-suites.log"));
    assert!(report.is_complete(), "{:?}", report.problems);
    let names: Vec<&str> = report.suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["rust_kernel_str", "rust_sample_math", "rust_sample_strings", "rust_other"]);
    assert_eq!(report.counts(), Counts { passed: 6, failed: 0, skipped: 1 });
}

#[test]
fn synthetic_faults_match_kernel_headers_only() {
    let console = fixture("synthetic-faults.log");
    let report = ktap::parse(&console);
    assert!(report.is_complete(), "{:?}", report.problems);
    assert_eq!(report.counts().passed, 2);
    assert_eq!(
        fault_kinds(&console),
        [
            (FaultKind::Warning, 29),
            (FaultKind::AtomicSleep, 33),
            (FaultKind::Bug, 34),
            (FaultKind::Overflow, 35), // a Rust overflow panic; its `kernel BUG at` is folded in
            (FaultKind::Oops, 39),
            (FaultKind::Panic, 41),
        ]
    );
}

// ---- robustness (random cases from proptest; PROPTEST_CASES=N for more) ----

/// Each fixture's bytes, text and, when it parses complete, the byte ranges in which a cut
/// leaves a suite open.
struct Loaded {
    name: String,
    bytes: Vec<u8>,
    lines: Vec<String>,
    open_spans: Option<Vec<(usize, usize)>>,
}

fn loaded() -> &'static [Loaded] {
    static LOADED: OnceLock<Vec<Loaded>> = OnceLock::new();
    LOADED.get_or_init(|| {
        all_fixture_names()
            .into_iter()
            .map(|name| {
                let bytes = fixture_bytes(&name);
                let console = String::from_utf8_lossy(&bytes).into_owned();
                let open_spans = ktap::parse(&console).is_complete().then(|| open_suite_spans(&console));
                let lines = console.lines().map(str::to_string).collect();
                Loaded { name, bytes, lines, open_spans }
            })
            .collect()
    })
}

/// Byte ranges in which a cut leaves a suite open: from the end of the
/// suite's first indented KTAP line to the start of its top-level result.
fn open_suite_spans(console: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut span_start = None;
    let mut offset = 0;
    for line in console.split_inclusive('\n') {
        let message = ktap::strip_printk_prefix(line).unwrap_or(line);
        let body = message.trim_start_matches(' ');
        let indented = body.len() < message.len();
        let is_ktap = ["KTAP version", "# Subtest:", "1..", "ok ", "not ok "].iter().any(|p| body.starts_with(p));
        if is_ktap && indented && span_start.is_none() {
            span_start = Some(offset + line.len());
        }
        if is_ktap && !indented && (body.starts_with("ok ") || body.starts_with("not ok ")) {
            if let Some(start) = span_start.take() {
                spans.push((start, offset));
            }
        }
        offset += line.len();
    }
    spans
}

fn fixture_index() -> impl Strategy<Value = usize> {
    0..loaded().len()
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_fixture_cut_anywhere_keeps_every_invariant_and_an_open_suite_is_incomplete(
        fixture in fixture_index(),
        cut in any::<Index>(),
    ) {
        let fixture = &loaded()[fixture];
        let cut = cut.index(fixture.bytes.len() + 1);
        let report = check_console(&String::from_utf8_lossy(&fixture.bytes[..cut]));
        let spans = fixture.open_spans.as_deref().unwrap_or_default();
        if spans.iter().any(|&(start, end)| start <= cut && cut <= end) {
            prop_assert!(!report.is_complete(), "{} cut at {cut} looks complete", fixture.name);
        }
    }

    #[test]
    fn a_fixture_with_its_lines_shuffled_keeps_every_invariant(
        lines in fixture_index().prop_flat_map(|i| Just(loaded()[i].lines.clone()).prop_shuffle()),
    ) {
        check_console(&lines.join("\n"));
    }
}

#[test]
fn reindented_fixtures_keep_every_invariant_and_doubling_keeps_the_results() {
    for fixture in loaded() {
        let report = ktap::parse(&fixture.lines.join("\n"));
        for factor in [2, 3, 40] {
            let reindented: String = fixture
                .lines
                .iter()
                .map(|line| {
                    let message = ktap::strip_printk_prefix(line).unwrap_or(line);
                    let body = message.trim_start_matches(' ');
                    let indent = " ".repeat((message.len() - body.len()) * factor);
                    format!("{indent}{body}\n")
                })
                .collect();
            let reindented = check_console(&reindented);
            if factor == 2 {
                // Doubling keeps the structure, so nothing is lost.
                assert_eq!(reindented.counts(), report.counts(), "{}", fixture.name);
                assert_eq!(reindented.failures(), report.failures(), "{}", fixture.name);
            }
        }
    }
}

/// KUnit prints its own tally of each suite with more than one case (`# Totals:`): the parsed
/// leaves agree with it in every fixture.
#[test]
fn every_kernel_tally_matches_the_parsed_results() {
    let mut tallies = 0;
    for fixture in loaded() {
        let report = ktap::parse(&fixture.lines.join("\n"));
        for suite in &report.suites {
            if let Some((counts, total)) = kernel_totals(suite) {
                assert_eq!(suite.counts(), counts, "{}: {}", fixture.name, suite.name);
                assert_eq!(suite.counts().total(), total, "{}: {}", fixture.name, suite.name);
                tallies += 1;
            }
        }
    }
    assert!(tallies >= 4, "only {tallies} suites with a # Totals: line");
}
