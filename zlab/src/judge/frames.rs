//! The code addresses in a fault's report, as the kernel names them (`%pS`):
//! `SYMBOL+0xOFFSET/0xSIZE [MODULE]`, from the WARNING header's `at`, the `Krnl PSW` line and
//! the `Call Trace`. Turned into source lines by judge::decode.

use crate::judge::ktap::strip_printk_prefix;
use serde::Serialize;
use std::fmt;

/// How far after its header a fault's frames are looked for.
const REPORT_LINES: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub symbol: String,
    pub offset: u64,
    /// The module the code is in; None for the kernel image (vmlinux).
    pub module: Option<String>,
    /// True where the address is the failing instruction itself (the PSW, a WARNING's `at`);
    /// false for a Call Trace entry, a return address just after the call.
    pub exact: bool,
    /// For an address the console gives only as a number (`0x3ff600000b0`: code of a module
    /// unloaded since), the module section it is in, found by the load addresses init recorded
    /// (`zlab-module NAME SECTION ADDRESS`); `offset` is then from the section's start and
    /// `symbol` is empty. Before that, a bare number is a frame with neither module nor section.
    pub section: Option<String>,
}

impl Frame {
    /// The frame as a person reads it: `<m::M as kernel::Module>::init+0x68`, `zlab_leak .text+0x1a4`
    /// or `0x3ff600000b0`.
    pub fn describe(&self) -> String {
        match (&self.section, &self.module) {
            (Some(section), Some(module)) => format!("{module} {section}+{:#x}", self.offset),
            _ if self.symbol.is_empty() => format!("{:#x}", self.offset),
            _ => format!("{:#}+{:#x}", rustc_demangle::demangle(&self.symbol), self.offset),
        }
    }
}

/// A place in source code: as a Rust panic names it (`panicked at FILE:LINE:COL:`), or as
/// addr2line names a code address (a line and a function, no column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceLocation {
    pub file: String,
    pub line: u32,
    pub column: Option<u32>,
    pub function: Option<String>,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        match self.column {
            Some(column) => write!(f, ":{column}"),
            None => Ok(()),
        }
    }
}

/// Where init saw a module section loaded: the line `zlab-module NAME SECTION 0xADDRESS` its
/// insmod prints (guest::init).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub module: String,
    pub section: String,
    pub start: u64,
}

/// The load addresses a console records, in console order.
pub fn loads(lines: &[&str]) -> Vec<Loaded> {
    lines
        .iter()
        .filter_map(|line| {
            let mut words = line.trim_end().strip_prefix(crate::guest::init::MODULE_LOADED)?.split(' ');
            let (module, section, start) = (words.next()?, words.next()?, words.next()?);
            let start = u64::from_str_radix(start.strip_prefix("0x")?, 16).ok()?;
            Some(Loaded { module: module.to_string(), section: section.to_string(), start })
        })
        .collect()
}

/// Gives each bare-number frame the module section it falls in: the recorded section that
/// starts nearest below it (judge::decode checks it is within the section's size).
pub fn resolve(frames: &mut [Frame], loads: &[Loaded]) {
    for frame in frames.iter_mut().filter(|f| f.symbol.is_empty() && f.module.is_none()) {
        let address = frame.offset;
        if let Some(load) = loads.iter().filter(|l| l.start <= address).max_by_key(|l| l.start) {
            frame.module = Some(load.module.clone());
            frame.section = Some(load.section.clone());
            frame.offset = address - load.start;
        }
    }
}

