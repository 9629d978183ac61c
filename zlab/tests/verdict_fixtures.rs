//! `verdict::judge` on real s390x consoles of the pinned test kernel.
//!
//! `real-pass-<check>.log` are consoles zlab itself recorded for checks/<check>.toml.
//! `real-{panic,oops,bug,warning,hang}.log` come from the test-only module in
//! tests/guest-modules/zlab_fault (`insmod zlab_fault.ko mode=1..5`), booted with zlab's own
//! init script and QEMU command line; `real-fault-clean.log` is `mode=0`,
//! `real-insmod-bad-param.log` is `mode=abc` (insmod fails with EINVAL) and
//! `real-insmod-unknown-param.log` is `mode=0 nosuch=1` (the kernel ignores the unknown name).
//! The files are unedited, apart from QEMU's carriage returns.

use std::path::PathBuf;
use std::time::Duration;

use zlab::guest::init::INIT_END;
use zlab::guest::qemu::Run;
use zlab::inputs::check::{self, Check};
use zlab::judge::console_faults::FaultKind;
use zlab::judge::verdict::{judge, Failure, Verdict};

/// The checks whose real consoles are in tests/fixtures as `real-pass-<name>.log`.
const PASSING: [&str; 4] = ["boot-smoke", "hello", "kunit_demo", "echo"];

/// Console fixtures of boots that must fail, with the zlab_fault `mode` argument they used.
const FAULTY: [(&str, &str); 6] = [
    ("real-panic.log", "mode=1"),
    ("real-oops.log", "mode=2"),
    ("real-bug.log", "mode=3"),
    ("real-warning.log", "mode=4"),
    ("real-hang.log", "mode=5"),
    ("real-insmod-bad-param.log", "mode=abc"),
];

/// The time limit the hang was recorded with (`timeout 15`).
const HANG_LIMIT_SECS: u64 = 15;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> String {
    let path = manifest_dir().join("tests/fixtures").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    String::from_utf8_lossy(&bytes).into_owned()
}

/// checks/<name>.toml, parsed the way zlab parses it.
fn repo_check(name: &str) -> Check {
    let path = manifest_dir().join("../checks").join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Check::parse(name, &text).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
}

/// The check the zlab_fault consoles were recorded with: one step, the insmod.
fn fault_check(args: &str, timeout: u64) -> Check {
    let text = format!(
        "description = \"zlab_fault (test-only) {args}\"\n\
         timeout = {timeout}\n\n\
         [[step]]\n\
         run = \"insmod /lib/modules/zlab_fault.ko {args}\"\n"
    );
    Check::parse("zlab_fault", &text).unwrap()
}

/// What `qemu::run_captured` returns for a console.
fn run(console: String, timed_out: bool) -> Run {
    Run { console, timed_out, qemu_errors: String::new(), elapsed: Duration::from_secs(2), line_times: vec![] }
}

fn judge_fixture(check: &Check, name: &str) -> Verdict {
    judge(check, &run(fixture(name), name == "real-hang.log"))
}

fn kinds(verdict: &Verdict) -> Vec<String> {
    verdict.failures.iter().map(Failure::kind).collect()
}

fn faults(verdict: &Verdict) -> Vec<FaultKind> {
    verdict
        .failures
        .iter()
        .filter_map(|f| match f {
            Failure::Fault(fault) => Some(fault.kind),
            _ => None,
        })
        .collect()
}

fn describe(verdict: &Verdict) -> String {
    verdict.failures.iter().map(|f| format!("- {f}")).collect::<Vec<_>>().join("\n")
}

// ---- passing consoles ----

#[test]
fn each_passing_console_passes_its_own_check() {
    for name in PASSING {
        let verdict = judge(&repo_check(name), &run(fixture(&format!("real-pass-{name}.log")), false));
        assert!(verdict.passed(), "{name}:\n{}", describe(&verdict));
        assert!(verdict.ktap.is_complete(), "{name}: {:?}", verdict.ktap.problems);
        assert_eq!(verdict.ktap.counts().failed, 0, "{name}");
    }
}

