//! Where zlab's words go and how they look: `-q` and `-v`, colour as `--color` and the
//! environment say (by default on a terminal only), and under `zlab test --json` a stdout that
//! carries the JSON alone (the human report moves to stderr).

use anstyle::AnsiColor;
pub use clap::ColorChoice;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Only results and errors.
    Quiet = 0,
    Normal = 1,
    /// Also every guest's console as it boots and make's own output.
    Verbose = 2,
}

static VERBOSITY: AtomicU8 = AtomicU8::new(Verbosity::Normal as u8);
static STDOUT_IS_DATA: AtomicBool = AtomicBool::new(false);

pub fn set_verbosity(level: Verbosity) {
    VERBOSITY.store(level as u8, Ordering::Relaxed);
}

pub fn verbosity() -> Verbosity {
    match VERBOSITY.load(Ordering::Relaxed) {
        0 => Verbosity::Quiet,
        1 => Verbosity::Normal,
        _ => Verbosity::Verbose,
    }
}

pub fn quiet() -> bool {
    verbosity() == Verbosity::Quiet
}

pub fn verbose() -> bool {
    verbosity() == Verbosity::Verbose
}

/// From now on stdout is for machine-readable data: human lines go to stderr.
pub fn reserve_stdout_for_data() {
    STDOUT_IS_DATA.store(true, Ordering::Relaxed);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Where the human report (PASS/FAIL lines, summaries, an echoed console) goes.
pub fn human_stream() -> Stream {
    if STDOUT_IS_DATA.load(Ordering::Relaxed) {
        Stream::Stderr
    } else {
        Stream::Stdout
    }
}

pub fn is_terminal(stream: Stream) -> bool {
    match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    }
}

/// Makes a write to a closed pipe (`zlab doctor | head -1`) end zlab as it ends `cat`: killed by
/// SIGPIPE, without a message, the shell's status 141. Rust ignores SIGPIPE, so every `println!`
/// would panic instead. A success status would be a lie: under `set -o pipefail` a `zlab test`
/// whose reader left early has not shown its verdict. zlab writes into no pipe but its own stdout
/// and stderr (its children's stdin is /dev/null), so no other write can end it this way.
pub fn end_quietly_on_a_closed_pipe() {
    // SAFETY: signal() with SIG_DFL only restores the default action; called before any thread.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Writes text to the human stream as it is (no newline added), flushed.
pub fn human_write(bytes: &[u8]) {
    let _ = match human_stream() {
        Stream::Stdout => std::io::stdout().lock().write_all(bytes).and_then(|_| std::io::stdout().flush()),
        Stream::Stderr => std::io::stderr().lock().write_all(bytes),
    };
}

/// A line of the human report.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        match $crate::ui::output::human_stream() {
            $crate::ui::output::Stream::Stdout => println!($($arg)*),
            $crate::ui::output::Stream::Stderr => eprintln!($($arg)*),
        }
    };
}

/// A progress note on stderr, left out under `-q`.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => {
        if !$crate::ui::output::quiet() {
            eprintln!($($arg)*);
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    Green,
    Red,
    Yellow,
}

/// `--color`; auto until main sets it.
static COLOUR_CHOICE: OnceLock<ColorChoice> = OnceLock::new();

pub fn set_colour_choice(choice: ColorChoice) {
    let _ = COLOUR_CHOICE.set(choice);
}

/// What the environment says about colour, read by anstyle-query: NO_COLOR (no-color.org),
/// CLICOLOR and CLICOLOR_FORCE (bixense.com/clicolors), TERM and CI.
#[derive(Debug, Clone, Copy, Default)]
pub struct ColourEnv {
    pub no_color: bool,
    pub clicolor_force: bool,
    /// CLICOLOR: `Some(false)` for "0", `Some(true)` for anything else, `None` when unset.
    pub clicolor: Option<bool>,
    /// TERM is set and not "dumb".
    pub term_has_colour: bool,
    pub ci: bool,
}

