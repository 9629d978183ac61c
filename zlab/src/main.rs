use clap::Parser;
use zlab::cli::{Cli, Command};
use zlab::paths::Paths;
use zlab::{build, commands, doctor, setup};

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli.command) {
        eprintln!("zlab: error: {e:#}");
        std::process::exit(2);
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    let paths = Paths::discover()?;
    match command {
        Command::Setup => setup::run(&paths),
        Command::Doctor => doctor::run(&paths),
        Command::Fetch => commands::fetch(&paths),
        Command::Source { into } => {
            let pins = zlab::pins::Pins::load(&paths.source_pins())?;
            zlab::source::unpack(&paths, &pins.kernel, &into)
        }
        Command::Build { variant, dir } => build::build(&paths, &variant, dir.as_deref()).map(drop),
        Command::Modules { names, variant, list } => commands::modules(&paths, &names, &variant, list),
        Command::Initramfs { check } => commands::initramfs(&paths, check.as_deref()),
        Command::New { name } => commands::new(&paths, &name),
        Command::Boot { check, interactive, gdb, gdb_port } => {
            commands::boot(&paths, check.as_deref(), interactive, gdb.then_some(gdb_port))
        }
        Command::Test { names, verbose, list, repeat } => commands::test(&paths, &names, verbose, list, repeat),
    }
}
