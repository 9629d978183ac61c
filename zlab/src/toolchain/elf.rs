//! Just enough ELF to name the sections of two differing kernel files (vmlinux, .ko): the
//! section headers of a 64-bit ELF of either byte order.

use std::ops::Range;

pub struct Section {
    pub name: String,
    /// Where the section's bytes are in the file (empty for sections with none, like .bss).
    pub bytes: Range<usize>,
}

/// The sections of a 64-bit ELF file, or None when `data` is not one (or is cut short).
pub fn sections(data: &[u8]) -> Option<Vec<Section>> {
    if data.len() < 64 || &data[..4] != b"\x7fELF" || data[4] != 2 {
        return None;
    }
    let big = data[5] == 2;
    let u16_at = |at: usize| -> Option<usize> {
        let b: [u8; 2] = data.get(at..at + 2)?.try_into().ok()?;
        Some(if big { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) } as usize)
    };
    let u32_at = |at: usize| -> Option<usize> {
        let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        Some(if big { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) } as usize)
    };
    let u64_at = |at: usize| -> Option<usize> {
        let b: [u8; 8] = data.get(at..at + 8)?.try_into().ok()?;
        usize::try_from(if big { u64::from_be_bytes(b) } else { u64::from_le_bytes(b) }).ok()
    };
    const SHT_NOBITS: usize = 8;
    let (table, entry_size, count, names_index) = (u64_at(0x28)?, u16_at(0x3a)?, u16_at(0x3c)?, u16_at(0x3e)?);
    let header = |i: usize| table.checked_add(i.checked_mul(entry_size)?);
    let names_at = u64_at(header(names_index)? + 0x18)?;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let at = header(i)?;
        let name_start = names_at.checked_add(u32_at(at)?)?;
        let name_bytes = data.get(name_start..)?;
        let name_end = name_bytes.iter().position(|&b| b == 0)?;
        let name = String::from_utf8_lossy(&name_bytes[..name_end]).into_owned();
        let (offset, size) = (u64_at(at + 0x18)?, u64_at(at + 0x20)?);
        let bytes = if u32_at(at + 4)? == SHT_NOBITS { offset..offset } else { offset..offset.checked_add(size)? };
        data.get(bytes.clone())?;
        out.push(Section { name, bytes });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sections_of_a_real_program() {
        let data = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let names: Vec<String> = sections(&data).unwrap().into_iter().map(|s| s.name).collect();
        assert!(names.iter().any(|n| n == ".text"), "{names:?}");
        assert!(names.iter().any(|n| n == ".shstrtab"), "{names:?}");
    }

    #[test]
    fn other_files_are_not_elf() {
        assert!(sections(b"#!/bin/sh\necho hello\n").is_none());
        let data = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(sections(&data[..100]).is_none(), "a cut-short ELF has no readable section table");
    }
}
