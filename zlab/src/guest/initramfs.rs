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
    pub ending: Ending,
    /// (file name in /lib/modules, file on the host)
    pub modules: Vec<(String, PathBuf)>,
}

/// Writes `<dir>/initramfs.cpio` (and the files it is made from, in `<dir>/guest`).
pub fn create(kernel: &Kernel, dir: &Path, contents: &Contents) -> Result<PathBuf> {
    let guest = dir.join("guest");
    let _ = fs::remove_dir_all(&guest);
    fs::create_dir_all(guest.join("steps"))?;
    let init = guest.join("init");
    fs::write(&init, init::init_script(contents.steps, contents.ending))?;

    let mut list = String::new();
    for d in ["/bin", "/dev", "/proc", "/sys", "/tmp", "/lib", "/lib/modules", "/zlab", "/zlab/steps"] {
        list.push_str(&format!("dir {d} 0755 0 0\n"));
    }
    list.push_str("nod /dev/console 0600 0 0 c 5 1\n");
    list.push_str(&format!("file /bin/busybox {} 0755 0 0\n", contents.busybox.display()));
    list.push_str(&format!("file /init {} 0755 0 0\n", init.display()));
    for (i, step) in contents.steps.iter().enumerate() {
        let file = guest.join("steps").join(format!("{}.sh", i + 1));
        fs::write(&file, format!("{}\n", step.run))?;
        list.push_str(&format!("file /zlab/steps/{}.sh {} 0644 0 0\n", i + 1, file.display()));
    }
    for (name, host) in &contents.modules {
        if !host.is_file() {
            bail!("module {} is not built ({} is missing)", name, host.display());
        }
        list.push_str(&format!("file /lib/modules/{name} {} 0644 0 0\n", host.display()));
    }
    let list_file = guest.join("cpio.list");
    fs::write(&list_file, list)?;

    let out = dir.join("initramfs.cpio");
    let partial = temp::beside(&out)?;
    let mut cmd = Command::new(kernel.gen_init_cpio());
    cmd.args(["-t", MTIME]).arg(&list_file).stdout(fs::File::create(partial.path())?.into_file());
    process::run(&mut cmd).context("making the initramfs with the kernel's usr/gen_init_cpio")?;
    temp::move_in(partial, &out)?;
    Ok(out)
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
        let contents =
            Contents { busybox: Path::new("/bin/true"), steps: &[], ending: Ending::PowerOff, modules: vec![] };
        let err = create(&kernel, dir.path(), &contents).unwrap_err();
        assert!(format!("{err:#}").contains("gen_init_cpio"), "{err:#}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["guest"], "only the files it is made from");
    }
}
