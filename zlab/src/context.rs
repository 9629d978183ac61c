//! One run's context, built once in main and passed down: the environment zlab reads, where
//! files live, the chosen toolchain's tools, and the pins (read when first needed, once).

use crate::environment::Environment;
use crate::host::paths::Paths;
use crate::inputs::pins::Pins;
use crate::inputs::rust_pins::RustPin;
use crate::inputs::shipped;
use crate::toolchain::newer_rust;
use crate::toolchain::tools::{Compiler, Toolchain};
use anyhow::{bail, Context, Result};
use std::sync::OnceLock;

pub struct RunContext {
    pub env: Environment,
    pub paths: Paths,
    pub tools: Toolchain,
    /// The kernel series `--kernel` named, if any; else the pins' default.
    pub kernel: Option<String>,
    /// The newer rustc `--rust` chose, if any; else the host's (the floor) or ZLAB_RUSTC's.
    pub rust: Option<RustPin>,
    /// The kernel variant `--variant` boots every check on, if any; else each check's own.
    pub variant: Option<String>,
    /// Boot every check in full instead of resuming the saved guest (`--boot`).
    pub full_boot: bool,
    pins: OnceLock<Pins>,
}

impl RunContext {
    pub fn new(env: Environment, compiler: Compiler, kernel: Option<String>) -> Result<RunContext> {
        let mut paths = Paths::discover(&env, compiler)?;
        paths.own_kernels = paths.project.as_ref().is_some_and(|p| shipped::differs(&p.kernel_dir()));
        let tools = Toolchain::new(&env, &paths.tools_root(), compiler, None);
        let ctx = RunContext {
            env,
            paths,
            tools,
            kernel: None,
            rust: None,
            variant: None,
            full_boot: false,
            pins: OnceLock::new(),
        };
        match kernel {
            None => Ok(ctx),
            Some(_) if crate::environment::non_empty(&ctx.env.kernel_source).is_some() => bail!(
                "--kernel chooses a pinned kernel and --kernel-source (ZLAB_KERNEL_SOURCE) builds a tree of your own: give one of them"
            ),
            Some(series) => ctx.with_kernel(&series),
        }
    }

    /// The same run with the other toolchain (`zlab test --matrix`): its own build and run
    /// folders and tools, the same pins.
    pub fn with_compiler(&self, compiler: Compiler) -> RunContext {
        let paths = Paths { compiler, ..self.paths.clone() };
        self.with_paths(paths, self.kernel.clone(), self.rust.clone(), self.pins.clone())
    }

    /// The same run with the newer rustc `series` names (`--rust`, `zlab test --matrix`), or with
    /// the host's rustc for None. A newer rustc has build and run folders of its own
    /// (`test-rust1.98`), so switching never rebuilds the other's kernel.
    pub fn with_rust(&self, series: Option<&str>) -> Result<RunContext> {
        let rust = match series {
            None => None,
            Some(_) if self.env.in_nix_shell => bail!(
                "--rust (ZLAB_RUST) chooses a rustc zlab unpacked on a Debian host; under Nix the flake's kernel/rust-toolchain.toml chooses rustc: leave --rust out"
            ),
            Some(_) if crate::environment::non_empty(&self.env.rustc).is_some() => bail!(
                "--rust (ZLAB_RUST) chooses one of the pinned rustc releases and ZLAB_RUSTC (--rustc) names a rustc of your own: give one of them"
            ),
            Some(series) => Some(self.pins()?.rust.choose(series)?.clone()),
        };
        let paths = Paths { rust_series: rust.as_ref().map(|r| r.series.clone()), ..self.paths.clone() };
        Ok(self.with_paths(paths, self.kernel.clone(), rust, self.pins.clone()))
    }

    fn with_paths(
        &self,
        paths: Paths,
        kernel: Option<String>,
        rust: Option<RustPin>,
        pins: OnceLock<Pins>,
    ) -> RunContext {
        let rust_dir = rust.as_ref().map(|r| newer_rust::dir(&paths.tools_root(), &r.release));
        let tools = Toolchain::new(&self.env, &paths.tools_root(), paths.compiler, rust_dir.as_deref());
        RunContext {
            env: self.env.clone(),
            paths,
            tools,
            kernel,
            rust,
            variant: self.variant.clone(),
            full_boot: self.full_boot,
            pins,
        }
    }

