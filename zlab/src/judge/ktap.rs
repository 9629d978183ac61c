//! KTAP (v1) parser for kernel serial consoles.
//!
//! The console is a mix of printk lines (`[    1.234567] text`), userspace
//! output and KUnit's KTAP stream. Nesting is given by indentation: KUnit
//! indents each level by four spaces (lib/kunit/test.c, KUNIT_SUBTEST_INDENT),
//! older kernels' KUnit by a tab, the KTAP spec by two; we key blocks by their
//! indentation in columns (a tab to the next multiple of 8) so all of them work.
//! The kernel's own reader, tools/testing/kunit/kunit_parser.py, goes by the
//! order of header, plan and result lines and ignores indentation; where the
//! two could differ (a whole run printed indented, results indented deeper
//! than their header) this parser reads what kunit.py reads.
//!
//! Diagnostic (`# ...`) lines belong to the result that *follows* them at the
//! same level (the KTAP rule, and what KUnit does: the `ASSERTION FAILED`
//! line is printed before `not ok N name`).

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;

/// Lines indented deeper than this (in columns) are treated as plain text, which
/// bounds the nesting depth (and therefore recursion in `counts`/`failures`/drop).
const MAX_INDENT: usize = 64;

/// Tab stops, as a terminal shows a console: every 8 columns.
const TAB: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
    Todo,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestResult {
    pub name: String,
    pub number: u64,
    pub outcome: Outcome,
    /// Text after the `#` on the result line, e.g. `SKIP not supported`.
    pub directive: Option<String>,
    pub children: Vec<TestResult>,
    /// Diagnostic lines printed before this result at its level (`# ...` and
    /// indented free text such as KUnit's `Expected x == y` detail lines).
    pub diagnostics: Vec<String>,
    /// Made up for a subtest whose own result line never came (the stream
    /// stopped or moved on first): failed, as kunit.py's "crashed".
    pub unclosed: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub suites: Vec<TestResult>,
    pub problems: Vec<String>,
    /// Subtests that printed their header (`KTAP version`, `# Subtest:`),
    /// then `ok` with no result between: they said they passed and ran
    /// nothing (kunit.py: "0 tests run!"). KUnit itself prints `# SKIP` there.
    pub ran_nothing: Vec<String>,
    /// Whether any KTAP was printed: a version line, plan, subtest header or
    /// result. A KUnit run with nothing to run prints `KTAP version 1` and
    /// `1..0` (the kernel's executor, when `kunit.filter_glob` matches no suite).
    pub ktap_seen: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.passed + self.failed + self.skipped
    }

    fn add(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed, {} skipped", self.passed, self.failed, self.skipped)
    }
}

impl TestResult {
    /// Leaf test cases below (or at) this result, counted as kunit.py counts
    /// them (its `bubble_up_test_results`): a parent that says `not ok` though
    /// every test under it passed is one failure more.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        if self.children.is_empty() {
            match self.outcome {
                Outcome::Pass => counts.passed = 1,
                Outcome::Fail => counts.failed = 1,
                Outcome::Skip | Outcome::Todo => counts.skipped = 1,
            }
        } else {
            for child in &self.children {
                counts.add(child.counts());
            }
            if self.outcome == Outcome::Fail && !self.unclosed && counts.failed == 0 && counts.passed > 0 {
                counts.failed += 1;
            }
        }
        counts
    }
}

impl Report {
    pub fn is_complete(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for suite in &self.suites {
            counts.add(suite.counts());
        }
        counts
    }

    /// The first top-level result with this name.
    pub fn suite(&self, name: &str) -> Option<&TestResult> {
        self.suites.iter().find(|s| s.name == name)
    }

    /// `suite.case: reason` for every failed leaf, and for every failed
    /// parent none of whose descendants failed.
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for suite in &self.suites {
            collect_failures(suite, "", None, &mut out);
        }
        out
    }
}

/// Returns whether anything was reported for `node` or below.
fn collect_failures(
    node: &TestResult,
    parent_path: &str,
    inherited_reason: Option<&str>,
    out: &mut Vec<String>,
) -> bool {
    let path = if parent_path.is_empty() { node.name.clone() } else { format!("{parent_path}.{}", node.name) };
    let own_reason = failure_reason(node);
    // KUnit prints a parameterised case's assertion at the case's level, so
    // a failed parameter often only has a reason on its parent.
    let reason = own_reason.as_deref().or(inherited_reason);
    let mut reported = false;
    for child in &node.children {
        reported |= collect_failures(child, &path, reason, out);
    }
    if !reported && node.outcome == Outcome::Fail {
        let fallback = match &node.directive {
            Some(d) => format!("not ok # {d}"),
            None => "not ok".to_string(),
        };
        out.push(format!("{path}: {}", reason.unwrap_or(&fallback)));
        reported = true;
    }
    reported
}

