//! The pinned .debs (kernel source, guest busybox): where they are, and fetching them through
//! zlab's private apt configuration with the SHA256 checked before anything uses them.

use crate::apt::{self, PrivateApt};
use crate::paths::Paths;
use crate::pins::{self, DebPin};
use anyhow::{Context, Result};
use std::path::PathBuf;

/// The variable that points zlab at a copy it did not download (Nix's `fetchurl`, a file of
/// the user's own), per pin.
fn override_var(pin: &DebPin) -> &'static str {
    if pin.arch == "s390x" {
        "ZLAB_BUSYBOX_DEB"
    } else {
        "ZLAB_KERNEL_DEB"
    }
}

/// The file the pin's variable points at, and the variable, when it is set. zlab never writes
/// nor deletes anything beside such a file.
pub fn given(pin: &DebPin) -> Option<(PathBuf, &'static str)> {
    let variable = override_var(pin);
    std::env::var_os(variable).map(|path| (PathBuf::from(path), variable))
}

/// Where zlab keeps its own download of the pin.
fn own_path(paths: &Paths, pin: &DebPin) -> PathBuf {
    paths.downloads().join(pin.file_name())
}

/// Where the pinned .deb is or will be.
pub fn location(paths: &Paths, pin: &DebPin) -> PathBuf {
    given(pin).map_or_else(|| own_path(paths, pin), |(path, _)| path)
}

/// The pinned .deb, verified. Fails with what to run when it is missing.
pub fn verified(paths: &Paths, pin: &DebPin) -> Result<PathBuf> {
    verified_from(paths, pin, given(pin))
}

fn verified_from(paths: &Paths, pin: &DebPin, given: Option<(PathBuf, &str)>) -> Result<PathBuf> {
    if let Some((path, variable)) = given {
        if !path.exists() {
            anyhow::bail!(
                "{} (from {variable}) does not exist; point {variable} at the pinned .deb ({} {}), or unset it and run `zlab fetch`",
                path.display(),
                pin.package,
                pin.version
            );
        }
        pins::verify_given(&path, pin, variable)?;
        return Ok(path);
    }
    let path = own_path(paths, pin);
    if !path.exists() {
        anyhow::bail!(
            "{} is missing ({} {}); run `zlab fetch` (or `nix develop`, which provides it)",
            path.display(),
            pin.package,
            pin.version
        );
    }
    pins::verify_or_delete(&path, pin)?;
    Ok(path)
}

/// Downloads every pin that is not already present and verified; returns what it fetched.
pub fn fetch_missing(paths: &Paths, wanted: &[&DebPin]) -> Result<Vec<String>> {
    let mut missing: Vec<&DebPin> = Vec::new();
    for pin in wanted.iter().copied() {
        if given(pin).is_some() {
            // A file zlab did not download is checked, never replaced.
            verified(paths, pin)?;
        } else if !present_and_verified(paths, pin) {
            missing.push(pin);
        }
    }
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let host_arch =
        crate::process::stdout_of(std::process::Command::new("dpkg").arg("--print-architecture"))?.trim().to_string();
    let mut suites: Vec<(&str, &str)> = Vec::new();
    for pin in &missing {
        // Architecture-independent packages are listed in the host architecture's index.
        let arch = if pin.arch == "all" { host_arch.as_str() } else { pin.arch.as_str() };
        if !suites.contains(&(pin.suite.as_str(), arch)) {
            suites.push((pin.suite.as_str(), arch));
        }
    }
    let archs: Vec<&str> = suites.iter().map(|(_, a)| *a).collect();
    let apt = PrivateApt::create(&paths.apt_dir(), &apt::host_mirror()?, &suites)?;
    crate::note!(
        "zlab: reading package lists for {}",
        suites.iter().map(|(s, a)| format!("{s}/{a}")).collect::<Vec<_>>().join(", ")
    );
    apt.update(&archs)?;
    let dest = paths.downloads();
    std::fs::create_dir_all(&dest).with_context(|| format!("creating {}", dest.display()))?;
    remove_abandoned_partials(&dest);
    let mut fetched = Vec::new();
    for pin in missing {
        crate::note!("zlab: downloading {} {}", pin.package, pin.version);
        // Downloaded into a scratch folder first, so an interrupted download never sits where a
        // verified file is expected; the folder goes away whatever happens.
        let scratch = Scratch::create(&dest)?;
        let file = apt.download(&archs, &pin.apt_spec(), pin.file_name(), &scratch.0)?;
        pins::verify_or_delete(&file, pin)?;
        std::fs::rename(&file, own_path(paths, pin))?;
        fetched.push(format!("{} {}", pin.package, pin.version));
    }
    Ok(fetched)
}

fn present_and_verified(paths: &Paths, pin: &DebPin) -> bool {
    let path = own_path(paths, pin);
    if !path.exists() {
        return false;
    }
    match pins::verify_or_delete(&path, pin) {
        Ok(()) => true,
        Err(e) => {
            eprintln!(
                "zlab: {} {e:#}",
                crate::output::paint(crate::output::Stream::Stderr, crate::output::Colour::Yellow, "warning:")
            );
            false
        }
    }
}

/// `downloads/.partial-<pid>`, removed when dropped (on success, error or Ctrl-C unwinding).
struct Scratch(PathBuf);

impl Scratch {
    fn create(parent: &std::path::Path) -> Result<Scratch> {
        let dir = parent.join(format!(".partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Scratch folders of runs that were killed (their process is gone).
fn remove_abandoned_partials(dest: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dest) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(".partial-") else { continue };
        if !std::path::Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths_and_pin(home: &std::path::Path) -> (Paths, DebPin) {
        let repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let pin = pins::Pins::load(&repo.join("kernel/source.toml")).unwrap().busybox.deb;
        (Paths { repo, home: home.to_path_buf(), compiler: crate::toolchain::Compiler::Gcc }, pin)
    }

    #[test]
    fn a_given_file_that_fails_its_pin_stays_and_nothing_is_written_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let (paths, pin) = paths_and_pin(&dir.path().join("home"));
        let file = dir.path().join("mine.deb");
        std::fs::write(&file, b"not busybox").unwrap();
        let err = verified_from(&paths, &pin, Some((file.clone(), "ZLAB_BUSYBOX_DEB"))).unwrap_err();
        assert!(format!("{err:#}").contains("(from ZLAB_BUSYBOX_DEB) does not match"), "{err:#}");
        assert_eq!(std::fs::read(&file).unwrap(), b"not busybox");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only mine.deb");
    }

    #[test]
    fn a_given_file_that_is_missing_names_its_variable() {
        let dir = tempfile::tempdir().unwrap();
        let (paths, pin) = paths_and_pin(dir.path());
        let err = verified_from(&paths, &pin, Some((dir.path().join("gone.deb"), "ZLAB_BUSYBOX_DEB"))).unwrap_err();
        assert!(format!("{err:#}").contains("gone.deb (from ZLAB_BUSYBOX_DEB) does not exist"), "{err:#}");
    }
}