    /// The same run with every check on the kernel variant `name` (`--variant`), or on its own
    /// for None. An unknown variant is refused here, before anything is built.
    pub fn with_variant(mut self, name: Option<&str>) -> Result<RunContext> {
        if let Some(name) = name {
            crate::inputs::variants::load(&self.paths, name)?;
        }
        self.variant = name.map(str::to_string);
        Ok(self)
    }

    /// The same run with every check booted in full (`--boot`) when `full_boot`.
    pub fn with_full_boot(mut self, full_boot: bool) -> RunContext {
        self.full_boot = full_boot;
        self
    }

    /// The same run building the pinned kernel `series` (`--kernel`, `zlab test --matrix`). A
    /// series other than the default has build and run folders of its own (`test-7.2`).
    pub fn with_kernel(&self, series: &str) -> Result<RunContext> {
        let pins = self.pins()?.clone().choose(series)?;
        let kernel_series = (!pins.default_chosen()).then(|| series.to_string());
        let paths = Paths { kernel_series, ..self.paths.clone() };
        Ok(self.with_paths(paths, Some(series.into()), self.rust.clone(), OnceLock::from(pins)))
    }

    /// The release of the kernel this run builds: the chosen pin's, or that of the tree given
    /// with --kernel-source.
    pub fn kernel_release(&self) -> Result<String> {
        match crate::environment::non_empty(&self.env.kernel_source) {
            Some(dir) => Ok(crate::inputs::kernel_tree::inspect(&dir)?.release),
            None => Ok(self.pins()?.kernel.release.clone()),
        }
    }

    /// The project's kernel/source.toml, else the one zlab ships, with the series `--kernel`
    /// chose. An error is not kept: doctor reports it, and every command that needs the pins
    /// fails with it.
    pub fn pins(&self) -> Result<&Pins> {
        if let Some(pins) = self.pins.get() {
            return Ok(pins);
        }
        let own = self.paths.project.as_ref().map(|p| p.kernel_dir().join("source.toml")).filter(|f| f.is_file());
        let pins = match own {
            Some(file) => Pins::load(&file)?,
            None => {
                Pins::parse(shipped::SOURCE_PINS).context("in kernel/source.toml as this zlab was built with it")?
            }
        };
        let pins = match &self.kernel {
            Some(series) => pins.choose(series)?,
            None => pins,
        };
        Ok(self.pins.get_or_init(|| pins))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn context(env: Environment) -> RunContext {
        RunContext::new(env, Compiler::Gcc, None).unwrap()
    }

    #[test]
    fn a_newer_rustc_keeps_to_its_own_folders_whatever_else_is_chosen() {
        let home = tempfile::tempdir().unwrap();
        let env = Environment { home: Some(home.path().into()), ..Environment::default() };
        let ctx = context(env).with_rust(Some("1.98")).unwrap();
        assert_eq!(ctx.paths.label("test"), "test-rust1.98");
        assert_eq!(ctx.tools.rustc, home.path().join("tools/rust-1.98.1/bin/rustc"));
        assert_eq!(ctx.tools.rustdoc, home.path().join("tools/rust-1.98.1/bin/rustdoc"));
        let llvm_72 = ctx.with_kernel("7.2").unwrap().with_compiler(Compiler::Llvm);
        assert_eq!(llvm_72.paths.label("hello"), "hello-7.2-rust1.98.llvm");
        assert_eq!(llvm_72.tools.rustc, ctx.tools.rustc);
        let floor = llvm_72.with_rust(None).unwrap();
        assert_eq!(floor.paths.label("hello"), "hello-7.2.llvm");
        assert!(floor.rust.is_none() && !floor.tools.rustc.starts_with(home.path()), "{:?}", floor.tools.rustc);
    }

    #[test]
    fn a_newer_rustc_is_refused_beside_a_rustc_of_ones_own_and_under_nix() {
        let home = Some(tempfile::tempdir().unwrap().path().to_path_buf());
        let own = Environment { home: home.clone(), rustc: Some(Path::new("/opt/rustc").into()), ..Default::default() };
        let err = format!("{:#}", context(own).with_rust(Some("1.98")).err().unwrap());
        assert!(err.contains("ZLAB_RUSTC (--rustc) names a rustc of your own"), "{err}");
        let nix = Environment { home, in_nix_shell: true, ..Default::default() };
        let err = format!("{:#}", context(nix).with_rust(Some("1.98")).err().unwrap());
        assert!(err.contains("under Nix the flake's kernel/rust-toolchain.toml chooses rustc"), "{err}");
    }
}
