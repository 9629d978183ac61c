//! kernel/source.toml: the pinned kernel source, guest busybox and newer rustc releases (their
//! tables: rust_pins.rs), and SHA256 verification.

pub use crate::inputs::deb_pin::{DebPin, GivenBy};
use crate::inputs::kernel_version::KernelVersion;
use crate::inputs::rust_pins::{self, RustPins, RustTable};
use anyhow::{bail, Context, Result};
use fs_err as fs;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct Pins {
    /// The kernel this run builds: the default series, or the one `--kernel` chose.
    pub kernel: KernelPin,
    /// Every pinned kernel series, newest first.
    pub kernels: Vec<KernelPin>,
    /// The series built when `--kernel` names none (`default-kernel`).
    pub default_series: String,
    pub busybox: BusyboxPin,
    /// Debian's newer rustc builds `--rust` chooses from, and what they run on.
    pub rust: RustPins,
}

/// One kernel series: the source .deb, the upstream tarball inside it and the release it
/// unpacks to.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelPin {
    /// `7.3`: the key of its table, `[kernel."7.3"]`.
    pub series: String,
    pub deb: DebPin,
    pub tarball: String,
    pub release: String,
}

/// The s390x busybox .deb and the static binary inside it.
#[derive(Debug, Clone)]
pub struct BusyboxPin {
    pub deb: DebPin,
    pub binary: String,
}

