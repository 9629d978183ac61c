//! One run's context, built once in main and passed down: the environment zlab reads, where
//! files live, the chosen toolchain's tools, and the pins (read when first needed, once).

use crate::environment::Environment;
use crate::host::paths::Paths;
use crate::inputs::pins::Pins;
use crate::toolchain::tools::{Compiler, Toolchain};
use anyhow::Result;
use std::sync::OnceLock;

pub struct RunContext {
    pub env: Environment,
    pub paths: Paths,
    pub tools: Toolchain,
    pins: OnceLock<Pins>,
}

impl RunContext {
    pub fn new(env: Environment, compiler: Compiler) -> Result<RunContext> {
        let paths = Paths::discover(&env, compiler)?;
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

    /// kernel/source.toml. An error is not kept: doctor reports it, and every command that
    /// needs the pins fails with it.
    pub fn pins(&self) -> Result<&Pins> {
        if let Some(pins) = self.pins.get() {
            return Ok(pins);
        }
        let pins = Pins::load(&self.paths.source_pins())?;
        Ok(self.pins.get_or_init(|| pins))
    }
}
