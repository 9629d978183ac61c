use clap::Parser;
use std::process::ExitCode;
use zlab::build::kernel;
use zlab::cli::{Cli, Command};
use zlab::commands;
use zlab::context::RunContext;
use zlab::setup::{doctor, install};
use zlab::ui::output::{self, Colour, Stream, Verbosity};

fn main() -> ExitCode {
    output::end_quietly_on_a_closed_pipe();
    let cli = Cli::parse();
    output::set_colour_choice(cli.color);
    output::set_verbosity(match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (_, true) => Verbosity::Verbose,
        _ => Verbosity::Normal,
    });
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("zlab: {} {e:#}", output::paint(Stream::Stderr, Colour::Red, "error:"));
            ExitCode::from(2)
        }
    }
}

/// Exit status: 0 done, 1 a check failed, 2 zlab could not do what was asked.
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Completions { shell } = cli.command {
        commands::completions(shell);
        return Ok(ExitCode::SUCCESS);
    }
    let ctx = RunContext::new(cli.env, cli.toolchain, cli.kernel)?.with_rust(cli.rust.as_deref())?;
    let done = match cli.command {
        Command::Setup { user_only } => install::run(&ctx, user_only),
        Command::Doctor => doctor::run(&ctx),
        Command::Fetch => commands::fetch(&ctx),
        Command::Source { into } => zlab::inputs::source::unpack(&ctx, &ctx.pins()?.kernel, &into),
        Command::Build { variant, dir } => kernel::build(&ctx, &variant, dir.as_deref()).map(drop),
        Command::Repro { variant } => zlab::repro::rebuild::run(&ctx, &variant),
        Command::Modules(args) => commands::modules(&ctx, &args),
        Command::Initramfs { check } => commands::initramfs(&ctx, check.as_deref()),
        Command::New { name, project } => commands::new(&ctx, name.as_deref(), project.as_deref()),
        Command::Bench(args) => zlab::bench::run(&ctx, &args),
        Command::RustAnalyzer { variant, output } => commands::rust_analyzer(&ctx, &variant, output),
        Command::Boot(args) => commands::boot(&ctx, &args),
        Command::Test(args) => {
            return commands::test(
                &ctx.with_variant(args.guest.variant.as_deref())?.with_full_boot(args.guest.boot),
                &args,
            )
        }
        Command::Parse(args) => return zlab::run::parse::run(&ctx, &args),
        Command::Watch(args) => {
            let ctx = ctx.with_variant(args.guest.variant.as_deref())?.with_full_boot(args.guest.boot);
            zlab::run::watch::run(&ctx, &args.names, zlab::run::runner::jobs(args.parallel))
        }
        Command::Completions { .. } => unreachable!("handled before the project is needed"),
    };
    done.map(|()| ExitCode::SUCCESS)
}
