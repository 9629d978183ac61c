//! The pinned .debs (kernel source, guest busybox): where they are, and fetching them through
//! zlab's private apt configuration (snapshot.debian.org when the mirror has dropped them) with
//! the SHA256 checked before anything uses them.

use crate::context::RunContext;
use crate::environment::Environment;
use crate::host::apt::{self, PrivateApt};
use crate::host::paths::Paths;
use crate::inputs::pins::{self, DebPin, GivenBy};
use crate::inputs::snapshot;
use anyhow::{Context, Result};
use fs_err as fs;
use std::path::PathBuf;

/// The file the pin's variable (ZLAB_KERNEL_DEB, ZLAB_BUSYBOX_DEB: Nix's `fetchurl`, a file of
/// the user's own) points at, and the variable, when it is set. zlab never writes nor deletes
/// anything beside such a file.
pub fn given(env: &Environment, pin: &DebPin) -> Option<(PathBuf, &'static str)> {
    let by = pin.given_by?;
    let path = match by {
        GivenBy::KernelDeb => &env.kernel_deb,
        GivenBy::BusyboxDeb => &env.busybox_deb,
    };
    path.clone().map(|path| (path, by.variable()))
}

/// Where zlab keeps its own download of the pin.
fn own_path(paths: &Paths, pin: &DebPin) -> PathBuf {
    paths.downloads().join(pin.file_name())
}

/// Where the pinned .deb is or will be.
pub fn location(ctx: &RunContext, pin: &DebPin) -> PathBuf {
    given(&ctx.env, pin).map_or_else(|| own_path(&ctx.paths, pin), |(path, _)| path)
}

