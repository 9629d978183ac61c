//! The bench results printed as a summary and rendered into docs/benchmarks.md with a chart,
//! each set against the issue's targets.

use super::detectors::DetectorCosts;
use super::results::{data_file, one_run, Results};
use super::warm::{EditLoop, OTHER};
use crate::host::paths::Paths;
use crate::run::phases::NAMES as PHASES;
use anyhow::Result;
use fs_err as fs;
use std::fmt::Write;
use std::path::PathBuf;

/// One line per measurement, with its target where the issue set one.
pub fn summary(r: &Results) -> String {
    let mut s = String::new();
    let m = &r.machine;
    let _ = writeln!(
        s,
        "\nzlab bench, {} — {} CPUs ({}), {}, {}, Linux {}",
        m.date, m.cpus, m.host, m.qemu, m.rustc, m.kernel
    );
    if let Some(w) = &r.warm {
        s.push_str(&warm_loop(w, r.warm_booted.as_ref()));
    }
    if let Some(d) = &r.doctests {
        let _ = writeln!(s, "\nrust-doctests boot ({} runs, median; {} KUnit tests passed)", d.runs, d.tests_passed);
        let _ = writeln!(
            s,
            "  guest: boot to init {:.2} s, KUnit run {:.2} s",
            d.guest_boot_to_init.median, d.guest_kunit_run.median
        );
        let _ = writeln!(
            s,
            "  host:  QEMU start to exit {:.2} s{}",
            d.wall_boot.median,
            target(d.wall_boot.median < 2.5, "< 2.5 s")
        );
        let _ = writeln!(s, "  host:  whole `zlab test rust-doctests` {:.2} s", d.wall_check.median);
    }
    if let Some(p) = &r.parallel {
        let _ = writeln!(
            s,
            "\nevery check ({} of them), `zlab test` ({} runs each, median, alternating)",
            p.checks, p.runs
        );
        let _ = writeln!(
            s,
            "  -j 1            {:>7.2} s   (min {:.2}, max {:.2})",
            p.serial.median, p.serial.min, p.serial.max
        );
        if let (Some(booted), Some(speedup)) = (&p.serial_booted, p.resume_speedup()) {
            let _ = writeln!(
                s,
                "  -j 1 --boot     {:>7.2} s   (min {:.2}, max {:.2})   booted / resumed: {speedup:.2}×{}",
                booted.median,
                booted.min,
                booted.max,
                target(speedup >= 3.0, "≥ 3×")
            );
        }
        let _ = writeln!(
            s,
            "  -j {:<12} {:>7.2} s   (min {:.2}, max {:.2})",
            p.jobs, p.parallel.median, p.parallel.min, p.parallel.max
        );
        let _ = writeln!(s, "  -j {} / -j 1:   {:>7.3}×{}", p.jobs, p.ratio(), target(p.ratio() <= 0.6, "≤ 0.6×"));
    }
    if let Some(c) = &r.cold {
        let _ = writeln!(s, "\ncold ({}): test kernel built from nothing {:.0} s{}; then rust-doctests {:.1} s ({} passed); end to end {:.0} s",
            c.date, c.build_seconds, target(c.build_seconds <= 300.0, "≤ 5 min"), c.doctests_check_seconds, c.tests_passed, c.end_to_end());
    }
    if let Some(p) = &r.peer {
        let _ = writeln!(
            s,
            "\nkunit.py ({}): {:.0} s, ran {} tests: {} passed, {} failed",
            p.date, p.wall_seconds, p.tests_run, p.passed, p.failed
        );
        match &r.cold {
            Some(c) if one_run(&c.run, &p.run) => {
                let ratio = p.wall_seconds / c.end_to_end();
                let equal = if p.passed == c.tests_passed { "equal pass counts" } else { "pass counts DIFFER" };
                let _ = writeln!(
                    s,
                    "  kunit.py / zlab end to end: {ratio:.2}×, {equal}{}",
                    target(ratio >= 1.5 && p.passed == c.tests_passed, "≥ 1.5× with equal counts")
                );
            }
            Some(c) => {
                let _ = writeln!(s, "  kunit.py / zlab end to end: {}", apart("kunit.py", &p.date, &c.date, "--peer"));
            }
            None => {}
        }
    }
    match (&r.peer_again, &r.doctests) {
        (Some(again), Some(d)) => {
            let zlab = d.wall_check.median;
            let _ = writeln!(
                s,
                "\nagain with nothing changed: kunit.py run {:.1} s ({} passed), `zlab test rust-doctests` {zlab:.2} s: {:.1}×",
                again.seconds,
                again.passed,
                again.seconds / zlab
            );
        }
        _ if r.peer.is_some() => {
            let _ = writeln!(s, "\nagain with nothing changed: not measured, kunit.py's build dir is gone; `zlab bench --peer` builds it");
        }
        _ => {}
    }
    if let Some(d) = &r.defconfig {
        let _ = writeln!(
            s,
            "\ns390 defconfig + RUST ({}): built from nothing in {:.0} s ({} objects)",
            d.date, d.build_seconds, d.objects
        );
        match &r.cold {
            Some(c) if one_run(&c.run, &d.run) => {
                let ratio = c.build_seconds / d.build_seconds;
                let _ = writeln!(
                    s,
                    "  test kernel / defconfig+RUST build time: {ratio:.2}{}",
                    target(ratio <= 1.0 / 3.0, "≤ 1/3")
                );
            }
            Some(c) => {
                let _ = writeln!(
                    s,
                    "  test kernel / defconfig+RUST build time: {}",
                    apart("the defconfig build", &d.date, &c.date, "--defconfig")
                );
            }
            None => {}
        }
    }
    if let Some(d) = &r.detectors {
        s.push_str(&detectors(d));
    }
    s
}

