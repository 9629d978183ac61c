//! `zlab test --matrix`: the checks on every pinned kernel series (newest first), each under
//! every toolchain (GCC, then LLVM), with the host's rustc and, when `--rust` names one, with
//! that newer rustc too; each column with its own kernel build, then one table of
//! check × kernel × toolchain × rustc.

use crate::context::RunContext;
use crate::host::paths::Paths;
use crate::inputs::check::Check;
use crate::run::runner::{self, Outcome, Status};
use crate::say;
use crate::toolchain::tools::Compiler;
use crate::ui::output::{self, Colour};
use anyhow::Result;

/// One column of the matrix: a kernel and a toolchain, with the folders of its builds and runs.
#[derive(Clone)]
pub struct Column {
    pub paths: Paths,
    /// The pinned series to choose, or None for the kernel the run already has (`--kernel`,
    /// `--kernel-source`: the matrix is then that kernel's two toolchains).
    pub series: Option<String>,
    /// The release it builds, e.g. 7.2.12.
    pub release: String,
}

impl Column {
    fn name(&self) -> String {
        heading(&self.release, self.paths.compiler, self.paths.rust_series.as_deref())
    }
}

/// `7.3.4 gcc`, or `7.3.4 gcc rust1.98` with a newer rustc.
fn heading(release: &str, compiler: Compiler, rust: Option<&str>) -> String {
    let rust = rust.map(|r| format!(" rust{r}")).unwrap_or_default();
    format!("{release} {}{rust}", compiler.name())
}

pub fn run(ctx: &RunContext, names: &[String], repeat: u32, jobs: usize) -> Result<Vec<Outcome>> {
    let checks = runner::select(ctx, names)?;
    let columns = columns(ctx)?;
    Ok(run_columns(&columns, &checks, repeat, |column| {
        crate::note!("zlab: matrix: the checks on Linux {}", column.name());
        let column_ctx = match &column.series {
            Some(series) => ctx.with_kernel(series)?.with_compiler(column.paths.compiler),
            None => ctx.with_compiler(column.paths.compiler),
        };
        let column_ctx = column_ctx.with_rust(column.paths.rust_series.as_deref())?;
        runner::run(&column_ctx, names, repeat, jobs)
    }))
}

/// Every pinned series × the host's rustc and `--rust`'s × every toolchain; one series when the
/// run names its kernel.
fn columns(ctx: &RunContext) -> Result<Vec<Column>> {
    let kernel_given = ctx.kernel.is_some() || crate::environment::non_empty(&ctx.env.kernel_source).is_some();
    // Each kernel: the series to choose, its folders and its release.
    let mut kernels = Vec::new();
    if kernel_given {
        kernels.push((None, ctx.paths.clone(), ctx.kernel_release()?));
    } else {
        for pin in &ctx.pins()?.kernels {
            let kernel_ctx = ctx.with_kernel(&pin.series)?;
            kernels.push((Some(pin.series.clone()), kernel_ctx.paths, pin.release.clone()));
        }
    }
    // The host's rustc, then `--rust`'s when one is chosen.
    let rusts: Vec<Option<String>> =
        std::iter::once(None).chain(ctx.rust.as_ref().map(|r| Some(r.series.clone()))).collect();
    let mut columns = Vec::new();
    for (series, paths, release) in kernels {
        for rust_series in &rusts {
            for compiler in Compiler::ALL {
                let paths = Paths { compiler, rust_series: rust_series.clone(), ..paths.clone() };
                columns.push(Column { paths, series: series.clone(), release: release.clone() });
            }
        }
    }
    Ok(columns)
}

/// Each column in turn. A column that cannot run at all (`zlab doctor` refusing its tools, a
/// kernel that does not build) fails every check under it, saying why, and the other columns'
/// results stay.
pub fn run_columns(
    columns: &[Column],
    checks: &[Check],
    repeat: u32,
    mut column_run: impl FnMut(&Column) -> Result<Vec<Outcome>>,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for column in columns {
        match column_run(column) {
            Ok(ran) => outcomes.extend(ran),
            Err(e) => {
                let why = format!("the column {} of the matrix did not run: {e:#}", column.name());
                say!(
                    "{} every check on Linux {}: could not run",
                    output::paint_human(Colour::Red, "FAIL"),
                    column.name()
                );
                for line in why.lines() {
                    say!("  {line}");
                }
                let runs = checks.iter().flat_map(|check| (1..=repeat).map(move |n| (check, n)));
                outcomes.extend(runs.map(|(check, n)| {
                    Outcome::new(&column.paths, &column.release, check, (n, repeat), Err(why.clone()))
                }));
            }
        }
    }
    outcomes
}