impl ColourEnv {
    pub fn of_this_process() -> Self {
        ColourEnv {
            no_color: anstyle_query::no_color(),
            clicolor_force: anstyle_query::clicolor_force(),
            clicolor: anstyle_query::clicolor(),
            term_has_colour: anstyle_query::term_supports_color(),
            ci: anstyle_query::is_ci(),
        }
    }
}

/// Whether a stream shows colour. `--color always|never` decides alone; under auto (anstream's
/// order) NO_COLOR turns it off, then CLICOLOR_FORCE on, then CLICOLOR=0 off, and otherwise it
/// takes a terminal whose TERM shows colour (or CLICOLOR=1, or CI).
pub fn decide_colour(choice: ColorChoice, env: &ColourEnv, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if env.no_color => false,
        ColorChoice::Auto if env.clicolor_force => true,
        ColorChoice::Auto if env.clicolor == Some(false) => false,
        ColorChoice::Auto => terminal && (env.term_has_colour || env.clicolor == Some(true) || env.ci),
    }
}

pub fn colours(stream: Stream) -> bool {
    let choice = COLOUR_CHOICE.get().copied().unwrap_or_default();
    decide_colour(choice, &ColourEnv::of_this_process(), is_terminal(stream))
}

/// `text` in `colour` when `stream` shows colours; the text alone otherwise.
pub fn paint(stream: Stream, colour: Colour, text: &str) -> String {
    if !colours(stream) {
        return text.to_string();
    }
    let style = match colour {
        Colour::Green => AnsiColor::Green,
        Colour::Red => AnsiColor::Red,
        Colour::Yellow => AnsiColor::Yellow,
    }
    .on_default();
    format!("{style}{text}{style:#}")
}

/// `paint` for the human report's stream.
pub fn paint_human(colour: Colour, text: &str) -> String {
    paint(human_stream(), colour, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(change: impl FnOnce(&mut ColourEnv)) -> ColourEnv {
        let mut env = ColourEnv { term_has_colour: true, ..ColourEnv::default() };
        change(&mut env);
        env
    }

    #[test]
    fn auto_colours_a_terminal_only() {
        assert!(decide_colour(ColorChoice::Auto, &env(|_| {}), true));
        assert!(!decide_colour(ColorChoice::Auto, &env(|_| {}), false));
    }

    #[test]
    fn auto_follows_the_environment() {
        let auto = |e: ColourEnv, terminal| decide_colour(ColorChoice::Auto, &e, terminal);
        assert!(!auto(env(|e| e.no_color = true), true));
        assert!(!auto(env(|e| (e.no_color, e.clicolor_force) = (true, true)), true), "NO_COLOR wins");
        assert!(auto(env(|e| e.clicolor_force = true), false), "CLICOLOR_FORCE colours a pipe");
        assert!(!auto(env(|e| e.clicolor = Some(false)), true));
        assert!(!auto(env(|e| e.term_has_colour = false), true), "TERM=dumb");
        assert!(auto(env(|e| (e.term_has_colour, e.clicolor) = (false, Some(true))), true));
        assert!(auto(env(|e| (e.term_has_colour, e.ci) = (false, true)), true));
        assert!(!auto(env(|e| e.clicolor = Some(true)), false), "CLICOLOR=1 asks for a terminal");
    }

    #[test]
    fn the_flag_overrides_the_environment() {
        let everything_against = ColourEnv { no_color: true, clicolor: Some(false), ..ColourEnv::default() };
        assert!(decide_colour(ColorChoice::Always, &everything_against, false));
        let everything_for =
            ColourEnv { clicolor_force: true, clicolor: Some(true), term_has_colour: true, ci: true, no_color: false };
        assert!(!decide_colour(ColorChoice::Never, &everything_for, true));
    }

    #[test]
    fn colours_are_the_ansi_codes_the_tests_look_for() {
        assert_eq!(format!("{}", AnsiColor::Green.on_default()), "\x1b[32m");
        assert_eq!(format!("{:#}", AnsiColor::Red.on_default()), "\x1b[0m");
    }
}