/// The frames of the fault whose header is `lines[0]`, in the order a reader would trust them:
/// the WARNING's `at`, the PSW, then the Call Trace. The report ends at its end-of-trace line,
/// the next fault's header being none of these.
pub fn of(lines: &[&str]) -> Vec<Frame> {
    let mut frames = Vec::new();
    for (i, line) in lines.iter().take(REPORT_LINES).enumerate() {
        let message = strip_printk_prefix(line).unwrap_or(line);
        if i > 0 && (message.starts_with("---[ end") || message.starts_with("WARNING: ")) {
            break;
        }
        if i == 0 && message.starts_with("WARNING: ") {
            frames.extend(message.split_once(" at ").and_then(|(_, rest)| named(rest, true)));
        } else if let Some(psw) = message.strip_prefix("Krnl PSW : ") {
            frames.extend(psw.split_once('(').and_then(|(_, rest)| named(rest, true)));
        } else if let Some(entry) = message.trim_start().strip_prefix("[<") {
            // ` [<addr>] sym+off/size [mod]`; a `([<addr>] …)` entry is the kernel's guess
            // from r14, not a frame.
            frames.extend(entry.split_once("] ").and_then(|(_, rest)| named(rest, false)));
        }
    }
    frames
}

/// The frames listed one a line from `lines[0]` on, as lockdep, kmemleak, KFENCE and KASAN print
/// a stack (`   SYMBOL+0xOFF/0xSIZE [MODULE]`, with or without ` [<ADDRESS>]` before it), up to
/// the first line that is not one. Each is a return address.
pub fn listed(lines: &[&str]) -> Vec<Frame> {
    lines
        .iter()
        .map(|line| strip_printk_prefix(line).unwrap_or(line).trim())
        .map_while(|entry| {
            let entry = match entry.strip_prefix("[<") {
                Some(rest) => rest.split_once("] ")?.1,
                None => entry,
            };
            named(entry, false).or_else(|| bare(entry))
        })
        .collect()
}

/// `0x3ff600000b0`: what `%pS` prints for an address in no symbol (an unloaded module's code).
fn bare(text: &str) -> Option<Frame> {
    let address = u64::from_str_radix(text.trim().strip_prefix("0x")?, 16).ok()?;
    Some(Frame { symbol: String::new(), offset: address, module: None, exact: false, section: None })
}

/// The one frame `text` names (`SYMBOL+0xOFF/0xSIZE [MODULE]`), a return address, or none.
pub fn named_at(text: &str) -> Vec<Frame> {
    named(text, false).into_iter().collect()
}

/// The one frame `text` names, the failing instruction itself (a fault's own address), or none.
pub fn exact_at(text: &str) -> Vec<Frame> {
    named(text, true).into_iter().collect()
}

