//! `zlab test --matrix`: the checks under every toolchain (GCC, then LLVM), each with its own
//! kernel, then one table of check × toolchain.

use crate::context::RunContext;
use crate::host::paths::Paths;
use crate::run::runner::{self, Outcome};
use crate::say;
use crate::toolchain::tools::Compiler;
use anyhow::{Context, Result};

pub fn run(ctx: &RunContext, names: &[String], repeat: u32) -> Result<Vec<Outcome>> {
    let paths = &ctx.paths;
    let mut outcomes = Vec::new();
    for compiler in Compiler::ALL {
        crate::note!("zlab: matrix: the checks built with {}", compiler.name());
        let _paths = Paths { compiler, ..paths.clone() };
        let ran = runner::run(ctx, names, repeat).with_context(|| format!("the {} toolchain", compiler.name()))?;
        outcomes.extend(ran);
    }
    Ok(outcomes)
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
