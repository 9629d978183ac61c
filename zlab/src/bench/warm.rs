//! The warm loop: touch a module's source, then `zlab test <check>` as a new process, split
//! into phases; and the rust-doctests boot, timed by the guest's own printk timestamps.

use super::stats::Stats;
use super::Subject;
use crate::context::RunContext;
use crate::run::phases::Phases;
use anyhow::{bail, Context, Result};
use fs_err as fs;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Instant, SystemTime};

/// The rest of the loop's wall time: starting zlab, `doctor`, reading checks, writing reports.
pub const OTHER: &str = "other";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EditLoop {
    pub check: String,
    pub touched: String,
    pub runs: usize,
    /// From the touch to `zlab test`'s exit.
    pub wall: Stats,
    pub phases: BTreeMap<String, Stats>,
    /// zlab's own share of each run: the kernel's up-to-date check and `other` (absent from
    /// results written before it was measured).
    #[serde(default)]
    pub own_share: Option<Stats>,
    /// The guest's share of each run: QEMU's start to its exit, modules loaded and judged
    /// (absent from results written before it was measured).
    #[serde(default)]
    pub guest: Option<Stats>,
}

/// How a measured `zlab test` starts its guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// From the guest zlab saved after booting the kernel once (the default).
    Resumed,
    /// Booted in full (`--boot`).
    Booted,
}

impl Start {
    fn args(self) -> &'static [&'static str] {
        match self {
            Start::Resumed => &[],
            Start::Booted => &["--boot"],
        }
    }
}

/// One way's samples, run by run.
#[derive(Default)]
struct Samples {
    walls: Vec<f64>,
    phases: BTreeMap<String, Vec<f64>>,
    own_share: Vec<f64>,
    guest: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Doctests {
    pub runs: usize,
    pub tests_passed: u64,
    /// Guest clock: from the kernel's start to "Run /init".
    pub guest_boot_to_init: Stats,
    /// Guest clock: from the first KTAP line to the doctest suite's result.
    pub guest_kunit_run: Stats,
    /// Host clock: QEMU's start to its exit.
    pub wall_boot: Stats,
    /// Host clock: the whole `zlab test rust-doctests`.
    pub wall_check: Stats,
}

/// The warm loop of `check_name`, its guest resumed.
pub fn edit_loop(ctx: &RunContext, subject: &Subject, check_name: &str, runs: u32) -> Result<EditLoop> {
    Ok(edit_loops(ctx, subject, check_name, runs, &[Start::Resumed])?.remove(0))
}

/// The warm loop of `check_name` started each way of `starts`, the ways taking turns run by run
/// so that each sees the same machine; one EditLoop per way, in their order.
pub fn edit_loops(
    ctx: &RunContext,
    subject: &Subject,
    check_name: &str,
    runs: u32,
    starts: &[Start],
) -> Result<Vec<EditLoop>> {
    let check = crate::run::runner::select(ctx, &[check_name.to_string()])?.remove(0);
    let Some(module) = check.modules.first() else {
        bail!("check {check_name} loads no module of modules/, so there is nothing to edit; try hello, echo or kunit_demo")
    };
    let folder = subject.project.join("modules").join(module);
    // From here on everything but the touched module is built, and the guest is saved.
    for start in starts {
        zlab_test_with(ctx, subject, &[&[check_name], start.args()].concat())?;
    }
    let mut samples: Vec<Samples> = starts.iter().map(|_| Samples::default()).collect();
    for _ in 0..runs {
        for (start, samples) in starts.iter().zip(&mut samples) {
            let started = Instant::now();
            touch_sources(&folder)?;
            let result = zlab_test_with(ctx, subject, &[&[check_name], start.args()].concat())?;
            let wall = started.elapsed().as_secs_f64();
            samples.walls.push(wall);
            let mut accounted = 0.0;
            let measured = phases_of(&result)?;
            for (name, seconds) in measured.by_name() {
                if let Some(seconds) = seconds {
                    samples.phases.entry(name.to_string()).or_default().push(seconds);
                    accounted += seconds;
                }
            }
            samples.phases.entry(OTHER.to_string()).or_default().push(wall - accounted);
            samples.own_share.push(measured.kernel + wall - accounted);
            samples.guest.extend(measured.boot());
        }
    }
    samples
        .into_iter()
        .map(|s| {
            Ok(EditLoop {
                check: check_name.to_string(),
                touched: format!("modules/{module}/*.rs"),
                runs: s.walls.len(),
                wall: Stats::of(&s.walls).context("no runs")?,
                phases: s.phases.iter().filter_map(|(k, v)| Some((k.clone(), Stats::of(v)?))).collect(),
                own_share: Stats::of(&s.own_share),
                guest: Stats::of(&s.guest),
            })
        })
        .collect()
}

/// The rust-doctests boot: booted in full (`--boot`), as a resumed guest would run its suites
/// after a boot it saved once.
pub fn doctests(ctx: &RunContext, subject: &Subject, runs: u32) -> Result<Doctests> {
    let booted = ["rust-doctests", "--boot"];
    zlab_test_with(ctx, subject, &booted)?;
    let (mut init, mut kunit, mut boot, mut check) = (vec![], vec![], vec![], vec![]);
    let mut passed = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let result = zlab_test_with(ctx, subject, &booted)?;
        check.push(started.elapsed().as_secs_f64());
        boot.push(phases_of(&result)?.boot().context("zlab's JSON lacks a phase of the boot")?);
        passed = result["ktap"]["counts"]["passed"].as_u64().unwrap_or(0);
        let log = result["console_log"].as_str().context("no console_log in zlab's JSON")?;
        let console = fs::read_to_string(log)?;
        let at = |text: &str| guest_time(&console, text).with_context(|| format!("no `{text}` in {log}"));
        init.push(at(crate::run::phases::INIT_LINE)?);
        kunit.push(at("# rust_doctests_kernel: pass:")? - at("KTAP version 1")?);
    }
    let stats = |v: &[f64]| Stats::of(v).context("no runs");
    Ok(Doctests {
        runs: check.len(),
        tests_passed: passed,
        guest_boot_to_init: stats(&init)?,
        guest_kunit_run: stats(&kunit)?,
        wall_boot: stats(&boot)?,
        wall_check: stats(&check)?,
    })
}

