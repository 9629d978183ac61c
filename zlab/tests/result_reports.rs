//! `zlab test --junit` and `--json` on synthetic outcomes (a pass, a KUnit failure, a boot that
//! never happened, a console full of bytes XML forbids, a repeated check), read back by a
//! JUnit-reading library (the junit-parser crate) and by serde_json.

use std::path::PathBuf;
use std::time::Duration;

use zlab::guest::init::{INIT_END, INIT_START};
use zlab::guest::qemu::Run;
use zlab::inputs::check::Check;
use zlab::judge::verdict::judge;
use zlab::report::{json, junit};
use zlab::run::runner::Outcome;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn repo_check(name: &str) -> Check {
    let text = std::fs::read_to_string(manifest_dir().join("../checks").join(format!("{name}.toml"))).unwrap();
    Check::parse(name, &text).unwrap()
}

fn fixture(name: &str) -> String {
    String::from_utf8_lossy(&std::fs::read(manifest_dir().join("tests/fixtures").join(name)).unwrap()).into_owned()
}

fn booted(console: String) -> Run {
    Run { console, timed_out: false, qemu_errors: String::new(), elapsed: Duration::from_secs(2), line_times: vec![] }
}

fn outcome(check: &Check, run: u32, runs: u32, result: Result<zlab::judge::verdict::Verdict, String>) -> Outcome {
    let started = result.is_ok().then_some(zlab::run::runner::Started::Resumed);
    Outcome {
        check: check.name.clone(),
        label: check.name.clone(),
        toolchain: zlab::toolchain::tools::Compiler::Gcc,
        rust: None,
        kernel: "7.3.4".into(),
        description: check.description.clone(),
        variant: check.variant.clone(),
        run,
        runs,
        suites: check.ktap.iter().map(|k| k.suite.clone()).collect(),
        seconds: 1.5,
        console_log: PathBuf::from(format!("/runs/{}/console.log", check.name)),
        result,
        skipped: None,
        phases: zlab::run::phases::Phases::default(),
        started,
    }
}

/// A console whose only fault is a forbidden line full of bytes XML 1.0 cannot hold.
const NASTY: &str = "evil \u{0}\u{1b}[31mred\u{7} <tag> & \"quotes\" ]]> \u{FFFE} \u{b}\u{c} end";

fn nasty_check() -> Check {
    Check::parse("nasty", "description = \"a forbidden <line> & control bytes\"\nforbid = [\"evil\"]\n").unwrap()
}

/// kunit_demo passing (9 KUnit cases), rust-doctests with one failed doctest out of 5,
/// a check that could not boot, the nasty console, and boot-smoke run twice.
fn outcomes() -> Vec<Outcome> {
    let kunit_demo = repo_check("kunit_demo");
    let doctests = repo_check("rust-doctests");
    let nasty = nasty_check();
    let smoke = repo_check("boot-smoke");
    let nasty_console = format!("{INIT_START}\n{NASTY}\n{INIT_END}\n");
    vec![
        outcome(&kunit_demo, 1, 1, Ok(judge(&kunit_demo, &booted(fixture("real-pass-kunit_demo.log"))))),
        outcome(&doctests, 1, 1, Ok(judge(&doctests, &booted(fixture("synthetic-doctest-failure.log"))))),
        outcome(&smoke, 1, 1, Err("the test kernel did not build: make said \u{1b}[1m<oops>\u{0}".into())),
        outcome(&nasty, 1, 1, Ok(judge(&nasty, &booted(nasty_console)))),
        outcome(&smoke, 1, 2, Ok(judge(&smoke, &booted(fixture("real-pass-boot-smoke.log"))))),
        outcome(&smoke, 2, 2, Ok(judge(&smoke, &booted(fixture("real-pass-boot-smoke.log"))))),
    ]
}

fn parsed() -> junit_parser::TestSuites {
    let xml = junit::to_string(&outcomes());
    junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).unwrap_or_else(|e| panic!("{e}\n{xml}"))
}

#[test]
fn the_fixtures_give_the_outcomes_the_tests_assume() {
    let o = outcomes();
    let passed: Vec<bool> = o.iter().map(Outcome::passed).collect();
    assert_eq!(passed, [true, false, false, false, true, true]);
}

