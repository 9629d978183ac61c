//! The bench chart as SVG: one group of horizontal bars per measurement, each group on its own
//! scale, the value printed at each bar's end.

use super::results::Results;
use super::warm::OTHER;
use crate::run::phases::NAMES as PHASES;
use std::fmt::Write;

const WIDTH: f64 = 760.0;
const LABEL: f64 = 250.0;
const BAR_AREA: f64 = 400.0;
const ROW: f64 = 24.0;

struct Group {
    title: String,
    bars: Vec<(String, f64)>,
}

pub fn render(r: &Results) -> String {
    let groups = groups(r);
    let rows: usize = groups.iter().map(|g| g.bars.len() + 2).sum();
    let height = rows as f64 * ROW + ROW;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"13\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let mut y = ROW;
    for group in &groups {
        let _ = writeln!(svg, "<text x=\"8\" y=\"{y}\" font-weight=\"bold\">{}</text>", escape(&group.title));
        y += ROW * 0.5;
        let max = group.bars.iter().map(|b| b.1).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
        for (label, seconds) in &group.bars {
            let w = (seconds / max * BAR_AREA).max(1.0);
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                LABEL - 8.0,
                y + 15.0,
                escape(label)
            );
            let _ = writeln!(
                svg,
                "<rect x=\"{LABEL}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" fill=\"#3b6ea8\"/>",
                y + 3.0,
                ROW - 6.0
            );
            let _ = writeln!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\">{}</text>",
                LABEL + w + 6.0,
                y + 15.0,
                format_seconds(*seconds)
            );
            y += ROW;
        }
        y += ROW * 1.5;
    }
    svg.push_str("</svg>\n");
    svg
}

fn groups(r: &Results) -> Vec<Group> {
    let mut groups = Vec::new();
    if let Some(w) = &r.warm {
        let mut bars: Vec<(String, f64)> = PHASES
            .iter()
            .chain([&OTHER])
            .filter_map(|p| Some((p.replace('_', " "), w.phases.get(*p)?.median)))
            .collect();
        bars.push(("whole loop, resumed".into(), w.wall.median));
        if let Some(booted) = &r.warm_booted {
            bars.push(("whole loop, booted (--boot)".into(), booted.wall.median));
        }
        groups
            .push(Group { title: format!("Warm loop: touch {} → zlab test {} (median)", w.touched, w.check), bars });
    }
    if let Some((p, booted)) = r.parallel.as_ref().and_then(|p| Some((p, p.serial_booted?))) {
        groups.push(Group {
            title: format!("Every check ({}), zlab test -j 1 (median)", p.checks),
            bars: vec![("resumed".into(), p.serial.median), ("booted in full (--boot)".into(), booted.median)],
        });
    }
    if let Some(d) = &r.doctests {
        groups.push(Group {
            title: format!("Boot with all {} Rust KUnit tests (median)", d.tests_passed),
            bars: vec![
                ("guest: boot to init".into(), d.guest_boot_to_init.median),
                ("guest: KUnit run".into(), d.guest_kunit_run.median),
                ("host: QEMU start to exit".into(), d.wall_boot.median),
            ],
        });
    }
    // Bars side by side come from one run, as the summary's ratios do.
    if let (Some(c), Some(p)) = (&r.cold, r.peer.as_ref().filter(|p| same_run(r, &p.run))) {
        groups.push(Group {
            title: "From an empty build dir to the Rust doctests' results".into(),
            bars: vec![("zlab (build + test)".into(), c.end_to_end()), ("kunit.py run".into(), p.wall_seconds)],
        });
    }
    if let (Some(again), Some(d)) = (&r.peer_again, &r.doctests) {
        groups.push(Group {
            title: "The same again, nothing changed (each tool's edit loop)".into(),
            bars: vec![("zlab test rust-doctests".into(), d.wall_check.median), ("kunit.py run".into(), again.seconds)],
        });
    }
    if let (Some(c), Some(d)) = (&r.cold, r.defconfig.as_ref().filter(|d| same_run(r, &d.run))) {
        groups.push(Group {
            title: "Kernel build from nothing (same tree, toolchain, -j)".into(),
            bars: vec![("zlab test kernel".into(), c.build_seconds), ("s390 defconfig + RUST".into(), d.build_seconds)],
        });
    }
    groups
}

/// Whether a measurement of run `run` comes from the same run as the cold build.
fn same_run(r: &Results, run: &str) -> bool {
    r.cold.as_ref().is_some_and(|c| super::results::one_run(&c.run, run))
}

fn format_seconds(s: f64) -> String {
    if s >= 60.0 {
        format!("{:.0} s ({:.1} min)", s, s / 60.0)
    } else {
        format!("{s:.2} s")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stats::Stats;
    use crate::bench::warm::EditLoop;

    #[test]
    fn bars_scale_within_their_group_and_the_svg_is_well_formed() {
        let s = |m| Stats { min: m, median: m, max: m };
        let warm = EditLoop {
            check: "hello".into(),
            touched: "modules/hello/*.rs".into(),
            runs: 3,
            wall: s(2.0),
            phases: [("modules".to_string(), s(1.0)), ("boot_to_init".to_string(), s(0.5))].into_iter().collect(),
            own_share: Some(s(0.1)),
            guest: None,
        };
        let svg = render(&Results { warm: Some(warm), ..Results::default() });
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(
            svg.contains("width=\"400.0\"") && svg.contains("width=\"200.0\"") && svg.contains("width=\"100.0\""),
            "{svg}"
        );
        assert!(svg.contains("→ zlab test hello"));
    }
}
