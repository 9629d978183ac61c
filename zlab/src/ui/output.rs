//! Where zlab's words go and how they look: `-q` and `-v`, colour only on a terminal, and under
//! `zlab test --json` a stdout that carries the JSON alone (the human report moves to stderr).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

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

/// Colour on a terminal only, and never when NO_COLOR is set to anything but "" (no-color.org).
pub fn colours(stream: Stream) -> bool {
    colour_allowed(std::env::var_os("NO_COLOR").as_deref(), is_terminal(stream))
}

fn colour_allowed(no_color: Option<&std::ffi::OsStr>, terminal: bool) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// `text` in `colour` when `stream` shows colours; the text alone otherwise.
pub fn paint(stream: Stream, colour: Colour, text: &str) -> String {
    if !colours(stream) {
        return text.to_string();
    }
    let code = match colour {
        Colour::Green => "32",
        Colour::Red => "31",
        Colour::Yellow => "33",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// `paint` for the human report's stream.
pub fn paint_human(colour: Colour, text: &str) -> String {
    paint(human_stream(), colour, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        assert!(colour_allowed(None, true));
        assert!(colour_allowed(Some(OsStr::new("")), true));
        assert!(!colour_allowed(Some(OsStr::new("1")), true));
        assert!(!colour_allowed(None, false));
    }

    /// Test binaries' stdout is a pipe under cargo test's capture, never a terminal here.
    #[test]
    fn no_escape_codes_off_a_terminal() {
        if !is_terminal(Stream::Stdout) {
            assert_eq!(paint(Stream::Stdout, Colour::Green, "PASS"), "PASS");
        }
    }
}