/// The first `#` diagnostic that says something about the failure, without
/// the `# name: ` prefix KUnit puts on it.
pub fn failure_reason(node: &TestResult) -> Option<String> {
    let own_prefix = format!("{}: ", node.name);
    node.diagnostics
        .iter()
        .filter_map(|d| d.trim_start().strip_prefix('#'))
        .map(str::trim)
        .filter(|d| !d.is_empty() && !is_metadata(d))
        .map(|d| {
            let d = d.strip_prefix(own_prefix.as_str()).unwrap_or(d);
            d.trim_start_matches(|c: char| c == '#' || c.is_whitespace()).to_string()
        })
        .find(|d| !d.is_empty())
}

/// Attribute, header and statistics lines: `# speed: slow`,
/// `# case.location: file:line`, `# Subtest: x`, `# x: pass:1 fail:0 ...`.
fn is_metadata(diagnostic: &str) -> bool {
    let Some((key, value)) = diagnostic.split_once(": ") else {
        return false;
    };
    let is_stats = value.starts_with("pass:") && value.contains(" total:");
    let is_attribute = !key.contains(char::is_whitespace)
        && (key.contains('.') || matches!(key, "Subtest" | "speed" | "module" | "is_init"));
    is_stats || is_attribute
}

/// The message of a printk console line without its `[    1.234567] ` time
/// and/or `[    T1] ` caller prefix, or `None` if the line has no prefix.
pub fn strip_printk_prefix(line: &str) -> Option<&str> {
    let mut rest = line;
    let mut found = false;
    for _ in 0..2 {
        let Some(inner_and_tail) = rest.strip_prefix('[') else {
            break;
        };
        let Some((inner, tail)) = inner_and_tail.split_once(']') else {
            break;
        };
        if !is_printk_time(inner) && !is_printk_caller(inner) {
            break;
        }
        rest = tail;
        found = true;
    }
    if !found {
        return None;
    }
    // printk adds exactly one space; anything further is the message's own
    // indentation, which carries KTAP nesting.
    Some(rest.strip_prefix(' ').unwrap_or(rest))
}

/// The seconds of a printk console line's `[    1.234567] ` time prefix.
pub fn printk_time(line: &str) -> Option<f64> {
    let inner = line.strip_prefix('[')?.split_once(']')?.0;
    is_printk_time(inner).then(|| inner.trim().parse().ok()).flatten()
}

fn is_printk_time(inner: &str) -> bool {
    let Some((secs, micros)) = inner.trim_start().split_once('.') else {
        return false;
    };
    !secs.is_empty()
        && !micros.is_empty()
        && secs.bytes().all(|b| b.is_ascii_digit())
        && micros.bytes().all(|b| b.is_ascii_digit())
}

fn is_printk_caller(inner: &str) -> bool {
    let id = inner.trim_start();
    let mut chars = id.chars();
    matches!(chars.next(), Some('T' | 'C'))
        && !chars.as_str().is_empty()
        && chars.as_str().bytes().all(|b| b.is_ascii_digit())
}

/// A line's indentation in columns (spaces, and tabs to the next stop) and
/// the rest of it.
fn indentation(message: &str) -> (usize, &str) {
    let mut columns = 0;
    for (i, c) in message.char_indices() {
        match c {
            ' ' => columns += 1,
            '\t' => columns = (columns / TAB + 1) * TAB,
            _ => return (columns, &message[i..]),
        }
    }
    (columns, "")
}

/// `message` without its first `columns` columns of indentation (fewer if
/// it has fewer, or a tab reaching past them).
fn after_columns(message: &str, columns: usize) -> &str {
    let mut at = 0;
    for (i, c) in message.char_indices() {
        if at >= columns {
            return &message[i..];
        }
        match c {
            ' ' => at += 1,
            '\t' => at = (at / TAB + 1) * TAB,
            _ => return &message[i..],
        }
    }
    ""
}

pub fn parse(console: &str) -> Report {
    let mut parser = Parser::new();
    for line in console.lines() {
        parser.feed(line);
    }
    parser.finish()
}

enum Line<'a> {
    /// `KTAP version 1`, or `TAP version 14` (`tap`), which KUnit printed at the top level only.
    Version {
        tap: bool,
    },
    Subtest(&'a str),
    Plan(u64),
    Result(ParsedResult),
    Diagnostic,
    Text,
}

struct ParsedResult {
    name: String,
    number: u64,
    outcome: Outcome,
    directive: Option<String>,
}

fn classify(content: &str) -> Line<'_> {
    if content.starts_with("KTAP version ") {
        return Line::Version { tap: false };
    }
    if content.starts_with("TAP version ") {
        return Line::Version { tap: true };
    }
    if let Some(diagnostic) = content.strip_prefix('#') {
        return match diagnostic.trim_start().strip_prefix("Subtest:") {
            Some(name) => Line::Subtest(name.trim()),
            None => Line::Diagnostic,
        };
    }
    if let Some(count) = content.strip_prefix("1..") {
        let count = count.split_whitespace().next().unwrap_or("");
        return match count.parse() {
            Ok(n) => Line::Plan(n),
            Err(_) => Line::Text,
        };
    }
    match parse_result(content) {
        Some(result) => Line::Result(result),
        None => Line::Text,
    }
}

