//! Generated KTAP: a tree of test results (the model) and the console that prints it, as KUnit
//! (lib/kunit/test.c) or the KTAP spec would, in any of the styles the parser accepts: nesting
//! by one, two, four or eight spaces or a tab (older kernels' KUnit), KTAP or TAP version lines,
//! optional headers and plans, `- ` before names, directives, failure diagnostics, printk
//! prefixes, CRLF, and unrelated lines in between.

#![allow(dead_code)] // each test crate uses a part

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use zlab::judge::ktap::{Counts, Outcome, TestResult};

/// One result line and, for a suite, the block of results printed before it.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub ok: bool,
    /// Text after ` # ` on the result line: `SKIP reason`, `TODO`, `TIMEOUT 30 seconds`.
    pub directive: Option<String>,
    /// Printed as `# name: reason` just before the result line.
    pub reason: Option<String>,
    pub children: Vec<Case>,
    /// Which header lines open the children's block; at least one, so the block exists before
    /// its first diagnostic.
    pub header: Header,
}

#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub version: bool,
    pub subtest: bool,
    pub attribute: bool,
    pub plan: bool,
}

/// One KTAP run: KUnit prints one at boot and one per module it loads.
#[derive(Debug, Clone)]
pub struct KtapRun {
    pub version: Option<&'static str>,
    pub plan: bool,
    pub cases: Vec<Case>,
}

#[derive(Debug, Clone)]
pub struct Style {
    /// One level of nesting: spaces, or a tab.
    pub indent: &'static str,
    pub dash: bool,
    pub crlf: bool,
    /// Cycled over the lines: which printk prefix each line gets.
    pub prefixes: Vec<Prefix>,
    /// Cycled over the lines: what unrelated line, if any, follows each.
    pub noise: Vec<Option<String>>,
}

#[derive(Debug, Clone, Copy)]
pub enum Prefix {
    None,
    Time,
    TimeAndCaller,
    Caller,
}

/// The parts of a parsed result the model predicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    pub name: String,
    pub number: u64,
    pub outcome: Outcome,
    pub directive: Option<String>,
    pub children: Vec<Shape>,
}

impl Shape {
    pub fn of(result: &TestResult) -> Shape {
        Shape {
            name: result.name.clone(),
            number: result.number,
            outcome: result.outcome,
            directive: result.directive.clone(),
            children: result.children.iter().map(Shape::of).collect(),
        }
    }
}

impl Case {
    /// What the KTAP spec says the result line means.
    pub fn outcome(&self) -> Outcome {
        let keyword = self.directive.as_deref().and_then(|d| d.split_whitespace().next()).map(str::to_ascii_uppercase);
        match keyword.as_deref() {
            Some("SKIP" | "SKIPPED") => Outcome::Skip,
            Some("TODO" | "XFAIL") => Outcome::Todo,
            _ if self.ok => Outcome::Pass,
            _ => Outcome::Fail,
        }
    }

    pub fn shape(&self, number: u64) -> Shape {
        Shape {
            name: self.name.clone(),
            number,
            outcome: self.outcome(),
            directive: self.directive.clone(),
            children: numbered(&self.children).map(|(n, c)| c.shape(n)).collect(),
        }
    }

    /// Leaves below (or at) this case, and one failure more for a failed case none of whose
    /// tests failed and some passed, as kunit.py counts them (`bubble_up_test_results`).
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        if self.children.is_empty() {
            match self.outcome() {
                Outcome::Pass => counts.passed = 1,
                Outcome::Fail => counts.failed = 1,
                Outcome::Skip | Outcome::Todo => counts.skipped = 1,
            }
            return counts;
        }
        counts = self.children.iter().map(Case::counts).fold(counts, add);
        if self.outcome() == Outcome::Fail && counts.failed == 0 && counts.passed > 0 {
            counts.failed += 1;
        }
        counts
    }

    /// `Report::failures` as documented: `path: reason` for each failed leaf and each failed
    /// parent none of whose descendants failed; a case without a reason takes its parent's.
    fn failures(&self, parent: &str, inherited: Option<&str>, out: &mut Vec<String>) -> bool {
        let path = if parent.is_empty() { self.name.clone() } else { format!("{parent}.{}", self.name) };
        let reason = self.reason.as_deref().or(inherited);
        let mut reported = false;
        for child in &self.children {
            reported |= child.failures(&path, reason, out);
        }
        if !reported && self.outcome() == Outcome::Fail {
            let fallback = match &self.directive {
                Some(d) => format!("not ok # {d}"),
                None => "not ok".to_string(),
            };
            out.push(format!("{path}: {}", reason.unwrap_or(&fallback)));
            reported = true;
        }
        reported
    }

    /// Every case passes (or is skipped): no `not ok` line left.
    pub fn passing(mut self) -> Case {
        self.ok = true;
        self.children = self.children.into_iter().map(Case::passing).collect();
        self
    }
}

