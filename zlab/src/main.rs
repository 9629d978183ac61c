use clap::Parser;
use zlab::build::kernel;
use zlab::cli::{Cli, Command};
use zlab::commands;
use zlab::host::paths::Paths;
use zlab::setup::{doctor, install};
use zlab::ui::output::{self, Colour, Stream, Verbosity};

fn main() {
    output::end_quietly_on_a_closed_pipe();
    let cli = Cli::parse();
    // The zlab processes this run starts (bench's) build with the same toolchain.
    std::env::set_var(zlab::toolchain::tools::Compiler::VARIABLE, cli.toolchain.name());
    output::set_colour_choice(cli.color);
    output::set_verbosity(match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (_, true) => Verbosity::Verbose,
        _ => Verbosity::Normal,
    });
    if let Err(e) = run(cli.command, cli.toolchain) {
        eprintln!("zlab: {} {e:#}", output::paint(Stream::Stderr, Colour::Red, "error:"));
        std::process::exit(2);
    }
}

fn run(command: Command, toolchain: zlab::toolchain::tools::Compiler) -> anyhow::Result<()> {
    if let Command::Completions { shell } = command {
        commands::completions(shell);
        return Ok(());
    }
    let paths = Paths::discover(toolchain)?;
    match command {
        Command::Setup { user_only } => install::run(&paths, user_only),
        Command::Doctor => doctor::run(&paths),
        Command::Fetch => commands::fetch(&paths),
        Command::Source { into } => {
            let pins = zlab::inputs::pins::Pins::load(&paths.source_pins())?;
            zlab::inputs::source::unpack(&paths, &pins.kernel, &into)
        }
        Command::Build { variant, dir } => kernel::build(&paths, &variant, dir.as_deref()).map(drop),
        Command::Repro { variant } => zlab::repro::rebuild::run(&paths, &variant),
        Command::Modules { names, variant, list } => commands::modules(&paths, &names, &variant, list),
        Command::Initramfs { check } => commands::initramfs(&paths, check.as_deref()),
        Command::New { name } => commands::new(&paths, &name),
        Command::Bench { check, runs, cold, peer, defconfig, write } => {
            zlab::bench::run(&paths, &zlab::bench::Options { check, runs, cold, peer, defconfig, write })
        }
        Command::RustAnalyzer { variant, output } => commands::rust_analyzer(&paths, &variant, output),
        Command::Boot { check, interactive, gdb, gdb_port } => {
            commands::boot(&paths, check.as_deref(), interactive, gdb.then_some(gdb_port))
        }
        Command::Test { names, json, junit, list, repeat, matrix } => {
            commands::test(&paths, &names, list, repeat, matrix, commands::Reports { json, junit: junit.as_deref() })
        }
        Command::Completions { .. } => unreachable!("handled before the repository is needed"),
    }
}