// serde's `flatten` cannot be combined with `deny_unknown_fields`, so each table is read whole
// and split afterwards: a misspelt key in a pin must be an error, never silently ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PinsFile {
    default_kernel: String,
    kernel: BTreeMap<String, KernelTable>,
    busybox: BusyboxTable,
    #[serde(default)]
    rust: BTreeMap<String, RustTable>,
    #[serde(default)]
    rust_runtime: Vec<rust_pins::DebTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KernelTable {
    package: String,
    version: String,
    suite: String,
    arch: String,
    pool: String,
    sha256: String,
    sha1: String,
    tarball: String,
    release: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BusyboxTable {
    package: String,
    version: String,
    suite: String,
    arch: String,
    pool: String,
    sha256: String,
    sha1: String,
    binary: String,
}

impl Pins {
    /// Every pinned .deb, as `zlab fetch` and `zlab setup` download them: the chosen kernel,
    /// the other series (`--kernel`, `zlab test --matrix`), the guest busybox.
    pub fn debs(&self) -> Vec<&DebPin> {
        let others = self.kernels.iter().filter(|k| k.series != self.kernel.series);
        std::iter::once(&self.kernel).chain(others).map(|k| &k.deb).chain([&self.busybox.deb]).collect()
    }

    /// Whether this run builds the default series (its folders then carry no series suffix).
    pub fn default_chosen(&self) -> bool {
        self.kernel.series == self.default_series
    }

    /// The same pins with `series` as the kernel this run builds (`--kernel`).
    pub fn choose(mut self, series: &str) -> Result<Pins> {
        let Some(pin) = self.kernels.iter().find(|k| k.series == series).cloned() else {
            let pinned: Vec<&str> = self.kernels.iter().map(|k| k.series.as_str()).collect();
            bail!(
                "no Linux {series} is pinned in kernel/source.toml; it pins {}: give one of them to --kernel (ZLAB_KERNEL)",
                pinned.join(", ")
            );
        };
        for k in &mut self.kernels {
            k.deb.given_by = None;
        }
        self.kernel = KernelPin { deb: DebPin { given_by: Some(GivenBy::KernelDeb), ..pin.deb }, ..pin };
        Ok(self)
    }

    pub fn load(path: &Path) -> Result<Pins> {
        let text = fs::read_to_string(path)?;
        Pins::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// The pins with the default series chosen.
    pub fn parse(text: &str) -> Result<Pins> {
        let file: PinsFile = toml::from_str(text)?;
        let mut kernels = Vec::new();
        for (series, k) in file.kernel {
            let deb = DebPin {
                package: k.package,
                version: k.version,
                suite: k.suite,
                arch: k.arch,
                pool: k.pool,
                sha256: k.sha256,
                sha1: k.sha1,
                given_by: None,
            };
            let pin = KernelPin { series, deb, tarball: k.tarball, release: k.release };
            pin.validate()?;
            kernels.push(pin);
        }
        kernels.sort_by_cached_key(|k| std::cmp::Reverse(KernelVersion::parse(&k.series).ok()));
        let b = file.busybox;
        let busybox = BusyboxPin {
            deb: DebPin {
                package: b.package,
                version: b.version,
                suite: b.suite,
                arch: b.arch,
                pool: b.pool,
                sha256: b.sha256,
                sha1: b.sha1,
                given_by: Some(GivenBy::BusyboxDeb),
            },
            binary: b.binary,
        };
        busybox.deb.validate()?;
        let default_series = file.default_kernel;
        let Some(first) = kernels.first().cloned() else {
            bail!("no [kernel.\"<series>\"] table: pin at least one kernel")
        };
        let rust = rust_pins::from_tables(file.rust, file.rust_runtime)?;
        let pins = Pins { kernel: first, kernels, default_series: default_series.clone(), busybox, rust };
        pins.choose(&default_series).context("in default-kernel")
    }
}

impl KernelPin {
    fn validate(&self) -> Result<()> {
        let table = format!("[kernel.\"{}\"]", self.series);
        let series = KernelVersion::parse(&self.series).with_context(|| format!("in the name of {table}"))?;
        let release = KernelVersion::parse(&self.release).with_context(|| format!("in {table} release"))?;
        if series.series() != self.series || release.series() != self.series {
            bail!(
                "{table} must be named by its series, MAJOR.MINOR, and hold a release of it: release {} is in the series {}",
                self.release,
                release.series()
            );
        }
        self.deb.validate()
    }
}

/// The SHA256 of `bytes`, in hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Lowercase hex, as sha256sum prints digests.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a file zlab did not download (named by `variable`, e.g. a Nix store path) against
/// the pin. It is hashed every time and nothing is written or deleted beside it: on a mismatch
/// the file stays as it is and the error says which variable pointed at it.
pub fn verify_given(path: &Path, pin: &DebPin, variable: &str) -> Result<()> {
    let found = sha256_file(path).with_context(|| format!("{variable} points at {}", path.display()))?;
    if found != pin.sha256 {
        bail!(
            "{} (from {variable}) does not match its pin {} {} in kernel/source.toml: SHA256 {} expected, {} found; zlab left the file alone — point {variable} at the pinned .deb, or unset it and run `zlab fetch`",
            path.display(),
            pin.package,
            pin.version,
            pin.sha256,
            found
        );
    }
    Ok(())
}

/// Checks a file in zlab's own downloads folder against the pin; a file that does not match is
/// deleted so the next run starts clean, and a match is recorded beside it (see `record_path`).
pub fn verify_or_delete(path: &Path, pin: &DebPin) -> Result<()> {
    if verified_record(path).zip(identity(path)).is_some_and(|(record, now)| record == format!("{} {now}", pin.sha256))
    {
        return Ok(());
    }
    let found = sha256_file(path)?;
    if found != pin.sha256 {
        let _ = fs::remove_file(path);
        let _ = fs::remove_file(record_path(path));
        bail!(
            "{} does not match its pin {} in kernel/source.toml: SHA256 {} expected, {} found; the file was deleted — run `zlab fetch` to download it again, and if it repeats, where it comes from serves other bytes than the pin",
            path.display(),
            pin.package,
            pin.sha256,
            found
        );
    }
    if let Some(now) = identity(path) {
        // A folder that cannot be written keeps no record; the file is hashed each time.
        let _ = fs::write(record_path(path), format!("{found} {now}\n"));
    }
    Ok(())
}

/// Hashing the 160 MB kernel .deb takes about half a second, on every zlab command. A file
/// whose size, modification time and inode are those it had when its hash last matched is
/// taken as verified; any rewrite or truncation changes them and it is hashed again.
fn record_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".verified");
    path.with_file_name(name)
}

fn verified_record(path: &Path) -> Option<String> {
    Some(fs::read_to_string(record_path(path)).ok()?.trim().to_string())
}