fn add(a: Counts, b: Counts) -> Counts {
    Counts { passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped }
}

fn numbered(cases: &[Case]) -> impl Iterator<Item = (u64, &Case)> {
    (1..).zip(cases)
}

pub fn shapes(runs: &[KtapRun]) -> Vec<Shape> {
    runs.iter().flat_map(|run| numbered(&run.cases).map(|(n, c)| c.shape(n))).collect()
}

pub fn counts(runs: &[KtapRun]) -> Counts {
    runs.iter().flat_map(|run| &run.cases).map(Case::counts).fold(Counts::default(), add)
}

pub fn failures(runs: &[KtapRun]) -> Vec<String> {
    let mut out = Vec::new();
    for case in runs.iter().flat_map(|run| &run.cases) {
        case.failures("", None, &mut out);
    }
    out
}

/// A rendered console line and whether the KTAP stream would be complete if it stopped there.
#[derive(Debug, Clone)]
pub struct Line {
    pub text: String,
    pub complete_after: bool,
    /// Whether every suite opened so far has printed its result.
    pub between_suites: bool,
}

pub fn render(runs: &[KtapRun], style: &Style) -> Vec<Line> {
    let mut out = Renderer { style, lines: Vec::new(), open_suites: 0, plan: None, printed: 0 };
    for run in runs {
        if let Some(version) = run.version {
            out.line(0, version);
        }
        // A result numbered 1 without a header starts a new run as well.
        out.plan = run.plan.then_some(run.cases.len());
        out.printed = 0;
        if run.plan {
            out.line(0, &format!("1..{}", run.cases.len()));
        }
        for (number, case) in numbered(&run.cases) {
            out.case(case, number, 0);
        }
    }
    out.lines
}

pub fn console(lines: &[Line], style: &Style) -> String {
    let end = if style.crlf { "\r\n" } else { "\n" };
    lines.iter().map(|l| format!("{}{end}", l.text)).collect()
}

struct Renderer<'a> {
    style: &'a Style,
    lines: Vec<Line>,
    /// Suites whose result line has not been printed yet.
    open_suites: usize,
    plan: Option<usize>,
    printed: usize,
}

impl Renderer<'_> {
    fn line(&mut self, depth: usize, text: &str) {
        let i = self.lines.len();
        let prefix = match self.style.prefixes[i % self.style.prefixes.len()] {
            Prefix::None => String::new(),
            Prefix::Time => format!("[{:5}.{:06}] ", i / 1000, i % 1000 * 7),
            Prefix::TimeAndCaller => format!("[{:5}.{:06}][    T{}] ", i / 1000, i % 1000 * 7, i % 3 + 1),
            Prefix::Caller => format!("[    C{}] ", i % 2),
        };
        let indent = self.style.indent.repeat(depth);
        let between_suites = self.open_suites == 0;
        let complete_after = between_suites && self.plan.is_none_or(|plan| plan == self.printed);
        self.lines.push(Line { text: format!("{prefix}{indent}{text}"), complete_after, between_suites });
        if let Some(noise) = &self.style.noise[i % self.style.noise.len()] {
            self.lines.push(Line { text: noise.clone(), complete_after, between_suites });
        }
    }

    fn case(&mut self, case: &Case, number: u64, depth: usize) {
        if !case.children.is_empty() {
            // The block opens with its first header line; an attribute alone is a diagnostic.
            let header = case.header;
            let opened_early = header.version || header.subtest;
            self.open_suites += usize::from(opened_early);
            if header.version {
                self.line(depth + 1, "KTAP version 1");
            }
            if header.subtest {
                self.line(depth + 1, &format!("# Subtest: {}", case.name));
            }
            if header.attribute {
                self.line(depth + 1, "# speed: normal");
            }
            self.open_suites += usize::from(!opened_early);
            if header.plan {
                self.line(depth + 1, &format!("1..{}", case.children.len()));
            }
            for (n, child) in numbered(&case.children) {
                self.case(child, n, depth + 1);
            }
            let c = case.counts();
            let stats = format!("pass:{} fail:{} skip:{} total:{}", c.passed, c.failed, c.skipped, c.total());
            self.line(depth, &format!("# {}: {stats}", case.name));
        }
        if let Some(reason) = &case.reason {
            self.line(depth, &format!("# {}: {reason}", case.name));
            self.line(depth, "Expected a == b, but");
        }
        if !case.children.is_empty() {
            self.open_suites -= 1;
        }
        if depth == 0 {
            self.printed += 1;
        }
        let status = if case.ok { "ok" } else { "not ok" };
        let dash = if self.style.dash { "- " } else { "" };
        let directive = case.directive.as_ref().map(|d| format!(" # {d}")).unwrap_or_default();
        self.line(depth, &format!("{status} {number} {dash}{}{directive}", case.name));
    }
}

