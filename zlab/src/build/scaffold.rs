//! `zlab new NAME`: a module folder (module with a KUnit suite, Kbuild, README) and its check,
//! which build and pass untouched. Everything is written beside its final place first and moved
//! in at the end, so a failure leaves nothing half-made.

use crate::host::paths::Paths;
use anyhow::{bail, Context, Result};
use fs_err as fs;
use std::path::{Path, PathBuf};

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
    let module_dir = paths.modules_dir().join(name);
    let check = paths.checks_dir().join(format!("{name}.toml"));
    for existing in [&module_dir, &check] {
        if existing.exists() {
            bail!("{} already exists; pick another name or remove it first", existing.display());
        }
    }
    let fill = |template: &str| template.replace("{{name}}", name).replace("{{Type}}", &type_name(name));

    let staging = paths.modules_dir().join(format!(".{name}.new"));
    let _ = fs::remove_dir_all(&staging);
    let written = write_all(
        &staging,
        &[(&format!("{name}.rs"), fill(MODULE)), ("Kbuild", fill(KBUILD)), ("README.md", fill(README))],
    )
    .and_then(|()| {
        let partial = check.with_extension("toml.new");
        fs::write(&partial, fill(CHECK)).with_context(|| format!("writing {}", partial.display()))?;
        fs::rename(&staging, &module_dir).with_context(|| format!("creating {}", module_dir.display()))?;
        fs::rename(&partial, &check).with_context(|| format!("creating {}", check.display()))
    });
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&staging);
        let _ = fs::remove_file(check.with_extension("toml.new"));
        return Err(e);
    }
    Ok(Made { module_dir, check })
}

fn write_all(dir: &Path, files: &[(&str, String)]) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (file, text) in files {
        fs::write(dir.join(file), text).with_context(|| format!("writing {}", dir.join(file).display()))?;
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
}
