//! Where things live: the repository (pins, fragments, modules, checks) and zlab's home
//! (downloads, tools, unpacked source, build dirs, run logs), which stays outside git.

use crate::environment::Environment;
use crate::toolchain::tools::Compiler;
use anyhow::{bail, Context, Result};
use fs_err as fs;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Paths {
    pub repo: PathBuf,
    pub home: PathBuf,
    /// The toolchain chosen for this run; build and run folders carry its suffix.
    pub compiler: Compiler,
}

impl Paths {
    /// The repository is found from `ZLAB_REPO` or by walking up from the current directory to
    /// the folder that holds `kernel/source.toml`; the home is `ZLAB_HOME`, else
    /// `$XDG_CACHE_HOME/zlab`, else `~/.cache/zlab`.
    pub fn discover(env: &Environment, compiler: Compiler) -> Result<Paths> {
        let repo = match &env.repo {
            Some(dir) => dir.clone(),
            None => find_repo(&std::env::current_dir()?)?,
        };
        if !repo.join("kernel/source.toml").is_file() {
            bail!(
                "{} is not a zlab repository (no kernel/source.toml); run zlab from inside the repository or set ZLAB_REPO",
                repo.display()
            );
        }
        Ok(Paths { repo, home: home(env)?, compiler })
    }

    pub fn source_pins(&self) -> PathBuf {
        self.repo.join("kernel/source.toml")
    }
    pub fn variants_file(&self) -> PathBuf {
        self.repo.join("kernel/variants.toml")
    }
    pub fn fragment(&self, name: &str) -> PathBuf {
        self.repo.join("kernel/configs").join(format!("{name}.config"))
    }
    pub fn modules_dir(&self) -> PathBuf {
        self.repo.join("modules")
    }
    pub fn checks_dir(&self) -> PathBuf {
        self.repo.join("checks")
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
    pub fn build_dir(&self, variant: &str) -> PathBuf {
        self.home.join("build").join(format!("{variant}{}", self.compiler.dir_suffix()))
    }
    pub fn run_dir(&self, check: &str) -> PathBuf {
        self.home.join("runs").join(format!("{check}{}", self.compiler.dir_suffix()))
    }
}

fn find_repo(start: &Path) -> Result<PathBuf> {
    start.ancestors().find(|dir| dir.join("kernel/source.toml").is_file()).map(Path::to_path_buf).with_context(|| {
        format!(
            "no zlab repository above {} (looked for kernel/source.toml); cd into your zlab clone or set ZLAB_REPO",
            start.display()
        )
    })
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
