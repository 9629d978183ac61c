//! The pinned .debs (kernel source, guest busybox): where they are, and fetching them through
//! zlab's private apt configuration with the SHA256 checked before anything uses them.

use crate::apt::{self, PrivateApt};
use crate::paths::Paths;
use crate::pins::{self, DebPin};
use anyhow::{Context, Result};
use std::path::PathBuf;

/// The variable that points zlab at an already fetched copy (Nix's `fetchurl`), per pin.
fn override_var(pin: &DebPin) -> &'static str {
    if pin.arch == "s390x" {
        "ZLAB_BUSYBOX_DEB"
    } else {
        "ZLAB_KERNEL_DEB"
    }
}

/// Where the pinned .deb is or will be.
pub fn location(paths: &Paths, pin: &DebPin) -> PathBuf {
    match std::env::var_os(override_var(pin)) {
        Some(path) => PathBuf::from(path),
        None => paths.downloads().join(pin.file_name()),
    }
}

/// The pinned .deb, verified. Fails with what to run when it is missing.
pub fn verified(paths: &Paths, pin: &DebPin) -> Result<PathBuf> {
    let path = location(paths, pin);
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
    let missing: Vec<&DebPin> = wanted.iter().copied().filter(|pin| !present_and_verified(paths, pin)).collect();
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
        std::fs::rename(&file, location(paths, pin))?;
        fetched.push(format!("{} {}", pin.package, pin.version));
    }
    Ok(fetched)
}

fn present_and_verified(paths: &Paths, pin: &DebPin) -> bool {
    let path = location(paths, pin);
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
