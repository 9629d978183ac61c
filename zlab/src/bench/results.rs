//! The numbers of the bench runs as docs/benchmarks.json keeps them: this run's machine and
//! each measurement, the ones a run skipped kept from their last run. Each run is named by
//! when it began (`Machine::run`); a kept measurement carries the name of its run, and two
//! numbers are set against each other only when they come from one run.

use super::cold::{now, today, Cold};
use super::defconfig::Defconfig;
use super::detectors::DetectorCosts;
use super::parallel::Parallel;
use super::peer::{Again, Peer};
use super::warm::{Doctests, EditLoop};
use crate::context::RunContext;
use crate::host::paths::Paths;
use anyhow::{Context, Result};
use fs_err as fs;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Results {
    pub machine: Machine,
    /// The warm loop, its guest resumed (the default).
    pub warm: Option<EditLoop>,
    /// The same loop in the same run, its guest booted in full (`--boot`). Absent from results
    /// written before it was measured.
    #[serde(default)]
    pub warm_booted: Option<EditLoop>,
    pub doctests: Option<Doctests>,
    /// `zlab test` of every check, `-j 1` against the default. Absent from results written
    /// before it was measured.
    #[serde(default)]
    pub parallel: Option<Parallel>,
    /// Kept from the last `--cold` run when this one skipped it (with its own date).
    pub cold: Option<Cold>,
    pub peer: Option<Peer>,
    /// kunit.py again with nothing changed, in this run (never kept from another).
    #[serde(default)]
    pub peer_again: Option<Again>,
    pub defconfig: Option<Defconfig>,
    /// Kept from the last `--detectors` run when this one skipped it.
    #[serde(default)]
    pub detectors: Option<DetectorCosts>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Machine {
    pub date: String,
    /// When this run began, to the second: its name.
    #[serde(default)]
    pub run: String,
    pub cpus: usize,
    pub host: String,
    pub qemu: String,
    pub rustc: String,
    pub kernel: String,
}

impl Machine {
    pub fn here(ctx: &RunContext) -> Machine {
        let tc = &ctx.tools;
        let first_line = |cmd: &mut std::process::Command| {
            crate::host::process::stdout_of(cmd)
                .ok()
                .and_then(|o| o.lines().next().map(str::to_string))
                .unwrap_or_default()
        };
        Machine {
            date: today(),
            run: now(),
            cpus: tc.jobs,
            host: std::env::consts::ARCH.to_string(),
            qemu: first_line(std::process::Command::new(&tc.qemu).arg("--version")),
            rustc: first_line(std::process::Command::new(&tc.rustc).arg("--version")),
            kernel: ctx.kernel_release().unwrap_or_default(),
        }
    }
}

/// Whether two measurements come from one bench run: those written before runs had names
/// never do.
pub fn one_run(a: &str, b: &str) -> bool {
    !a.is_empty() && a == b
}

pub fn data_file(paths: &Paths) -> Result<PathBuf> {
    Ok(paths.project()?.root.join("docs/benchmarks.json"))
}

impl Results {
    pub fn load(paths: &Paths) -> Result<Results> {
        match fs::read_to_string(data_file(paths)?) {
            Ok(text) => {
                serde_json::from_str(&text).context("docs/benchmarks.json does not parse; delete it to start over")
            }
            Err(_) => Ok(Results::default()),
        }
    }
}