/// The warm loop phase by phase: resumed, and booted in full beside it when that was measured
/// in the same run; the resumed loop is held to the issue's targets.
fn warm_loop(w: &EditLoop, booted: Option<&EditLoop>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\nwarm loop: touch {} → zlab test {} ({} runs, median)", w.touched, w.check, w.runs);
    let row = |name: &str, value: &dyn Fn(&EditLoop) -> Option<f64>, after: String| {
        let Some(resumed) = value(w) else { return String::new() };
        let beside = match booted.map(value) {
            Some(Some(b)) => format!(" {b:>8.2} s"),
            Some(None) => format!(" {:>10}", "-"),
            None => String::new(),
        };
        format!("  {name:<14} {resumed:>7.2} s{beside}{after}\n")
    };
    if booted.is_some() {
        let _ = writeln!(s, "  {:<14} {:>9} {:>10}", "", "resumed", "--boot");
    }
    for phase in PHASES.iter().chain([&OTHER]) {
        s.push_str(&row(phase, &|l| Some(l.phases.get(*phase)?.median), String::new()));
    }
    let spread = format!("   (min {:.2}, max {:.2})", w.wall.min, w.wall.max);
    let quiet = target(w.wall.median <= WARM_LOOP_TARGET, &format!("≤ {WARM_LOOP_TARGET} s on a quiet machine"));
    s.push_str(&row("total", &|l| Some(l.wall.median), format!("{spread}{quiet}")));
    if let Some(guest) = &w.guest {
        let met = target(guest.median <= GUEST_TARGET, &format!("≤ {GUEST_TARGET} s"));
        s.push_str(&row("guest's share", &|l| Some(l.guest?.median), format!("   (QEMU's start to its exit){met}")));
    }
    if let Some(own) = &w.own_share {
        let met = target(own.median <= 0.1, "≤ 0.1 s");
        s.push_str(&row("zlab's share", &|l| Some(l.own_share?.median), format!("   (kernel + other){met}")));
    }
    s
}

