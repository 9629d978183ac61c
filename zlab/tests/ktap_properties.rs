//! Properties of the KTAP parser and the verdict on generated consoles (tests/ktap_gen): each
//! parses to the results it was printed from, whatever the style and the noise around it;
//! stopping it anywhere is incomplete exactly while a suite is open; edited or random text
//! keeps every invariant of tests/console_invariants. proptest shrinks a failure to a small
//! console and records its seed in proptest-regressions/, which later runs try first.
//! `PROPTEST_CASES=20000 cargo test --test ktap_properties` searches longer.

mod console_invariants;
mod ktap_gen;

use console_invariants::check_console;
use ktap_gen::{Case, KtapRun, Line, Style};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::FileFailurePersistence;
use zlab::judge::ktap::{self, Report};

fn parse_lines(lines: &[Line], style: &Style) -> Report {
    ktap::parse(&ktap_gen::console(lines, style))
}

/// Every result's diagnostics, depth first, without their leading spaces.
fn diagnostics(report: &Report) -> Vec<Vec<String>> {
    fn walk(result: &ktap::TestResult, out: &mut Vec<Vec<String>>) {
        out.push(result.diagnostics.iter().map(|d| d.trim_start().to_string()).collect());
        result.children.iter().for_each(|c| walk(c, out));
    }
    let mut out = Vec::new();
    report.suites.iter().for_each(|s| walk(s, &mut out));
    out
}

/// Fragments of KTAP, faults and init's markers, for text that is almost but not quite right.
const PIECES: &[&str] = &[
    "KTAP version 1",
    "TAP version 14",
    "1..",
    "ok ",
    "not ok ",
    "# Subtest: ",
    "# ",
    " # SKIP ",
    " # TODO",
    "    ",
    "        ",
    "\n",
    "\r\n",
    "[    1.234567] ",
    "[    T1] ",
    "[",
    "]",
    "Kernel panic - not syncing: ",
    "Oops: 0004 ilc:3 [#1]",
    "x: 0040 ilc:2 [#",
    "BUG: ",
    "WARNING: ",
    "kernel BUG at x:1!",
    "x: panicked at ",
    "18446744073709551616",
    "0",
    "7",
    "é",
    "\u{0}",
    "zlab-init: start",
    "zlab-init: end",
    "zlab-step 1 begin",
    "zlab-step 2 end rc=",
    "zlab-step 99 end rc=7",
    "zlab-out 1| ",
    "zlab-out 2|",
];

fn ktap_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        3 => select(PIECES).prop_map(|p| p.as_bytes().to_vec()),
        1 => any::<u8>().prop_map(|b| vec![b]),
    ];
    vec(piece, 0..120).prop_map(|pieces| pieces.concat())
}

