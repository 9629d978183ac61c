//! A zlab project: a folder with `zlab.toml` at its root, holding modules/ and checks/, and, if
//! it wants them, kernel/ files of its own (pins, variants, config fragments) that take the place
//! of what zlab ships. zlab finds it by walking up from the current directory, as cargo finds
//! Cargo.toml. zlab's own repository is a project too.

use anyhow::{bail, Context, Result};
use fs_err as fs;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "zlab.toml";

#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub root: PathBuf,
    pub name: String,
    /// Names the project's folders in zlab's home (module builds, run logs): its name and a hash
    /// of its path, so two projects never share them, even with the same name.
    pub key: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    project: ProjectTable,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ProjectTable {
    /// Shown in reports and part of the project's key [default: the folder's name].
    name: Option<String>,
}

impl Project {
    /// The project whose root is `root`: its zlab.toml must be there and valid.
    pub fn open(root: &Path) -> Result<Project> {
        if !root.is_dir() {
            bail!("{} is not a folder (a zlab project is a folder with {MANIFEST} in it)", root.display());
        }
        let root = fs::canonicalize(root)?;
        let manifest = root.join(MANIFEST);
        if !manifest.is_file() {
            bail!(
                "{} is not a zlab project: it has no {MANIFEST} (`zlab new --project DIR` makes a project)",
                root.display()
            );
        }
        let text = fs::read_to_string(&manifest)?;
        let parsed: Manifest = toml::from_str(&text).with_context(|| format!("in {}", manifest.display()))?;
        let name = match parsed.project.name {
            Some(name) => validate_name(&name).map(|()| name).with_context(|| format!("in {}", manifest.display()))?,
            None => folder_name(&root, "project"),
        };
        let key = path_key(&name, &root);
        Ok(Project { root, name, key })
    }

    /// The nearest folder at or above `start` with a zlab.toml, opened.
    pub fn find(start: &Path) -> Option<Result<Project>> {
        let root = start.ancestors().find(|dir| dir.join(MANIFEST).is_file())?;
        Some(Project::open(root))
    }

    pub fn modules_dir(&self) -> PathBuf {
        self.root.join("modules")
    }
    pub fn checks_dir(&self) -> PathBuf {
        self.root.join("checks")
    }
    /// The project's own kernel/ files, where it has any.
    pub fn kernel_dir(&self) -> PathBuf {
        self.root.join("kernel")
    }
}

fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !ok {
        bail!("project name `{name}`: use letters, digits, `-`, `_` and `.` (at most 64, not starting with `.`)");
    }
    Ok(())
}

/// `NAME-<12 hex digits of the SHA256 of PATH>`: names a folder in zlab's home after a folder
/// elsewhere (a project, a kernel tree), so two of them never share one, even under one name.
pub fn path_key(name: &str, path: &Path) -> String {
    let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
    format!("{name}-{}", digest.iter().take(6).map(|b| format!("{b:02x}")).collect::<String>())
}

/// The folder's name with anything but letters, digits, `-`, `_` and `.` made `-`, no leading
/// `.` and at most 64 characters; `fallback` when nothing is left.
pub fn folder_name(path: &Path, fallback: &str) -> String {
    let raw = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let clean: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '-' })
        .collect::<String>()
        .trim_start_matches('.')
        .chars()
        .take(64)
        .collect();
    if clean.is_empty() {
        fallback.to_string()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project_with(manifest: &str) -> (tempfile::TempDir, Result<Project>) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("my mods");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join(MANIFEST), manifest).unwrap();
        let project = Project::open(&root);
        (dir, project)
    }

    #[test]
    fn an_empty_manifest_names_the_project_after_its_folder() {
        let (_dir, project) = project_with("");
        let project = project.unwrap();
        assert_eq!(project.name, "my-mods");
        assert!(project.key.starts_with("my-mods-") && project.key.len() == "my-mods-".len() + 12, "{}", project.key);
    }

    #[test]
    fn a_name_is_taken_and_two_folders_get_two_keys() {
        let (_a, a) = project_with("[project]\nname = \"mods\"\n");
        let (_b, b) = project_with("[project]\nname = \"mods\"\n");
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!((a.name.as_str(), b.name.as_str()), ("mods", "mods"));
        assert_ne!(a.key, b.key);
    }

    #[test]
    fn an_unknown_key_or_a_wrong_type_names_file_and_line() {
        for (manifest, says) in [
            ("[project]\nname = \"x\"\nnmae = \"y\"\n", "unknown field `nmae`"),
            ("[project]\n\nname = 3\n", "invalid type"),
            ("[projects]\n", "unknown field `projects`"),
        ] {
            let (_dir, project) = project_with(manifest);
            let error = format!("{:#}", project.unwrap_err());
            assert!(error.contains("zlab.toml") && error.contains(says), "{error}");
            let line = manifest.lines().position(|l| l.contains("nmae") || l.contains("= 3") || l.contains("projects"));
            assert!(error.contains(&format!("line {}", line.unwrap() + 1)), "{error}");
        }
    }

    #[test]
    fn a_bad_name_is_refused() {
        let (_dir, project) = project_with("[project]\nname = \"a/b\"\n");
        assert!(format!("{:#}", project.unwrap_err()).contains("project name `a/b`"));
    }

    #[test]
    fn found_by_walking_up() {
        let (dir, project) = project_with("");
        let below = dir.path().join("my mods/modules/x");
        std::fs::create_dir_all(&below).unwrap();
        assert_eq!(Project::find(&below).unwrap().unwrap(), project.unwrap());
        assert!(Project::find(dir.path()).is_none());
    }
}