#[test]
fn kunit_demo_console_reports_its_suite_of_nine_passing_tests() {
    let verdict = judge(&repo_check("kunit_demo"), &run(fixture("real-pass-kunit_demo.log"), false));
    assert!(verdict.passed(), "{}", describe(&verdict));
    let suite = verdict.ktap.suite("zlab_kunit_demo").expect("zlab_kunit_demo suite");
    let counts = suite.counts();
    assert_eq!((counts.passed, counts.failed, counts.skipped), (9, 0, 0));
    assert_eq!(suite.children.len(), 9);
    assert_eq!(suite.children[0].name, "native_order_is_big_endian");
    assert_eq!(suite.children[8].name, "arc_mutex_shared_log");
    // The test kernel's boot-time suites are on every console, before the module's own.
    let names: Vec<&str> = verdict.ktap.suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["rust_kernel_fmt", "rust_spinlock_irq_condvar", "rust_doctests_kernel", "zlab_kunit_demo"]);
}

#[test]
fn the_other_passing_consoles_hold_only_the_boot_time_suites() {
    for name in ["boot-smoke", "hello", "echo"] {
        let verdict = judge(&repo_check(name), &run(fixture(&format!("real-pass-{name}.log")), false));
        let names: Vec<&str> = verdict.ktap.suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["rust_kernel_fmt", "rust_spinlock_irq_condvar", "rust_doctests_kernel"], "{name}");
    }
}

#[test]
fn a_passing_console_without_its_end_marker_did_not_finish() {
    for name in PASSING {
        let console = fixture(&format!("real-pass-{name}.log"));
        let cut: String = console.lines().filter(|l| l.trim_end() != INIT_END).map(|l| format!("{l}\n")).collect();
        assert_eq!(console.lines().count(), cut.lines().count() + 1, "{name}: exactly one end marker");
        let verdict = judge(&repo_check(name), &run(cut, false));
        assert_eq!(kinds(&verdict), ["init did not finish"], "{name}:\n{}", describe(&verdict));
        let Failure::InitDidNotFinish { last_lines } = &verdict.failures[0] else { unreachable!() };
        assert!(last_lines.last().is_some_and(|l| l.starts_with("zlab-step ")), "{name}: {last_lines:?}");
    }
}

#[test]
fn the_fault_module_loads_cleanly_in_mode_0() {
    let verdict = judge_fixture(&fault_check("mode=0", 30), "real-fault-clean.log");
    assert!(verdict.passed(), "{}", describe(&verdict));
    assert!(fixture("real-fault-clean.log").contains("zlab_fault: loaded"));
}

// ---- fault consoles ----

#[test]
fn panic_is_reported_as_a_kernel_panic_not_just_an_unfinished_init() {
    let verdict = judge_fixture(&fault_check("mode=1", 30), "real-panic.log");
    assert_eq!(faults(&verdict), [FaultKind::Panic], "{}", describe(&verdict));
    // The panic comes first; the unfinished init and step are consequences.
    assert_eq!(kinds(&verdict), ["kernel panic", "init did not finish", "step 1 failed"]);
    let Failure::Fault(panic) = &verdict.failures[0] else { unreachable!() };
    assert!(
        panic.excerpt[0].ends_with("] Kernel panic - not syncing: zlab_fault: panic requested (mode=1)"),
        "{:?}",
        panic.excerpt
    );
    assert!(panic.excerpt.iter().any(|l| l.contains("Comm: insmod")));
    assert!(panic.excerpt.iter().any(|l| l.contains("[zlab_fault]")), "the call trace names the module");
    let text = verdict.failures[0].to_string();
    assert!(text.starts_with("kernel panic at console line "), "{text}");
    assert!(matches!(&verdict.failures[2], Failure::Step { number: 1, exit: None, .. }));
}

