//! `zlab new --project DIR`: a project of one's own (zlab.toml, a module with a KUnit suite and
//! its check, README, .gitignore, a CI workflow, flake.nix and .envrc), made from
//! templates/project — the same files the Nix flake's template gives. Written in a folder beside DIR and moved in at the end, so a
//! failure leaves nothing half-made.

use crate::build::scaffold;
use anyhow::{bail, Context, Result};
use fs_err as fs;
use std::path::{Path, PathBuf};

/// The project's own files, apart from its module (templates/project/ without modules/ and
/// checks/; a test checks that none is missing here).
const PROJECT_FILES: &[(&str, &str)] = &[
    ("zlab.toml", include_str!("../../templates/project/zlab.toml")),
    ("README.md", include_str!("../../templates/project/README.md")),
    (".gitignore", include_str!("../../templates/project/.gitignore")),
    ("flake.nix", include_str!("../../templates/project/flake.nix")),
    (".envrc", include_str!("../../templates/project/.envrc")),
    (".github/workflows/zlab.yml", include_str!("../../templates/project/.github/workflows/zlab.yml")),
];

/// The template's module: templates/project holds what `zlab new my_module` makes (a test keeps
/// the two the same), so that `nix flake init` can copy the folder as it is.
pub const TEMPLATE_MODULE: &str = "my_module";

pub fn create(dir: &Path, module: &str) -> Result<PathBuf> {
    scaffold::validate(module)?;
    if let Ok(mut entries) = fs::read_dir(dir) {
        if entries.next().is_some() {
            bail!("{} already exists and is not empty; give a new folder for the project", dir.display());
        }
    } else if dir.exists() {
        bail!("{} already exists and is not a folder; give a new folder for the project", dir.display());
    }
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let staging = tempfile::Builder::new()
        .prefix(".zlab-new-project.")
        .tempdir_in(&parent)
        .with_context(|| format!("making a folder in {}", parent.display()))?;
    // The README names the module: the one made here.
    let files = PROJECT_FILES.iter().map(|(file, text)| (PathBuf::from(file), text.replace(TEMPLATE_MODULE, module)));
    for (file, text) in files.chain(scaffold::files(module)) {
        let path = staging.path().join(file);
        fs::create_dir_all(path.parent().expect("a file in the project has a folder"))?;
        fs::write(&path, text)?;
    }
    // rename(2) takes the place of an empty folder, and fails if anything appeared in it.
    fs::rename(staging.path(), dir).with_context(|| format!("moving the new project into {}", dir.display()))?;
    let _ = staging.keep(); // moved: nothing left for its drop to remove
    Ok(fs::canonicalize(dir)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/project")
    }

    fn files_under(root: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let relative = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                    out.push((relative, std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn the_template_folder_is_exactly_what_zlab_new_project_makes() {
        let scratch = tempfile::tempdir().unwrap();
        let made = create(&scratch.path().join("mine"), TEMPLATE_MODULE).unwrap();
        assert_eq!(files_under(&made), files_under(&template_dir()));
    }

    #[test]
    fn another_module_name_replaces_the_template_module() {
        let scratch = tempfile::tempdir().unwrap();
        let made = create(&scratch.path().join("mine"), "blinken").unwrap();
        let files = files_under(&made);
        let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
        assert!(names.contains(&"modules/blinken/blinken.rs"), "{names:?}");
        assert!(names.contains(&"checks/blinken.toml"), "{names:?}");
        for (name, text) in &files {
            assert!(
                !name.contains(TEMPLATE_MODULE) && !text.contains(TEMPLATE_MODULE),
                "{name} names {TEMPLATE_MODULE}"
            );
        }
        assert!(files.iter().any(|(name, text)| name == "README.md" && text.contains("modules/blinken/")));
    }

    #[test]
    fn an_empty_folder_is_used_and_a_full_one_is_refused_untouched() {
        let scratch = tempfile::tempdir().unwrap();
        let empty = scratch.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(create(&empty, TEMPLATE_MODULE).unwrap().join("zlab.toml").is_file());
        let error = create(&empty, TEMPLATE_MODULE).unwrap_err();
        assert!(format!("{error:#}").contains("not empty"), "{error:#}");
        let bad_name = create(&scratch.path().join("other"), "Bad-Name").unwrap_err();
        assert!(format!("{bad_name:#}").contains("not a usable module name"), "{bad_name:#}");
        let left: Vec<_> = std::fs::read_dir(scratch.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["empty"], "nothing else made, no staging folder left");
    }
}
