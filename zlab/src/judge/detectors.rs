//! The kernel's bug detectors as their reports read on a console (kernel/configs/detectors.config,
//! lockdep.config, leaks.config): which detector a report's first line belongs to, and the places
//! its body names besides the fault's own — the acquisitions of a lock-order cycle, the lock held
//! where a task slept, where memory was allocated and freed. judge::decode turns them into lines.

use crate::judge::frames::SourceLocation;
use crate::judge::frames::{self, Frame};
use crate::judge::ktap::strip_printk_prefix;
use serde::Serialize;

/// How far after its header a detector's report is read.
const REPORT_LINES: usize = 200;

/// lockdep's report headers (kernel/locking/lockdep.c), each printed as `WARNING: <header>`.
const LOCKDEP_HEADERS: &[&str] = &[
    "possible circular locking dependency detected",
    "possible recursive locking detected",
    "inconsistent lock state",
    "possible irq lock inversion dependency detected",
    "-unsafe lock order detected",
    "Nested lock was not taken",
    "bad unlock balance detected!",
    "bad contention detected!",
    "held lock freed!",
    "still has locks held!",
    "lock held when returning to user space!",
    "suspicious RCU usage",
    "chain_key collision",
];

/// The detectors whose reports have a header of their own (a Rust overflow check's is a
/// panic's, told apart by its message: is_overflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detector {
    AtomicSleep,
    Lockdep,
    Leak,
    Kfence,
    Kasan,
}

/// What the kernel said on a console line: a printk line without its time stamp, or a line of
/// kmemleak's report as init copies it (guest::init::KMEMLEAK_PREFIX); None for userspace.
pub fn kernel_message(line: &str) -> Option<&str> {
    strip_printk_prefix(line).or_else(|| line.strip_prefix(crate::guest::init::KMEMLEAK_PREFIX))
}

/// A place a report names besides the fault's own, with what happened there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    /// What happened there, e.g. `LEDGER taken (while ACCOUNTS was held)` or `allocated`.
    pub role: String,
    /// The place, decoded (judge::decode); None where no frame could be.
    pub location: Option<SourceLocation>,
    /// The code address as the console names it, for a site that cannot be decoded.
    pub symbol: Option<String>,
    #[serde(skip)]
    pub frames: Vec<Frame>,
}

impl Site {
    fn new(role: String, frames: Vec<Frame>) -> Site {
        let frames = preferred(frames);
        Site { role, location: None, symbol: frames.first().map(Frame::describe), frames }
    }
}

/// The detector whose report begins with `message` (a console line without its printk prefix),
/// or None for any other line. A Rust overflow panic is told apart by its message (overflow).
pub fn classify(message: &str) -> Option<Detector> {
    if let Some(rest) = message.strip_prefix("BUG: ") {
        // kernel/sched/core.c: __might_resched() and __schedule_bug().
        if rest.starts_with("sleeping function called from invalid context")
            || rest.starts_with("scheduling while atomic")
        {
            return Some(Detector::AtomicSleep);
        }
        if rest.starts_with("KFENCE: ") {
            return Some(Detector::Kfence);
        }
        if rest.starts_with("KASAN: ") {
            return Some(Detector::Kasan);
        }
    }
    if let Some(rest) = message.strip_prefix("WARNING: ") {
        if LOCKDEP_HEADERS.iter().any(|h| rest.trim_end().ends_with(h)) {
            return Some(Detector::Lockdep);
        }
    }
    // mm/kmemleak.c print_unreferenced(), on the console with kmemleak.verbose=1.
    if message.strip_prefix("kmemleak: ").unwrap_or(message).starts_with("unreferenced object 0x") {
        return Some(Detector::Leak);
    }
    None
}

/// Whether a Rust panic's message is an arithmetic overflow check's (`attempt to add with
/// overflow`, `attempt to shift left with overflow`, …).
pub fn is_overflow(panic_message: &str) -> bool {
    panic_message.starts_with("attempt to ") && panic_message.ends_with("with overflow")
}

/// What a report says beyond its header: the frames that name the fault's own place, what
/// happened there when the header does not say (`ACCOUNTS taken while LEDGER was held`), and
/// the other places it names.
#[derive(Debug, Default)]
pub struct Report {
    pub frames: Vec<Frame>,
    pub role: Option<String>,
    pub sites: Vec<Site>,
}

