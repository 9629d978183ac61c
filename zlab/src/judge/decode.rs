//! A fault's place in the source: its frames (judge::frames) looked up in the files that ran,
//! a module's .ko (a twin of it built with line tables when it has none, build::modules) or
//! vmlinux (when its variant has debug info), with binutils' addr2line as the kernel's
//! scripts/decode_stacktrace.sh does; the function is the frame's own symbol, demangled. It
//! is what turns `init+0x104/0x270 [hello]` into `in <hello::Hello as kernel::Module>::init at
//! modules/hello/hello.rs:40`. A frame that cannot be decoded (no debug info, no addr2line) is
//! left as the console has it.

use crate::judge::console_faults::{Fault, SourceLocation};
use crate::judge::frames::Frame;
use crate::judge::verdict::{Failure, Verdict};
use object::{Object, ObjectSection, ObjectSymbol};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The files a guest ran, to look its addresses up in.
pub struct Objects<'a> {
    /// Each module in the guest by its file name (`hello.ko`), with the file it came from.
    pub modules: Vec<(String, PathBuf)>,
    pub vmlinux: Option<PathBuf>,
    /// binutils' addr2line for s390x.
    pub addr2line: PathBuf,
    /// A source file under this folder is named relative to it (`modules/hello/hello.rs`).
    pub project: Option<PathBuf>,
    /// For a module file without line tables, the same module with them (or None).
    pub with_line_tables: &'a dyn Fn(&str, &Path) -> Option<PathBuf>,
    /// Each file a frame was in, and the file with line tables to decode it with (itself, its
    /// twin, or None): read, and its twin built, once per fault report.
    pub decodable: RefCell<BTreeMap<PathBuf, Option<PathBuf>>>,
}

/// Gives each fault of `verdict` its source place where a frame can be decoded: a fault
/// without one gets the first decodable frame's file, line and function; a Rust panic (which
/// names its own place) gets the function.
pub fn locate(verdict: &mut Verdict, objects: &Objects) {
    for failure in &mut verdict.failures {
        if let Failure::Fault(fault) = failure {
            locate_fault(fault, objects);
        }
    }
}

fn locate_fault(fault: &mut Fault, objects: &Objects) {
    for site in &mut fault.sites {
        site.location = site.frames.iter().find_map(|frame| objects.place_of(frame));
    }
    let Some(place) = fault.frames.iter().find_map(|frame| objects.place_of(frame)) else {
        return;
    };
    match &mut fault.location {
        // The function the panic was raised in, if the frame is in the panic's own file.
        Some(panic) if file_name(&panic.file) == file_name(&place.file) => panic.function = place.function,
        Some(_) => {}
        None => fault.location = Some(place),
    }
}

