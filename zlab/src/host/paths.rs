//! Where things live: the project (modules, checks, its own kernel files if any) and zlab's home
//! (downloads, tools, unpacked source, build dirs, run logs), which stays outside git.

use crate::environment::Environment;
use crate::host::project::{self, Project, MANIFEST};
use crate::toolchain::tools::Compiler;
use anyhow::{Context, Result};
use fs_err as fs;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Paths {
    /// The project this run works in; commands that need none (setup, doctor, fetch, build)
    /// also run outside one.
    pub project: Option<Project>,
    /// Where the search for a project began, for the message when there is none.
    pub started_in: PathBuf,
    pub home: PathBuf,
    /// The toolchain chosen for this run; build and run folders carry its suffix.
    pub compiler: Compiler,
    /// The project's kernel/ files differ from what zlab ships, so its kernels are its own:
    /// built under its key, never in the build dirs every other project shares.
    pub own_kernels: bool,
    /// A kernel tree of the user's own (`--kernel-source`) is built apart from the pinned one:
    /// `build/tree-<its name and a hash of its path>/<variant>`.
    pub tree_key: Option<String>,
    /// A pinned kernel series other than the default (`--kernel 7.2`): its build and run
    /// folders end in `-7.2`, so switching series never rebuilds the other's kernel.
    pub kernel_series: Option<String>,
    /// A newer rustc `--rust 1.98` chose: its build and run folders carry `-rust1.98`.
    pub rust_series: Option<String>,
}

impl Paths {
    /// The project is `ZLAB_PROJECT` or the nearest folder with a zlab.toml at or above the
    /// current directory; the home is `ZLAB_HOME`, else `$XDG_CACHE_HOME/zlab`, else
    /// `~/.cache/zlab`.
    pub fn discover(env: &Environment, compiler: Compiler) -> Result<Paths> {
        let started_in = std::env::current_dir().context("the current directory is gone; cd into your project")?;
        let project = match crate::environment::non_empty(&env.project) {
            Some(dir) => Some(Project::open(&dir).context("in ZLAB_PROJECT (--project)")?),
            None => Project::find(&started_in).transpose()?,
        };
        let tree_key = crate::environment::non_empty(&env.kernel_source).map(|dir| tree_key(&dir));
        Ok(Paths {
            project,
            started_in,
            home: home(env)?,
            compiler,
            own_kernels: false,
            tree_key,
            kernel_series: None,
            rust_series: None,
        })
    }

    /// A project at `root` (nothing read from disk) and a home, for unit tests.
    #[cfg(test)]
    pub fn for_tests(root: &Path, home: &Path) -> Paths {
        let project = Project { root: root.to_path_buf(), name: "test".into(), key: "test-0123456789ab".into() };
        Paths {
            project: Some(project),
            started_in: root.to_path_buf(),
            home: home.to_path_buf(),
            compiler: Compiler::Gcc,
            own_kernels: false,
            tree_key: None,
            kernel_series: None,
            rust_series: None,
        }
    }

    pub fn project(&self) -> Result<&Project> {
        self.project.as_ref().with_context(|| {
            format!(
                "no {MANIFEST} in {} or any folder above it: cd into your project (zlab's own clone is one), \
or make one with `zlab new --project DIR`",
                self.started_in.display()
            )
        })
    }
    pub fn modules_dir(&self) -> Result<PathBuf> {
        Ok(self.project()?.modules_dir())
    }
    pub fn checks_dir(&self) -> Result<PathBuf> {
        Ok(self.project()?.checks_dir())
    }

    pub fn downloads(&self) -> PathBuf {
        self.home.join("downloads")
    }
    pub fn apt_dir(&self) -> PathBuf {
        self.home.join("apt")
    }
    pub fn tools_root(&self) -> PathBuf {
        self.home.join("tools")
    }
    pub fn sources(&self) -> PathBuf {
        self.home.join("src")
    }
    /// `build/<variant>`, shared by every project that uses zlab's kernel files as shipped, or
    /// `build/<project key>/<variant>` for a project with kernel files of its own; under
    /// `build/tree-<key>/` for a kernel tree of the user's own.
    pub fn build_dir(&self, variant: &str) -> PathBuf {
        let mut builds = self.home.join("build");
        if let Some(tree) = &self.tree_key {
            builds = builds.join(format!("tree-{tree}"));
        }
        if let (Some(project), true) = (&self.project, self.own_kernels) {
            builds = builds.join(&project.key);
        }
        builds.join(self.label(variant))
    }
    /// `runs/<project key>/<check>`: the check's initramfs and console log.
    pub fn run_dir(&self, check: &str) -> Result<PathBuf> {
        let project = self.project()?;
        Ok(self.home.join("runs").join(&project.key).join(self.label(check)))
    }
    /// A variant's or a check's name as its folders are named: `-<series>` for a kernel other
    /// than the default, `-rust<series>` for a newer rustc, `.llvm` for an LLVM build
    /// (`hello-7.2-rust1.98.llvm`).
    pub fn label(&self, name: &str) -> String {
        let series = self.kernel_series.as_ref().map(|s| format!("-{s}")).unwrap_or_default();
        format!("{name}{series}{}", self.toolchain_suffix())
    }
    /// The part of a label the tools choose: `-rust1.98` for a newer rustc, `.llvm` for LLVM.
    pub fn toolchain_suffix(&self) -> String {
        let rust = self.rust_series.as_ref().map(|s| format!("-rust{s}")).unwrap_or_default();
        format!("{rust}{}", self.compiler.dir_suffix())
    }
}

/// `linux-a1b2c3d4e5f6`: the tree folder's name and 12 hex digits of the SHA256 of its real path.
fn tree_key(dir: &Path) -> String {
    let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    project::path_key(&project::folder_name(&real, "tree"), &real)
}

fn home(env: &Environment) -> Result<PathBuf> {
    if let Some(home) = &env.home {
        return Ok(home.clone());
    }
    if let Some(cache) = &env.xdg_cache_home {
        return Ok(PathBuf::from(cache).join("zlab"));
    }
    let home =
        env.user_home.as_ref().context("neither ZLAB_HOME nor HOME is set; set ZLAB_HOME to a writable folder")?;
    Ok(PathBuf::from(home).join(".cache/zlab"))
}

/// Removes `dir` and everything in it; a folder that is not there is fine.
pub fn remove_dir(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", dir.display()))
        }
        _ => Ok(()),
    }
}