#[test]
fn junit_parses_with_one_suite_per_run_and_the_right_names() {
    let report = parsed();
    let names: Vec<&str> = report.suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["kunit_demo", "rust-doctests", "boot-smoke", "nasty", "boot-smoke (run 1/2)", "boot-smoke (run 2/2)"]
    );
    let kunit_demo = &report.suites[0];
    let cases: Vec<(&str, &str)> =
        kunit_demo.cases.iter().map(|c| (c.classname.as_deref().unwrap_or(""), c.original_name.as_str())).collect();
    assert_eq!(cases[0], ("kunit_demo", "boot"));
    assert_eq!(cases[1], ("kunit_demo.zlab_kunit_demo", "native_order_is_big_endian"));
    assert_eq!(cases.len(), 1 + 9, "{cases:?}");
    assert!(kunit_demo.cases.iter().all(|c| c.status.is_success()));
    assert_eq!(report.suites[5].cases[0].original_name, "boot (run 2/2)");
}

#[test]
fn junit_counts_add_up_and_match_the_outcomes() {
    let report = parsed();
    // boot + 9 | boot + 5 doctests (one failed) | boot (error) | boot | boot | boot
    assert_eq!(report.suites.iter().map(|s| s.cases.len()).collect::<Vec<_>>(), [10, 6, 1, 1, 1, 1]);
    assert_eq!((report.tests, report.failures, report.errors), (20, 3, 1));
    for suite in &report.suites {
        let count =
            |f: fn(&junit_parser::TestStatus) -> bool| suite.cases.iter().filter(|c| f(&c.status)).count() as u64;
        assert_eq!(suite.tests, suite.cases.len() as u64, "{}", suite.name);
        assert_eq!(suite.failures, count(junit_parser::TestStatus::is_failure), "{}", suite.name);
        assert_eq!(suite.errors, count(junit_parser::TestStatus::is_error), "{}", suite.name);
        assert_eq!(suite.skipped, count(junit_parser::TestStatus::is_skipped), "{}", suite.name);
    }
    assert_eq!(report.tests, report.suites.iter().map(|s| s.tests).sum::<u64>());
    assert_eq!(report.failures, report.suites.iter().map(|s| s.failures).sum::<u64>());
}

#[test]
fn junit_failures_say_what_failed() {
    let report = parsed();
    let doctests = &report.suites[1];
    assert!(doctests.cases[0].status.is_failure());
    // The fixture has no init markers, and its rust_doctests_kernel suite has a failed case.
    let kinds = "no init, KUnit failure, KUnit suite";
    assert_eq!(doctests.cases[0].status.failure_as_ref().failure_type, kinds);
    let failed: Vec<&junit_parser::TestCase> = doctests.cases[1..].iter().filter(|c| c.status.is_failure()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].classname.as_deref(), Some("rust-doctests.rust_doctests_kernel"));
    assert_eq!(failed[0].original_name, "rust_doctest_kernel_sync_arc_rs_0");
    assert_eq!(failed[0].status.failure_as_ref().message, "ASSERTION FAILED at rust/kernel/sync/arc.rs:28");

    let error = report.suites[2].cases[0].status.error_as_ref();
    assert_eq!(error.error_type, "could not boot");
    assert_eq!(error.message, "could not boot: the test kernel did not build: make said \u{FFFD}[1m<oops>\u{FFFD}");
}