impl Report {
    /// Places each bare-number frame in the module section init saw loaded below it
    /// (frames::resolve), then puts module frames first again where the detector's were.
    pub fn place_bare_addresses(&mut self, loads: &[frames::Loaded]) {
        let bare = |frames: &[Frame]| frames.iter().any(|f| f.symbol.is_empty() && f.module.is_none());
        if bare(&self.frames) {
            frames::resolve(&mut self.frames, loads);
            self.frames = preferred(std::mem::take(&mut self.frames));
        }
        for site in self.sites.iter_mut().filter(|s| bare(&s.frames)) {
            frames::resolve(&mut site.frames, loads);
            *site = Site::new(std::mem::take(&mut site.role), std::mem::take(&mut site.frames));
        }
    }
}

/// The report whose header is `lines[0]`, for a fault of `kind`. A detector's frames in a module
/// come first: it reports from inside the kernel (the allocator, the scheduler, lockdep) on
/// behalf of the code that called it.
pub fn read_report(detector: Detector, lines: &[&str]) -> Report {
    let report: Vec<&str> = lines.iter().take(REPORT_LINES).map(|l| kernel_message(l).unwrap_or(l)).collect();
    match detector {
        Detector::Lockdep => lockdep(&report),
        Detector::AtomicSleep => atomic_sleep(&report),
        Detector::Leak => leak(&report),
        Detector::Kfence | Detector::Kasan => memory_access(&report),
    }
}

/// lockdep: the dependency chain's entries (`-> #1 (LEDGER){+.+.}-{4:4}:` and the stack where
/// that lock was taken) become sites; entry #0, the acquisition that closes the cycle, is the
/// fault's own place. Each lock was taken while the next entry's lock (cyclically) was held.
fn lockdep(report: &[&str]) -> Report {
    let end = report.iter().position(|l| l.starts_with("other info that might help")).unwrap_or(report.len());
    let mut entries: Vec<(String, Vec<Frame>)> = Vec::new();
    for (i, line) in report[..end].iter().enumerate() {
        if let Some(rest) = line.strip_prefix("-> #") {
            let name = rest.split_once(" (").and_then(|(_, r)| lock_name(r)).unwrap_or("a lock").to_string();
            entries.push((name, frames::listed(&report[i + 1..end])));
        }
    }
    if entries.is_empty() {
        // Not a cycle: the lock the task holds or tried to take, and its backtrace.
        let trace = report.iter().position(|l| l.starts_with("stack backtrace:")).unwrap_or(0);
        return Report { frames: preferred(frames::of(&report[trace..])), role: None, sites: held_locks(report) };
    }
    let count = entries.len();
    let names: Vec<String> = entries.iter().map(|(name, _)| name.clone()).collect();
    let mut cycle = Report::default();
    // Printed in reverse: the last entry (#0) is the acquisition now being made.
    for (i, (name, frames)) in entries.into_iter().enumerate() {
        let role = format!("{name} taken while {} was held", names[(i + count - 1) % count]);
        if i + 1 == count {
            cycle.frames = preferred(frames);
            cycle.role = Some(role);
        } else {
            cycle.sites.push(Site::new(role, frames));
        }
    }
    cycle
}

/// `LEDGER){+.+.}-{4:4}:` or `&lock){…}`: the lock class's name, up to its closing parenthesis.
fn lock_name(text: &str) -> Option<&str> {
    let name = &text[..text.find("){").or_else(|| text.rfind(')'))?];
    (!name.is_empty()).then_some(name)
}

/// lockdep's `N locks held by TASK:` list: ` #0: 0000… (READINGS){+.+.}-{2:2}, at: SYM+0x1/0x2`.
fn held_locks(report: &[&str]) -> Vec<Site> {
    report
        .iter()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix('#')?;
            let (_, rest) = rest.split_once(" (")?;
            let name = lock_name(rest)?;
            let (_, at) = rest.split_once(", at: ")?;
            Some(Site::new(format!("{name} held, taken"), frames::named_at(at.trim())))
        })
        .collect()
}

/// A sleep in atomic context: the Call Trace names the call that may sleep; lockdep's held locks
/// or DEBUG_PREEMPT's `Preemption disabled at:` say where atomic context began.
fn atomic_sleep(report: &[&str]) -> Report {
    let mut sites = held_locks(report);
    if let Some(i) = report.iter().position(|l| l.starts_with("Preemption disabled at:")) {
        let inline = report[i].trim_start_matches("Preemption disabled at:").trim();
        let mut frames = frames::named_at(inline);
        frames.extend(frames::listed(&report[i + 1..]).into_iter().take(1));
        sites.push(Site::new("atomic context began (preemption disabled)".into(), frames));
    }
    let trace = report.iter().position(|l| l.trim_start().starts_with("Call Trace:")).unwrap_or(0);
    Report { frames: preferred(frames::of(&report[trace..])), role: None, sites }
}

