//! kernel/source.toml's `[rust."SERIES"]` tables, Debian's builds of rustc newer than the floor
//! (`zlab --rust SERIES`), and its `[[rust-runtime]]` list, the Debian 13 libraries they run on.

use crate::inputs::deb_pin::DebPin;
use crate::toolchain::tools::minimum;
use crate::toolchain::version::Version;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One pinned rustc release: its .debs (rustc, its libraries and std, rust-src).
#[derive(Debug, Clone, PartialEq)]
pub struct RustPin {
    /// `1.98`: the key of its table, `[rust."1.98"]`.
    pub series: String,
    /// `1.98.1`: what `rustc --version` says.
    pub release: String,
    pub debs: Vec<DebPin>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RustPins {
    /// Oldest first.
    pub releases: Vec<RustPin>,
    /// What every release needs beside its own .debs.
    pub runtime: Vec<DebPin>,
}

/// The packages a release must pin: without one, rustc cannot start or the kernel cannot build
/// `core` and the proc macros.
const REQUIRED: [&str; 3] = ["rustc", "libstd-rust-dev", "rust-src"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RustTable {
    release: String,
    deb: Vec<DebTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DebTable {
    package: String,
    version: String,
    suite: String,
    arch: String,
    pool: String,
    sha256: String,
    sha1: String,
}

impl DebTable {
    fn pin(self) -> Result<DebPin> {
        let DebTable { package, version, suite, arch, pool, sha256, sha1 } = self;
        let pin = DebPin { package, version, suite, arch, pool, sha256, sha1, given_by: None };
        pin.validate()?;
        Ok(pin)
    }
}

pub(crate) fn from_tables(tables: BTreeMap<String, RustTable>, runtime: Vec<DebTable>) -> Result<RustPins> {
    let mut releases = Vec::new();
    for (series, table) in tables {
        let name = format!("[rust.\"{series}\"]");
        let debs = table.deb.into_iter().map(DebTable::pin).collect::<Result<Vec<_>>>().context(name.clone())?;
        let pin = RustPin { series, release: table.release, debs };
        pin.validate().context(name)?;
        releases.push(pin);
    }
    releases.sort_by_key(|r| release_version(&r.release));
    let runtime = runtime.into_iter().map(DebTable::pin).collect::<Result<Vec<_>>>().context("[[rust-runtime]]")?;
    Ok(RustPins { releases, runtime })
}

/// `1.98.1`, exactly three numbers.
fn release_version(release: &str) -> Option<Version> {
    let parts: Vec<u32> = release.split('.').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    match parts[..] {
        [major, minor, patch] => Some(Version(major, minor, patch)),
        _ => None,
    }
}

impl RustPin {
    fn validate(&self) -> Result<()> {
        let Some(version) = release_version(&self.release) else {
            bail!("release {:?} is not a rustc version such as 1.98.1", self.release)
        };
        if self.release.rsplit_once('.').map(|(series, _)| series) != Some(self.series.as_str()) {
            bail!("must be named by its series, MAJOR.MINOR: release {} is not in it", self.release);
        }
        if version < minimum::RUSTC {
            bail!("release {} is below the kernel's minimum rustc {} on s390", self.release, minimum::RUSTC);
        }
        for package in REQUIRED {
            if !self.debs.iter().any(|d| d.package == package) {
                bail!("no {package} .deb is pinned; a release needs {}", REQUIRED.join(", "));
            }
        }
        Ok(())
    }

    /// Its own .debs, then the runtime's: every file `zlab setup --rust` unpacks.
    pub fn all_debs<'a>(&'a self, pins: &'a RustPins) -> Vec<&'a DebPin> {
        self.debs.iter().chain(&pins.runtime).collect()
    }

    /// The suite its rustc comes from (`experimental`), for messages.
    pub fn suite(&self) -> &str {
        self.debs.iter().find(|d| d.package == "rustc").map_or("", |d| d.suite.as_str())
    }
}

impl RustPins {
    /// The release `--rust` names, by series (`1.98`) or release (`1.98.1`).
    pub fn choose(&self, wanted: &str) -> Result<&RustPin> {
        if let Some(pin) = self.releases.iter().find(|r| r.series == wanted || r.release == wanted) {
            return Ok(pin);
        }
        if self.releases.is_empty() {
            bail!("kernel/source.toml pins no rustc for --rust (ZLAB_RUST); leave it unset for the host's rustc");
        }
        let pinned: Vec<&str> = self.releases.iter().map(|r| r.series.as_str()).collect();
        bail!(
            "no rustc {wanted} is pinned in kernel/source.toml; it pins {}: give one of them to --rust (ZLAB_RUST), or leave it unset for the host's rustc (the floor, 1.96)",
            pinned.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::inputs::pins::tests::repo_pins;
    use crate::inputs::pins::Pins;

    #[test]
    fn the_repository_pins_two_newer_releases_oldest_first() {
        let pins = Pins::parse(&repo_pins()).unwrap();
        let rust = &pins.rust;
        let releases: Vec<(&str, &str, &str)> =
            rust.releases.iter().map(|r| (r.series.as_str(), r.release.as_str(), r.suite())).collect();
        assert_eq!(releases, [("1.97", "1.97.1", "trixie-backports"), ("1.98", "1.98.1", "experimental")]);
        assert!(rust.runtime.iter().any(|d| d.package == "libc6"));
        assert_eq!(rust.choose("1.98").unwrap().release, "1.98.1");
        assert_eq!(rust.choose("1.97.1").unwrap().series, "1.97");
        let all = rust.choose("1.98").unwrap().all_debs(rust);
        assert_eq!(all.len(), rust.choose("1.98").unwrap().debs.len() + rust.runtime.len());
        assert!(pins.debs().iter().all(|d| !d.package.starts_with("rust")), "zlab fetch must not download every rustc");
    }

    #[test]
    fn a_release_that_is_not_pinned_is_refused_with_those_that_are() {
        let pins = Pins::parse(&repo_pins()).unwrap();
        let err = format!("{:#}", pins.rust.choose("1.99").unwrap_err());
        assert!(err.contains("no rustc 1.99 is pinned") && err.contains("it pins 1.97, 1.98"), "{err}");
    }

    #[test]
    fn a_table_must_hold_a_release_of_its_series_above_the_floor() {
        let text = repo_pins().replacen("release = \"1.97.1\"", "release = \"1.98.1\"", 1);
        let err = format!("{:#}", Pins::parse(&text).unwrap_err());
        assert!(err.contains("[rust.\"1.97\"]") && err.contains("must be named by its series"), "{err}");
        let text = repo_pins().replace("[rust.\"1.97\"", "[rust.\"1.95\"").replacen("\"1.97.1\"", "\"1.95.0\"", 1);
        let err = format!("{:#}", Pins::parse(&text).unwrap_err());
        assert!(err.contains("below the kernel's minimum rustc 1.96.0"), "{err}");
    }

    #[test]
    fn a_release_without_rust_src_is_refused() {
        let text = repo_pins().replacen("package = \"rust-src\"", "package = \"rust-doc\"", 1);
        let err = format!("{:#}", Pins::parse(&text).unwrap_err());
        assert!(err.contains("no rust-src .deb is pinned"), "{err}");
    }
}
