//! `zlab initramfs`: the guest's root file system as a cpio made by the kernel's own
//! usr/gen_init_cpio, with fixed mtimes so the same inputs give the same bytes.

use crate::build::kernel::Kernel;
use crate::guest::init::{self, Ending};
use crate::host::process;
use crate::host::temp;
use crate::inputs::check::Step;
use anyhow::{bail, Context, Result};
use fs_err as fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The mtime of every file in the archive (the epoch; any fixed value would do).
const MTIME: &str = "0";

pub struct Contents<'a> {
    pub busybox: &'a Path,
    pub steps: &'a [Step],
    /// Scan for leaks with kmemleak after the steps (init::LEAK_SCAN).
    pub leak_scan: bool,
    pub ending: Ending,
    /// (file name in /lib/modules, file on the host)
    pub modules: Vec<(String, PathBuf)>,
}

/// Writes `<dir>/initramfs.cpio` from `<dir>/guest`, which holds each file where the guest sees
/// it (busybox and the modules as links to the host's files).
pub fn create(kernel: &Kernel, dir: &Path, contents: &Contents) -> Result<PathBuf> {
    let guest = dir.join("guest");
    let _ = fs::remove_dir_all(&guest);
    for d in ["bin", "lib/modules", "zlab/steps"] {
        fs::create_dir_all(guest.join(d))?;
    }
    // gen_init_cpio splits its list's lines at spaces and has no quoting, so the list names each
    // file by its place in guest/ (where it runs), never by a host path that may hold a space.
    let mut list = String::new();
    for d in ["/bin", "/dev", "/proc", "/sys", "/tmp", "/lib", "/lib/modules", "/zlab", "/zlab/steps"] {
        list.push_str(&format!("dir {d} 0755 0 0\n"));
    }
    list.push_str("nod /dev/console 0600 0 0 c 5 1\n");
    link(contents.busybox, &guest.join("bin/busybox"))?;
    list.push_str("file /bin/busybox bin/busybox 0755 0 0\n");
    fs::write(guest.join("init"), init::init_script(contents.steps, contents.leak_scan, contents.ending))?;
    list.push_str("file /init init 0755 0 0\n");
    fs::write(guest.join("zlab/insmod"), init::INSMOD)?;
    list.push_str(&format!("file {} zlab/insmod 0755 0 0\n", init::INSMOD_PATH));
    for (i, step) in contents.steps.iter().enumerate() {
        let file = format!("zlab/steps/{}.sh", i + 1);
        fs::write(guest.join(&file), init::step_file(step))?;
        list.push_str(&format!("file /{file} {file} 0644 0 0\n"));
    }
    for (name, host) in &contents.modules {
        if !host.is_file() {
            bail!("module {} is not built ({} is missing)", name, host.display());
        }
        if name.contains(char::is_whitespace) {
            bail!("{} has a space in its file name, which gen_init_cpio's list cannot hold: rename it", host.display());
        }
        let file = format!("lib/modules/{name}");
        link(host, &guest.join(&file))?;
        list.push_str(&format!("file /{file} {file} 0644 0 0\n"));
    }
    fs::write(guest.join("cpio.list"), list)?;

    let out = dir.join("initramfs.cpio");
    let partial = temp::beside(&out)?;
    let mut cmd = Command::new(std::path::absolute(kernel.gen_init_cpio())?);
    cmd.current_dir(&guest).args(["-t", MTIME, "cpio.list"]).stdout(fs::File::create(partial.path())?.into_file());
    process::run(&mut cmd).context("making the initramfs with the kernel's usr/gen_init_cpio")?;
    temp::move_in(partial, &out)?;
    Ok(out)
}

/// `at` as a symbolic link to the host's `file`.
fn link(file: &Path, at: &Path) -> Result<()> {
    Ok(fs::os::unix::fs::symlink(std::path::absolute(file)?, at)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_archive_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let kernel = Kernel {
            variant: "test".into(),
            source: dir.path().join("no-source"),
            dir: dir.path().join("no-build"),
            modules_out: dir.path().join("no-modules"),
        };
        let contents = Contents {
            busybox: Path::new("/bin/true"),
            steps: &[],
            leak_scan: false,
            ending: Ending::PowerOff,
            modules: vec![],
        };
        let err = create(&kernel, dir.path(), &contents).unwrap_err();
        assert!(format!("{err:#}").contains("gen_init_cpio"), "{err:#}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["guest"], "only the files it is made from");
    }
}