/// One row per check, one column per kernel and toolchain: `pass`, `FAIL`, `skip`, or with
/// `--repeat` the runs that passed (`9/10`); then the closing `N passed, N failed` line over
/// every run.
pub fn summarize(outcomes: &[Outcome]) -> bool {
    say!();
    for line in table(outcomes) {
        say!("{line}");
    }
    runner::closing_line(outcomes)
}

fn table(outcomes: &[Outcome]) -> Vec<String> {
    let mut checks: Vec<&str> = Vec::new();
    let mut columns: Vec<(&str, Compiler, Option<&str>)> = Vec::new();
    for o in outcomes {
        if !checks.contains(&o.check.as_str()) {
            checks.push(&o.check);
        }
        let column = (o.kernel.as_str(), o.toolchain, o.rust.as_deref());
        if !columns.contains(&column) {
            columns.push(column);
        }
    }
    let headings: Vec<String> = columns.iter().map(|&(kernel, c, rust)| heading(kernel, c, rust)).collect();
    let widths: Vec<usize> = headings.iter().map(|h| h.len().max(12)).collect();
    let row = |name: &str, cells: Vec<String>| {
        let cells: Vec<String> = cells.iter().zip(&widths).map(|(c, &w)| format!("{c:<w$}")).collect();
        format!("{name:<24} {}", cells.join(" ")).trim_end().to_string()
    };
    let mut lines = vec![row("check", headings.clone())];
    for check in checks {
        let cells = columns.iter().map(|&column| {
            let runs: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| o.check == check && (o.kernel.as_str(), o.toolchain, o.rust.as_deref()) == column)
                .collect();
            cell(&runs)
        });
        lines.push(row(check, cells.collect()));
    }
    lines
}