fn parse_result(content: &str) -> Option<ParsedResult> {
    let (ok, rest) = match content.strip_prefix("ok ") {
        Some(rest) => (true, rest),
        None => (false, content.strip_prefix("not ok ")?),
    };
    let rest = rest.trim_start();
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let number: u64 = rest[..digits].parse().ok()?;
    let rest = &rest[digits..];
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim_start();
    let rest = rest.strip_prefix("- ").unwrap_or(rest); // TAP 14 style
    let hash = rest
        .char_indices()
        .find(|&(i, c)| c == '#' && (i == 0 || rest[..i].ends_with(char::is_whitespace)))
        .map(|(i, _)| i);
    let (name, directive) = match hash {
        Some(i) => (&rest[..i], Some(rest[i + 1..].trim())),
        None => (rest, None),
    };
    let directive = directive.filter(|d| !d.is_empty());
    let keyword = directive.and_then(|d| d.split_whitespace().next()).map(str::to_ascii_uppercase);
    let outcome = match keyword.as_deref() {
        Some("SKIP" | "SKIPPED") => Outcome::Skip,
        Some("TODO" | "XFAIL") => Outcome::Todo,
        _ if ok => Outcome::Pass,
        _ => Outcome::Fail,
    };
    Some(ParsedResult { name: name.trim().to_string(), number, outcome, directive: directive.map(str::to_string) })
}

/// One level of KTAP output: a plan, results and the diagnostics waiting for
/// the next result.
#[derive(Default)]
struct Block {
    indent: usize,
    name: Option<String>,
    plan: Option<u64>,
    results: Vec<TestResult>,
    /// Results actually printed (not synthesised for unclosed subtests).
    printed: u64,
    seen_numbers: HashSet<u64>,
    /// Diagnostics between the subtest's header and its plan (`# module:`),
    /// which describe the subtest itself.
    header_diagnostics: Vec<String>,
    pending: Vec<String>,
    /// A version line opened it.
    has_version: bool,
    /// Opened by `TAP version` (never a subtest's header in KUnit's output)
    /// while no run was open: if no result line closes it, it was a whole
    /// run printed indented (every line of the console behind the same
    /// prefix, which kunit.py strips before reading), not a subtest.
    run_like: bool,
}

impl Block {
    fn at(indent: usize) -> Self {
        Block { indent, ..Block::default() }
    }
}

enum Header<'a> {
    Version { tap: bool },
    Subtest(&'a str),
    Plan(u64),
}

impl Header<'_> {
    /// Whether this header still belongs to `block`, rather than starting a
    /// new one at the same indentation.
    fn continues(&self, block: &Block) -> bool {
        let untouched = block.results.is_empty();
        match self {
            Header::Version { .. } => untouched && block.name.is_none() && block.plan.is_none(),
            Header::Subtest(_) => untouched && block.name.is_none(),
            Header::Plan(_) => untouched && block.plan.is_none(),
        }
    }
}

struct Parser {
    /// `stack[0]` is the top level (indent 0) and is never popped; indents
    /// strictly increase towards the end.
    stack: Vec<Block>,
    /// Top-level results of earlier runs (each insmod starts a new run).
    finished_suites: Vec<TestResult>,
    problems: Vec<String>,
    ran_nothing: Vec<String>,
    ktap_seen: bool,
}

impl Parser {
    fn new() -> Self {
        Parser {
            stack: vec![Block::at(0)],
            finished_suites: Vec::new(),
            problems: Vec::new(),
            ran_nothing: Vec::new(),
            ktap_seen: false,
        }
    }

