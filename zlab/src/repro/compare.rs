//! The outputs of two builds side by side: each file's SHA256, and for a file that differs,
//! where: the ELF sections whose bytes differ, or the first differing byte.

use crate::inputs::pins;
use crate::toolchain::elf;
use anyhow::Result;
use fs_err as fs;
use std::collections::BTreeSet;
use std::path::Path;

pub struct Compared {
    /// Relative to the build (or tree) it was found in.
    pub file: String,
    pub first: Option<String>,
    pub second: Option<String>,
    /// Why the two differ, when they do.
    pub difference: Option<String>,
}

impl Compared {
    pub fn identical(&self) -> bool {
        self.difference.is_none()
    }
}

/// Compares each named file (relative path) of `first` with the same file under `second`.
pub fn files(first: &Path, second: &Path, names: &BTreeSet<String>) -> Result<Vec<Compared>> {
    let mut out = Vec::new();
    for name in names {
        let (a, b) = (read(&first.join(name))?, read(&second.join(name))?);
        let (first_sum, second_sum) = (a.as_deref().map(pins::sha256), b.as_deref().map(pins::sha256));
        let difference = match (&a, &b) {
            (Some(a), Some(b)) if a == b => None,
            (Some(a), Some(b)) => Some(where_they_differ(a, b)),
            (None, _) => Some(format!("missing from {}", first.display())),
            (_, None) => Some(format!("missing from {}", second.display())),
        };
        out.push(Compared { file: name.clone(), first: first_sum, second: second_sum, difference });
    }
    Ok(out)
}

fn read(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// "sections .rodata, .modinfo" for ELF files with the same section names; otherwise the size
/// or the first differing byte.
pub fn where_they_differ(a: &[u8], b: &[u8]) -> String {
    if let (Some(sa), Some(sb)) = (elf::sections(a), elf::sections(b)) {
        let names_a: Vec<&str> = sa.iter().map(|s| s.name.as_str()).collect();
        let names_b: Vec<&str> = sb.iter().map(|s| s.name.as_str()).collect();
        if names_a == names_b {
            let differing: Vec<&str> = sa
                .iter()
                .zip(&sb)
                .filter(|(x, y)| a[x.bytes.clone()] != b[y.bytes.clone()])
                .map(|(x, _)| x.name.as_str())
                .collect();
            if !differing.is_empty() {
                return format!("sections {}", differing.join(", "));
            }
            return "same sections, different headers or padding".into();
        }
        return "different section lists".into();
    }
    if a.len() != b.len() {
        return format!("sizes {} and {} bytes", a.len(), b.len());
    }
    let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(0);
    format!("first difference at byte {at:#x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_differing_section_of_two_s390x_objects_is_named() {
        let (a, b) = (elf::fixtures::answer(42), elf::fixtures::answer(43));
        assert_eq!(where_they_differ(&a, &b), "sections .data");
        assert_eq!(where_they_differ(&a, &a), "same sections, different headers or padding");
    }

    #[test]
    fn a_changed_section_of_the_host_program_is_named() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let text = elf::sections(&exe).unwrap().into_iter().find(|s| s.name == ".text").unwrap();
        let mut changed = exe.clone();
        changed[text.bytes.start + 16] ^= 0xff;
        assert_eq!(where_they_differ(&exe, &changed), "sections .text");
    }

    #[test]
    fn other_files_say_where_or_how_big() {
        assert_eq!(where_they_differ(b"abcdef", b"abcxef"), "first difference at byte 0x3");
        assert_eq!(where_they_differ(b"abc", b"abcd"), "sizes 3 and 4 bytes");
    }

    #[test]
    fn files_missing_or_different_are_reported_and_equal_ones_are_not() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for (dir, changed) in [(a.path(), "one"), (b.path(), "two")] {
            std::fs::create_dir_all(dir.join("sub")).unwrap();
            std::fs::write(dir.join("sub/same.ko"), "same").unwrap();
            std::fs::write(dir.join("changed.ko"), changed).unwrap();
        }
        std::fs::write(a.path().join("only-first.ko"), "x").unwrap();
        let names: BTreeSet<String> = ["changed.ko", "only-first.ko", "sub/same.ko"].map(String::from).into();
        let compared = files(a.path(), b.path(), &names).unwrap();
        let verdicts: Vec<(&str, bool)> = compared.iter().map(|c| (c.file.as_str(), c.identical())).collect();
        assert_eq!(verdicts, [("changed.ko", false), ("only-first.ko", false), ("sub/same.ko", true)]);
        assert!(compared[1].difference.as_deref().unwrap().starts_with("missing from"));
        assert_eq!(compared[2].first, compared[2].second);
    }
}