/// kmemleak's `backtrace:` is the allocation's: the fault's own place.
fn leak(report: &[&str]) -> Report {
    let body: Vec<&str> = report.iter().map(|l| l.strip_prefix("kmemleak: ").unwrap_or(l)).collect();
    let next = body.iter().skip(1).position(|l| l.starts_with("unreferenced object")).map_or(body.len(), |p| p + 1);
    let frames = body[..next]
        .iter()
        .position(|l| l.trim_start().starts_with("backtrace"))
        .map(|i| frames::listed(&body[i + 1..next]))
        .unwrap_or_default();
    // `unreferenced object 0x00f99000 (size 512):`, with kmemleak.verbose=1 followed by
    // `... and 31 more object(s) with the same backtrace`.
    let size = leak_size(body[0]);
    let more: usize = body[..next]
        .iter()
        .find_map(|l| l.trim().strip_prefix("... and ")?.split_once(" more object")?.0.parse().ok())
        .unwrap_or(0);
    let role = size.map(|size| leak_role(1 + more, size));
    Report { frames: preferred(frames), role, sites: vec![] }
}

/// The size in `unreferenced object 0x00f99000 (size 512):`.
pub fn leak_size(header: &str) -> Option<&str> {
    header.split_once("(size ").and_then(|(_, s)| s.split_once(')')).map(|(size, _)| size)
}

pub fn leak_role(objects: usize, size: &str) -> String {
    match objects {
        1 => format!("{size} bytes no pointer refers to, allocated"),
        n => format!("{n} objects of {size} bytes no pointer refers to, allocated"),
    }
}

/// KFENCE and KASAN: the access site (the header's `in SYM`, then the trace), and the stacks
/// where the object was allocated and freed.
fn memory_access(report: &[&str]) -> Report {
    let header = report.first().copied().unwrap_or("");
    let mut own: Vec<Frame> = header.split_once(" in ").map(|(_, at)| frames::named_at(at.trim())).unwrap_or_default();
    own.extend(frames::listed(report.get(2..).unwrap_or_default()));
    own.extend(frames::of(report));
    let mut sites = Vec::new();
    for (i, line) in report.iter().enumerate().skip(1) {
        let lower = line.to_ascii_lowercase();
        if line.starts_with("BUG: ") || line.starts_with("==========") {
            break;
        }
        for role in ["allocated", "freed"] {
            if lower.starts_with(&format!("{role} by task")) {
                sites.push(Site::new(role.into(), frames::listed(&report[i + 1..])));
            }
        }
    }
    Report { frames: preferred(own), role: None, sites }
}

/// Module frames first (in their order), then the kernel's.
fn preferred(frames: Vec<Frame>) -> Vec<Frame> {
    let (mut modules, kernel): (Vec<Frame>, Vec<Frame>) = frames.into_iter().partition(|f| f.module.is_some());
    modules.extend(kernel);
    modules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_detectors_header_is_its_own_kind() {
        let kinds = [
            ("BUG: sleeping function called from invalid context at mm/slub.c:4701", Detector::AtomicSleep),
            ("BUG: scheduling while atomic: insmod/70/0x00000002", Detector::AtomicSleep),
            ("BUG: KFENCE: use-after-free read in f+0x1/0x2 [m]", Detector::Kfence),
            ("BUG: KASAN: slab-out-of-bounds in f+0x1/0x2", Detector::Kasan),
            ("WARNING: possible circular locking dependency detected", Detector::Lockdep),
            ("WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected", Detector::Lockdep),
            ("WARNING: insmod/70 still has locks held!", Detector::Lockdep),
            ("kmemleak: unreferenced object 0xf99000 (size 512):", Detector::Leak),
        ];
        for (header, kind) in kinds {
            assert_eq!(classify(header), Some(kind), "{header}");
        }
        for other in
            ["BUG: kernel NULL pointer dereference", "WARNING: lib/x.c:1 at f+0x1/0x2, CPU#0: a/1", "kmemleak: 2 new"]
        {
            assert_eq!(classify(other), None, "{other}");
        }
        assert!(is_overflow("attempt to add with overflow"));
        assert!(is_overflow("attempt to shift left with overflow"));
        assert!(!is_overflow("index out of bounds: the len is 3 but the index is 7"));
    }
}