    fn top(&mut self) -> &mut Block {
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    fn feed(&mut self, line: &str) {
        let message = strip_printk_prefix(line).unwrap_or(line).trim_end();
        let (indent, content) = indentation(message);
        let content = content.trim_start();
        if content.is_empty() {
            return;
        }
        let kind = if indent > MAX_INDENT { Line::Text } else { classify(content) };
        match kind {
            Line::Version { .. } | Line::Plan(_) | Line::Result(_) => self.ktap_seen = true,
            Line::Subtest(_) if indent > 0 => self.ktap_seen = true,
            _ => {}
        }
        match kind {
            Line::Version { tap } => self.header(indent, Header::Version { tap }),
            Line::Subtest(_) if indent == 0 => self.diagnostic(indent, message),
            Line::Subtest(name) => self.header(indent, Header::Subtest(name)),
            Line::Plan(n) => self.header(indent, Header::Plan(n)),
            Line::Result(result) => self.result(indent, result),
            Line::Diagnostic => self.diagnostic(indent, message),
            Line::Text if indent > 0 => self.diagnostic(indent, message),
            Line::Text => {} // ordinary kernel or userspace output
        }
    }

    fn header(&mut self, indent: usize, header: Header<'_>) {
        self.close_unclosed_deeper_than(indent, "the next test started");
        if self.top().indent == indent && !header.continues(&self.stack[self.stack.len() - 1]) {
            if indent == 0 {
                self.start_new_run();
            } else {
                self.close_unclosed_top("the next test started");
                self.stack.push(Block::at(indent));
            }
        } else if self.top().indent < indent {
            let run_like = matches!(header, Header::Version { tap: true }) && self.no_run_open();
            self.stack.push(Block { run_like, ..Block::at(indent) });
        }
        let block = self.top();
        match header {
            Header::Version { .. } => block.has_version = true,
            Header::Subtest(name) => block.name = Some(name.to_string()),
            Header::Plan(n) => {
                block.plan = Some(n);
                if block.results.is_empty() {
                    block.header_diagnostics.append(&mut block.pending);
                }
            }
        }
    }

    /// Whether a version line here would begin a run rather than a subtest:
    /// no subtest is open, and the top level's plan (if any) is met.
    fn no_run_open(&self) -> bool {
        let root = &self.stack[0];
        self.stack.len() == 1
            && match root.plan {
                Some(plan) => root.printed >= plan,
                None => root.results.is_empty() && !root.has_version,
            }
    }

    fn result(&mut self, indent: usize, parsed: ParsedResult) {
        // `KTAP version 1` / `1..1` with the results indented deeper still:
        // kunit.py reads them as that header's, by order.
        let last = self.stack.len() - 1;
        let top = &mut self.stack[last];
        if last > 0 && indent > top.indent && top.results.is_empty() && top.name.is_none() {
            top.indent = indent;
        }
        let subtest = self.pop_subtest_deeper_than(indent);
        if self.top().indent < indent {
            self.stack.push(Block::at(indent));
        }
        // Module suites printed without a fresh KTAP header restart at 1.
        // What was printed just before this result is its diagnostics, not the old run's.
        if indent == 0 && parsed.number == 1 && !self.stack[0].results.is_empty() {
            let pending = std::mem::take(&mut self.stack[0].pending);
            self.start_new_run();
            self.stack[0].pending = pending;
        }

        let mut diagnostics = Vec::new();
        let mut children = Vec::new();
        if let Some(mut subtest) = subtest {
            let label = self.label(subtest.name.as_deref().unwrap_or(&parsed.name));
            if let Some(plan) = subtest.plan.filter(|&n| n != subtest.printed) {
                self.problems
                    .push(format!("{label}: plan announced {plan} results but {} were printed", subtest.printed));
            }
            let opened = subtest.has_version || subtest.name.is_some();
            if opened && subtest.results.is_empty() && parsed.outcome == Outcome::Pass {
                self.ran_nothing
                    .push(format!("{label}: its header was printed, then `ok` with no test result between"));
            }
            diagnostics.append(&mut subtest.header_diagnostics);
            diagnostics.append(&mut subtest.pending);
            children = subtest.results;
        }
        diagnostics.append(&mut self.top().pending);

        if !self.top().seen_numbers.insert(parsed.number) {
            let label = self.label_of_top();
            self.problems.push(format!(
                "{label}: result number {} appears twice (second time for {:?})",
                parsed.number, parsed.name
            ));
        }
        let block = self.top();
        block.printed += 1;
        block.results.push(TestResult {
            name: parsed.name,
            number: parsed.number,
            outcome: parsed.outcome,
            directive: parsed.directive,
            children,
            diagnostics,
            unclosed: false,
        });
    }

    fn diagnostic(&mut self, indent: usize, message: &str) {
        let Some(block) = self.stack.iter_mut().rev().find(|b| b.indent <= indent) else {
            return;
        };
        let text = after_columns(message, block.indent);
        // Free text at top level is ordinary console output, not KTAP.
        if block.indent == 0 && !text.trim_start().starts_with('#') {
            return;
        }
        block.pending.push(text.to_string());
    }

    fn start_new_run(&mut self) {
        self.check_top_level_plan("the next KTAP run started");
        let root = &mut self.stack[0];
        self.finished_suites.append(&mut root.results);
        *root = Block::at(0);
    }

    fn check_top_level_plan(&mut self, what_next: &str) {
        let root = &self.stack[0];
        let problem = match root.plan {
            Some(plan) if root.printed < plan => {
                format!("top level: {} of {plan} suite results, then {what_next}", root.printed)
            }
            Some(plan) if root.printed > plan => {
                format!("top level: plan announced {plan} suites but {} were printed", root.printed)
            }
            _ => return,
        };
        self.problems.push(problem);
    }

    /// Pops every block deeper than `indent`; all but the shallowest were
    /// never closed. The shallowest is returned: its results are the children
    /// of the result line at `indent`.
    fn pop_subtest_deeper_than(&mut self, indent: usize) -> Option<Block> {
        let deeper = self.stack.iter().filter(|b| b.indent > indent).count();
        if deeper == 0 {
            return None;
        }
        for _ in 1..deeper {
            self.close_unclosed_top("its parent's result came first");
        }
        self.stack.pop()
    }

    fn close_unclosed_deeper_than(&mut self, indent: usize, what_next: &str) {
        while self.stack.len() > 1 && self.top().indent > indent {
            self.close_unclosed_top(what_next);
        }
    }

    /// Records a problem for the innermost block, which will get no result
    /// line, and keeps its results under a synthetic failed result.
    fn close_unclosed_top(&mut self, what_next: &str) {
        if self.stack.len() < 2 {
            return;
        }
        if self.stack.len() == 2 && self.top().run_like && self.top().name.is_none() {
            self.promote_top_to_run();
            return;
        }
        let name = self.top().name.clone().unwrap_or_else(|| "(unnamed)".to_string());
        let label = self.label_of_top();
        let Some(block) = self.stack.pop() else {
            return;
        };
        let detail = match block.plan {
            Some(plan) if block.printed < plan => {
                format!("{} of {plan} results, {what_next}", block.printed)
            }
            _ => format!("{} results but no ok/not ok line closing it, {what_next}", block.printed),
        };
        self.problems.push(format!("{label}: {detail}"));
        let mut diagnostics = block.header_diagnostics;
        diagnostics.extend(block.pending);
        diagnostics.push(format!("# {detail}"));
        let parent = self.top();
        parent.results.push(TestResult {
            name,
            number: parent.printed + 1,
            outcome: Outcome::Fail,
            directive: None,
            children: block.results,
            diagnostics,
            unclosed: true,
        });
    }

    /// The indented run that no result line closed becomes the top level:
    /// its results are suites, its plan the run's.
    fn promote_top_to_run(&mut self) {
        let Some(block) = self.stack.pop() else {
            return;
        };
        self.start_new_run();
        let root = &mut self.stack[0];
        root.plan = block.plan;
        root.printed = block.printed;
        root.results = block.results;
        root.seen_numbers = block.seen_numbers;
        root.has_version = true;
    }

    /// How to name a block being closed by the result line `name`.
    fn label(&self, name: &str) -> String {
        describe(&self.stack[1..], name)
    }

    fn label_of_top(&self) -> String {
        match self.stack.split_last() {
            Some((top, [_root, parents @ ..])) => describe(parents, top.name.as_deref().unwrap_or("(unnamed)")),
            _ => "top level".to_string(),
        }
    }

    fn finish(mut self) -> Report {
        self.close_unclosed_deeper_than(0, "the stream stops there");
        self.check_top_level_plan("the stream stops there");
        let mut suites = self.finished_suites;
        suites.append(&mut self.stack[0].results);
        Report { suites, problems: self.problems, ran_nothing: self.ran_nothing, ktap_seen: self.ktap_seen }
    }
}

/// `suite x` for a block directly under the top level, `test x.y.z` deeper;
/// `parents` excludes the top level, and a run printed indented is one.
fn describe(parents: &[Block], name: &str) -> String {
    let parents = match parents.split_first() {
        Some((first, rest)) if first.run_like && first.name.is_none() => rest,
        _ => parents,
    };
    if parents.is_empty() {
        return format!("suite {name}");
    }
    let mut path: Vec<&str> = parents.iter().map(|b| b.name.as_deref().unwrap_or("(unnamed)")).collect();
    path.push(name);
    format!("test {}", path.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The brief's example, reordered the way KUnit prints it: diagnostics
    /// come before the result they describe.
    const DOCTESTS: &str = "\
[    1.234567] KTAP version 1\r
[    1.234600] 1..1\r
[    1.234700]     KTAP version 1\r
[    1.234800]     # Subtest: rust_doctests_kernel\r
[    1.234900]     # speed: normal\r
[    1.235000]     1..4\r
[    1.239000]     # rust_doctest_kernel_alloc_kbox_rs_0.location: rust/kernel/alloc/kbox.rs:5\r
[    1.240000]     ok 1 rust_doctest_kernel_alloc_kbox_rs_0\r
[    1.240500] sclp_vt220: something unrelated\r
[    1.250050]     # rust_doctest_kernel_x.location: rust/kernel/x.rs:8\r
[    1.250100]     # rust_doctest_kernel_x: ASSERTION FAILED at rust/kernel/x.rs:10\r
[    1.250150]     Expected a == b to be true, but is false\r
[    1.250000]     not ok 2 rust_doctest_kernel_x\r
[    1.250200]     ok 3 some_test # SKIP not supported\r
[    1.250300]     ok 4 other # TODO not done\r
[    1.260000] # rust_doctests_kernel: pass:1 fail:1 skip:2 total:4\r
[    1.260100] # Totals: pass:1 fail:1 skip:2 total:4\r
[    1.260200] not ok 1 rust_doctests_kernel\r
";

    #[test]
    fn parses_nested_suite_with_directives_and_diagnostics() {
        let report = parse(DOCTESTS);
        assert!(report.is_complete(), "{:?}", report.problems);
        assert_eq!(report.suites.len(), 1);
        let suite = report.suite("rust_doctests_kernel").expect("suite");
        assert_eq!(suite.outcome, Outcome::Fail);
        assert_eq!(suite.children.len(), 4);
        let failed = &suite.children[1];
        assert_eq!(failed.number, 2);
        assert_eq!(failed.outcome, Outcome::Fail);
        assert_eq!(failed.diagnostics.len(), 3);
        assert_eq!(suite.children[2].outcome, Outcome::Skip);
        assert_eq!(suite.children[2].directive.as_deref(), Some("SKIP not supported"));
        assert_eq!(suite.children[3].outcome, Outcome::Todo);
        assert_eq!(report.counts(), Counts { passed: 1, failed: 1, skipped: 2 });
        assert_eq!(
            report.failures(),
            vec!["rust_doctests_kernel.rust_doctest_kernel_x: ASSERTION FAILED at rust/kernel/x.rs:10"]
        );
    }

    #[test]
    fn strips_printk_time_and_caller_prefixes_only() {
        assert_eq!(strip_printk_prefix("[    1.234567]     ok 1 x"), Some("    ok 1 x"));
        assert_eq!(strip_printk_prefix("[123456.000001] a"), Some("a"));
        assert_eq!(strip_printk_prefix("[    1.234567][    T1] a"), Some("a"));
        assert_eq!(strip_printk_prefix("[     C0] a"), Some("a"));
        assert_eq!(strip_printk_prefix("[    1.234567]"), Some(""));
        assert_eq!(strip_printk_prefix("[ OK ] Started foo"), None);
        assert_eq!(strip_printk_prefix("[1.] x"), None);
        assert_eq!(strip_printk_prefix("plain"), None);
        assert_eq!(strip_printk_prefix("[é"), None);
    }

    #[test]
    fn stream_stopping_mid_suite_is_reported_with_partial_results() {
        let mut console =
            String::from("KTAP version 1\n1..2\n    KTAP version 1\n    # Subtest: rust_doctests_kernel\n    1..349\n");
        for i in 1..=120 {
            console.push_str(&format!("    ok {i} t{i}\n"));
        }
        let report = parse(&console);
        assert_eq!(
            report.problems,
            vec![
                "suite rust_doctests_kernel: 120 of 349 results, the stream stops there",
                "top level: 0 of 2 suite results, then the stream stops there",
            ]
        );
        assert_eq!(report.counts().passed, 120);
        let suite = report.suite("rust_doctests_kernel").expect("synthetic suite");
        assert_eq!(suite.outcome, Outcome::Fail);
        assert_eq!(report.failures(), ["rust_doctests_kernel: 120 of 349 results, the stream stops there"]);
    }

    #[test]
    fn subtest_closed_by_its_result_with_short_plan_is_a_problem() {
        let report = parse("KTAP version 1\n1..1\n    # Subtest: s\n    1..3\n    ok 1 a\nok 1 s\n");
        assert_eq!(report.problems, vec!["suite s: plan announced 3 results but 1 were printed"]);
    }

    #[test]
    fn parameterised_cases_nest_and_inherit_the_case_diagnostic() {
        let console = "\
KTAP version 1
1..1
    KTAP version 1
    # Subtest: suite
    1..2
        KTAP version 1
        # Subtest: case
        ok 1 param-1
    # case: EXPECTATION FAILED at lib/x.c:3
    Expected a == b, but
        a == 1 (0x1)
        not ok 2 param-2
    # case: pass:1 fail:1 skip:0 total:2
    not ok 1 case
    ok 2 plain
ok 1 suite
";
        let report = parse(console);
        assert!(report.is_complete(), "{:?}", report.problems);
        let case = &report.suite("suite").expect("suite").children[0];
        assert_eq!(case.name, "case");
        assert_eq!(case.children.len(), 2);
        assert_eq!(report.counts(), Counts { passed: 2, failed: 1, skipped: 0 });
        assert_eq!(report.failures(), vec!["suite.case.param-2: EXPECTATION FAILED at lib/x.c:3"]);
        // KUnit's assertion detail lines are indented like a parameter's own
        // lines, so they land on the failing parameter.
        let param = &case.children[1];
        assert_eq!(param.name, "param-2");
        assert_eq!(param.diagnostics, ["a == 1 (0x1)"]);
    }

    #[test]
    fn module_runs_restart_numbering_without_duplicate_problems() {
        let console = "\
KTAP version 1
1..1
    # Subtest: builtin
    1..1
    ok 1 a
ok 1 builtin
random: crng init done
KTAP version 1
1..1
    KTAP version 1
    # Subtest: from_module
    1..1
    ok 1 b
ok 1 from_module
    # Subtest: older_kernel_module
    1..1
    ok 1 c
ok 1 older_kernel_module
";
        let report = parse(console);
        assert!(report.is_complete(), "{:?}", report.problems);
        let names: Vec<&str> = report.suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["builtin", "from_module", "older_kernel_module"]);
        assert_eq!(report.counts().passed, 3);
    }

    /// An older kernel's module suite has no KTAP header: its result numbered 1 starts the new
    /// run, and the reason printed just before it still belongs to it.
    #[test]
    fn headerless_module_suite_keeps_the_reason_printed_before_it() {
        let console =
            "KTAP version 1\n1..1\nok 1 builtin\n    # mod_suite: failed to initialize (-12)\nnot ok 1 mod_suite\n";
        let report = parse(console);
        assert!(report.is_complete(), "{:?}", report.problems);
        assert_eq!(report.failures(), ["mod_suite: failed to initialize (-12)"]);
    }

    #[test]
    fn duplicate_result_numbers_are_noted() {
        let report = parse("KTAP version 1\n1..1\n    # Subtest: s\n    1..2\n    ok 1 a\n    ok 1 b\nok 1 s\n");
        assert_eq!(report.counts().passed, 2);
        assert!(
            report.problems.iter().any(|p| p.contains("suite s: result number 1 appears twice")),
            "{:?}",
            report.problems
        );
    }

    /// A parent that failed though every test under it passed counts as one failure more, as
    /// kunit.py counts it; a parent that passed over a failed test adds nothing.
    #[test]
    fn parent_and_child_outcomes_are_both_judged() {
        let report = parse("KTAP version 1\n1..2\n    # Subtest: ok_parent\n    1..1\n    not ok 1 bad\nok 1 ok_parent\n    # Subtest: bad_parent\n    1..1\n    ok 1 fine\n# suite exit failed\nnot ok 2 bad_parent\n");
        assert_eq!(report.failures(), vec!["ok_parent.bad: not ok", "bad_parent: suite exit failed"]);
        assert_eq!(report.counts(), Counts { passed: 1, failed: 2, skipped: 0 });
    }

    #[test]
    fn suite_init_failure_is_a_failed_leaf() {
        let report = parse("KTAP version 1\n1..1\n    # s:     # failed to initialize (-12)\nnot ok 1 s\n");
        assert_eq!(report.counts().failed, 1);
        assert_eq!(report.failures(), vec!["s: failed to initialize (-12)"]);
    }

    #[test]
    fn tolerates_tap14_missing_and_extra_version_lines() {
        let report =
            parse("TAP version 14\n1..2\nok 1 - first\nKTAP version 1\nnot ok 2 - second # TIMEOUT 30 seconds\n");
        assert_eq!(report.suites.len(), 2);
        assert_eq!(report.suites[0].name, "first");
        assert_eq!(report.suites[1].directive.as_deref(), Some("TIMEOUT 30 seconds"));
        assert_eq!(report.counts(), Counts { passed: 1, failed: 1, skipped: 0 });

        let no_header = parse("    # Subtest: s\n    1..1\n    ok 1 a\nok 1 s\n");
        assert!(no_header.is_complete(), "{:?}", no_header.problems);
        assert_eq!(no_header.counts().passed, 1);
    }

    /// Boots without KUnit are not "incomplete": callers that need a suite
    /// look it up with `suite()`.
    #[test]
    fn console_without_ktap_is_complete_and_empty() {
        let report = parse("[    0.1] Linux version 7.3.0\nHello\n");
        assert!(report.is_complete());
        assert!(report.suites.is_empty());
        assert!(!report.ktap_seen);
    }

    /// Older kernels' KUnit indents each level by a tab; a tab reaches the
    /// next multiple of 8 columns, after a printk prefix or not.
    #[test]
    fn tab_indented_subtests_nest_as_spaces_do() {
        let console = "\
[    0.1] TAP version 14
[    0.1] 1..2
[    0.1] \t# Subtest: outer
[    0.1] \t1..2
[    0.1] \tok 1 - first
[    0.1] \t\t# Subtest: inner
[    0.1] \t\t1..1
[    0.1] \tsome free text at the outer level
[    0.1] \t\t# deep: EXPECTATION FAILED at lib/x.c:3
[    0.1] \t\t\tdetail
[    0.1] \t\tnot ok 1 - deep
[    0.1] \tnot ok 2 - inner
[    0.1] kunit outer: one or more tests failed
[    0.1] not ok 1 - outer
[    0.1] \t# Subtest: second
[    0.1] \t1..1
[    0.1]     \tok 1 - spaces then a tab
[    0.1] ok 2 - second
";
        let report = parse(console);
        assert!(report.is_complete(), "{:?}", report.problems);
        let names: Vec<&str> = report.suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["outer", "second"]);
        let inner = &report.suite("outer").expect("outer").children[1];
        assert_eq!((inner.name.as_str(), inner.children.len()), ("inner", 1));
        assert_eq!(inner.children[0].diagnostics, ["# deep: EXPECTATION FAILED at lib/x.c:3", "\tdetail"]);
        assert_eq!(report.counts(), Counts { passed: 2, failed: 1, skipped: 0 });
        assert_eq!(report.failures(), ["outer.inner.deep: EXPECTATION FAILED at lib/x.c:3"]);
    }

