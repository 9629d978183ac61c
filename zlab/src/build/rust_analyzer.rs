//! `zlab rust-analyzer`: rust-project.json, so editors resolve `kernel::` and `bindings::` in
//! modules/. The kernel's own `make rust-analyzer` (scripts/generate_rust_analyzer.py) writes it,
//! with modules/ as the external tree; zlab checks the result before putting it in place.

use crate::build::kernel::{self, Kernel};
use crate::build::modules;
use crate::context::RunContext;
use crate::host::lock::DirLock;
use crate::host::process;
use anyhow::{bail, Context, Result};
use fs_err as fs;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The kernel crates a module's code reaches; a file without them would leave `kernel::` red.
pub const KERNEL_CRATES: [&str; 5] = ["core", "kernel", "bindings", "macros", "pin_init"];

#[derive(Deserialize)]
pub struct Project {
    pub crates: Vec<Crate>,
}

#[derive(Deserialize)]
pub struct Crate {
    pub display_name: String,
    pub root_module: PathBuf,
    pub deps: Vec<Dep>,
}

#[derive(Deserialize)]
pub struct Dep {
    #[serde(rename = "crate")]
    pub index: usize,
    pub name: String,
}

pub struct Written {
    pub file: PathBuf,
    pub crates: usize,
    /// Each module folder with the crate name rust-analyzer knows it by.
    pub modules: Vec<(String, String)>,
}

/// Writes rust-project.json for the variant's kernel and every module to `output`.
pub fn write(ctx: &RunContext, variant: &str, output: &Path) -> Result<Written> {
    let paths = &ctx.paths;
    let kernel = kernel::build(ctx, variant, None)?;
    let text = generate(ctx, &kernel)?;
    let project: Project = serde_json::from_str(&text).context("the kernel's rust-project.json does not parse")?;
    let modules = check(&project, &paths.modules_dir()?, &modules::list(paths)?)?;
    crate::host::temp::write(output, &text)?;
    Ok(Written { file: output.to_path_buf(), crates: project.crates.len(), modules })
}

/// Runs the kernel's `make M=<modules/> rust-analyzer`, its output kept outside the repository.
fn generate(ctx: &RunContext, kernel: &Kernel) -> Result<String> {
    let paths = &ctx.paths;
    let out = paths.home.join("rust-analyzer").join(&paths.project()?.key).join(&kernel.variant);
    let _lock = DirLock::acquire(&out)?;
    let tc = &ctx.tools;
    let mut make = tc.kernel_make(&kernel.source, &kernel.dir);
    make.arg(format!("M={}", paths.modules_dir()?.display())).arg(format!("MO={}", out.display())).arg("rust-analyzer");
    let run = process::dies_with_zlab(&mut make, process::Signal::TERM).output().context("could not run make")?;
    if !run.status.success() {
        bail!(
            "the kernel's `make rust-analyzer` failed:\n{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let file = out.join("rust-project.json");
    fs::read_to_string(&file).with_context(|| format!("make rust-analyzer wrote no {}", file.display()))
}

/// The kernel crates are there, every dependency points at a crate, and each module folder has
/// a crate rooted in it that depends on `kernel`. Returns (folder, crate name) per module.
pub fn check(project: &Project, modules_dir: &Path, module_names: &[String]) -> Result<Vec<(String, String)>> {
    let count = project.crates.len();
    for name in KERNEL_CRATES {
        if !project.crates.iter().any(|c| c.display_name == name) {
            bail!("rust-project.json has no `{name}` crate; is CONFIG_RUST on in this kernel's configuration?");
        }
    }
    for c in &project.crates {
        if let Some(dep) = c.deps.iter().find(|d| d.index >= count) {
            bail!("rust-project.json: crate {} depends on crate #{} of {count}", c.display_name, dep.index);
        }
    }
    let mut found = Vec::new();
    for module in module_names {
        let folder = modules_dir.join(module);
        let krate = project.crates.iter().find(|c| c.root_module.starts_with(&folder)).with_context(|| {
            format!(
                "rust-project.json lists no crate for modules/{module}: its Kbuild must name the root file \
                 (`obj-m := {module}.o`, or `{module}-objs := <root>.o …`)"
            )
        })?;
        if !krate.deps.iter().any(|d| d.name == "kernel") {
            bail!("rust-project.json: {} does not depend on the kernel crate", krate.display_name);
        }
        found.push((module.clone(), krate.display_name.clone()));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(json: &str) -> Project {
        serde_json::from_str(json).unwrap()
    }

    fn kernel_crates(extra: &str) -> String {
        let names = ["core", "kernel", "bindings", "macros", "pin_init"];
        let mut crates: Vec<String> =
            names.iter().map(|n| format!(r#"{{"display_name":"{n}","root_module":"/k/{n}.rs","deps":[]}}"#)).collect();
        if !extra.is_empty() {
            crates.push(extra.to_string());
        }
        format!(r#"{{"crates":[{}]}}"#, crates.join(","))
    }

    const HELLO: &str =
        r#"{"display_name":"hello","root_module":"/r/modules/hello/hello.rs","deps":[{"crate":1,"name":"kernel"}]}"#;

    #[test]
    fn each_module_is_found_by_its_folder() {
        let p = project(&kernel_crates(HELLO));
        let found = check(&p, Path::new("/r/modules"), &["hello".to_string()]).unwrap();
        assert_eq!(found, [("hello".to_string(), "hello".to_string())]);
    }

    #[test]
    fn a_missing_module_is_named() {
        let p = project(&kernel_crates(HELLO));
        let e = check(&p, Path::new("/r/modules"), &["hello".into(), "echo".into()]).unwrap_err();
        assert!(format!("{e}").contains("modules/echo"), "{e}");
    }

    #[test]
    fn a_missing_kernel_crate_is_named() {
        let p = project(r#"{"crates":[{"display_name":"core","root_module":"/c.rs","deps":[]}]}"#);
        let e = check(&p, Path::new("/r/modules"), &[]).unwrap_err();
        assert!(format!("{e}").contains("`kernel`"), "{e}");
    }

    #[test]
    fn a_dependency_past_the_end_is_refused() {
        let bad = HELLO.replace(r#""crate":1"#, r#""crate":99"#);
        let p = project(&kernel_crates(&bad));
        assert!(check(&p, Path::new("/r/modules"), &["hello".into()]).is_err());
    }
}