#[test]
fn oops_is_reported_with_s390s_header_and_the_killed_insmod() {
    let verdict = judge_fixture(&fault_check("mode=2", 30), "real-oops.log");
    assert_eq!(faults(&verdict), [FaultKind::Oops], "{}", describe(&verdict));
    // Without panic_on_oops the kernel kills insmod and init carries on to its end marker.
    assert_eq!(kinds(&verdict), ["oops", "step 1 failed"]);
    let Failure::Fault(oops) = &verdict.failures[0] else { unreachable!() };
    assert!(oops.excerpt[0].ends_with("] Oops: 0010 ilc:3 [#1]SMP "), "{:?}", oops.excerpt);
    assert_eq!(oops.excerpt.len(), 16);
    assert!(oops.excerpt.iter().any(|l| l.contains("Modules linked in: zlab_fault(O+)")));
    let Failure::Step { exit, output, .. } = &verdict.failures[1] else { unreachable!() };
    assert_eq!(*exit, Some(139));
    assert_eq!(output, &["Segmentation fault"]);
}

#[test]
fn rust_panic_is_one_bug_that_absorbs_its_kernel_bug_line() {
    let verdict = judge_fixture(&fault_check("mode=3", 30), "real-bug.log");
    // The `kernel BUG at` line is folded into the Rust panic; BUG()'s monitor-call trap then
    // goes through s390 die() as `monitor event: 0040 ilc:2 [#1]SMP `, an oops of its own.
    assert_eq!(faults(&verdict), [FaultKind::Bug, FaultKind::Oops], "{}", describe(&verdict));
    assert_eq!(kinds(&verdict), ["BUG", "oops", "step 1 failed"]);
    let Failure::Fault(bug) = &verdict.failures[0] else { unreachable!() };
    assert!(bug.excerpt[0].contains("] rust_kernel: panicked at zlab_fault.rs:"), "{:?}", bug.excerpt);
    assert!(bug.excerpt[1].ends_with("] zlab_fault: Rust panic requested (mode=3)"));
    assert!(bug.excerpt.iter().any(|l| l.ends_with("kernel BUG at rust/helpers/bug.c:7!")));
    let Failure::Fault(trap) = &verdict.failures[1] else { unreachable!() };
    assert!(trap.excerpt[0].ends_with("] monitor event: 0040 ilc:2 [#1]SMP "), "{:?}", trap.excerpt);
    assert!(matches!(&verdict.failures[2], Failure::Step { exit: Some(139), .. }));
}

#[test]
fn warning_alone_fails_a_boot_that_otherwise_went_fine() {
    let verdict = judge_fixture(&fault_check("mode=4", 30), "real-warning.log");
    // insmod succeeded (rc=0) and init finished: the WARNING is the only failure.
    assert_eq!(kinds(&verdict), ["WARNING"], "{}", describe(&verdict));
    let Failure::Fault(warning) = &verdict.failures[0] else { unreachable!() };
    assert_eq!(warning.kind, FaultKind::Warning);
    assert!(warning.excerpt[0].contains("] WARNING: zlab_fault.rs:"), "{:?}", warning.excerpt);
    assert!(warning.excerpt[0].contains("[zlab_fault], CPU#0: insmod/"), "{:?}", warning.excerpt);
    assert!(fixture("real-warning.log").contains("zlab_fault: loaded"));
}

#[test]
fn hang_is_a_time_out_showing_the_last_console_lines() {
    let verdict = judge_fixture(&fault_check("mode=5", HANG_LIMIT_SECS), "real-hang.log");
    assert_eq!(kinds(&verdict), ["time-out", "step 1 failed"], "{}", describe(&verdict));
    let Failure::TimedOut { limit_secs, last_lines } = &verdict.failures[0] else { unreachable!() };
    assert_eq!(*limit_secs, HANG_LIMIT_SECS);
    assert_eq!(last_lines.len(), 20);
    assert!(last_lines.last().unwrap().ends_with("] zlab_fault: hanging in init"), "{last_lines:?}");
    assert!(last_lines.iter().any(|l| l == "zlab-step 1 begin"));
    let text = verdict.failures[0].to_string();
    assert!(text.contains("within 15 s") && text.contains("    | zlab-step 1 begin"), "{text}");
    assert!(matches!(&verdict.failures[1], Failure::Step { number: 1, exit: None, .. }));
    assert!(verdict.failures[1].to_string().contains("never finished"));
}