#[test]
fn junit_carries_nasty_console_text_without_forbidden_characters() {
    let xml = junit::to_string(&outcomes());
    for c in xml.chars() {
        let allowed = matches!(c, '\t' | '\n' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
        assert!(allowed, "{c:?} in the XML");
    }
    let report = parsed();
    let failure = report.suites[3].cases[0].status.failure_as_ref();
    let expected_line = "evil \u{FFFD}\u{FFFD}[31mred\u{FFFD} <tag> & \"quotes\" ]]> \u{FFFD} \u{FFFD}\u{FFFD} end";
    assert!(failure.message.contains(expected_line), "{:?}", failure.message);
    // junit-parser drops entity references from element text (`&lt;` and all), so the body is
    // compared exactly by tests/results.sh with Python's XML parser instead.
    assert!(failure.text.contains("evil \u{FFFD}\u{FFFD}[31mred\u{FFFD}"), "{:?}", failure.text);
    assert_eq!(report.suites[3].properties.hashmap["description"], "a forbidden <line> & control bytes");
}

#[test]
fn json_has_the_documented_fields_and_totals() {
    let text = json::to_string(&outcomes());
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["format"], "zlab-test-results");
    assert_eq!(json["version"], 1);
    assert_eq!(json["totals"], serde_json::json!({"runs": 6, "passed": 3, "failed": 2, "errors": 1, "skipped": 0}));
    let checks = json["checks"].as_array().unwrap();
    let results: Vec<&str> = checks.iter().map(|c| c["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["pass", "fail", "error", "fail", "pass", "pass"]);

    let doctests = &checks[1];
    assert_eq!(doctests["name"], "rust-doctests");
    assert_eq!(doctests["variant"], "test");
    assert_eq!(doctests["console_log"], "/runs/rust-doctests/console.log");
    assert_eq!(doctests["seconds"], 1.5);
    let kinds: Vec<&str> =
        doctests["failures"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["no init", "KUnit failure", "KUnit suite"]);
    let suite = &doctests["ktap"]["suites"][0];
    assert_eq!(suite["name"], "rust_doctests_kernel");
    assert_eq!(suite["named_by_check"], true);
    assert_eq!(suite["counts"], serde_json::json!({"passed": 4, "failed": 1, "skipped": 0}));
    assert_eq!(suite["cases"][2]["name"], "rust_doctest_kernel_sync_arc_rs_0");
    assert_eq!(suite["cases"][2]["result"], "fail");

    assert_eq!(checks[2]["failures"][0]["kind"], "could not boot");
    assert!(checks[2]["ktap"].is_null());
    assert_eq!((checks[5]["run"].as_u64(), checks[5]["runs"].as_u64()), (Some(2), Some(2)));
    assert!(checks[3]["failures"][0]["message"].as_str().unwrap().contains(NASTY), "JSON keeps the bytes, escaped");
}

/// A check that is not for the kernel it would boot: `skipped` with the check's reason, counted
/// apart from the failures (JUnit: report/junit.rs's own test).
#[test]
fn a_skipped_check_is_reported_as_skipped_with_its_reason() {
    let hello =
        Check::parse("hello", "description = \"d\"\n[kernel]\nmin = \"7.3\"\nwhy = \"kernel::new_api\"\n").unwrap();
    let why = hello.not_for("7.2.12").unwrap().unwrap();
    let skipped = Outcome {
        label: "hello-7.2".into(),
        kernel: "7.2.12".into(),
        skipped: Some(why.clone()),
        seconds: 0.0,
        ..outcome(&hello, 1, 1, Err(why.clone()))
    };
    let json: serde_json::Value = serde_json::from_str(&json::to_string(&[skipped])).unwrap();
    assert_eq!(json["totals"], serde_json::json!({"runs": 1, "passed": 0, "failed": 0, "errors": 0, "skipped": 1}));
    let check = &json["checks"][0];
    assert_eq!((check["result"].as_str(), check["kernel"].as_str()), (Some("skipped"), Some("7.2.12")));
    assert_eq!(check["skipped"], "for Linux 7.3 or newer, this is 7.2.12: kernel::new_api");
    assert_eq!(check["failures"], serde_json::json!([]));
}

/// An Oops' disassembly separates its columns with tabs, which the JUnit writer would drop:
/// they arrive as spaces.
#[test]
fn junit_keeps_tab_separated_console_columns_apart() {
    let smoke = repo_check("boot-smoke");
    let oops = outcome(&smoke, 1, 1, Ok(judge(&smoke, &booted(fixture("real-oops.log")))));
    let xml = junit::to_string(&[oops]);
    let report = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).unwrap();
    let failure = report.suites[0].cases[0].status.failure_as_ref();
    let line = failure.text.lines().find(|l| l.contains("Krnl Code:")).unwrap_or_else(|| panic!("{}", failure.text));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert!(words.ends_with(&["c0e5401a94a5", "brasl", "%r14,000003fee0352b20"]), "{line:?}");
    assert!(!xml.contains('\t'), "the tabs are spaces");
}