    #[test]
    fn indentation_counts_tabs_to_the_next_stop() {
        assert_eq!(indentation("\tok"), (8, "ok"));
        assert_eq!(indentation("  \t\tok"), (16, "ok"));
        assert_eq!(indentation("    ok"), (4, "ok"));
        assert_eq!(indentation(" \t "), (9, ""));
        assert_eq!(after_columns("\t\tx", 8), "\tx");
        assert_eq!(after_columns("  x", 8), "x");
        assert_eq!(after_columns("\tx", 4), "x");
    }

    /// KUnit's executor prints a run header and a plan of 0 when it has no
    /// suite to run (`kunit.filter_glob` matching none): KTAP, no results, no
    /// problem. Whether that is a failure is the verdict's to say.
    #[test]
    fn a_run_of_nothing_is_seen_and_complete() {
        let report = parse("[    0.5] KTAP version 1\n[    0.5] 1..0\n[    0.6] Run /init as init process\n");
        assert!(report.is_complete(), "{:?}", report.problems);
        assert!(report.ktap_seen);
        assert!(report.suites.is_empty() && report.ran_nothing.is_empty());
        assert_eq!(report.counts().total(), 0);
    }

    /// A subtest that printed its header and then `ok` ran nothing, as
    /// kunit.py says ("0 tests run!"); KUnit itself marks such a case
    /// `# SKIP`, and a header of a plan alone makes no subtest (kunit.py).
    #[test]
    fn a_subtest_header_then_ok_ran_nothing() {
        let report = parse(
            "KTAP version 1\n1..1\n  # Subtest: suite\n  1..3\n    # Subtest: case\n  ok 1 case\n\
             \x20   KTAP version 1\n    # Subtest: params\n  ok 2 params # SKIP\n    1..0\n  ok 3 plan_only\nok 1 suite\n",
        );
        assert!(report.is_complete(), "{:?}", report.problems);
        assert_eq!(
            report.ran_nothing,
            ["test suite.case: its header was printed, then `ok` with no test result between"]
        );
        assert_eq!(report.counts(), Counts { passed: 2, failed: 0, skipped: 1 });
        let failed = parse("KTAP version 1\n1..1\n    # Subtest: s\n    1..1\nnot ok 1 s\n");
        assert!(failed.ran_nothing.is_empty(), "a failed one is a failure already");
        assert!(!failed.is_complete());
    }