#[test]
fn a_refused_module_parameter_is_a_step_failure_with_insmods_error() {
    let console = fixture("real-insmod-bad-param.log");
    // The kernel names the parameter on the console; insmod's message names the module.
    assert!(console.contains("zlab_fault: `abc' invalid for parameter `mode'"));
    let verdict = judge_fixture(&fault_check("mode=abc", 30), "real-insmod-bad-param.log");
    assert_eq!(kinds(&verdict), ["step 1 failed"], "{}", describe(&verdict));
    let Failure::Step { number, run, expected_exit, exit, missing, output, kernel } = &verdict.failures[0] else {
        unreachable!()
    };
    assert_eq!((*number, *expected_exit, *exit), (1, 0, Some(22)));
    assert_eq!(run, "insmod /lib/modules/zlab_fault.ko mode=abc");
    assert!(missing.is_empty());
    assert_eq!(output, &["insmod: can't insert '/lib/modules/zlab_fault.ko': Invalid argument"]);
    // The kernel's own words, printed while the step ran, come with it.
    assert!(kernel.iter().any(|l| l.ends_with("zlab_fault: `abc' invalid for parameter `mode'")), "{kernel:?}");
    let text = verdict.failures[0].to_string();
    assert!(text.starts_with("step 1 `insmod /lib/modules/zlab_fault.ko mode=abc` exited 22, expected 0"), "{text}");
    assert!(text.contains("The kernel said meanwhile:"), "{text}");
}

/// `nosuch=1` does not make insmod fail in 7.3: the kernel only logs that it ignored it.
#[test]
fn an_unknown_module_parameter_is_ignored_and_the_load_succeeds() {
    let console = fixture("real-insmod-unknown-param.log");
    assert!(console.contains("zlab_fault: unknown parameter 'nosuch' ignored"));
    let verdict = judge_fixture(&fault_check("mode=0 nosuch=1", 30), "real-insmod-unknown-param.log");
    assert!(verdict.passed(), "{}", describe(&verdict));
}

#[test]
fn each_fault_console_fails_first_with_a_different_failure() {
    let mut firsts = Vec::new();
    for (name, args) in FAULTY {
        let timeout = if name == "real-hang.log" { HANG_LIMIT_SECS } else { 30 };
        let verdict = judge_fixture(&fault_check(args, timeout), name);
        let first = verdict.failures.first().unwrap_or_else(|| panic!("{name} passed")).kind();
        firsts.push(first);
    }
    assert_eq!(firsts, ["kernel panic", "oops", "BUG", "WARNING", "time-out", "step 1 failed"]);
}

#[test]
fn no_fault_console_passes_any_check() {
    let mut checks = check::load_dir(&manifest_dir().join("../checks")).unwrap();
    assert!(checks.len() >= PASSING.len());
    for args in ["mode=0", "mode=1", "mode=2", "mode=3", "mode=4", "mode=5", "mode=abc"] {
        checks.push(fault_check(args, 30));
    }
    for (name, _) in FAULTY {
        for check in &checks {
            let verdict = judge_fixture(check, name);
            if name == "real-insmod-bad-param.log" && check.step.is_empty() {
                // Not a kernel fault: a failed insmod only fails checks that run steps. A
                // step-less check (rust-doctests) judges the boot alone, which was clean.
                assert!(verdict.passed(), "{name} by {}:\n{}", check.name, describe(&verdict));
                continue;
            }
            assert!(!verdict.passed(), "{name} passed check {} ({})", check.name, check.description);
        }
    }
}

#[test]
fn each_passing_console_passes_only_its_own_check() {
    // A clean console never shows a fault, whichever check judges it; another check's steps
    // and expected lines are what it lacks.
    for name in PASSING {
        let console = fixture(&format!("real-pass-{name}.log"));
        for other in PASSING {
            let verdict = judge(&repo_check(other), &run(console.clone(), false));
            assert!(faults(&verdict).is_empty(), "{name} judged by {other}:\n{}", describe(&verdict));
            assert_eq!(verdict.passed(), name == other, "{name} judged by {other}:\n{}", describe(&verdict));
        }
    }
}
