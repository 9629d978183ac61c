//! The yardstick for the test kernel's build time: s390 `defconfig` with Rust on (EXPOLINE and
//! MODVERSIONS off, as Rust there needs), built from nothing with the same tree, toolchain and -j. It takes far
//! longer than the rest of the bench, so it runs only with `--defconfig` and is kept with its date.

use super::cold::today;
use crate::context::RunContext;
use crate::host::paths::remove_dir;
use anyhow::{bail, Result};
use fs_err as fs;
use serde::{Deserialize, Serialize};
use std::time::Instant;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Defconfig {
    pub date: String,
    /// The bench run that measured it (results.rs).
    #[serde(default)]
    pub run: String,
    pub build_seconds: f64,
    pub objects: usize,
}

pub fn build(ctx: &RunContext, run: &str) -> Result<Defconfig> {
    let pins = ctx.pins()?;
    let source = crate::inputs::source::unpacked(ctx, &pins.kernel)?;
    let tc = &ctx.tools;
    let dir = ctx.paths.home.join("bench/defconfig");
    remove_dir(&dir)?;
    fs::create_dir_all(&dir)?;
    let log = dir.join("zlab-build.log");
    let started = Instant::now();
    let make = |args: &[&str]| -> Result<()> {
        let mut cmd = tc.kernel_make(&source, &dir);
        cmd.args(args);
        crate::host::process::run_logged(&mut cmd, &dir.join("zlab-config.log"), "defconfig", &mut |_| {})
    };
    make(&["defconfig"])?;
    let mut config = std::process::Command::new(source.join("scripts/config"));
    // RUST needs EXPOLINE off on s390, and MODVERSIONS off (or GENDWARFKSYMS, which needs libdw).
    config.arg("--file").arg(dir.join(".config")).args(["-d", "EXPOLINE", "-d", "MODVERSIONS", "-e", "RUST"]);
    crate::host::process::run(&mut config)?;
    make(&["olddefconfig"])?;
    let text = fs::read_to_string(dir.join(".config"))?;
    if !text.lines().any(|l| l == "CONFIG_RUST=y") {
        bail!(
            "defconfig with EXPOLINE and MODVERSIONS off still has no CONFIG_RUST=y; see {}",
            dir.join(".config").display()
        );
    }
    let mut cmd = tc.kernel_make(&source, &dir);
    cmd.arg(format!("-j{}", tc.jobs));
    let mut progress = crate::build::progress::BuildProgress::new("defconfig build");
    crate::host::process::run_logged(&mut cmd, &log, "defconfig build", &mut |line| progress.feed(line))?;
    let objects = progress.objects();
    drop(progress);
    let result = Defconfig {
        date: today(),
        run: run.to_string(),
        build_seconds: super::stats::round(started.elapsed().as_secs_f64()),
        objects,
    };
    remove_dir(&dir)?;
    Ok(result)
}