    /// Every line behind one space, as in a console some tool prefixed:
    /// kunit.py strips what came before the version line; here the indented
    /// `TAP version` run that nothing closes is the top level.
    #[test]
    fn a_whole_run_printed_indented_is_the_top_level() {
        let console =
            " boot text\n TAP version 14\n 1..2\n \t# Subtest: a\n \t1..1\n \tok 1 - x\n ok 1 - a\n  stray #\n \
                       ok 2 - b\n Kernel panic - not syncing: VFS: Unable to mount root fs\n";
        let report = parse(console);
        assert!(report.is_complete(), "{:?}", report.problems);
        let names: Vec<&str> = report.suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(report.counts().passed, 2);
        let cut = parse(" TAP version 14\n 1..2\n \t# Subtest: a\n \t1..1\n");
        assert_eq!(
            cut.problems,
            [
                "suite a: 0 of 1 results, the stream stops there",
                "top level: 0 of 2 suite results, then the stream stops there"
            ]
        );
        // `KTAP version 1` opens subtests too: indented and never closed, it is a suite left
        // open, as in a headerless module run (older kernels) stopped before the suite's result.
        let open = parse("random: crng init done\n  KTAP version 1\n  1..1\n  ok 1 x\n");
        assert_eq!(
            open.problems,
            ["suite (unnamed): 1 results but no ok/not ok line closing it, the stream stops there"]
        );
    }