fn identity(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(path).ok()?;
    Some(format!("{} {}.{} {}", m.len(), m.mtime(), m.mtime_nsec(), m.ino()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// kernel/source.toml as the repository has it.
    pub(crate) fn repo_pins() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../kernel/source.toml")).unwrap()
    }

    #[test]
    fn repository_pins_parse() {
        let pins = Pins::parse(&repo_pins()).unwrap();
        assert_eq!(pins.kernel.deb.arch, "all");
        assert_eq!(pins.busybox.deb.arch, "s390x");
        assert!(pins.kernel.deb.file_name().starts_with(&pins.kernel.deb.package));
        assert!(pins.busybox.deb.apt_spec().starts_with("busybox-static:s390x="));
    }

    #[test]
    fn every_series_is_pinned_newest_first_and_the_default_is_chosen() {
        let pins = Pins::parse(&repo_pins()).unwrap();
        let series: Vec<&str> = pins.kernels.iter().map(|k| k.series.as_str()).collect();
        assert_eq!(series, ["7.3", "7.2"]);
        assert_eq!((pins.kernel.series.as_str(), pins.default_series.as_str()), ("7.3", "7.3"));
        assert!(pins.default_chosen());
        for k in &pins.kernels {
            assert!(k.release.starts_with(&format!("{}.", k.series)), "{k:?}");
            assert!(k.deb.package.ends_with(&k.series) && k.tarball.contains(&k.series), "{k:?}");
        }
        let debs: Vec<&str> = pins.debs().iter().map(|d| d.package.as_str()).collect();
        assert_eq!(debs, ["linux-source-7.3", "linux-source-7.2", "busybox-static"]);
    }

    /// ZLAB_KERNEL_DEB stands for the kernel the run builds, never for another series.
    #[test]
    fn choosing_a_series_moves_the_kernel_deb_variable_with_it() {
        let pins = Pins::parse(&repo_pins()).unwrap().choose("7.2").unwrap();
        assert_eq!((pins.kernel.release.as_str(), pins.default_chosen()), ("7.2.12", false));
        let given: Vec<(&str, Option<GivenBy>)> =
            pins.debs().iter().map(|d| (d.package.as_str(), d.given_by)).collect();
        assert_eq!(
            given,
            [
                ("linux-source-7.2", Some(GivenBy::KernelDeb)),
                ("linux-source-7.3", None),
                ("busybox-static", Some(GivenBy::BusyboxDeb))
            ]
        );
        assert_eq!(pins.choose("7.3").unwrap().kernel.deb.given_by, Some(GivenBy::KernelDeb));
    }

    #[test]
    fn a_series_that_is_not_pinned_is_refused_with_those_that_are() {
        let err = format!("{:#}", Pins::parse(&repo_pins()).unwrap().choose("7.1").unwrap_err());
        assert!(err.contains("no Linux 7.1 is pinned") && err.contains("it pins 7.3, 7.2"), "{err}");
        let text = repo_pins().replacen("default-kernel = \"7.3\"", "default-kernel = \"7.4\"", 1);
        let err = format!("{:#}", Pins::parse(&text).unwrap_err());
        assert!(err.contains("in default-kernel") && err.contains("no Linux 7.4 is pinned"), "{err}");
    }

    #[test]
    fn a_table_must_hold_a_release_of_its_series() {
        let text = repo_pins().replacen("release = \"7.2.12\"", "release = \"7.3.4\"", 1);
        let err = format!("{:#}", Pins::parse(&text).unwrap_err());
        assert!(
            err.contains("[kernel.\"7.2\"] must be named by its series") && err.contains("7.3.4 is in the series 7.3"),
            "{err}"
        );
        let text = repo_pins().replacen("[kernel.\"7.2\"]", "[kernel.\"7.2.12\"]", 1);
        assert!(format!("{:#}", Pins::parse(&text).unwrap_err()).contains("must be named by its series"));
        let text = repo_pins().replacen("[kernel.\"7.2\"]", "[kernel.\"seven\"]", 1);
        assert!(format!("{:#}", Pins::parse(&text).unwrap_err()).contains("is not a kernel version"));
    }

    #[test]
    fn a_malformed_hash_is_refused() {
        let text = repo_pins().replacen("sha256 = \"703e", "sha256 = \"XYZe", 1);
        let err = Pins::parse(&text).unwrap_err();
        assert!(format!("{err:#}").contains("64 lowercase hex"), "{err:#}");
    }

    #[test]
    fn a_malformed_sha1_is_refused() {
        let pins = Pins::parse(&repo_pins()).unwrap();
        let sha1 = &pins.busybox.deb.sha1;
        for bad in [sha1[..39].to_string(), sha1.to_uppercase(), format!("{}g", &sha1[..39])] {
            let text = repo_pins().replacen(sha1.as_str(), &bad, 1);
            let err = Pins::parse(&text).unwrap_err();
            assert!(format!("{err:#}").contains("sha1 must be 40 lowercase hex"), "{bad}: {err:#}");
        }
    }

    #[test]
    fn a_missing_sha1_is_refused() {
        let pins = Pins::parse(&repo_pins()).unwrap();
        let text = repo_pins().replacen(&format!("sha1 = \"{}\"\n", pins.kernel.deb.sha1), "", 1);
        let err = Pins::parse(&text).unwrap_err();
        assert!(format!("{err:#}").contains("sha1"), "{err:#}");
    }

    #[test]
    fn an_unknown_key_is_refused() {
        let text = repo_pins().replacen("[busybox]", "[busybox]\nsha265 = \"typo\"", 1);
        assert!(Pins::parse(&text).is_err());
    }

    #[test]
    fn a_mismatching_file_is_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.deb");
        std::fs::write(&file, b"not the pinned bytes").unwrap();
        let pins = Pins::parse(&repo_pins()).unwrap();
        let err = verify_or_delete(&file, &pins.busybox.deb).unwrap_err();
        assert!(format!("{err:#}").contains("does not match its pin busybox-static"));
        assert!(!file.exists());
    }

    /// A file holding "abc" and a pin with its SHA256.
    fn abc_and_its_pin() -> (tempfile::TempDir, std::path::PathBuf, DebPin) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.deb");
        std::fs::write(&file, b"abc").unwrap();
        let mut pin = Pins::parse(&repo_pins()).unwrap().busybox.deb;
        pin.sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into();
        (dir, file, pin)
    }

    #[test]
    fn a_matching_file_is_kept() {
        let (_dir, file, pin) = abc_and_its_pin();
        verify_or_delete(&file, &pin).unwrap();
        assert!(file.exists());
    }

    /// The record of a match spares the hashing only while the file is untouched.
    #[test]
    fn a_file_changed_after_a_match_is_hashed_again() {
        let (dir, file, pin) = abc_and_its_pin();
        verify_or_delete(&file, &pin).unwrap();
        assert!(dir.path().join("x.deb.verified").is_file());
        verify_or_delete(&file, &pin).unwrap();
        std::fs::write(&file, b"abd").unwrap();
        assert!(verify_or_delete(&file, &pin).is_err());
        assert!(!file.exists() && !dir.path().join("x.deb.verified").exists());
    }

    /// Only the file itself, as it was: no record beside it, whatever the outcome.
    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn a_given_file_that_matches_gets_no_record_beside_it() {
        let (dir, file, pin) = abc_and_its_pin();
        verify_given(&file, &pin, "ZLAB_BUSYBOX_DEB").unwrap();
        verify_given(&file, &pin, "ZLAB_BUSYBOX_DEB").unwrap();
        assert_eq!(files_in(dir.path()), ["x.deb"]);
    }

    #[test]
    fn a_given_file_that_does_not_match_is_left_alone() {
        let (dir, file, mut pin) = abc_and_its_pin();
        pin.sha256 = "0".repeat(64);
        let err = format!("{:#}", verify_given(&file, &pin, "ZLAB_KERNEL_DEB").unwrap_err());
        assert!(err.contains("(from ZLAB_KERNEL_DEB) does not match its pin busybox-static"), "{err}");
        assert!(err.contains("left the file alone") && err.contains("point ZLAB_KERNEL_DEB at"), "{err}");
        assert_eq!(files_in(dir.path()), ["x.deb"]);
        assert_eq!(std::fs::read(&file).unwrap(), b"abc");
    }
}