/// The warm loop's target (touch → verdict, resumed), and its guest's share.
const WARM_LOOP_TARGET: f64 = 1.1;
const GUEST_TARGET: f64 = 0.5;

/// The detector rungs as a table, the test kernel held to the issue's targets against the rung
/// without detectors.
fn detectors(d: &DetectorCosts) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "
the kernel's bug detectors ({}): each rung built from nothing, then booted ({} runs each, median)",
        d.date, d.runs
    );
    let _ = writeln!(
        s,
        "  {:<58} {:>7} {:>8} {:>13} {:>19} {:>10}",
        "rung", "build", "objects", "boot to init", "rust-doctests boot", "warm loop"
    );
    for rung in &d.rungs {
        let _ = writeln!(
            s,
            "  {:<58} {:>5.0} s {:>8} {:>11.2} s {:>17.2} s {:>8.2} s",
            rung.name,
            rung.build_seconds,
            rung.objects,
            rung.boot_to_init.median,
            rung.doctests_boot.median,
            rung.warm_loop.median
        );
    }
    for rung in &d.rungs {
        if let Some(scan) = &rung.leak_scan {
            let _ = writeln!(
                s,
                "  leak scan, {}: `zlab test {}` {:.2} s with `leaks = true`, {:.2} s without",
                rung.name, d.check, scan.with.median, scan.without.median
            );
        }
    }
    if let (Some(none), Some(test)) = (d.rungs.first(), d.rungs.iter().find(|r| r.is_test_kernel)) {
        let growth = (test.build_seconds / none.build_seconds - 1.0) * 100.0;
        let _ = writeln!(
            s,
            "  the test kernel against none: build {growth:+.1} %{}; warm loop {:.2} s{}; rust-doctests boot {:.2} s{}",
            target(growth <= 5.0, "≤ +5 %"),
            test.warm_loop.median,
            target(test.warm_loop.median <= WARM_LOOP_TARGET, &format!("≤ {WARM_LOOP_TARGET} s")),
            test.doctests_boot.median,
            target(test.doctests_boot.median < 2.5, "< 2.5 s"),
        );
    }
    s
}

/// What a ratio line says instead when `what` (measured on `date`) and the cold build (on
/// `cold_date`) come from different runs.
fn apart(what: &str, date: &str, cold_date: &str, option: &str) -> String {
    format!(
        "not compared, {what} ({date}) and the cold build ({cold_date}) come from different runs; `zlab bench {option}` measures both"
    )
}

fn target(met: bool, what: &str) -> String {
    format!("   target {what}: {}", if met { "met" } else { "NOT met" })
}

/// docs/benchmarks.json, then what `render` makes of it.
pub fn write(paths: &Paths, r: &Results) -> Result<Vec<PathBuf>> {
    let json = data_file(paths)?;
    fs::write(&json, serde_json::to_string_pretty(r)? + "\n")?;
    let mut written = vec![json];
    written.extend(render(paths, r)?);
    Ok(written)
}

/// docs/benchmarks.md and docs/benchmarks.svg, from the results alone.
pub fn render(paths: &Paths, r: &Results) -> Result<Vec<PathBuf>> {
    let json = data_file(paths)?;
    let docs = json.parent().expect("docs/benchmarks.json has a folder");
    let (md, svg) = (docs.join("benchmarks.md"), docs.join("benchmarks.svg"));
    fs::write(&svg, super::chart::render(r))?;
    fs::write(&md, markdown(r))?;
    Ok(vec![md, svg])
}

