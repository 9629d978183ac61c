//! Files made beside their final place and moved in whole, so a failed or killed run never
//! leaves half of one where a reader looks; and the scratch folders killed runs left, removed.

use anyhow::{Context, Result};
use fs_err as fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use tempfile::NamedTempFile;

/// An empty file in `target`'s folder (`.NAME.XXXXXX`), removed when dropped unless it is moved
/// in. Its mode is what `fs::write` would give (0666 less the umask), not tempfile's 0600.
pub fn beside(target: &Path) -> Result<NamedTempFile> {
    let name = target.file_name().with_context(|| format!("{} is not a file name", target.display()))?;
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(|| format!("making a file in {} (does the folder exist?)", dir.display()))
}

/// Moves `file` to `target`, replacing what is there.
pub fn move_in(file: NamedTempFile, target: &Path) -> Result<()> {
    let from = file.path().to_path_buf();
    file.persist(target)
        .map_err(|e| e.error)
        .with_context(|| format!("moving {} to {}", from.display(), target.display()))?;
    Ok(())
}

/// Writes `contents` to `target`: a reader sees the old file or the new one, never a part.
pub fn write(target: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    let file = beside(target)?;
    fs::write(file.path(), contents)?;
    move_in(file, target)
}

/// Removes what killed runs left in `dir`: the entries named `<prefix><pid>` whose process is gone.
pub fn remove_abandoned(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(prefix).filter(|pid| pid.parse::<u32>().is_ok()) else { continue };
        if !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_written_file_replaces_the_old_one_and_nothing_else_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.xml");
        std::fs::write(&target, "old").unwrap();
        write(&target, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only report.xml");
    }

    #[test]
    fn a_file_that_is_not_moved_in_is_removed_and_the_old_one_stays() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.xml");
        std::fs::write(&target, "old").unwrap();
        let mut file = beside(&target).unwrap();
        file.write_all(b"half").unwrap();
        drop(file);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only report.xml");
    }

    #[test]
    fn the_mode_is_what_a_plain_write_gives() {
        let dir = tempfile::tempdir().unwrap();
        let (plain, whole) = (dir.path().join("plain"), dir.path().join("whole"));
        std::fs::write(&plain, "x").unwrap();
        write(&whole, "x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&whole), mode(&plain));
    }

    #[test]
    fn a_missing_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = write(&dir.path().join("gone/report.xml"), "x").unwrap_err();
        assert!(format!("{err:#}").contains(&format!("{}/gone (does the folder exist?)", dir.path().display())));
    }

    #[test]
    fn only_the_folders_of_runs_that_are_gone_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let gone = child.id();
        child.wait().unwrap();
        for name in
            [format!(".partial-{gone}"), format!(".partial-{}", std::process::id()), ".partial-x".into(), "keep".into()]
        {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        remove_abandoned(dir.path(), ".partial-");
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [format!(".partial-{}", std::process::id()), ".partial-x".into(), "keep".into()]);
    }
}
