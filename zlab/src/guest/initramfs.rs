//! `zlab initramfs`: the guest's root file system as a cpio made by the kernel's own
//! usr/gen_init_cpio, with fixed mtimes so the same inputs give the same bytes.

use crate::build::kernel::Kernel;
use crate::guest::init::{self, Ending};
use crate::host::process;
use crate::host::temp;
use crate::inputs::check::{ResumedKunit, Step};
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
    /// What a resumed check does with KUnit before its steps (a full boot's command line and
    /// KUnit do it themselves).
    pub kunit: Option<ResumedKunit>,
    /// (file name in /lib/modules, file on the host)
    pub modules: Vec<(String, PathBuf)>,
}

/// Writes `<dir>/initramfs.cpio`, a full boot's root: busybox, the check's init, its steps and
/// modules.
pub fn create(kernel: &Kernel, dir: &Path, contents: &Contents) -> Result<PathBuf> {
    let mut archive = Archive::new(dir)?;
    archive.base(contents.busybox, &init::init_script(contents.steps, contents.leak_scan, contents.ending))?;
    archive.check_files(contents.steps, &contents.modules)?;
    archive.finish(kernel, &dir.join("initramfs.cpio"))
}

/// Writes `<dir>/payload.cpio`: what a resumed guest unpacks over its saved root, the check
/// (/zlab/check, the steps) and its modules.
pub fn payload(kernel: &Kernel, dir: &Path, contents: &Contents) -> Result<PathBuf> {
    let mut archive = Archive::new(dir)?;
    archive.text(
        "zlab/check",
        &init::check_script(contents.steps, contents.kunit.as_ref(), contents.leak_scan, contents.ending),
        0o755,
    )?;
    archive.check_files(contents.steps, &contents.modules)?;
    archive.finish(kernel, &dir.join("payload.cpio"))
}

/// Writes `<dir>/BASE_INITRD`: the root of the guest zlab boots once and saves, whose init
/// waits for a check (init::snapshot_init).
pub fn snapshot_base(kernel: &Kernel, dir: &Path, busybox: &Path) -> Result<PathBuf> {
    let mut archive = Archive::new(dir)?;
    archive.base(busybox, &init::snapshot_init())?;
    archive.finish(kernel, &dir.join(BASE_INITRD))
}

/// The saved guest's initramfs, in its snapshot's folder.
pub const BASE_INITRD: &str = "base-initramfs.cpio";

/// A cpio in the making: `<dir>/guest` holds each file where the guest sees it (host files as
/// links), and gen_init_cpio's list names them.
struct Archive {
    guest: PathBuf,
    list: String,
}

impl Archive {
    fn new(dir: &Path) -> Result<Archive> {
        let guest = dir.join("guest");
        let _ = fs::remove_dir_all(&guest);
        for d in ["bin", "lib/modules", "zlab/steps"] {
            fs::create_dir_all(guest.join(d))?;
        }
        Ok(Archive { guest, list: String::new() })
    }

    /// The directories, the console, busybox, `init` and the insmod that names a module's sections.
    fn base(&mut self, busybox: &Path, init: &str) -> Result<()> {
        for d in ["/bin", "/dev", "/proc", "/sys", "/tmp", "/lib", "/lib/modules", "/zlab", "/zlab/steps"] {
            self.list.push_str(&format!("dir {d} 0755 0 0\n"));
        }
        self.list.push_str("nod /dev/console 0600 0 0 c 5 1\n");
        self.link(busybox, "bin/busybox", 0o755)?;
        self.text("init", init, 0o755)?;
        self.text(init::INSMOD_PATH.trim_start_matches('/'), init::INSMOD, 0o755)
    }

    /// The check's step files and modules.
    fn check_files(&mut self, steps: &[Step], modules: &[(String, PathBuf)]) -> Result<()> {
        for (i, step) in steps.iter().enumerate() {
            self.text(&format!("zlab/steps/{}.sh", i + 1), &init::step_file(step), 0o644)?;
        }
        for (name, host) in modules {
            if !host.is_file() {
                bail!("module {} is not built ({} is missing)", name, host.display());
            }
            if name.contains(char::is_whitespace) {
                bail!(
                    "{} has a space in its file name, which gen_init_cpio's list cannot hold: rename it",
                    host.display()
                );
            }
            self.link(host, &format!("lib/modules/{name}"), 0o644)?;
        }
        Ok(())
    }

    // gen_init_cpio splits its list's lines at spaces and has no quoting, so the list names each
    // file by its place in guest/ (where it runs), never by a host path that may hold a space.
    fn text(&mut self, file: &str, contents: &str, mode: u32) -> Result<()> {
        fs::write(self.guest.join(file), contents)?;
        self.list.push_str(&format!("file /{file} {file} {mode:04o} 0 0\n"));
        Ok(())
    }

    fn link(&mut self, host: &Path, file: &str, mode: u32) -> Result<()> {
        fs::os::unix::fs::symlink(std::path::absolute(host)?, self.guest.join(file))?;
        self.list.push_str(&format!("file /{file} {file} {mode:04o} 0 0\n"));
        Ok(())
    }

    fn finish(self, kernel: &Kernel, out: &Path) -> Result<PathBuf> {
        fs::write(self.guest.join("cpio.list"), &self.list)?;
        let partial = temp::beside(out)?;
        let mut cmd = Command::new(std::path::absolute(kernel.gen_init_cpio())?);
        cmd.current_dir(&self.guest)
            .args(["-t", MTIME, "cpio.list"])
            .stdout(fs::File::create(partial.path())?.into_file());
        process::run(&mut cmd).context("making the initramfs with the kernel's usr/gen_init_cpio")?;
        temp::move_in(partial, out)?;
        Ok(out.to_path_buf())
    }
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
            kunit: None,
            modules: vec![],
        };
        let err = create(&kernel, dir.path(), &contents).unwrap_err();
        assert!(format!("{err:#}").contains("gen_init_cpio"), "{err:#}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["guest"], "only the files it is made from");
    }
}