/// The pinned .deb, verified. Fails with what to run when it is missing.
pub fn verified(ctx: &RunContext, pin: &DebPin) -> Result<PathBuf> {
    verified_from(&ctx.paths, pin, given(&ctx.env, pin))
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
/// Each comes from the host's mirror through zlab's private apt or, when the mirror cannot give
/// it (a superseded version it has dropped), from snapshot.debian.org by its SHA1; the SHA256
/// is checked either way before the file moves into place.
pub fn fetch_missing(ctx: &RunContext, wanted: &[&DebPin]) -> Result<Vec<String>> {
    let paths = &ctx.paths;
    let mut missing: Vec<&DebPin> = Vec::new();
    for pin in wanted.iter().copied() {
        if given(&ctx.env, pin).is_some() {
            // A file zlab did not download is checked, never replaced.
            verified(ctx, pin)?;
        } else if !present_and_verified(ctx, pin) {
            missing.push(pin);
        }
    }
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let mirror_uri = apt::host_mirror(ctx.env.debian_mirror.as_deref()).map_err(|e| format!("{e:#}"));
    let mirror = match &mirror_uri {
        Ok(uri) => Mirror::open(ctx, uri, &missing).map_err(|e| format!("{e:#}")),
        Err(why) => Err(why.clone()),
    };
    if let Err(why) = &mirror {
        warn(&format!("the mirror's package lists could not be read: {why}"));
    }
    let dest = paths.downloads();
    fs::create_dir_all(&dest)?;
    crate::host::temp::remove_abandoned(&dest, ".partial-");
    let mut fetched = Vec::new();
    for pin in missing {
        crate::note!("zlab: downloading {} {}", pin.package, pin.version);
        // Downloaded into a scratch folder first, so an interrupted download never sits where a
        // verified file is expected; the folder goes away whatever happens.
        let scratch = Scratch::create(&dest)?;
        let from_mirror = match &mirror {
            Ok(mirror) => mirror.download(pin, &scratch.0).map_err(|e| format!("{e:#}")),
            Err(why) => Err(why.clone()),
        };
        let (file, snapshot_url) = match from_mirror {
            Ok(file) => (file, None),
            Err(mirror_error) => {
                let mirror_url = match &mirror_uri {
                    Ok(uri) => format!("{uri}/{}", pin.pool),
                    Err(_) => "no mirror found".to_string(),
                };
                let url = from_snapshot(&ctx.env, pin, &scratch.0, &mirror_url, &mirror_error, mirror.is_ok())?;
                (scratch.0.join(pin.file_name()), Some(url))
            }
        };
        pins::verify_or_delete(&file, pin).with_context(|| {
            let source = snapshot_url.as_deref().unwrap_or("the mirror");
            format!("{} {} as downloaded from {source}", pin.package, pin.version)
        })?;
        fs::rename(&file, own_path(paths, pin))?;
        let from = if snapshot_url.is_some() { " (from snapshot.debian.org)" } else { "" };
        fetched.push(format!("{} {}{from}", pin.package, pin.version));
    }
    Ok(fetched)
}

/// The host's mirror through zlab's private apt configuration, its package lists read.
struct Mirror {
    apt: PrivateApt,
    archs: Vec<String>,
}

impl Mirror {
    fn open(ctx: &RunContext, uri: &str, pins: &[&DebPin]) -> Result<Mirror> {
        let host_arch = apt::host_arch()?;
        let mut suites: Vec<(&str, &str)> = Vec::new();
        for pin in pins {
            // Architecture-independent packages are listed in the host architecture's index.
            let arch = if pin.arch == "all" { host_arch.as_str() } else { pin.arch.as_str() };
            if !suites.contains(&(pin.suite.as_str(), arch)) {
                suites.push((pin.suite.as_str(), arch));
            }
        }
        let archs: Vec<String> = suites.iter().map(|(_, a)| a.to_string()).collect();
        let apt = PrivateApt::create(&ctx.paths.apt_dir(), uri, &suites)?;
        crate::note!(
            "zlab: reading package lists for {}",
            suites.iter().map(|(s, a)| format!("{s}/{a}")).collect::<Vec<_>>().join(", ")
        );
        let mirror = Mirror { apt, archs };
        mirror.apt.update(&mirror.archs())?;
        Ok(mirror)
    }

    fn archs(&self) -> Vec<&str> {
        self.archs.iter().map(String::as_str).collect()
    }

    fn download(&self, pin: &DebPin, dest: &std::path::Path) -> Result<PathBuf> {
        self.apt.download(&self.archs(), &pin.apt_spec(), pin.file_name(), dest)
    }
}

/// The pin from snapshot.debian.org into `dest`, after the mirror failed; returns the URL.
/// When both fail, the error names both attempts and what to do.
fn from_snapshot(
    env: &Environment,
    pin: &DebPin,
    dest: &std::path::Path,
    mirror_url: &str,
    mirror_error: &str,
    lists_read: bool,
) -> Result<String> {
    let url = snapshot::url(&snapshot::base(env), pin);
    let (package, version) = (&pin.package, &pin.version);
    let why = if lists_read { "no longer has" } else { "cannot give" };
    warn(&format!("the mirror {why} {package} {version}; trying snapshot.debian.org by SHA1: {url}"));
    let target = dest.join(pin.file_name());
    // Whatever a failed `apt-get download` may have left.
    let _ = fs::remove_file(&target);
    if let Err(snapshot_error) = snapshot::download(&url, &target) {
        anyhow::bail!(
            "{package} {version} could be downloaded neither from the mirror nor from snapshot.debian.org:\n  \
             mirror ({mirror_url}): {mirror_error}\n  \
             snapshot.debian.org ({url}): {snapshot_error:#}\n\
             Check the network and apt's proxy settings (both go through apt). If the mirror has dropped this version, \
             `zlab fetch` gets it once {url} answers; or download it yourself, check that its SHA256 is {}, and point {} at it; \
             or move the pin in kernel/source.toml to a version the mirror has.",
            pin.sha256,
            // Only the kernel a run builds can be given from outside.
            pin.given_by.map_or("ZLAB_KERNEL_DEB (with --kernel naming its series)", GivenBy::variable)
        );
    }
    Ok(url)
}

fn warn(message: &str) {
    eprintln!(
        "zlab: {} {message}",
        crate::ui::output::paint(crate::ui::output::Stream::Stderr, crate::ui::output::Colour::Yellow, "warning:")
    );
}

fn present_and_verified(ctx: &RunContext, pin: &DebPin) -> bool {
    let path = own_path(&ctx.paths, pin);
    if !path.exists() {
        return false;
    }
    match pins::verify_or_delete(&path, pin) {
        Ok(()) => true,
        Err(e) => {
            warn(&format!("{e:#}"));
            false
        }
    }
}

/// `downloads/.partial-<pid>`, removed when dropped (on success, error or Ctrl-C unwinding).
struct Scratch(PathBuf);

impl Scratch {
    fn create(parent: &std::path::Path) -> Result<Scratch> {
        let dir = parent.join(format!(".partial-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths_and_pin(home: &std::path::Path) -> (Paths, DebPin) {
        let repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let pin = pins::Pins::load(&repo.join("kernel/source.toml")).unwrap().busybox.deb;
        (Paths::for_tests(&repo, home), pin)
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
