//! Dotted version numbers as tools print them ("rustc 1.96.0 (ac68faa20 2026-05-25)").

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// The first `X.Y` or `X.Y.Z` in `text` that follows `after` (or anywhere, if `after` is empty).
    pub fn find(text: &str, after: &str) -> Option<Version> {
        let start = if after.is_empty() { 0 } else { text.find(after)? + after.len() };
        let rest = &text[start..];
        for (i, c) in rest.char_indices() {
            let starts_word = i == 0 || !rest[..i].ends_with(|p: char| p.is_ascii_alphanumeric() || p == '.');
            if c.is_ascii_digit() && starts_word {
                if let Some(v) = Version::parse_prefix(&rest[i..]) {
                    return Some(v);
                }
            }
        }
        None
    }

    fn parse_prefix(text: &str) -> Option<Version> {
        let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
        let mut parts = text[..end].split('.').filter(|p| !p.is_empty()).map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = parts.next().flatten().unwrap_or(0);
        Some(Version(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_as_tools_print_them() {
        assert_eq!(Version::find("rustc 1.96.0 (ac68faa20 2026-05-25)", ""), Some(Version(1, 96, 0)));
        assert_eq!(Version::find("rustc 1.97.0-nightly (abc 2026-01-01)", ""), Some(Version(1, 97, 0)));
        assert_eq!(Version::find("bindgen 0.73.2", ""), Some(Version(0, 73, 2)));
        assert_eq!(Version::find("s390x-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0", "gcc"), Some(Version(12, 2, 0)));
        assert_eq!(
            Version::find("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds)", "version"),
            Some(Version(10, 0, 2))
        );
        assert_eq!(Version::find("clang version 19.1.7 (3~deb12u1)", "clang version"), Some(Version(19, 1, 7)));
        assert_eq!(Version::find("no digits", ""), None);
    }

    #[test]
    fn ordering_is_numeric() {
        assert!(Version(1, 100, 0) > Version(1, 96, 0));
        assert!(Version(0, 71, 1) > Version(0, 71, 0));
    }
}