    /// The KTAP spec's nesting by version line and plan, with the results
    /// indented deeper than them: kunit.py reads them by order as that
    /// header's results.
    #[test]
    fn results_deeper_than_their_unnamed_header_are_its_own() {
        let console = "KTAP version 1\n1..2\n  KTAP version 1\n  1..1\n    ok 1 a\nnot ok 1 one\n  KTAP version 1\n  1..1\n    not ok 1 b\nnot ok 2 two\n";
        let report = parse(console);
        assert!(report.is_complete(), "{:?}", report.problems);
        assert_eq!(report.suites.iter().map(|s| s.children.len()).collect::<Vec<_>>(), [1, 1]);
        // `one` failed over a passing test: one failure more, as kunit.py counts.
        assert_eq!(report.counts(), Counts { passed: 1, failed: 2, skipped: 0 });
    }

    #[test]
    fn hostile_lines_do_not_panic() {
        let deep = format!("{}ok 1 deep\n{}1..3\nok 1 s\n", " ".repeat(100_000), " ".repeat(40));
        let report = parse(&deep);
        // Deeper than MAX_INDENT, `ok 1 deep` is plain text: `s` has no child and its plan is unmet.
        assert_eq!(report.suites.len(), 1);
        assert!(report.suites[0].children.is_empty(), "{:?}", report.suites[0].children);
        assert_eq!(report.counts(), Counts { passed: 1, failed: 0, skipped: 0 });
        assert_eq!(report.problems, ["suite s: plan announced 3 results but 0 were printed"]);
        let huge = "1..99999999999999999999999\nok 99999999999999999999999 x\nok 18446744073709551615 y\nnot ok\nok 1\nok x\n1..\n# Subtest:\n[ 1.2]\n";
        let report = parse(huge);
        assert_eq!(report.suites.len(), 2);
        assert_eq!(report.suites[0].number, u64::MAX);
        let mut staircase = String::new();
        for depth in 0..200 {
            staircase.push_str(&" ".repeat(depth * 4));
            staircase.push_str("KTAP version 1\n");
        }
        staircase.push_str("ok 1 bottom\n");
        let report = parse(&staircase);
        assert_eq!(report.counts().total(), 1);
    }
}
