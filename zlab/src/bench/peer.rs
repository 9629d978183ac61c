//! The peer: the kernel's own `tools/testing/kunit/kunit.py run --arch=s390` on the same source
//! tree and toolchain, from an empty build dir, running the same Rust doctests.

use super::cold::today;
use crate::context::RunContext;
use crate::host::paths::remove_dir;
use anyhow::{bail, Result};
use fs_err as fs;
use serde::{Deserialize, Serialize};
use std::process::Command;
use std::time::Instant;

/// KUnit with the Rust doctests, and Rust possible on s390 (EXPOLINE off).
const KUNITCONFIG: &str =
    "CONFIG_KUNIT=y\nCONFIG_RUST=y\nCONFIG_RUST_KERNEL_DOCTESTS=y\n# CONFIG_EXPOLINE is not set\n";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Peer {
    pub date: String,
    pub command: String,
    pub wall_seconds: f64,
    pub tests_run: u64,
    pub passed: u64,
    pub failed: u64,
    /// A second `kunit.py run` on the same build dir with nothing changed: its edit loop.
    #[serde(default)]
    pub rerun_seconds: Option<f64>,
}

pub fn kunit_py(ctx: &RunContext) -> Result<Peer> {
    let pins = ctx.pins()?;
    let source = crate::inputs::source::unpacked(ctx, &pins.kernel)?;
    let tc = &ctx.tools;
    let work = ctx.paths.home.join("bench");
    let build = work.join("kunit-py");
    remove_dir(&build)?;
    fs::create_dir_all(&work)?;
    let kunitconfig = work.join("rust-doctests.kunitconfig");
    fs::write(&kunitconfig, KUNITCONFIG)?;
    let mut cmd = Command::new("python3");
    cmd.current_dir(&source)
        .arg("tools/testing/kunit/kunit.py")
        .args(["run", "--arch=s390"])
        .arg(format!("--cross_compile={}", tc.cross_compile))
        .arg(format!("--build_dir={}", build.display()))
        .arg(format!("--kunitconfig={}", kunitconfig.display()))
        .arg(format!("--jobs={}", tc.jobs))
        .arg("--timeout=600");
    for (name, value) in
        [("RUSTC", &tc.rustc), ("RUSTDOC", &tc.rustdoc), ("HOSTRUSTC", &tc.rustc), ("BINDGEN", &tc.bindgen)]
    {
        cmd.arg("--make_options").arg(format!("{name}={}", value.display()));
    }
    cmd.env("LIBCLANG_PATH", &tc.libclang_dir);
    let command = crate::host::process::describe(&cmd);
    let log = work.join("kunit-py.log");
    let started = Instant::now();
    let mut progress = crate::build::progress::BuildProgress::new("kunit.py");
    let ran = crate::host::process::run_logged(&mut cmd, &log, "kunit.py", &mut |line| progress.feed(line));
    drop(progress);
    let wall_seconds = started.elapsed().as_secs_f64();
    let text = fs::read_to_string(&log)?;
    let Some((tests_run, passed, failed)) = tally(&text) else {
        ran?;
        bail!("kunit.py printed no `Testing complete. Ran N tests` line; its output is in {}", log.display());
    };
    let started = Instant::now();
    let rerun = crate::host::process::run_logged(&mut cmd, &work.join("kunit-py-rerun.log"), "kunit.py", &mut |_| {});
    let rerun_seconds = rerun.ok().map(|_| super::stats::round(started.elapsed().as_secs_f64()));
    remove_dir(&build)?;
    Ok(Peer {
        date: today(),
        command,
        wall_seconds: super::stats::round(wall_seconds),
        tests_run,
        passed,
        failed,
        rerun_seconds,
    })
}

/// kunit.py's closing line: "Testing complete. Ran 352 tests: passed: 352" (", failed: N" when any failed).
fn tally(output: &str) -> Option<(u64, u64, u64)> {
    let line = output.lines().find(|l| l.contains("Testing complete. Ran "))?;
    let number_after = |label: &str| -> Option<u64> {
        let rest = &line[line.find(label)? + label.len()..];
        rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
    };
    Some((number_after("Ran ")?, number_after("passed: ").unwrap_or(0), number_after("failed: ").unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::tally;

    #[test]
    fn kunit_py_tallies_are_read() {
        assert_eq!(tally("[12:00:01] Testing complete. Ran 352 tests: passed: 352\n"), Some((352, 352, 0)));
        assert_eq!(tally("Testing complete. Ran 5 tests: passed: 3, failed: 2"), Some((5, 3, 2)));
        assert_eq!(tally("Elapsed time: 3s"), None);
    }
}