fn markdown(r: &Results) -> String {
    let pending = if r.defconfig.is_none() {
        "\nNot measured yet: the s390 `defconfig` + RUST build (`zlab bench --defconfig`), to set the test kernel's build time against.\n"
    } else {
        ""
    };
    format!(
        "# Benchmarks\n\nWritten by `zlab bench --write`. `--cold`, `--peer`, `--defconfig` and `--detectors` add the \
builds from nothing; their numbers are kept from their last run, with its date. `--detectors` builds the test \
kernel without the kernel's bug detectors, then with each added in turn (the last of them is the test kernel as \
shipped), then with lockdep and with kmemleak, all in one run. A ratio sets only numbers of one run side by \
side, so `--peer` and `--defconfig` build zlab's test kernel from nothing in the same run, and kunit.py's run again \
with nothing changed is measured in every run on the build dir `--peer` left. Every measurement runs zlab as a new \
process, as a developer would; the guest runs under QEMU's emulator (TCG). The warm loop and every check run \
both ways in turn: resumed from the guest zlab saved after booting the kernel once (the default), and booted in \
full (`--boot`); the rust-doctests boot is booted in full.\n\n![bench chart](benchmarks.svg)\n\n```text{}```\n{pending}",
        summary(r)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::cold::Cold;
    use crate::bench::peer::{Again, Peer};
    use crate::bench::stats::Stats;
    use crate::bench::warm::Doctests;

    fn measured(cold_run: &str, peer_run: &str, again: Option<f64>) -> Results {
        let s = |m| Stats { min: m, median: m, max: m };
        let cold = Cold {
            date: "d1".into(),
            run: cold_run.into(),
            build_seconds: 200.0,
            doctests_check_seconds: 2.0,
            tests_passed: 352,
        };
        let peer = Peer {
            date: "d2".into(),
            run: peer_run.into(),
            command: "kunit.py run".into(),
            wall_seconds: 404.0,
            tests_run: 352,
            passed: 352,
            failed: 0,
        };
        let doctests = Doctests {
            runs: 5,
            tests_passed: 352,
            guest_boot_to_init: s(1.0),
            guest_kunit_run: s(1.0),
            wall_boot: s(2.0),
            wall_check: s(4.0),
        };
        Results {
            cold: Some(cold),
            peer: Some(peer),
            peer_again: again.map(|seconds| Again { seconds, passed: 352 }),
            doctests: Some(doctests),
            ..Results::default()
        }
    }

    #[test]
    fn the_warm_loop_is_held_to_the_issues_targets() {
        let s = |m| Stats { min: m, median: m, max: m };
        let warm = |wall, own| crate::bench::warm::EditLoop {
            check: "hello".into(),
            touched: "modules/hello/*.rs".into(),
            runs: 5,
            wall: s(wall),
            phases: [("modules".to_string(), s(0.5))].into_iter().collect(),
            own_share: Some(s(own)),
            guest: Some(s(wall / 3.0)),
        };
        let quick = summary(&Results { warm: Some(warm(1.07, 0.02)), ..Results::default() });
        assert!(quick.contains("1.07 s   (min 1.07, max 1.07)   target ≤ 1.1 s on a quiet machine: met"), "{quick}");
        assert!(
            quick.contains("guest's share     0.36 s   (QEMU's start to its exit)   target ≤ 0.5 s: met"),
            "{quick}"
        );
        assert!(quick.contains("zlab's share      0.02 s   (kernel + other)   target ≤ 0.1 s: met"), "{quick}");
        let slow = summary(&Results { warm: Some(warm(2.97, 0.25)), ..Results::default() });
        assert!(slow.contains("quiet machine: NOT met") && slow.contains("≤ 0.1 s: NOT met"), "{slow}");
        assert!(slow.contains("target ≤ 0.5 s: NOT met"), "{slow}");

        // Booted in full beside it, from the same run; the targets hold the resumed loop.
        let both = summary(&Results {
            warm: Some(warm(1.07, 0.02)),
            warm_booted: Some(warm(2.5, 0.03)),
            ..Results::default()
        });
        assert!(both.contains("                   resumed     --boot\n"), "{both}");
        assert!(both.contains("  modules           0.50 s     0.50 s\n"), "{both}");
        assert!(
            both.contains("  total             1.07 s     2.50 s   (min 1.07, max 1.07)   target ≤ 1.1 s"),
            "{both}"
        );
        assert!(both.contains("  guest's share     0.36 s     0.83 s   (QEMU's start"), "{both}");
    }

    #[test]
    fn every_check_booted_in_full_is_set_against_resumed() {
        use crate::bench::parallel::Parallel;
        let s = |m| Stats { min: m, median: m, max: m };
        let every = |booted| Parallel {
            date: "d".into(),
            checks: 8,
            jobs: 2,
            runs: 3,
            serial: s(6.0),
            serial_booted: Some(s(booted)),
            parallel: s(3.5),
        };
        let slow = summary(&Results { parallel: Some(every(9.0)), ..Results::default() });
        assert!(
            slow.contains(
                "-j 1 --boot        9.00 s   (min 9.00, max 9.00)   booted / resumed: 1.50×   target ≥ 3×: NOT met"
            ),
            "{slow}"
        );
        let fast = summary(&Results { parallel: Some(every(18.0)), ..Results::default() });
        assert!(fast.contains("booted / resumed: 3.00×   target ≥ 3×: met"), "{fast}");
    }

    #[test]
    fn the_test_kernel_is_held_to_the_detector_targets_against_the_rung_without() {
        use crate::bench::detectors::{DetectorCosts, Rung};
        let s = |m| Stats { min: m, median: m, max: m };
        let rung = |name: &str, test: bool, build: f64, warm: f64| Rung {
            name: name.into(),
            fragments: vec![],
            is_test_kernel: test,
            build_seconds: build,
            objects: 1173,
            boot_to_init: s(0.4),
            doctests_boot: s(1.0),
            doctests_passed: 352,
            warm_loop: s(warm),
            leak_scan: None,
        };
        let costs = |build: f64, warm: f64| DetectorCosts {
            date: "d".into(),
            run: "r".into(),
            runs: 5,
            check: "hello".into(),
            rungs: vec![rung("none (base)", false, 200.0, 1.1), rung("+ KFENCE = the test kernel", true, build, warm)],
        };
        let cheap = summary(&Results { detectors: Some(costs(204.0, 1.05)), ..Results::default() });
        assert!(cheap.contains("build +2.0 %   target ≤ +5 %: met; warm loop 1.05 s   target ≤ 1.1 s: met"), "{cheap}");
        let dear = summary(&Results { detectors: Some(costs(220.0, 1.4)), ..Results::default() });
        assert!(
            dear.contains("build +10.0 %   target ≤ +5 %: NOT met; warm loop 1.40 s   target ≤ 1.1 s: NOT met"),
            "{dear}"
        );
    }

    #[test]
    fn ratios_set_only_numbers_of_one_run_side_by_side() {
        let one = summary(&measured("2026-12-02T04:00:00Z", "2026-12-02T04:00:00Z", Some(6.0)));
        assert!(
            one.contains("kunit.py / zlab end to end: 2.00×, equal pass counts   target ≥ 1.5× with equal counts: met"),
            "{one}"
        );
        assert!(one.contains("kunit.py run 6.0 s (352 passed), `zlab test rust-doctests` 4.00 s: 1.5×"), "{one}");

        let apart = summary(&measured("2026-11-21T10:00:00Z", "2026-12-02T04:00:00Z", None));
        assert!(
            apart.contains("kunit.py / zlab end to end: not compared, kunit.py (d2) and the cold build (d1) come from different runs"),
            "{apart}"
        );
        assert!(!apart.contains("2.00×"), "{apart}");
        assert!(apart.contains("again with nothing changed: not measured"), "{apart}");

        let unnamed = summary(&measured("", "", None));
        assert!(unnamed.contains("not compared"), "results written before runs had names: {unnamed}");
    }
}
