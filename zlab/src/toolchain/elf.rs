//! The ELF files zlab reads back, through the `object` crate: the sections of two differing
//! kernel files (vmlinux, .ko) to name where they differ, and the machine a program is for (the
//! guest's busybox must be s390x).

pub use object::Architecture;
use object::{Object, ObjectSection};
use std::ops::Range;

pub struct Section {
    pub name: String,
    /// Where the section's bytes are in the file (empty for sections with none, like .bss).
    pub bytes: Range<usize>,
}

/// The sections of an ELF file, or None when `data` is not one (or is cut short).
pub fn sections(data: &[u8]) -> Option<Vec<Section>> {
    let file = object::File::parse(data).ok()?;
    file.sections()
        .map(|section| {
            let name = String::from_utf8_lossy(section.name_bytes().ok()?).into_owned();
            let bytes = match section.file_range() {
                Some((start, size)) => {
                    let start = usize::try_from(start).ok()?;
                    start..start.checked_add(usize::try_from(size).ok()?)?
                }
                None => 0..0,
            };
            data.get(bytes.clone())?;
            Some(Section { name, bytes })
        })
        .collect()
}

/// The machine an ELF file is for, or None when `data` is not ELF (or is cut short).
pub fn architecture(data: &[u8]) -> Option<Architecture> {
    object::File::parse(data).ok().map(|file| file.architecture())
}

#[cfg(test)]
pub mod fixtures {
    /// A tiny s390x object (tests/fixtures/elf/README.md says how it was made).
    pub fn answer(n: u32) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/elf/answer-{n}.o", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(data: &[u8]) -> Vec<String> {
        sections(data).unwrap().into_iter().map(|s| s.name).collect()
    }

    #[test]
    fn the_sections_of_a_big_endian_s390x_object() {
        let data = fixtures::answer(42);
        let all = sections(&data).unwrap();
        let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        for wanted in [".text", ".data", ".bss", ".comment", ".symtab", ".shstrtab"] {
            assert!(names.contains(&wanted), "{wanted} in {names:?}");
        }
        let section = |name: &str| all.iter().find(|s| s.name == name).unwrap();
        // `int answer = 42;`, big-endian: readelf -S puts .data at 0x58, 4 bytes.
        assert_eq!(section(".data").bytes, 0x58..0x5c);
        assert_eq!(data[section(".data").bytes.clone()], 42u32.to_be_bytes());
        assert!(section(".bss").bytes.is_empty(), ".bss has 4 bytes in memory and none in the file");
        assert!(data[section(".comment").bytes.clone()].starts_with(b"\0GCC: ("));
    }

    #[test]
    fn the_sections_of_the_host_program_too() {
        let data = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let names = names(&data);
        assert!(names.iter().any(|n| n == ".text"), "{names:?}");
        assert!(names.iter().any(|n| n == ".shstrtab"), "{names:?}");
    }

    #[test]
    fn the_machine_is_read_from_either_byte_order() {
        assert_eq!(architecture(&fixtures::answer(42)), Some(Architecture::S390x));
        let host = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let here = architecture(&host).unwrap();
        assert_ne!(here, Architecture::S390x, "this test runs on the host, not in the guest");
        assert_ne!(here, Architecture::Unknown);
    }

    #[test]
    fn other_files_are_not_elf() {
        assert!(sections(b"#!/bin/sh\necho hello\n").is_none());
        assert!(architecture(b"#!/bin/sh\necho hello\n").is_none());
        let data = fixtures::answer(42);
        assert!(sections(&data[..100]).is_none(), "a cut-short ELF has no readable section table");
        assert!(architecture(&data[..100]).is_none());
    }
}
