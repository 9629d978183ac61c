//! `zlab setup --rust SERIES`: Debian's build of a newer rustc, with rust-src and the Debian 13
//! libraries it runs on, downloaded through zlab's private apt configuration, checked against
//! kernel/source.toml and unpacked into zlab's home. Nothing is installed on the host: dpkg and
//! the host's apt sources never hear of it. A failed or interrupted unpack leaves nothing where
//! the release's folder goes.

use crate::context::RunContext;
use crate::host::process;
use crate::inputs::downloads;
use crate::inputs::rust_pins::{RustPin, RustPins};
use crate::toolchain::newer_rust::{self, TOOLS};
use anyhow::{bail, Context, Result};
use fs_err as fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Written last into a release's folder: the .debs it was unpacked from. A folder whose record
/// differs from today's pins is unpacked again.
const RECORD: &str = "zlab-unpacked-from";

/// Unpacks `pin` unless it is already there as pinned; says what it did, or None.
pub fn install(ctx: &RunContext, pin: &RustPin) -> Result<Option<String>> {
    let pins = &ctx.pins()?.rust;
    let tools_root = ctx.paths.tools_root();
    let dir = newer_rust::dir(&tools_root, &pin.release);
    let record = record(pin, pins);
    if fs::read_to_string(dir.join(RECORD)).is_ok_and(|found| found == record) {
        return Ok(None);
    }
    let arch = crate::host::apt::host_arch()?;
    let rustc_arch = pin.debs.iter().find(|d| d.package == "rustc").map_or("", |d| d.arch.as_str());
    if arch != rustc_arch || newer_rust::loader(&arch).is_none() {
        bail!(
            "rustc {} is pinned for {rustc_arch} hosts and this one is {arch}: use the host's rustc (leave out --rust), or `nix develop`",
            pin.release
        );
    }
    let debs = pin.all_debs(pins);
    downloads::fetch_missing(ctx, &debs)?;
    fs::create_dir_all(&tools_root)?;
    crate::host::temp::remove_abandoned(&tools_root, ".rust-partial-");
    let partial = Partial(tools_root.join(format!(".rust-partial-{}", std::process::id())));
    let root = partial.0.join("root");
    fs::create_dir_all(&root)?;
    crate::note!("zlab: unpacking rustc {} (Debian {}) into {}", pin.release, pin.suite(), dir.display());
    for deb in &debs {
        let file = downloads::verified(ctx, deb)?;
        process::stdout_of(Command::new("dpkg-deb").arg("-x").arg(&file).arg(&root))
            .with_context(|| format!("unpacking {}", file.display()))?;
    }
    fs::create_dir_all(partial.0.join("bin"))?;
    for tool in TOOLS {
        // The scripts name the folder's final place; they are first run from there.
        let text = newer_rust::launcher(&dir.join("root"), &arch, tool).context("no loader for this architecture")?;
        let script = newer_rust::tool(&partial.0, tool);
        fs::write(&script, text)?;
        fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
        // The script's time is its program's, from the .deb: unpacking the same pins again gives
        // a script that is the same file to the build stamp, so its kernels stay up to date.
        let program = fs::metadata(root.join("usr/bin").join(tool))?.modified()?;
        std::fs::File::options().write(true).open(&script)?.set_modified(program)?;
    }
    check_it_starts(&partial.0.join("root"), &arch, pin)?;
    fs::write(partial.0.join(RECORD), &record)?;
    crate::host::paths::remove_dir(&dir)?;
    fs::rename(&partial.0, &dir)?;
    Ok(Some(format!("unpacked rustc {} (Debian {}) in {}", pin.release, pin.suite(), dir.display())))
}

/// Every .deb of the release, as `package version sha256` lines.
fn record(pin: &RustPin, pins: &RustPins) -> String {
    pin.all_debs(pins).iter().map(|d| format!("{} {} {}\n", d.package, d.version, d.sha256)).collect()
}

/// The unpacked rustc, started as its script will start it, says it is the pinned release.
fn check_it_starts(root: &Path, arch: &str, pin: &RustPin) -> Result<()> {
    let words = newer_rust::start(root, arch, "rustc").context("no loader for this architecture")?;
    let version = process::stdout_of(Command::new(&words[0]).args(&words[1..]).arg("--version"))
        .with_context(|| format!("the unpacked rustc {} does not start", pin.release))?;
    if !version.starts_with(&format!("rustc {} ", pin.release)) {
        bail!("the unpacked rustc says `{}`, not rustc {}: the pins' .debs do not match", version.trim(), pin.release);
    }
    Ok(())
}

/// The folder being unpacked, removed when dropped unless moved into place.
struct Partial(PathBuf);

impl Drop for Partial {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
