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
    Ubsan,
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
    // lib/ubsan.c: `UBSAN: shift-out-of-bounds in FILE:LINE:COL`, C code only (rustc gets no
    // UBSAN flags); between `[ cut here ]` and `---[ end trace ]---`, with no WARNING line.
    if message.starts_with("UBSAN: ") {
        return Some(Detector::Ubsan);
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
        Detector::Kfence | Detector::Kasan => memory_access(detector, &report),
        // The report's Call Trace, up to its `---[ end trace ]---`: the module's frame after the
        // __ubsan_handle_* call.
        Detector::Ubsan => Report { frames: preferred(frames::of(&report)), ..Report::default() },
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

/// KFENCE and KASAN: the access site (the header's `in SYM`, then the access's stack), and the
/// stacks where the object was allocated and freed.
fn memory_access(detector: Detector, report: &[&str]) -> Report {
    let header = report.first().copied().unwrap_or("");
    let at = header.split_once(" in ").map_or("", |(_, at)| at.trim());
    let faulted = detector == Detector::Kfence && kfence_fault(header);
    let mut own = if faulted { frames::exact_at(at) } else { frames::named_at(at) };
    // KFENCE lists the access's stack under the report's first line after the header,
    // `Out-of-bounds read at 0x… (1B right of kfence-#7):`; KASAN prints a Call Trace (frames::of).
    if let Some(i) = report.iter().skip(1).position(|l| !l.trim().is_empty()).map(|p| p + 1) {
        if report[i].trim_end().ends_with(':') {
            let mut stack = frames::listed(&report[i + 1..]);
            if let Some(first) = stack.first_mut() {
                first.exact = faulted;
            }
            own.extend(stack);
        }
    }
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

/// Whether a KFENCE report's header names the faulting instruction itself, not a return
/// address: an access KFENCE caught as a page fault, on a guard page or a freed object, whose
/// stack mm/kfence/report.c takes from the fault's registers. An invalid free or a corrupted
/// redzone is found inside kfree(), and named by the return address into its caller.
fn kfence_fault(header: &str) -> bool {
    let what = header.strip_prefix("BUG: KFENCE: ").unwrap_or("");
    ["out-of-bounds ", "use-after-free ", "invalid read ", "invalid write "].iter().any(|p| what.starts_with(p))
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
            ("UBSAN: shift-out-of-bounds in /src/m/m.c:15:14", Detector::Ubsan),
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

    const INIT: &str = "_RNvXCs6rMYa0NKlfH_11zlab_kfenceNtB2_10ZlabKfenceNtNtCsl7L7n58I0Vr_6kernel6module6Module4init";

    /// A KFENCE report as printed on a real s390x console (zlab_kfence), printk prefixes kept.
    fn kfence_report(header: &str) -> String {
        format!(
            "[    1.539025] BUG: KFENCE: {header}\n\
             [    1.539025] \n\
             [    1.540301] Out-of-bounds read at 0x000000004d5b0c14 (64B right of kfence-#154):\n\
             [    1.540867]  {INIT}+0xae/0x2c0 [zlab_kfence]\n\
             [    1.541148]  {INIT}+0x66/0x2c0 [zlab_kfence]\n\
             [    1.541252]  init_module+0x1a/0x1000 [zlab_kfence]\n\
             [    1.541388]  do_one_initcall+0x6c/0x1a8\n\
             [    1.542375] \n\
             [    1.542601] kfence-#154: 0x00000000507eb9c1-0x00000000e9162aad, size=64, cache=kmalloc-64\n\
             [    1.542601] \n\
             [    1.542815] allocated by task 36 on cpu 0 at 1.533315s (0.009425s ago):\n\
             [    1.543377]  krealloc_node_align_noprof+0x1d4/0x2e0\n\
             [    1.543478]  rust_helper_krealloc_node_align+0x1c/0x28\n\
             [    1.543563]  {INIT}+0x66/0x2c0 [zlab_kfence]\n\
             [    1.543659]  init_module+0x1a/0x1000 [zlab_kfence]\n\
             [    1.544284] \n\
             [    1.545048] CPU: 0 UID: 0 PID: 36 Comm: busybox Tainted: G           O        7.3.4 #1 PREEMPTLAZY  \n\
             [    1.545548] ==================================================================\n"
        )
    }

    fn place(frame: &Frame) -> (&str, u64, Option<&str>, bool) {
        (frame.symbol.as_str(), frame.offset, frame.module.as_deref(), frame.exact)
    }

    #[test]
    fn a_kfence_access_is_named_by_its_faulting_instruction_and_its_allocation() {
        let console = kfence_report(&format!("out-of-bounds read in {INIT}+0xae/0x2c0 [zlab_kfence]"));
        let lines: Vec<&str> = console.lines().collect();
        let report = read_report(Detector::Kfence, &lines);
        // KFENCE took the access's stack from the fault's registers: its first address is the
        // read itself, not a return address (one byte before it is the previous line's code).
        assert_eq!(place(&report.frames[0]), (INIT, 0xae, Some("zlab_kfence"), true));
        // Then the access's stack as listed, its first entry the same instruction.
        let listed: Vec<_> = report.frames[1..4].iter().map(place).collect();
        assert_eq!(
            listed,
            [
                (INIT, 0xae, Some("zlab_kfence"), true),
                (INIT, 0x66, Some("zlab_kfence"), false),
                ("init_module", 0x1a, Some("zlab_kfence"), false),
            ]
        );
        assert_eq!(report.sites.len(), 1, "{:?}", report.sites);
        let allocated = &report.sites[0];
        assert_eq!(allocated.role, "allocated");
        // The module's call into the allocator first, before krealloc's own frames.
        assert_eq!(place(&allocated.frames[0]), (INIT, 0x66, Some("zlab_kfence"), false));
        assert_eq!(allocated.frames.len(), 4);
    }

    #[test]
    fn a_kfence_report_found_in_kfree_names_a_return_address() {
        for header in ["invalid free in f+0x1c/0x40 [m]", "memory corruption in f+0x1c/0x40 [m]"] {
            let console = kfence_report(header);
            let lines: Vec<&str> = console.lines().collect();
            let report = read_report(Detector::Kfence, &lines);
            assert_eq!(place(&report.frames[0]), ("f", 0x1c, Some("m"), false), "{header}");
        }
        // KASAN names the return address of its check's call, whatever the access.
        let console = "BUG: KASAN: slab-out-of-bounds in f+0x1c/0x40 [m]\nRead of size 1 at addr 0 by task a/1\n";
        let lines: Vec<&str> = console.lines().collect();
        let report = read_report(Detector::Kasan, &lines);
        assert_eq!(report.frames.iter().map(place).collect::<Vec<_>>(), [("f", 0x1c, Some("m"), false)]);
    }
}
