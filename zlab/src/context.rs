//! One run's context, built once in main and passed down: the environment zlab reads, where
//! files live, the chosen toolchain's tools, and the pins (read when first needed, once).

use crate::environment::Environment;
use crate::host::paths::Paths;
use crate::inputs::pins::Pins;
use crate::inputs::shipped;
use crate::toolchain::tools::{Compiler, Toolchain};
use anyhow::{bail, Context, Result};
use std::sync::OnceLock;

pub struct RunContext {
    pub env: Environment,
    pub paths: Paths,
    pub tools: Toolchain,
    /// The kernel series `--kernel` named, if any; else the pins' default.
    pub kernel: Option<String>,
    pins: OnceLock<Pins>,
}

impl RunContext {
    pub fn new(env: Environment, compiler: Compiler, kernel: Option<String>) -> Result<RunContext> {
        let mut paths = Paths::discover(&env, compiler)?;
        paths.own_kernels = paths.project.as_ref().is_some_and(|p| shipped::differs(&p.kernel_dir()));
        let tools = Toolchain::new(&env, &paths.tools_root(), compiler);
        let ctx = RunContext { env, paths, tools, kernel: None, pins: OnceLock::new() };
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
        let tools = Toolchain::new(&self.env, &paths.tools_root(), compiler);
        RunContext { env: self.env.clone(), paths, tools, kernel: self.kernel.clone(), pins: self.pins.clone() }
    }

    /// The same run building the pinned kernel `series` (`--kernel`, `zlab test --matrix`). A
    /// series other than the default has build and run folders of its own (`test-7.2`).
    pub fn with_kernel(&self, series: &str) -> Result<RunContext> {
        let pins = self.pins()?.clone().choose(series)?;
        let kernel_series = (!pins.default_chosen()).then(|| series.to_string());
        let paths = Paths { kernel_series, ..self.paths.clone() };
        let tools = Toolchain::new(&self.env, &paths.tools_root(), paths.compiler);
        Ok(RunContext { env: self.env.clone(), paths, tools, kernel: Some(series.into()), pins: OnceLock::from(pins) })
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
