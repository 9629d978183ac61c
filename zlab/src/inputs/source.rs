//! The pinned kernel source, unpacked once from its verified .deb into zlab's home, or a tree of
//! the user's own (`--kernel-source`).

use crate::context::RunContext;
use crate::host::deb;
use crate::host::paths::Paths;
use crate::host::process;
use crate::host::temp;
use crate::inputs::downloads;
use crate::inputs::pins::KernelPin;
use anyhow::{bail, Context, Result};
use fs_err as fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Marks a completely unpacked tree; written last, so a tree without it is never used.
const MARKER: &str = ".zlab-unpacked";

pub fn unpacked(ctx: &RunContext, pin: &KernelPin) -> Result<PathBuf> {
    let paths = &ctx.paths;
    if let Some(dir) = crate::environment::non_empty(&ctx.env.kernel_source) {
        return Ok(crate::inputs::kernel_tree::inspect(&dir)?.dir);
    }
    let dir = paths.sources().join(format!("linux-{}-{}", pin.release, &pin.deb.sha256[..12]));
    if dir.join(MARKER).is_file() {
        return Ok(dir);
    }
    let staging = paths.sources().join(format!(".unpacking-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    unpack(ctx, pin, &staging)?;
    fs::write(staging.join(MARKER), &pin.deb.sha256)?;
    let _ = fs::remove_dir_all(&dir);
    fs::rename(&staging, &dir)?;
    Ok(dir)
}

/// Unpacks the verified pinned source into `dest` (created; must not exist or be empty).
pub fn unpack(ctx: &RunContext, pin: &KernelPin, dest: &Path) -> Result<()> {
    let deb = downloads::verified(ctx, &pin.deb)?;
    crate::note!("zlab: unpacking Linux {} into {}", pin.release, dest.display());
    let _ = fs::remove_dir(dest);
    if dest.exists() {
        bail!("{} exists and is not empty; give an empty or new folder", dest.display());
    }
    fs::create_dir_all(dest)?;
    let result = extract(&deb, pin, dest);
    if result.is_err() {
        let _ = fs::remove_dir_all(dest);
    }
    result
}

fn extract(deb: &Path, pin: &KernelPin, dest: &Path) -> Result<()> {
    let tarball = dest.join(".linux.tar.xz");
    deb::extract(deb, &format!("./{}", pin.tarball), &tarball)
        .with_context(|| format!("extracting {} from {}", pin.tarball, deb.display()))?;
    process::run(Command::new("tar").arg("-xJf").arg(&tarball).arg("-C").arg(dest).arg("--strip-components=1"))
        .context("unpacking the kernel tarball")?;
    fs::remove_file(&tarball)?;
    Ok(())
}

/// Removes unpack attempts that a killed run left behind (their process is gone).
pub fn clean_stale(paths: &Paths) {
    temp::remove_abandoned(&paths.sources(), ".unpacking-");
}
