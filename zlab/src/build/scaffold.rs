//! `zlab new NAME`: a module folder (module with a KUnit suite, Kbuild, README) and its check,
//! which build and pass untouched. Everything is written beside its final place first and moved
//! in at the end, so a failure leaves nothing half-made and never one without the other.

use crate::host::paths::Paths;
use crate::host::temp;
use anyhow::{bail, Context, Result};
use fs_err as fs;
use std::path::{Path, PathBuf};
use tempfile::{NamedTempFile, TempDir};

const MODULE: &str = include_str!("../../templates/new/module.rs.tmpl");
const KBUILD: &str = include_str!("../../templates/new/Kbuild.tmpl");
const README: &str = include_str!("../../templates/new/README.md.tmpl");
const CHECK: &str = include_str!("../../templates/new/check.toml.tmpl");

/// What was made, for the message that follows.
pub struct Made {
    pub module_dir: PathBuf,
    pub check: PathBuf,
}

pub fn create(paths: &Paths, name: &str) -> Result<Made> {
    validate(name)?;
    let (modules_dir, checks_dir) = (paths.modules_dir()?, paths.checks_dir()?);
    let module_dir = modules_dir.join(name);
    let check = checks_dir.join(format!("{name}.toml"));
    for existing in [&module_dir, &check] {
        if existing.exists() {
            bail!("{} already exists; pick another name or remove it first", existing.display());
        }
    }
    fs::create_dir_all(&modules_dir)?;
    fs::create_dir_all(&checks_dir)?;
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .tempdir_in(&modules_dir)
        .with_context(|| format!("making a folder in {}", modules_dir.display()))?;
    let check_file = temp::beside(&check)?;
    for (file, text) in files(name) {
        match file.strip_prefix(format!("modules/{name}/")) {
            Ok(in_module) => fs::write(staging.path().join(in_module), text)?,
            Err(_) => fs::write(check_file.path(), text)?,
        }
    }
    move_in(staging, &module_dir, check_file, &check)?;
    Ok(Made { module_dir, check })
}

/// The files of module `name`, by their paths in a project: its folder under modules/ and its
/// check under checks/.
pub fn files(name: &str) -> Vec<(PathBuf, String)> {
    let fill = |template: &str| template.replace("{{name}}", name).replace("{{Type}}", &type_name(name));
    let in_module = |file: &str| PathBuf::from(format!("modules/{name}/{file}"));
    vec![
        (in_module(&format!("{name}.rs")), fill(MODULE)),
        (in_module("Kbuild"), fill(KBUILD)),
        (in_module("README.md"), fill(README)),
        (PathBuf::from(format!("checks/{name}.toml")), fill(CHECK)),
    ]
}

/// Moves the module folder, then its check, into place. When the check cannot follow (one of
/// that name appeared meanwhile), the folder is taken back: both are made or neither.
fn move_in(staging: TempDir, module_dir: &Path, check_file: NamedTempFile, check: &Path) -> Result<()> {
    fs::rename(staging.path(), module_dir)?;
    let _ = staging.keep(); // moved: nothing left for its drop to remove
    if let Err(e) = check_file.persist_noclobber(check) {
        let _ = fs::remove_dir_all(module_dir);
        return Err(e.error).with_context(|| format!("creating {}", check.display()));
    }
    Ok(())
}

/// A module name must be a C and Rust identifier the kernel accepts as a module name:
/// lowercase letters, digits and `_`, starting with a letter, at most 55 bytes (MODULE_NAME_LEN
/// is 56 with the NUL), and not a Rust keyword.
pub fn validate(name: &str) -> Result<()> {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
        "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
        "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "kernel", "core",
        "alloc", "std",
    ];
    let shape_ok = name.len() <= 55
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !shape_ok {
        bail!(
            "`{name}` is not a usable module name: use lowercase letters, digits and `_`, starting with a letter (e.g. `my_first`), at most 55 characters"
        );
    }
    if KEYWORDS.contains(&name) {
        bail!("`{name}` is a Rust keyword or crate name; pick another name (e.g. `my_{name}`)");
    }
    Ok(())
}

/// `my_first` → `MyFirst`, the module's type.
fn type_name(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_kernel_and_rust_accept() {
        for good in ["hello2", "my_first", "z"] {
            assert!(validate(good).is_ok(), "{good}");
        }
        for bad in ["", "2fast", "My", "has-dash", "_x", "s p", "fn", "kernel", &"a".repeat(56)] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn type_names_are_camel_case() {
        assert_eq!(type_name("my_first"), "MyFirst");
        assert_eq!(type_name("z"), "Z");
        assert_eq!(type_name("a__b9"), "AB9");
    }

    fn repo() -> (tempfile::TempDir, Paths) {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::for_tests(dir.path(), &dir.path().join("home"));
        (dir, paths)
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn a_new_module_and_its_check_are_made_with_nothing_else() {
        let (dir, paths) = repo();
        let made = create(&paths, "my_first").unwrap();
        assert_eq!(names(&made.module_dir), ["Kbuild", "README.md", "my_first.rs"]);
        assert!(std::fs::read_to_string(&made.check).unwrap().contains("my_first"));
        assert_eq!(names(&paths.modules_dir().unwrap()), ["my_first"]);
        assert_eq!(names(&paths.checks_dir().unwrap()), ["my_first.toml"]);
        // Modes as plain writes give them (tempfile's own are 0700 and 0600).
        std::fs::create_dir(dir.path().join("plain")).unwrap();
        std::fs::write(dir.path().join("plain/file"), "").unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&made.module_dir), mode(&dir.path().join("plain")));
        assert_eq!(mode(&made.check), mode(&dir.path().join("plain/file")));
    }

    #[test]
    fn when_the_check_cannot_be_moved_in_the_module_folder_is_taken_back() {
        let (_dir, paths) = repo();
        std::fs::create_dir_all(paths.checks_dir().unwrap()).unwrap();
        let (module_dir, check) =
            (paths.modules_dir().unwrap().join("late"), paths.checks_dir().unwrap().join("late.toml"));
        std::fs::create_dir_all(paths.modules_dir().unwrap()).unwrap();
        let staging = tempfile::tempdir_in(paths.modules_dir().unwrap()).unwrap();
        std::fs::write(staging.path().join("Kbuild"), "obj-m := late.o\n").unwrap();
        let check_file = temp::beside(&check).unwrap();
        // Someone else's check of that name appears between the first look and the move.
        std::fs::write(&check, "theirs").unwrap();
        let err = move_in(staging, &module_dir, check_file, &check).unwrap_err();
        assert!(format!("{err:#}").contains("late.toml"), "{err:#}");
        assert!(!module_dir.exists(), "the module folder was left without its check");
        assert_eq!(names(&paths.modules_dir().unwrap()), Vec::<String>::new());
        assert_eq!(std::fs::read_to_string(&check).unwrap(), "theirs");
        assert_eq!(names(&paths.checks_dir().unwrap()), ["late.toml"]);
    }
}