fn cell(runs: &[&Outcome]) -> String {
    let passed = runs.iter().filter(|o| o.passed()).count();
    match runs {
        [] => "-".into(),
        runs if runs.iter().all(|o| o.status() == Status::Skipped) => "skip".into(),
        [_] if passed == 1 => "pass".into(),
        [_] => "FAIL".into(),
        runs => format!("{passed}/{}", runs.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::verdict::Verdict;
    use std::path::PathBuf;

    /// 7.3.4 (the default) and 7.2.12, each with gcc and llvm, as `columns` makes them.
    fn columns() -> Vec<Column> {
        let base = Paths::for_tests("/repo".as_ref(), "/home".as_ref());
        let kernels = [(None, "7.3.4"), (Some("7.2"), "7.2.12")];
        kernels
            .into_iter()
            .flat_map(|(series, release)| {
                let base = Paths { kernel_series: series.map(String::from), ..base.clone() };
                Compiler::ALL.map(|compiler| Column {
                    paths: Paths { compiler, ..base.clone() },
                    series: Some(series.unwrap_or("7.3").into()),
                    release: release.into(),
                })
            })
            .collect()
    }

    fn checks() -> Vec<Check> {
        let new_api = "description = \"a check\"\n[kernel]\nmin = \"7.3\"\nwhy = \"kernel::new_api\"\n";
        vec![
            Check::parse("boot-smoke", "description = \"a check\"\n").unwrap(),
            Check::parse("hello", new_api).unwrap(),
        ]
    }

    /// What a column that ran gives: every check passed, or skipped where its range says so.
    fn ran(column: &Column, checks: &[Check], repeat: u32) -> Vec<Outcome> {
        let runs = checks.iter().flat_map(|check| (1..=repeat).map(move |n| (check, n)));
        runs.map(|(check, n)| match check.not_for(&column.release).unwrap() {
            Some(why) => Outcome::skipped(&column.paths, &column.release, check, (n, repeat), why),
            None => Outcome {
                seconds: 1.0,
                ..Outcome::new(
                    &column.paths,
                    &column.release,
                    check,
                    (n, repeat),
                    Ok(Verdict { failures: vec![], ktap: Default::default() }),
                )
            },
        })
        .collect()
    }

    fn llvm_refused(column: &Column, checks: &[Check], repeat: u32) -> Result<Vec<Outcome>> {
        match column.paths.compiler {
            Compiler::Gcc => Ok(ran(column, checks, repeat)),
            Compiler::Llvm => anyhow::bail!("the toolchain is not ready:\n  clang: found not found (/nowhere/clang)"),
        }
    }

    #[test]
    fn a_column_that_cannot_run_keeps_the_others_results_and_fails_its_checks() {
        let checks = checks();
        let outcomes = run_columns(&columns(), &checks, 1, |c| llvm_refused(c, &checks, 1));
        let seen: Vec<(&str, Status)> = outcomes.iter().map(|o| (o.label.as_str(), o.status())).collect();
        let expected = [
            ("boot-smoke", Status::Passed),
            ("hello", Status::Passed),
            ("boot-smoke.llvm", Status::Error),
            ("hello.llvm", Status::Error),
            ("boot-smoke-7.2", Status::Passed),
            ("hello-7.2", Status::Skipped),
            ("boot-smoke-7.2.llvm", Status::Error),
            ("hello-7.2.llvm", Status::Error),
        ];
        assert_eq!(seen, expected);
        for o in outcomes.iter().filter(|o| o.status() == Status::Error) {
            let why = o.result.as_ref().err().unwrap();
            let column = format!("the column {} llvm of the matrix did not run: the toolchain is not ready", o.kernel);
            assert!(why.starts_with(&column), "{why}");
            assert!(why.contains("/nowhere/clang"), "{why}");
            assert_eq!(o.console_log, PathBuf::from(format!("/home/runs/test-0123456789ab/{}/console.log", o.label)));
        }
        assert!(!summarize(&outcomes), "a refused column fails the run");
    }

    #[test]
    fn the_table_has_a_column_per_kernel_and_toolchain_and_skips_are_no_failures() {
        let checks = checks();
        let outcomes = run_columns(&columns(), &checks, 1, |c| Ok(ran(c, &checks, 1)));
        assert_eq!(
            table(&outcomes),
            [
                "check                    7.3.4 gcc    7.3.4 llvm   7.2.12 gcc   7.2.12 llvm",
                "boot-smoke               pass         pass         pass         pass",
                "hello                    pass         pass         skip         skip",
            ]
        );
        assert!(summarize(&outcomes), "skipped checks fail nothing");
    }

    #[test]
    fn a_newer_rustc_adds_columns_of_its_own() {
        let checks = checks();
        let floor = columns()[..2].to_vec();
        let newer = floor
            .iter()
            .map(|c| Column { paths: Paths { rust_series: Some("1.98".into()), ..c.paths.clone() }, ..c.clone() });
        let columns: Vec<Column> = floor.iter().cloned().chain(newer).collect();
        let outcomes = run_columns(&columns, &checks[..1], 1, |c| llvm_refused(c, &checks[..1], 1));
        assert_eq!(
            table(&outcomes),
            [
                "check                    7.3.4 gcc    7.3.4 llvm   7.3.4 gcc rust1.98 7.3.4 llvm rust1.98",
                "boot-smoke               pass         FAIL         pass               FAIL",
            ]
        );
        let labels: Vec<&str> = outcomes.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(labels, ["boot-smoke", "boot-smoke.llvm", "boot-smoke-rust1.98", "boot-smoke-rust1.98.llvm"]);
        let json: serde_json::Value = serde_json::from_str(&crate::report::json::to_string(&outcomes)).unwrap();
        let rust: Vec<&serde_json::Value> = json["checks"].as_array().unwrap().iter().map(|c| &c["rust"]).collect();
        assert_eq!(rust, [&serde_json::Value::Null, &serde_json::Value::Null, &"1.98".into(), &"1.98".into()]);
    }

    #[test]
    fn the_reports_carry_every_column_when_one_cannot_run() {
        let checks = checks();
        let outcomes = run_columns(&columns()[..2], &checks, 2, |c| llvm_refused(c, &checks, 2));
        let json: serde_json::Value = serde_json::from_str(&crate::report::json::to_string(&outcomes)).unwrap();
        assert_eq!(json["totals"], serde_json::json!({"runs": 8, "passed": 4, "failed": 0, "errors": 4, "skipped": 0}));
        let toolchains: Vec<&str> =
            json["checks"].as_array().unwrap().iter().map(|c| c["toolchain"].as_str().unwrap()).collect();
        assert_eq!(toolchains, ["gcc", "gcc", "gcc", "gcc", "llvm", "llvm", "llvm", "llvm"]);
        let xml = crate::report::junit::to_string(&outcomes);
        let junit = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).unwrap();
        let suites: Vec<(&str, u64, u64)> = junit.suites.iter().map(|s| (s.name.as_str(), s.tests, s.errors)).collect();
        assert_eq!(suites[3], ("hello (run 2/2)", 1, 0));
        assert_eq!(suites[7], ("hello.llvm (run 2/2)", 1, 1));
        let error = junit.suites[7].cases[0].status.error_as_ref();
        assert!(error.message.starts_with("could not boot: the column 7.3.4 llvm of the matrix did not run"), "{xml}");
        assert!(error.text.contains("/nowhere/clang"), "{xml}");
    }

    #[test]
    fn a_gcc_column_that_cannot_run_still_lets_llvm_run() {
        let checks = checks();
        let outcomes = run_columns(&columns()[..2], &checks, 1, |c| match c.paths.compiler {
            Compiler::Gcc => anyhow::bail!("no s390x-linux-gnu-gcc"),
            Compiler::Llvm => Ok(ran(c, &checks, 1)),
        });
        let passed: Vec<bool> = outcomes.iter().map(Outcome::passed).collect();
        assert_eq!(passed, [false, false, true, true]);
    }
}