/// `zlab -q test NAME --json` as a new process on the subject; the check's entry of the JSON,
/// which must pass.
pub fn zlab_test(ctx: &RunContext, subject: &Subject, check: &str) -> Result<Value> {
    zlab_test_with(ctx, subject, &[check])
}

/// `zlab -q test ARGS… --json`, as zlab_test.
fn zlab_test_with(ctx: &RunContext, subject: &Subject, args: &[&str]) -> Result<Value> {
    let mut cmd = super::zlab_process_for(ctx, subject)?;
    cmd.args(["-q", "test"]).args(args).arg("--json");
    let out = cmd.output().context("running zlab test")?;
    if !out.status.success() {
        bail!(
            "`zlab test {}` did not pass, so there is nothing to time:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let results: Value = serde_json::from_slice(&out.stdout).context("zlab test --json printed no JSON")?;
    Ok(results["checks"][0].clone())
}

fn phases_of(result: &Value) -> Result<Phases> {
    serde_json::from_value(result["phases"].clone()).context("no phases in zlab's JSON")
}

fn touch_sources(folder: &std::path::Path) -> Result<()> {
    let now = SystemTime::now();
    for entry in fs::read_dir(folder)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            fs::File::options().write(true).open(&path)?.set_modified(now)?;
        }
    }
    Ok(())
}

/// The printk timestamp (seconds) of the first console line containing `text`.
pub fn guest_time(console: &str, text: &str) -> Option<f64> {
    crate::judge::ktap::printk_time(console.lines().find(|l| l.contains(text))?)
}

#[cfg(test)]
mod tests {
    use super::guest_time;

    #[test]
    fn printk_timestamps_are_read() {
        let console = "[    0.421] KTAP version 1\n[    0.976212] Run /init as init process\nzlab-init: start\n";
        assert_eq!(guest_time(console, "Run /init"), Some(0.976212));
        assert_eq!(guest_time(console, "zlab-init"), None);
        assert_eq!(guest_time(console, "absent"), None);
    }
}
