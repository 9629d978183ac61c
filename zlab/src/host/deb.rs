//! One file out of a .deb, without a shell: `dpkg-deb --fsys-tarfile` piped into `tar -xO`, so
//! any path works (a `'` or a space in `ZLAB_HOME` included).

use crate::host::process;
use anyhow::Result;
use fs_err as fs;
use std::path::Path;
use std::process::Command;

/// Writes `member` (`./bin/busybox`, as the .deb's data archive names it) of `deb` to `into`.
pub fn extract(deb: &Path, member: &str, into: &Path) -> Result<()> {
    let mut unpack = Command::new("dpkg-deb");
    unpack.arg("--fsys-tarfile").arg(deb);
    let mut pick = Command::new("tar");
    pick.arg("-xO").arg(member).stdout(fs::File::create(into)?.into_file());
    process::pipe(&mut unpack, &mut pick)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A .deb holding `./bin/hello`, made by dpkg-deb in a folder whose name needs quoting.
    fn deb(dir: &Path) -> std::path::PathBuf {
        let root = dir.join("it's a package");
        std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::write(
            root.join("DEBIAN/control"),
            "Package: hello\nVersion: 1\nArchitecture: all\nMaintainer: zlab <zlab@zlab>\nDescription: a test\n",
        )
        .unwrap();
        std::fs::write(root.join("bin/hello"), "hello from a deb\n").unwrap();
        let deb = dir.join("it's a.deb");
        process::stdout_of(
            Command::new("dpkg-deb").args(["-Zgzip", "--root-owner-group", "--build"]).arg(&root).arg(&deb),
        )
        .unwrap();
        deb
    }

    #[test]
    fn a_member_comes_out_whole_whatever_the_paths_hold() {
        let dir = tempfile::Builder::new().prefix("zlab deb 'test' ").tempdir().unwrap();
        let into = dir.path().join("it's out");
        extract(&deb(dir.path()), "./bin/hello", &into).unwrap();
        assert_eq!(std::fs::read_to_string(&into).unwrap(), "hello from a deb\n");
    }

    #[test]
    fn a_missing_member_names_both_commands_and_their_statuses() {
        let dir = tempfile::tempdir().unwrap();
        let err = extract(&deb(dir.path()), "./bin/gone", &dir.path().join("out")).unwrap_err().to_string();
        assert!(err.contains("dpkg-deb --fsys-tarfile") && err.contains("| tar -xO ./bin/gone`"), "{err}");
        assert!(err.contains("dpkg-deb: exit status: 0; tar: exit status: 2"), "{err}");
    }
}
