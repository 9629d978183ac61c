//! The peer: the kernel's own `tools/testing/kunit/kunit.py run --arch=s390` on the same source
//! tree and toolchain, from an empty build dir, running the same Rust doctests (`--peer`); and
//! in every bench run whose home has that build dir, kunit.py run again with nothing changed.

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
    /// The bench run that measured it (results.rs), so only numbers of one run are compared.
    #[serde(default)]
    pub run: String,
    pub command: String,
    pub wall_seconds: f64,
    pub tests_run: u64,
    pub passed: u64,
    pub failed: u64,
}

/// `kunit.py run` on its kept build dir with nothing changed: kunit.py's edit loop.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Again {
    pub seconds: f64,
    pub passed: u64,
}

/// kunit.py's build dir, kept for `again`, and the file naming the tree it was built from.
fn build_dir(ctx: &RunContext) -> std::path::PathBuf {
    ctx.paths.home.join("bench/kunit-py")
}
const BUILT_FROM: &str = "zlab-bench-built-from";

pub fn kunit_py(ctx: &RunContext, run: &str) -> Result<Peer> {
    let pins = ctx.pins()?;
    let source = crate::inputs::source::unpacked(ctx, &pins.kernel)?;
    let build = build_dir(ctx);
    remove_dir(&build)?;
    let (mut cmd, log) = command(ctx, &source, "kunit-py.log")?;
    let command = crate::host::process::describe(&cmd);
    let started = Instant::now();
    let (ran, text) = run_kunit_py(&mut cmd, &log)?;
    let wall_seconds = started.elapsed().as_secs_f64();
    let Some((tests_run, passed, failed)) = tally(&text) else {
        ran?;
        bail!("kunit.py printed no `Testing complete. Ran N tests` line; its output is in {}", log.display());
    };
    fs::write(build.join(BUILT_FROM), format!("{}\n", source.display()))?;
    Ok(Peer {
        date: today(),
        run: run.to_string(),
        command,
        wall_seconds: super::stats::round(wall_seconds),
        tests_run,
        passed,
        failed,
    })
}

/// kunit.py run again on the build dir `kunit_py` kept, when there is one of today's source:
/// seconds, as a developer's next `kunit.py run` takes. None without that dir.
pub fn again(ctx: &RunContext) -> Result<Option<Again>> {
    let source = crate::inputs::source::unpacked(ctx, &ctx.pins()?.kernel)?;
    let built_from = fs::read_to_string(build_dir(ctx).join(BUILT_FROM)).unwrap_or_default();
    if built_from.trim() != source.display().to_string() {
        return Ok(None);
    }
    eprintln!("zlab bench: kunit.py run again on the build dir --peer kept, nothing changed");
    let (mut cmd, log) = command(ctx, &source, "kunit-py-again.log")?;
    let started = Instant::now();
    let (ran, text) = run_kunit_py(&mut cmd, &log)?;
    let seconds = super::stats::round(started.elapsed().as_secs_f64());
    ran?;
    let Some((_, passed, _)) = tally(&text) else {
        bail!("kunit.py run again printed no `Testing complete` line; its output is in {}", log.display());
    };
    Ok(Some(Again { seconds, passed }))
}

/// `kunit.py run` on `source` into its build dir, and the log it is to write.
fn command(ctx: &RunContext, source: &std::path::Path, log: &str) -> Result<(Command, std::path::PathBuf)> {
    let tc = &ctx.tools;
    let work = ctx.paths.home.join("bench");
    fs::create_dir_all(&work)?;
    let kunitconfig = work.join("rust-doctests.kunitconfig");
    fs::write(&kunitconfig, KUNITCONFIG)?;
    let mut cmd = Command::new("python3");
    cmd.current_dir(source)
        .arg("tools/testing/kunit/kunit.py")
        .args(["run", "--arch=s390"])
        .arg(format!("--cross_compile={}", tc.cross_compile))
        .arg(format!("--build_dir={}", build_dir(ctx).display()))
        .arg(format!("--kunitconfig={}", kunitconfig.display()))
        .arg(format!("--jobs={}", tc.jobs))
        .arg("--timeout=600");
    for (name, value) in
        [("RUSTC", &tc.rustc), ("RUSTDOC", &tc.rustdoc), ("HOSTRUSTC", &tc.rustc), ("BINDGEN", &tc.bindgen)]
    {
        cmd.arg("--make_options").arg(format!("{name}={}", value.display()));
    }
    cmd.env("LIBCLANG_PATH", &tc.libclang_dir);
    Ok((cmd, work.join(log)))
}

/// Runs kunit.py with its own latest line and the time on the status line (it keeps make's
/// output to itself, so there are no objects to count); whether it succeeded, and its output.
fn run_kunit_py(cmd: &mut Command, log: &std::path::Path) -> Result<(Result<()>, String)> {
    let mut status = crate::ui::progress::StatusLine::counter("kunit.py");
    let mut latest = String::new();
    let ran = crate::host::process::run_logged(cmd, log, "kunit.py", &mut |line| {
        if let Some(line) = line.filter(|l| !l.trim().is_empty()) {
            latest = line.to_string();
        }
        status.update(&latest);
    });
    drop(status);
    Ok((ran, fs::read_to_string(log)?))
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
