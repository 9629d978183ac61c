//! `zlab test --matrix`: the checks under every toolchain (GCC, then LLVM), each with its own
//! kernel, then one table of check × toolchain.

use crate::context::RunContext;
use crate::host::paths::Paths;
use crate::inputs::check::Check;
use crate::run::phases::Phases;
use crate::run::runner::{self, Outcome};
use crate::say;
use crate::toolchain::tools::Compiler;
use crate::ui::output::{self, Colour};
use anyhow::Result;

pub fn run(ctx: &RunContext, names: &[String], repeat: u32) -> Result<Vec<Outcome>> {
    let checks = runner::select(ctx, names)?;
    Ok(run_halves(&ctx.paths, &checks, repeat, |paths| {
        crate::note!("zlab: matrix: the checks built with {}", paths.compiler.name());
        runner::run(&ctx.with_compiler(paths.compiler), names, repeat)
    }))
}

/// Each toolchain's half in turn. A half that cannot run at all (`zlab doctor` refusing its
/// tools) fails every check under it, saying why, and the other half's results stay.
pub fn run_halves(
    paths: &Paths,
    checks: &[Check],
    repeat: u32,
    mut half: impl FnMut(&Paths) -> Result<Vec<Outcome>>,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for compiler in Compiler::ALL {
        let paths = Paths { compiler, ..paths.clone() };
        match half(&paths) {
            Ok(ran) => outcomes.extend(ran),
            Err(e) => {
                let why = format!("the {} half of the matrix did not run: {e:#}", compiler.name());
                say!(
                    "{} every check built with {}: could not run",
                    output::paint_human(Colour::Red, "FAIL"),
                    compiler.name()
                );
                for line in why.lines() {
                    say!("  {line}");
                }
                let runs = checks.iter().flat_map(|check| (1..=repeat).map(move |n| (check, n)));
                outcomes.extend(runs.map(|(check, n)| not_run(&paths, check, n, repeat, &why)));
            }
        }
    }
    outcomes
}

/// A failed outcome for a run that never started, so every report still lists it.
fn not_run(paths: &Paths, check: &Check, run: u32, runs: u32, why: &str) -> Outcome {
    Outcome {
        check: check.name.clone(),
        toolchain: paths.compiler,
        description: check.description.clone(),
        variant: check.variant.clone(),
        run,
        runs,
        suites: check.ktap.iter().map(|k| k.suite.clone()).collect(),
        seconds: 0.0,
        // Checks come from a project, so its run folder is known.
        console_log: paths.run_dir(&check.name).map(|dir| dir.join("console.log")).unwrap_or_default(),
        result: Err(why.to_string()),
        phases: Phases::default(),
    }
}

/// One row per check, one column per toolchain: `pass`, `FAIL`, or with `--repeat` the runs
/// that passed (`9/10`); then the closing `N passed, N failed` line over every run.
pub fn summarize(outcomes: &[Outcome]) -> bool {
    let mut checks: Vec<&str> = Vec::new();
    for o in outcomes {
        if !checks.contains(&o.check.as_str()) {
            checks.push(&o.check);
        }
    }
    say!();
    let header: Vec<String> = Compiler::ALL.iter().map(|c| format!("{:<8}", c.name())).collect();
    say!("{:<24} {}", "check", header.join(" ").trim_end());
    for check in checks {
        let cells: Vec<String> = Compiler::ALL
            .iter()
            .map(|&compiler| {
                let runs: Vec<&Outcome> =
                    outcomes.iter().filter(|o| o.check == check && o.toolchain == compiler).collect();
                format!("{:<8}", cell(&runs))
            })
            .collect();
        say!("{check:<24} {}", cells.join(" ").trim_end());
    }
    runner::closing_line(outcomes)
}

