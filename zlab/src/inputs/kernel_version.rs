//! Kernel versions as zlab compares them: a series (`7.2`) or a release (`7.2.12`), numbers
//! compared part by part, so 7.10 comes after 7.9 and 7.2.12 is in the series 7.2.

use anyhow::{bail, Result};
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelVersion(Vec<u32>);

impl KernelVersion {
    /// `7.2` or `7.2.12`: two or three numbers joined by dots (an `-rc` tail is not a release zlab pins).
    pub fn parse(text: &str) -> Result<KernelVersion> {
        let parts: Option<Vec<u32>> =
            text.split('.').map(|p| p.parse().ok().filter(|_| !p.starts_with('+') && !p.is_empty())).collect();
        match parts {
            Some(parts) if (2..=3).contains(&parts.len()) => Ok(KernelVersion(parts)),
            _ => bail!("`{text}` is not a kernel version; write it like 7.2 (a series) or 7.2.12 (a release)"),
        }
    }

    /// The series of a release: `7.2` for 7.2.12.
    pub fn series(&self) -> String {
        format!("{}.{}", self.0[0], self.0[1])
    }
}

impl PartialOrd for KernelVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A missing part counts as 0: the series 7.3 is the same as the release 7.3.0.
impl Ord for KernelVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let part = |v: &KernelVersion, i: usize| v.0.get(i).copied().unwrap_or(0);
        (0..3).map(|i| part(self, i).cmp(&part(other, i))).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> KernelVersion {
        KernelVersion::parse(text).unwrap()
    }

    #[test]
    fn versions_compare_part_by_part() {
        assert!(v("7.10") > v("7.9"));
        assert!(v("7.2.12") < v("7.3"));
        assert!(v("7.3.4") >= v("7.3"));
        assert_eq!(v("7.3").cmp(&v("7.3.0")), Ordering::Equal);
        assert_eq!(v("7.2.12").series(), "7.2");
    }

    #[test]
    fn what_is_not_a_version_is_refused() {
        for bad in ["7", "7.", "7.2.1.4", "7.3-rc7", "seven.two", "", "7.+2"] {
            let err = format!("{:#}", KernelVersion::parse(bad).unwrap_err());
            assert!(err.contains("is not a kernel version"), "{bad}: {err}");
        }
    }
}
