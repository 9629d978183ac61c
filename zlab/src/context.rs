//! One run's context, built once in main and passed down: the environment zlab reads, where
//! files live, the chosen toolchain's tools, and the pins (read when first needed, once).

use crate::environment::Environment;
use crate::host::paths::Paths;
use crate::inputs::pins::Pins;
use crate::inputs::shipped;
use crate::toolchain::tools::{Compiler, Toolchain};
use anyhow::{Context, Result};
use std::sync::OnceLock;

pub struct RunContext {
    pub env: Environment,
    pub paths: Paths,
    pub tools: Toolchain,
    pins: OnceLock<Pins>,
}

impl RunContext {
    pub fn new(env: Environment, compiler: Compiler) -> Result<RunContext> {
        let mut paths = Paths::discover(&env, compiler)?;
        paths.own_kernels = paths.project.as_ref().is_some_and(|p| shipped::differs(&p.kernel_dir()));
        let tools = Toolchain::new(&env, &paths.tools_root(), compiler);
        Ok(RunContext { env, paths, tools, pins: OnceLock::new() })
    }

    /// The same run with the other toolchain (`zlab test --matrix`): its own build and run
    /// folders and tools, the same pins.
    pub fn with_compiler(&self, compiler: Compiler) -> RunContext {
        let paths = Paths { compiler, ..self.paths.clone() };
        let tools = Toolchain::new(&self.env, &paths.tools_root(), compiler);
        RunContext { env: self.env.clone(), paths, tools, pins: self.pins.clone() }
    }

    /// The project's kernel/source.toml, else the one zlab ships. An error is not kept: doctor
    /// reports it, and every command that needs the pins fails with it.
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
        Ok(self.pins.get_or_init(|| pins))
    }
}
