//! Every check of the project: `zlab test` one at a time (`-j 1`), one at a time booted in full
//! (`-j 1 --boot`), and with the default `-j` (the CPU count), the three taking turns so that
//! each sees the same machine.

use super::cold::today;
use super::stats::Stats;
use crate::context::RunContext;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::time::Instant;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Parallel {
    pub date: String,
    pub checks: usize,
    /// The default `-j`: this machine's CPU count.
    pub jobs: usize,
    pub runs: usize,
    pub serial: Stats,
    /// `-j 1 --boot` (absent from results written before it was measured).
    #[serde(default)]
    pub serial_booted: Option<Stats>,
    pub parallel: Stats,
}

impl Parallel {
    /// The default's median wall time as a share of `-j 1`'s.
    pub fn ratio(&self) -> f64 {
        self.parallel.median / self.serial.median
    }

    /// How many times longer every check takes booted in full than resumed, `-j 1`.
    pub fn resume_speedup(&self) -> Option<f64> {
        Some(self.serial_booted?.median / self.serial.median)
    }
}

pub fn every_check(ctx: &RunContext, runs: u32) -> Result<Parallel> {
    let checks = whole_run(ctx, Some(1), &[])?.1; // from here on everything is built and saved
    let (mut serial, mut booted, mut parallel) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        serial.push(whole_run(ctx, Some(1), &[])?.0);
        booted.push(whole_run(ctx, Some(1), &["--boot"])?.0);
        parallel.push(whole_run(ctx, None, &[])?.0);
    }
    Ok(Parallel {
        date: today(),
        checks,
        jobs: crate::run::runner::jobs(None),
        runs: serial.len(),
        serial: Stats::of(&serial).context("no runs")?,
        serial_booted: Stats::of(&booted),
        parallel: Stats::of(&parallel).context("no runs")?,
    })
}

/// `zlab -q test --json [-j N] ARGS…` as a new process, which must pass: its wall time and how
/// many checks it ran.
fn whole_run(ctx: &RunContext, jobs: Option<u32>, args: &[&str]) -> Result<(f64, usize)> {
    let mut cmd = super::zlab_process(ctx)?;
    cmd.args(["-q", "test", "--json"]).args(args);
    if let Some(jobs) = jobs {
        cmd.args(["-j", &jobs.to_string()]);
    }
    let started = Instant::now();
    let out = cmd.output().context("running zlab test")?;
    let wall = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "`zlab test` of every check did not pass, so there is nothing to time:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).context("zlab test --json printed no JSON")?;
    Ok((wall, results["checks"].as_array().map_or(0, Vec::len)))
}