#[derive(Debug, Clone)]
enum Edit {
    Delete,
    Duplicate,
    SwapWithNext,
    Indent(usize),
    Dedent,
    Cut(Index),
    Insert(&'static str),
}

fn edit() -> impl Strategy<Value = (Index, Edit)> {
    let edit = prop_oneof![
        Just(Edit::Delete),
        Just(Edit::Duplicate),
        Just(Edit::SwapWithNext),
        (1..70usize).prop_map(Edit::Indent),
        Just(Edit::Dedent),
        any::<Index>().prop_map(Edit::Cut),
        select(PIECES).prop_map(Edit::Insert),
    ];
    (any::<Index>(), edit)
}

fn apply(lines: &mut Vec<String>, (at, edit): &(Index, Edit)) {
    if lines.is_empty() {
        return;
    }
    let i = at.index(lines.len());
    match edit {
        Edit::Delete => drop(lines.remove(i)),
        Edit::Duplicate => lines.insert(i, lines[i].clone()),
        Edit::SwapWithNext => {
            let next = (i + 1) % lines.len();
            lines.swap(i, next)
        }
        Edit::Indent(n) => lines[i].insert_str(0, &" ".repeat(*n)),
        Edit::Dedent => lines[i] = lines[i].trim_start().to_string(),
        Edit::Cut(at) => {
            let line = &mut lines[i];
            let mut end = at.index(line.len() + 1);
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            line.truncate(end);
        }
        Edit::Insert(piece) => lines.insert(i, piece.to_string()),
    }
}

proptest! {
    // Beside this file, as tests/ktap_properties.proptest-regressions (proptest looks for a lib.rs
    // or main.rs first, which tests/ has none of).
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_ktap_parses_to_the_results_it_prints(runs in ktap_gen::ktap_runs(), style in ktap_gen::style()) {
        let lines = ktap_gen::render(&runs, &style);
        let report = parse_lines(&lines, &style);
        prop_assert!(report.is_complete(), "{:?}", report.problems);
        let shapes: Vec<ktap_gen::Shape> = report.suites.iter().map(ktap_gen::Shape::of).collect();
        prop_assert_eq!(shapes, ktap_gen::shapes(&runs));
        prop_assert_eq!(report.counts(), ktap_gen::counts(&runs));
        prop_assert_eq!(report.failures(), ktap_gen::failures(&runs));
    }

    #[test]
    fn the_same_results_in_another_style_or_noise_parse_the_same(
        runs in ktap_gen::ktap_runs(),
        a in ktap_gen::style(),
        b in ktap_gen::style(),
    ) {
        let report_a = parse_lines(&ktap_gen::render(&runs, &a), &a);
        let report_b = parse_lines(&ktap_gen::render(&runs, &b), &b);
        prop_assert_eq!(report_a.suites.iter().map(ktap_gen::Shape::of).collect::<Vec<_>>(),
                        report_b.suites.iter().map(ktap_gen::Shape::of).collect::<Vec<_>>());
        prop_assert_eq!(report_a.failures(), report_b.failures());
        // The diagnostics too, but for their indentation, which follows the nesting unit.
        prop_assert_eq!(diagnostics(&report_a), diagnostics(&report_b));
    }

    #[test]
    fn indented_text_between_suites_changes_nothing(
        runs in ktap_gen::ktap_runs(),
        style in ktap_gen::style(),
        inserts in vec((any::<Index>(), 1..70usize, ktap_gen::noise_line()), 1..6),
    ) {
        let mut lines = ktap_gen::render(&runs, &style);
        let report = parse_lines(&lines, &style);
        for (at, indent, text) in inserts {
            let between: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].between_suites).collect();
            let after = between[at.index(between.len())];
            let text = format!("{}{text}", " ".repeat(indent));
            lines.insert(after + 1, Line { text, ..lines[after].clone() });
        }
        prop_assert_eq!(parse_lines(&lines, &style), report);
    }

    #[test]
    fn a_stream_stopped_after_any_line_is_incomplete_exactly_while_a_suite_or_plan_is_open(
        runs in ktap_gen::ktap_runs(),
        style in ktap_gen::style(),
        cut in any::<Index>(),
    ) {
        let lines = ktap_gen::render(&runs, &style);
        let kept = cut.index(lines.len()) + 1;
        let report = parse_lines(&lines[..kept], &style);
        let console = ktap_gen::console(&lines[..kept], &style);
        prop_assert_eq!(report.is_complete(), lines[kept - 1].complete_after, "{:?} in\n{}", report.problems, console);
    }

    #[test]
    fn edited_ktap_keeps_every_invariant(
        runs in ktap_gen::ktap_runs(),
        style in ktap_gen::style(),
        edits in vec(edit(), 1..8),
    ) {
        let mut lines: Vec<String> = ktap_gen::render(&runs, &style).into_iter().map(|l| l.text).collect();
        for e in &edits {
            apply(&mut lines, e);
        }
        check_console(&lines.join("\n"));
    }

    #[test]
    fn ktap_like_bytes_keep_every_invariant(bytes in ktap_like_bytes()) {
        check_console(&String::from_utf8_lossy(&bytes));
    }
}

/// The renderer prints what KUnit prints (lib/kunit/test.c), so the properties are about the real format.
#[test]
fn one_generated_console_reads_as_kunit_prints_it() {
    let leaf = |name: &str, ok: bool| Case {
        name: name.to_string(),
        ok,
        directive: None,
        reason: (!ok).then(|| "EXPECTATION FAILED at lib/x.c:3".to_string()),
        children: vec![],
        header: ktap_gen::Header { version: true, subtest: true, attribute: false, plan: true },
    };
    let suite = Case { children: vec![leaf("a", true), leaf("b", false)], ..leaf("s", false) };
    let runs = [KtapRun { version: Some("KTAP version 1"), plan: true, cases: vec![suite] }];
    let style =
        Style { indent: "    ", dash: false, crlf: false, prefixes: vec![ktap_gen::Prefix::None], noise: vec![None] };
    let text = ktap_gen::console(&ktap_gen::render(&runs, &style), &style);
    assert_eq!(
        text,
        "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..2\n    ok 1 a\n\
         \x20   # b: EXPECTATION FAILED at lib/x.c:3\n    Expected a == b, but\n    not ok 2 b\n\
         # s: pass:1 fail:1 skip:0 total:2\n# s: EXPECTATION FAILED at lib/x.c:3\nExpected a == b, but\nnot ok 1 s\n"
    );
    assert_eq!(ktap_gen::failures(&runs), ["s.b: EXPECTATION FAILED at lib/x.c:3"]);
}