/// `SYMBOL+0xOFF/0xSIZE [MODULE]…` at the start of `text`.
fn named(text: &str, exact: bool) -> Option<Frame> {
    let (symbol, rest) = text.split_once('+')?;
    let (offset, rest) = rest.strip_prefix("0x")?.split_once('/')?;
    let offset = u64::from_str_radix(offset, 16).ok()?;
    let size_end = rest.find(|c: char| !(c.is_ascii_hexdigit() || c == 'x')).unwrap_or(rest.len());
    let module = rest[size_end..].strip_prefix(" [").and_then(|m| m.split_once(']')).map(|(name, _)| name.to_string());
    let symbol_ok = !symbol.is_empty() && !symbol.contains(char::is_whitespace);
    symbol_ok.then(|| Frame { symbol: symbol.to_string(), offset, module, exact, section: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INIT: &str = "_RNvXCsduScEet3ZYZ_10zlab_faultNtB2_9ZlabFaultNtNtCsl7L7n58I0Vr_6kernel6module6Module4init";

    fn frame(symbol: &str, offset: u64, module: Option<&str>, exact: bool) -> Frame {
        Frame { symbol: symbol.into(), offset, module: module.map(str::to_string), exact, section: None }
    }

    #[test]
    fn an_oops_names_its_psw_then_its_call_trace() {
        let console = format!(
            "[    1.274082] Oops: 0010 ilc:3 [#1]SMP \n\
             [    1.274856] Krnl PSW : 0704d00180000000 000003ff600001e4 ({INIT}+0x104/0x270 [zlab_fault])\n\
             [    1.276403] Call Trace:\n\
             [    1.276654]  [<000003ff600001e4>] {INIT}+0x104/0x270 [zlab_fault] \n\
             [    1.276816] ([<000003ff600001dc>] {INIT}+0xfc/0x270 [zlab_fault])\n\
             [    1.276850]  [<000003ff6000601a>] init_module+0x1a/0x1000 [zlab_fault] \n\
             [    1.276880]  [<000003ffe010222c>] do_one_initcall+0x6c/0x1a8 \n\
             [    1.277300] ---[ end trace 0000000000000000 ]---\n\
             [    1.277400]  [<000003ffe010222c>] later+0x6c/0x1a8 \n"
        );
        let lines: Vec<&str> = console.lines().collect();
        assert_eq!(
            of(&lines),
            [
                frame(INIT, 0x104, Some("zlab_fault"), true),
                frame(INIT, 0x104, Some("zlab_fault"), false),
                frame("init_module", 0x1a, Some("zlab_fault"), false),
                frame("do_one_initcall", 0x6c, None, false),
            ]
        );
    }

    #[test]
    fn a_warning_names_its_own_address_first() {
        let header =
            format!("[    1.333304] WARNING: zlab_fault.rs:62 at {INIT}+0x1b6/0x270 [zlab_fault], CPU#0: insmod/739");
        let psw =
            format!("[    1.339082] Krnl PSW : 0704c00180000000 000003ff6000029a ({INIT}+0x1ba/0x270 [zlab_fault])");
        let next = "[    1.400000] WARNING: another one at x+0x1/0x2";
        let frames = of(&[&header, &psw, next]);
        assert_eq!(
            frames,
            [frame(INIT, 0x1b6, Some("zlab_fault"), true), frame(INIT, 0x1ba, Some("zlab_fault"), true)]
        );
    }

    #[test]
    fn a_listed_stack_ends_at_its_first_other_line() {
        let lines = [
            "[    2.1]        lock_acquire+0x1ae/0x3c0 ",
            "[    2.1]  [<000003ff600001e4>] deposit+0x3c/0x90 [zlab_lock_order]",
            "[    2.1]        init_module+0x1a/0x1000 [zlab_lock_order]",
            "[    2.1] ",
            "[    2.1]        later+0x1/0x2",
        ];
        assert_eq!(
            listed(&lines),
            [
                frame("lock_acquire", 0x1ae, None, false),
                frame("deposit", 0x3c, Some("zlab_lock_order"), false),
                frame("init_module", 0x1a, Some("zlab_lock_order"), false),
            ]
        );
        assert!(listed(&["-> #0 (LEDGER){+.+.}-{4:4}:"]).is_empty());
    }

    #[test]
    fn a_bare_address_is_placed_in_the_module_section_loaded_below_it() {
        let lines = [
            "zlab-module zlab_leak .text 0x000003ff60000000",
            "zlab-module zlab_leak .init.text 0x000003ff60006000",
            "zlab-module other .text 0x000003ff60100000",
            "zlab-module garbage",
        ];
        let loads = loads(&lines);
        assert_eq!(loads.len(), 3);
        let mut frames = listed(&["    0x3ff600001a4", "    0x3ff60006010", "    0x3ff5ffffff0", "    kfree+0x1/0x2"]);
        resolve(&mut frames, &loads);
        let placed: Vec<(Option<&str>, Option<&str>, u64)> =
            frames.iter().map(|f| (f.module.as_deref(), f.section.as_deref(), f.offset)).collect();
        assert_eq!(
            placed,
            [
                (Some("zlab_leak"), Some(".text"), 0x1a4),
                (Some("zlab_leak"), Some(".init.text"), 0x10),
                (None, None, 0x3ff5ffffff0),
                (None, None, 1),
            ]
        );
        assert_eq!(frames[0].describe(), "zlab_leak .text+0x1a4");
        assert_eq!(frames[2].describe(), "0x3ff5ffffff0");
    }

    #[test]
    fn a_kernel_frame_has_no_module_and_garbage_is_no_frame() {
        assert_eq!(named("vpanic+0x218/0x2c0 ", false), Some(frame("vpanic", 0x218, None, false)));
        for text in ["", "no plus here", "x+0xzz/0x10", "a b+0x1/0x2", "+0x1/0x2"] {
            assert_eq!(named(text, false), None, "{text}");
        }
    }
}
