//! Kernel fault detection on a serial console: panics, oopses, BUGs and
//! WARNINGs, matched on the exact headers the kernel prints, and the reports of the kernel's
//! bug detectors (judge::detectors), each its own kind.

use std::fmt;

use serde::Serialize;

use crate::judge::detectors::{self, kernel_message, Detector, Site};
pub use crate::judge::frames::SourceLocation;
use crate::judge::frames::{self, Frame};
use crate::judge::ktap::strip_printk_prefix;

/// Lines kept after the header line in a fault's excerpt.
const EXCERPT_FOLLOWING_LINES: usize = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    Panic,
    Oops,
    Bug,
    Warning,
    /// A Rust arithmetic overflow check (CONFIG_RUST_OVERFLOW_CHECKS).
    Overflow,
    /// A call that may sleep in atomic context (CONFIG_DEBUG_ATOMIC_SLEEP), or a real sleep there.
    AtomicSleep,
    Lockdep,
    /// kmemleak's unreferenced object.
    Leak,
    Kfence,
    Kasan,
    Ubsan,
}

impl From<Detector> for FaultKind {
    fn from(detector: Detector) -> FaultKind {
        match detector {
            Detector::AtomicSleep => FaultKind::AtomicSleep,
            Detector::Lockdep => FaultKind::Lockdep,
            Detector::Leak => FaultKind::Leak,
            Detector::Kfence => FaultKind::Kfence,
            Detector::Kasan => FaultKind::Kasan,
            Detector::Ubsan => FaultKind::Ubsan,
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultKind::Panic => "kernel panic",
            FaultKind::Oops => "oops",
            FaultKind::Bug => "BUG",
            FaultKind::Warning => "WARNING",
            FaultKind::Overflow => "overflow",
            FaultKind::AtomicSleep => "sleep in atomic context",
            FaultKind::Lockdep => "lockdep",
            FaultKind::Leak => "memory leak",
            FaultKind::Kfence => "KFENCE",
            FaultKind::Kasan => "KASAN",
            FaultKind::Ubsan => "UBSAN",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    pub kind: FaultKind,
    /// 1-based line of the header in the console.
    pub line_number: usize,
    /// The header line and up to 15 following lines, timestamps kept.
    pub excerpt: Vec<String>,
    /// Where the code that failed is: a Rust panic's `panicked at`, or the faulting address
    /// decoded against the module's .ko or vmlinux (judge::decode).
    pub location: Option<SourceLocation>,
    /// True for a Rust `panic!()`, whose `panicked at` line names its place.
    pub rust_panic: bool,
    /// A Rust panic's own message, the line after its `panicked at`.
    pub message: Option<String>,
    /// The code addresses its report names, most trusted first (judge::frames).
    #[serde(skip)]
    pub frames: Vec<Frame>,
    /// What happened at `location`, where the header does not say: `ACCOUNTS taken while
    /// LEDGER was held`, `512 bytes no pointer refers to, allocated`.
    pub role: Option<String>,
    /// The other places a detector's report names: the acquisitions of a lock-order cycle,
    /// the lock held where a task slept, where memory was allocated and freed.
    pub sites: Vec<Site>,
}

impl Fault {
    /// One line that says what failed, where in the source when known, and where on the
    /// console: `BUG at console line 848: Rust panic at hello.rs:58:17: the message`, or
    /// `oops at console line 851: in <hello::Hello as kernel::Module>::init at modules/hello/hello.rs:40`.
    pub fn summary(&self) -> String {
        let mut summary = self.own_place();
        for site in &self.sites {
            match (&site.location, &site.symbol) {
                (Some(at), _) => summary.push_str(&format!("; {} at {at}", site.role)),
                (None, Some(symbol)) => summary.push_str(&format!("; {} at {symbol}", site.role)),
                (None, None) => {}
            }
        }
        summary
    }

    fn own_place(&self) -> String {
        let on_console = format!("{} at console line {}", self.kind, self.line_number);
        if let Some(role) = &self.role {
            let place = match (&self.location, self.frames.first()) {
                (Some(at), _) => match &at.function {
                    Some(function) => format!(", in {function} at {at}"),
                    None => format!(" at {at}"),
                },
                (None, Some(frame)) => format!(" at {}", frame.describe()),
                (None, None) => String::new(),
            };
            return format!("{on_console}: {role}{place}");
        }
        match &self.location {
            Some(at) if self.rust_panic => {
                let message = self.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
                format!("{on_console}: Rust panic at {at}{message}")
            }
            Some(at) => match &at.function {
                Some(function) => format!("{on_console}: in {function} at {at}"),
                None => format!("{on_console}: at {at}"),
            },
            None => on_console,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = self.excerpt.first().map(String::as_str).unwrap_or("");
        if self.rust_panic && self.location.is_some() {
            f.write_str(&self.summary())
        } else {
            write!(f, "{}: {header}", self.summary())
        }
    }
}

/// `FILE:LINE:COL` from a Rust panic's header message, `[prefix: ]panicked at FILE:LINE:COL:`.
fn panic_location(message: &str) -> Option<SourceLocation> {
    let rest = strip_log_prefix(message)?.strip_prefix("panicked at ")?.trim_end().strip_suffix(':')?;
    let mut parts = rest.rsplitn(3, ':');
    let column = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    let file = parts.next().filter(|f| !f.is_empty())?.to_string();
    Some(SourceLocation { file, line, column: Some(column), function: None })
}

/// Faults in console order. Each header is its own fault (an oops followed
/// by `Kernel panic - not syncing: Fatal exception` gives two), except that
/// the `kernel BUG at` which a Rust panic triggers is folded into it.
pub fn scan(console: &str) -> Vec<Fault> {
    let lines: Vec<&str> = console_lines(console).collect();
    // With PRINTK_TIME every kernel line is stamped; unstamped lines are then
    // userspace writing to the console and cannot be kernel faults.
    let timestamped = lines.iter().any(|l| strip_printk_prefix(l).is_some());
    let mut faults: Vec<Fault> = Vec::new();
    let mut rust_panic_excerpt_end = 0;
    for (index, line) in lines.iter().enumerate() {
        let message = match kernel_message(line) {
            Some(message) => message,
            None if timestamped => continue,
            None => line,
        };
        let Some(header) = classify(message) else {
            continue;
        };
        if header == Header::KernelBugAt && index < rust_panic_excerpt_end {
            continue;
        }
        let excerpt_end = lines.len().min(index + 1 + EXCERPT_FOLLOWING_LINES);
        let (mut kind, mut location, mut panic_message) = (header.kind(), None, None);
        if header == Header::RustPanic {
            rust_panic_excerpt_end = excerpt_end;
            location = panic_location(message);
            let next = lines.get(index + 1).map(|l| strip_printk_prefix(l).unwrap_or(l).trim());
            panic_message = next.filter(|m| !m.is_empty() && classify(m).is_none()).map(str::to_string);
            if panic_message.as_deref().is_some_and(detectors::is_overflow) {
                kind = FaultKind::Overflow;
            }
        }
        let mut report = match header {
            Header::Detector(detector) => detectors::read_report(detector, &lines[index..]),
            _ => detectors::Report { frames: frames::of(&lines[index..]), ..Default::default() },
        };
        report.place_bare_addresses(&frames::loads(&lines[..index]));
        faults.push(Fault {
            kind,
            line_number: index + 1,
            excerpt: lines[index..excerpt_end].iter().map(|l| l.to_string()).collect(),
            location,
            rust_panic: header == Header::RustPanic,
            message: panic_message,
            frames: report.frames,
            role: report.role,
            sites: report.sites,
        });
    }
    merge_leaks(faults)
}

/// kmemleak's file reports every object: those allocated at one place (the same backtrace)
/// become one failure that counts them, as its verbose console report does.
fn merge_leaks(faults: Vec<Fault>) -> Vec<Fault> {
    let mut merged: Vec<(Fault, usize)> = Vec::new();
    for fault in faults {
        let same = merged.iter_mut().find(|(kept, _)| {
            fault.kind == FaultKind::Leak && kept.kind == FaultKind::Leak && kept.frames == fault.frames
        });
        match same {
            Some((_, count)) => *count += 1,
            None => merged.push((fault, 1)),
        }
    }
    merged
        .into_iter()
        .map(|(mut fault, count)| {
            if count > 1 {
                fault.role = detectors::leak_size(&fault.excerpt[0]).map(|size| detectors::leak_role(count, size));
            }
            fault
        })
        .collect()
}

/// The last `n` console lines, without line terminators.
pub fn last_lines(console: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = console_lines(console).collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].iter().map(|l| l.to_string()).collect()
}

fn console_lines(console: &str) -> impl Iterator<Item = &str> {
    console.lines().map(|l| l.trim_end_matches('\r'))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    Panic,
    Oops,
    KernelBugAt,
    RustPanic,
    Bug,
    Warning,
    Detector(Detector),
}

impl Header {
    fn kind(self) -> FaultKind {
        match self {
            Header::Panic => FaultKind::Panic,
            Header::Oops => FaultKind::Oops,
            Header::KernelBugAt | Header::RustPanic | Header::Bug => FaultKind::Bug,
            Header::Warning => FaultKind::Warning,
            Header::Detector(detector) => detector.into(),
        }
    }
}

/// `message` is a console line without its printk prefix. Headers start at
/// column 0, so indented KTAP lines and test names never match.
fn classify(message: &str) -> Option<Header> {
    // kernel/panic.c: pr_emerg("Kernel panic - not syncing: %s\n", buf)
    if message.starts_with("Kernel panic - not syncing") {
        return Some(Header::Panic);
    }
    if is_oops_header(message) {
        return Some(Header::Oops);
    }
    if let Some(detector) = detectors::classify(message) {
        return Some(Header::Detector(detector));
    }
    // lib/bug.c report_bug(): pr_crit("kernel BUG at %s:%u!\n", ...)
    if message.starts_with("kernel BUG at ") {
        return Some(Header::KernelBugAt);
    }
    // Messages may carry a pr_fmt prefix, e.g. "watchdog: BUG: soft lockup".
    let unprefixed = strip_log_prefix(message);
    if message.starts_with("BUG: ") || unprefixed.is_some_and(|m| m.starts_with("BUG: ")) {
        return Some(Header::Bug);
    }
    // rust/kernel/lib.rs panic handler: pr_emerg!("{}\n", info), then BUG().
    if unprefixed.is_some_and(|m| m.starts_with("panicked at ")) {
        return Some(Header::RustPanic);
    }
    // kernel/panic.c __warn(): "WARNING: %s:%d at %pS, CPU#%d: %s/%d" in 7.x,
    // "WARNING: CPU: %d PID: %d at %pS" before; lockdep: "WARNING: possible ...".
    if message.starts_with("WARNING: ") || unprefixed.is_some_and(|m| m.starts_with("WARNING: ")) {
        return Some(Header::Warning);
    }
    None
}

/// The message after a `name: ` pr_fmt/module prefix, if it has one.
fn strip_log_prefix(message: &str) -> Option<&str> {
    let (prefix, rest) = message.split_once(": ")?;
    let is_identifier =
        !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    is_identifier.then_some(rest)
}

/// s390 die() (arch/s390/kernel/dumpstack.c) prints
/// `"%s: %04x ilc:%d [#%d]"` then `"SMP "`, e.g. `Oops: 0004 ilc:3 [#1]SMP `
/// or `monitor event: 0000 ilc:2 [#1]SMP `. Other architectures print
/// `Oops: ... [#1] SMP`.
fn is_oops_header(message: &str) -> bool {
    if message.starts_with(char::is_whitespace) {
        return false;
    }
    if message.starts_with("Oops") && message.contains("[#") {
        return true;
    }
    message.match_indices(": ").any(|(i, _)| {
        let after = &message[i + 2..];
        let Some((code, rest)) = after.split_at_checked(4) else {
            return false;
        };
        let Some(rest) = rest.strip_prefix(" ilc:") else {
            return false;
        };
        let ilc_digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        code.bytes().all(|b| b.is_ascii_hexdigit()) && ilc_digits > 0 && rest[ilc_digits..].starts_with(" [#")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(console: &str) -> Vec<(FaultKind, usize)> {
        scan(console).iter().map(|f| (f.kind, f.line_number)).collect()
    }

    #[test]
    fn s390_oops_then_panic_are_two_faults() {
        let console = "\
[    2.000001] Unable to handle kernel pointer dereference in virtual kernel address space\r
[    2.000002] Oops: 0004 ilc:3 [#1]SMP \r
[    2.000003] Modules linked in:\r
[    2.000004] Kernel panic - not syncing: Fatal exception: panic_on_oops\r
";
        let faults = scan(console);
        assert_eq!(kinds(console), [(FaultKind::Oops, 2), (FaultKind::Panic, 4)]);
        assert_eq!(faults[0].excerpt.len(), 3);
        assert_eq!(faults[0].excerpt[0], "[    2.000002] Oops: 0004 ilc:3 [#1]SMP ");
        assert_eq!(faults[1].excerpt.len(), 1);
    }

    #[test]
    fn excerpt_is_header_plus_fifteen_lines() {
        let mut console =
            String::from("[    1.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000\n");
        for i in 0..40 {
            console.push_str(&format!("[    1.{i:06}] trace line\n"));
        }
        let faults = scan(&console);
        assert_eq!(faults.len(), 1);
        assert_eq!(faults[0].excerpt.len(), 16);
    }

    #[test]
    fn matches_the_kernels_bug_and_warning_headers() {
        let console = "\
[    1.0] ------------[ cut here ]------------
[    1.0] WARNING: lib/foo.c:12 at foo+0x4e/0x1a0, CPU#0: swapper/0/1
[    1.0] WARNING: CPU: 0 PID: 1 at lib/foo.c:12 foo+0x4e/0x1a0
[    1.0] BUG: scheduling while atomic: kworker/0:1/23/0x00000002
[    1.0] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:2:88]
[    1.0] ------------[ cut here ]------------
[    1.0] kernel BUG at mm/slub.c:400!
[    1.0] monitor event: 0040 ilc:2 [#2]SMP 
";
        assert_eq!(
            kinds(console),
            [
                (FaultKind::Warning, 2),
                (FaultKind::Warning, 3),
                (FaultKind::AtomicSleep, 4),
                (FaultKind::Bug, 5),
                (FaultKind::Bug, 7),
                (FaultKind::Oops, 8),
            ]
        );
    }

    #[test]
    fn rust_panic_absorbs_the_bug_it_triggers() {
        let console = "\
[    3.0] rust_doctests_kernel: panicked at rust/kernel/x.rs:10:5:
[    3.0] attempt to add with overflow
[    3.0] ------------[ cut here ]------------
[    3.0] kernel BUG at rust/helpers/bug.c:7!
[    3.0] monitor event: 0040 ilc:2 [#1]SMP 
";
        assert_eq!(kinds(console), [(FaultKind::Overflow, 1), (FaultKind::Oops, 5)]);
        let panic = &scan(console)[0];
        assert!(panic.excerpt[3].contains("kernel BUG at"));
        let at = SourceLocation { file: "rust/kernel/x.rs".into(), line: 10, column: Some(5), function: None };
        assert_eq!(panic.location, Some(at));
        assert_eq!(panic.message.as_deref(), Some("attempt to add with overflow"));
        assert_eq!(
            panic.summary(),
            "overflow at console line 1: Rust panic at rust/kernel/x.rs:10:5: attempt to add with overflow"
        );
        assert_eq!(scan(console)[1].location, None);
    }

    #[test]
    fn a_panic_header_that_names_no_place_has_no_location() {
        for header in
            ["m: panicked at x.rs:10:", "m: panicked at :1:2:", "m: panicked at x.rs:a:2:", "m: panicked at x.rs:1:2"]
        {
            assert_eq!(panic_location(header), None, "{header}");
        }
        let windows_like = panic_location("m: panicked at C:/x.rs:3:4:").unwrap();
        assert_eq!((windows_like.file.as_str(), windows_like.line, windows_like.column), ("C:/x.rs", 3, Some(4)));
    }

    #[test]
    fn each_ubsan_report_is_a_fault_named_by_the_modules_frame() {
        let console = "\
[    1.092035] ------------[ cut here ]------------
[    1.092223] UBSAN: shift-out-of-bounds in /p/modules/ubsan_probe/ubsan_probe.c:15:14
[    1.092446] shift exponent 40 is too large for 32-bit type 'int'
[    1.097767] Call Trace:
[    1.097861]  [<000003ffe03de75e>] dump_stack_lvl+0x8e/0xa8 
[    1.098585]  [<000003ffe038a186>] __ubsan_handle_shift_out_of_bounds+0x10e/0x260 
[    1.098629]  [<000003ff600060bc>] ubsan_probe_init+0xbc/0x1000 [ubsan_probe] 
[    1.099163]  [<000003ffe010223c>] do_one_initcall+0x7c/0x1f0 
[    1.102201] ---[ end trace ]---
[    1.102381] ------------[ cut here ]------------
[    1.102433] UBSAN: array-index-out-of-bounds in /p/modules/ubsan_probe/ubsan_probe.c:16:15
[    1.102516] index 5 is out of range for type 'int [4]'
[    1.102676] Call Trace:
[    1.102757]  [<000003ff600060a4>] ubsan_probe_init+0xa4/0x1000 [ubsan_probe] 
[    1.103029] ---[ end trace ]---
";
        let faults = scan(console);
        assert_eq!(kinds(console), [(FaultKind::Ubsan, 2), (FaultKind::Ubsan, 11)]);
        let offsets: Vec<_> = faults.iter().map(|f| (f.frames[0].module.as_deref(), f.frames[0].offset)).collect();
        assert_eq!(offsets, [(Some("ubsan_probe"), 0xbc), (Some("ubsan_probe"), 0xa4)]);
        assert_eq!(FaultKind::Ubsan.to_string(), "UBSAN");
    }

    #[test]
    fn look_alikes_do_not_match() {
        let console = "\
[    1.0]     ok 5 rust_doctest_kernel_panic_rs_0
[    1.0]     ok 6 test_bug_on
[    1.0]     # test_bug_on: BUG: only a diagnostic
[    1.0] ---[ end Kernel panic - not syncing: x ]---
[    1.0] rcu: panic_on_rcu_stall is 0
[    1.0] Oopsie: 0004 ilc:3 nope
[    1.0] some text: 00zz ilc:3 [#1]
Kernel panic - not syncing: userspace line in a timestamped console
warning: unused variable: `x`
WARNING: shouted by a userspace script
my program: panicked at src/main.rs:1:1:
";
        assert!(scan(console).is_empty(), "{:?}", scan(console));
    }

    #[test]
    fn consoles_without_timestamps_are_matched_too() {
        assert_eq!(kinds("hello\nKernel panic - not syncing: VFS: Unable to mount root fs\n"), [(FaultKind::Panic, 2)]);
    }

    #[test]
    fn last_lines_and_display() {
        assert_eq!(last_lines("a\r\nb\r\nc\r\n", 2), ["b", "c"]);
        assert_eq!(last_lines("a\nb", 10), ["a", "b"]);
        assert!(last_lines("", 3).is_empty());
        assert_eq!(FaultKind::Panic.to_string(), "kernel panic");
        assert_eq!(FaultKind::Oops.to_string(), "oops");
        assert_eq!(FaultKind::Bug.to_string(), "BUG");
        assert_eq!(FaultKind::Warning.to_string(), "WARNING");
    }

    #[test]
    fn odd_bytes_and_cut_headers_are_not_faults() {
        // "x: aé…" puts byte 4 after ": " inside the "é": the oops test must not slice there.
        for console in ["", "\r", "é: ", "x: é", "x: aéé ilc:3 [#1]", "[", "]", "[ 1.2]"] {
            assert!(scan(console).is_empty(), "{console:?}: {:?}", scan(console));
        }
        // Every cut of an s390 oops header short of its `[#` is ordinary text.
        let header = "monitor event: 0040 ilc:2 [#1]SMP ";
        let matched_from = header.find("[#").unwrap() + 2;
        for end in 0..=header.len() {
            let expected: &[(FaultKind, usize)] = if end >= matched_from { &[(FaultKind::Oops, 1)] } else { &[] };
            assert_eq!(kinds(&header[..end]), expected, "{:?}", &header[..end]);
        }
    }
}