// ---- strategies ----

/// Test names as KUnit prints them; never `speed` and the like, which read as attributes.
pub fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_-]{0,12}".prop_filter("an attribute key", |n| !matches!(n.as_str(), "speed" | "module" | "is_init"))
}

fn directive() -> impl Strategy<Value = Option<String>> {
    let keyword = select(&["SKIP", "skip", "SKIPPED", "TODO", "XFAIL", "TIMEOUT", "slow"][..]);
    let reason = option::of(select(&["not supported", "requires CONFIG_NUMA", "30 seconds"][..]));
    option::weighted(
        0.25,
        (keyword, reason).prop_map(|(k, r)| match r {
            Some(r) => format!("{k} {r}"),
            None => k.to_string(),
        }),
    )
}

fn reason() -> impl Strategy<Value = Option<String>> {
    const REASONS: &[&str] = &[
        "EXPECTATION FAILED at lib/kunit/kunit-example-test.c:212",
        "ASSERTION FAILED at rust/kernel/sync/arc.rs:28",
        "failed to initialize (-12)",
        "suite exit failed",
    ];
    option::weighted(0.3, select(REASONS).prop_map(str::to_string))
}

fn header() -> impl Strategy<Value = Header> {
    any::<[bool; 4]>().prop_map(|[version, subtest, attribute, plan]| Header {
        version,
        subtest: subtest || !(version || plan),
        attribute,
        plan,
    })
}

/// Cases nested up to three deep (suite, case, parameter), mostly passing.
pub fn case() -> impl Strategy<Value = Case> {
    let ok = prop::bool::weighted(0.8);
    let leaf = (name(), ok, directive(), reason(), header()).prop_map(|(name, ok, directive, reason, header)| Case {
        name,
        ok,
        directive,
        reason,
        children: vec![],
        header,
    });
    leaf.prop_recursive(3, 40, 6, move |inner| {
        (name(), ok, directive(), reason(), header(), vec(inner, 1..6)).prop_map(
            |(name, ok, directive, reason, header, children)| Case { name, ok, directive, reason, children, header },
        )
    })
}

pub fn ktap_run() -> impl Strategy<Value = KtapRun> {
    let version = option::weighted(0.8, select(&["KTAP version 1", "TAP version 14"][..]));
    (version, prop::bool::weighted(0.8), vec(case(), 1..4)).prop_map(|(version, plan, cases)| KtapRun {
        version,
        plan,
        cases,
    })
}

pub fn ktap_runs() -> impl Strategy<Value = Vec<KtapRun>> {
    vec(ktap_run(), 1..4)
}

/// A console line that is neither KTAP (no leading space, `#`, `ok `, plan or version) nor a
/// kernel fault header.
pub fn noise_line() -> impl Strategy<Value = String> {
    const SEEN: &[&str] = &[
        "",
        "[    0.000000] Linux version 7.3.0 (root@zlab) #1 SMP",
        "[    1.240500] sclp_vt220: something unrelated",
        "[    2.000000] random: crng init done",
        "[ OK ] Started foo",
        "Run /init as init process",
        "ok",
        "okay then",
        "not okay",
        "1..x",
        "KTAP",
        "TAP version",
        "zlab-init: start",
        "rcu: panic_on_rcu_stall is 0",
    ];
    let text = "[a-z][a-z0-9 =,./-]{0,40}"
        .prop_filter("a result line", |t| !t.starts_with("ok ") && !t.starts_with("not ok "));
    prop_oneof![select(SEEN).prop_map(str::to_string), text]
}

pub fn style() -> impl Strategy<Value = Style> {
    let prefix = prop_oneof![Just(Prefix::None), Just(Prefix::Time), Just(Prefix::TimeAndCaller), Just(Prefix::Caller)];
    (
        select(&[" ", "  ", "    ", "        ", "\t"][..]),
        any::<bool>(),
        any::<bool>(),
        vec(prefix, 1..8),
        vec(option::weighted(0.3, noise_line()), 1..12),
    )
        .prop_map(|(indent, dash, crlf, prefixes, noise)| Style { indent, dash, crlf, prefixes, noise })
}