impl Objects<'_> {
    fn place_of(&self, frame: &Frame) -> Option<SourceLocation> {
        let (name, ran) = self.file_of(frame)?;
        let known = self.decodable.borrow().get(&ran).cloned();
        let file = known.unwrap_or_else(|| {
            let found = self.with_lines(name.as_deref(), &ran);
            self.decodable.borrow_mut().insert(ran.clone(), found.clone());
            found
        })?;
        let bytes = fs_err::read(&file).ok()?;
        let elf = object::File::parse(&*bytes).ok()?;
        // A return address is just after its call: the call is the byte before.
        let before = u64::from(!frame.exact);
        let mut cmd = Command::new(&self.addr2line);
        cmd.args(["--functions", "--inlines", "--demangle", "-e"]).arg(&file);
        let address = match &frame.section {
            // A bare address placed in a module section (frames::resolve): within its size.
            Some(name) => {
                let section = elf.section_by_name(name).filter(|s| frame.offset < s.size())?;
                cmd.args(["-j", section.name().ok()?]);
                frame.offset - before
            }
            None => {
                let symbol = elf.symbols().find(|s| s.name() == Ok(frame.symbol.as_str()))?;
                if elf.kind() == object::ObjectKind::Relocatable {
                    // In a .ko each section starts at 0: the address is within the symbol's section.
                    let section = elf.section_by_index(symbol.section_index()?).ok()?;
                    cmd.args(["-j", section.name().ok()?]);
                }
                symbol.address() + frame.offset - before
            }
        };
        let out = crate::host::process::stdout_of(cmd.arg(format!("{address:#x}"))).ok()?;
        let place = self.best_of(&out)?;
        // The function the address is in, as the kernel named it: right whatever debug info
        // the file has (with line tables only, addr2line's names of inlined frames are not).
        // A bare address has no name of the kernel's: addr2line's stands.
        if frame.symbol.is_empty() {
            return Some(place);
        }
        Some(SourceLocation { function: Some(format!("{:#}", rustc_demangle::demangle(&frame.symbol))), ..place })
    }

    /// For a module, its twin built with line tables only, else `ran` if it has line tables;
    /// for vmlinux (no twin), `ran` if it has them. A module built with the debug kernel's full
    /// DWARF has line tables too, but binutils' addr2line (2.40) misses the inlined frames of some
    /// of its addresses: `KBox::new` inlined into init reads as the kernel crate's allocator.rs,
    /// where the twin names the module's own line (llvm-symbolizer reads both right).
    fn with_lines(&self, name: Option<&str>, ran: &Path) -> Option<PathBuf> {
        if let Some(twin) = name.and_then(|name| (self.with_line_tables)(name, ran)) {
            return Some(twin);
        }
        has_line_tables(&fs_err::read(ran).ok()?).then(|| ran.to_path_buf())
    }

    /// The file the frame's code is in, with the module's file name (None for vmlinux).
    fn file_of(&self, frame: &Frame) -> Option<(Option<String>, PathBuf)> {
        match &frame.module {
            // The kernel calls a module by its file name with `-` made `_`.
            Some(module) => self
                .modules
                .iter()
                .find(|(name, _)| name.strip_suffix(".ko").map(|n| n.replace('-', "_")) == Some(module.clone()))
                .map(|(name, file)| (Some(name.clone()), file.clone())),
            None => Some((None, self.vmlinux.clone()?)),
        }
    }

    /// addr2line's answer is a function line and a `FILE:LINE` line per frame, innermost
    /// (inlined) first: the first frame in the project's own sources, else the innermost one
    /// with a line (its function as addr2line names it).
    fn best_of(&self, out: &str) -> Option<SourceLocation> {
        let lines: Vec<&str> = out.lines().collect();
        let places: Vec<SourceLocation> =
            lines.chunks(2).filter_map(|pair| self.place(pair.first()?, pair.get(1)?)).collect();
        let ours = places.iter().position(|p| !Path::new(&p.file).is_absolute());
        places.into_iter().nth(ours.unwrap_or(0))
    }

    fn place(&self, function: &str, at: &str) -> Option<SourceLocation> {
        // `FILE:LINE` or `FILE:LINE (discriminator N)`; `??:0` or `FILE:?` when unknown.
        let at = at.split(" (discriminator").next()?;
        let (file, line) = at.rsplit_once(':')?;
        let line: u32 = line.parse().ok().filter(|&l| l > 0)?;
        let file = match &self.project {
            Some(project) => {
                Path::new(file).strip_prefix(project).map_or(file.to_string(), |p| p.display().to_string())
            }
            None => file.to_string(),
        };
        let function = (function != "??").then(|| function.to_string());
        Some(SourceLocation { file, line, column: None, function })
    }
}

fn has_line_tables(elf: &[u8]) -> bool {
    object::File::parse(elf).is_ok_and(|elf| elf.section_by_name(".debug_line").is_some())
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(project: &str) -> Objects<'static> {
        Objects {
            modules: vec![],
            vmlinux: None,
            addr2line: "addr2line".into(),
            project: Some(project.into()),
            with_line_tables: &|_, _| None,
            decodable: RefCell::default(),
        }
    }

    #[test]
    fn the_projects_own_line_beats_an_inlined_library_frame() {
        let out = "core::ptr::read_volatile::<u64>\n/usr/lib/rustlib/src/rust/library/core/src/ptr/mod.rs:2095\n\
                   <zlab_fault::ZlabFault as kernel::module::Module>::init\n/p/modules/zlab_fault/zlab_fault.rs:53\n";
        let place = objects("/p").best_of(out).unwrap();
        assert_eq!(place.file, "modules/zlab_fault/zlab_fault.rs");
        assert_eq!(place.line, 53);
        assert_eq!(place.function.as_deref(), Some("<zlab_fault::ZlabFault as kernel::module::Module>::init"));
        assert_eq!(place.column, None);
    }

    #[test]
    fn outside_the_project_the_innermost_frame_with_a_line() {
        let out = "??\n??:0\nvpanic\n/src/linux/kernel/panic.c:412 (discriminator 3)\nfoo\n/src/linux/x.c:9\n";
        let place = objects("/p").best_of(out).unwrap();
        assert_eq!(
            (place.file.as_str(), place.line, place.function.as_deref()),
            ("/src/linux/kernel/panic.c", 412, Some("vpanic"))
        );
        assert!(objects("/p").best_of("??\n??:0\n").is_none());
    }

    #[test]
    fn a_module_is_found_by_the_kernels_name_for_it() {
        let objects = Objects { modules: vec![("zlab-x.ko".into(), "/b/zlab-x.ko".into())], ..objects("/p") };
        let frame = |module: &str| Frame {
            symbol: "f".into(),
            offset: 0,
            module: Some(module.into()),
            exact: true,
            section: None,
        };
        assert_eq!(objects.file_of(&frame("zlab_x")), Some((Some("zlab-x.ko".into()), PathBuf::from("/b/zlab-x.ko"))));
        assert_eq!(objects.file_of(&frame("other")), None);
    }
}