fn cell(runs: &[&Outcome]) -> String {
    let passed = runs.iter().filter(|o| o.passed()).count();
    match runs.len() {
        0 => "-".into(),
        1 if passed == 1 => "pass".into(),
        1 => "FAIL".into(),
        n => format!("{passed}/{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::verdict::Verdict;
    use std::path::PathBuf;

    fn paths() -> Paths {
        Paths::for_tests("/repo".as_ref(), "/home".as_ref())
    }

    fn checks() -> Vec<Check> {
        ["boot-smoke", "hello"].map(|name| Check::parse(name, "description = \"a check\"\n").unwrap()).to_vec()
    }

    /// What a half that ran gives: every check passed, under the half's toolchain.
    fn passed(paths: &Paths, checks: &[Check], repeat: u32) -> Vec<Outcome> {
        let runs = checks.iter().flat_map(|check| (1..=repeat).map(move |n| (check, n)));
        runs.map(|(check, n)| Outcome {
            result: Ok(Verdict { failures: vec![], ktap: Default::default() }),
            seconds: 1.0,
            ..not_run(paths, check, n, repeat, "")
        })
        .collect()
    }

    fn llvm_refused(paths: &Paths, checks: &[Check], repeat: u32) -> Result<Vec<Outcome>> {
        match paths.compiler {
            Compiler::Gcc => Ok(passed(paths, checks, repeat)),
            Compiler::Llvm => anyhow::bail!("the toolchain is not ready:\n  clang: found not found (/nowhere/clang)"),
        }
    }

    #[test]
    fn a_half_that_cannot_run_keeps_the_other_halfs_results_and_fails_its_checks() {
        let checks = checks();
        let outcomes = run_halves(&paths(), &checks, 1, |p| llvm_refused(p, &checks, 1));
        let seen: Vec<(String, bool)> = outcomes.iter().map(|o| (o.label(), o.passed())).collect();
        let expected = [("boot-smoke", true), ("hello", true), ("boot-smoke.llvm", false), ("hello.llvm", false)];
        assert_eq!(seen, expected.map(|(l, p)| (l.to_string(), p)));
        for o in &outcomes[2..] {
            let why = o.result.as_ref().err().unwrap();
            assert!(why.starts_with("the llvm half of the matrix did not run: the toolchain is not ready"), "{why}");
            assert!(why.contains("/nowhere/clang"), "{why}");
            assert_eq!(o.console_log, PathBuf::from(format!("/home/runs/test-0123456789ab/{}/console.log", o.label())));
        }
        assert!(!summarize(&outcomes), "a refused half fails the run");
    }

    #[test]
    fn the_reports_carry_both_halves_when_one_cannot_run() {
        let checks = checks();
        let outcomes = run_halves(&paths(), &checks, 2, |p| llvm_refused(p, &checks, 2));
        let json: serde_json::Value = serde_json::from_str(&crate::report::json::to_string(&outcomes)).unwrap();
        assert_eq!(json["totals"], serde_json::json!({"runs": 8, "passed": 4, "failed": 0, "errors": 4}));
        let toolchains: Vec<&str> =
            json["checks"].as_array().unwrap().iter().map(|c| c["toolchain"].as_str().unwrap()).collect();
        assert_eq!(toolchains, ["gcc", "gcc", "gcc", "gcc", "llvm", "llvm", "llvm", "llvm"]);
        let xml = crate::report::junit::to_string(&outcomes);
        let junit = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).unwrap();
        let suites: Vec<(&str, u64, u64)> = junit.suites.iter().map(|s| (s.name.as_str(), s.tests, s.errors)).collect();
        assert_eq!(suites[3], ("hello (run 2/2)", 1, 0));
        assert_eq!(suites[7], ("hello.llvm (run 2/2)", 1, 1));
        let error = junit.suites[7].cases[0].status.error_as_ref();
        assert!(error.message.starts_with("could not boot: the llvm half of the matrix did not run"), "{xml}");
        assert!(error.text.contains("/nowhere/clang"), "{xml}");
    }

    #[test]
    fn a_gcc_half_that_cannot_run_still_lets_llvm_run() {
        let checks = checks();
        let outcomes = run_halves(&paths(), &checks, 1, |p| match p.compiler {
            Compiler::Gcc => anyhow::bail!("no s390x-linux-gnu-gcc"),
            Compiler::Llvm => Ok(passed(p, &checks, 1)),
        });
        let passed: Vec<bool> = outcomes.iter().map(Outcome::passed).collect();
        assert_eq!(passed, [false, false, true, true]);
    }
}
