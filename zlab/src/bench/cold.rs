//! Cold: the test kernel built from nothing in a scratch build dir, then `zlab test
//! rust-doctests` booting that kernel: zlab's end to end, to set beside kunit.py's.

use super::warm::zlab_test;
use super::Subject;
use crate::context::RunContext;
use crate::host::paths::remove_dir;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::process::Command;
use std::time::Instant;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cold {
    pub date: String,
    /// The bench run that measured it (results.rs).
    #[serde(default)]
    pub run: String,
    pub build_seconds: f64,
    pub doctests_check_seconds: f64,
    pub tests_passed: u64,
}

impl Cold {
    pub fn end_to_end(&self) -> f64 {
        self.build_seconds + self.doctests_check_seconds
    }
}

pub fn fresh_build(ctx: &RunContext, run: &str) -> Result<Cold> {
    let dir = ctx.paths.home.join("bench/cold-test");
    let build_seconds = build_from_nothing(ctx, &Subject::this(ctx)?, &dir)?;
    let started = Instant::now();
    let fresh = Subject { kernel_build: Some(dir.clone()), ..Subject::this(ctx)? };
    let result = zlab_test(ctx, &fresh, "rust-doctests")?;
    let cold = Cold {
        date: today(),
        run: run.to_string(),
        build_seconds: super::stats::round(build_seconds),
        doctests_check_seconds: super::stats::round(started.elapsed().as_secs_f64()),
        tests_passed: result["ktap"]["counts"]["passed"].as_u64().unwrap_or(0),
    };
    remove_dir(&dir)?;
    Ok(cold)
}

/// Seconds of `zlab build --dir DIR` for the subject's project, DIR emptied first.
pub fn build_from_nothing(ctx: &RunContext, subject: &Subject, dir: &std::path::Path) -> Result<f64> {
    remove_dir(dir)?;
    let started = Instant::now();
    let status = super::zlab_process_for(ctx, subject)?
        .args(["build", "--dir"])
        .arg(dir)
        .status()
        .context("running zlab build")?;
    if !status.success() {
        bail!("the fresh build in {} failed ({status})", dir.display());
    }
    Ok(started.elapsed().as_secs_f64())
}

pub fn today() -> String {
    utc("+%Y-%m-%d")
}

/// This moment, to the second: what names a bench run.
pub fn now() -> String {
    utc("+%Y-%m-%dT%H:%M:%SZ")
}

fn utc(format: &str) -> String {
    crate::host::process::stdout_of(Command::new("date").args(["-u", format]))
        .map(|d| d.trim().to_string())
        .unwrap_or_default()
}
