//! One status line on stderr for a long step. On a terminal it is redrawn in place (a spinner,
//! the time so far, the latest news) and erased when the step ends. Elsewhere (CI logs) a
//! counter prints a plain line at most every PLAIN_EVERY, so a build gives a few lines, not
//! thousands; a spinner prints nothing. Under `-q` neither shows.

use crate::ui::output::{self, Stream};
use std::io::Write;
use std::time::{Duration, Instant};

const PLAIN_EVERY: Duration = Duration::from_secs(15);
const REDRAW_EVERY: Duration = Duration::from_millis(100);
const FRAMES: [char; 4] = ['|', '/', '-', '\\'];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    InPlace,
    Plain,
    Off,
}

pub struct StatusLine {
    label: String,
    mode: Mode,
    started: Instant,
    last_shown: Instant,
    frame: usize,
    drawn: bool,
}

impl StatusLine {
    /// Redrawn on a terminal, a plain line every PLAIN_EVERY elsewhere.
    pub fn counter(label: &str) -> Self {
        Self::new(label, Mode::Plain)
    }

    /// Shown on a terminal only.
    pub fn spinner(label: &str) -> Self {
        Self::new(label, Mode::Off)
    }

    fn new(label: &str, off_terminal: Mode) -> Self {
        let mode = if output::quiet() {
            Mode::Off
        } else if output::is_terminal(Stream::Stderr) {
            Mode::InPlace
        } else {
            off_terminal
        };
        let now = Instant::now();
        StatusLine { label: label.to_string(), mode, started: now, last_shown: now, frame: 0, drawn: false }
    }

    /// Shows `news` if it is time to: redraws are rate-limited, so call this as often as you like.
    pub fn update(&mut self, news: &str) {
        let now = Instant::now();
        let text = format!("{}: {} {}", self.label, clock(now - self.started), printable(news));
        match self.mode {
            Mode::InPlace if now - self.last_shown >= REDRAW_EVERY || !self.drawn => {
                self.frame = (self.frame + 1) % FRAMES.len();
                let line = fit(&format!("{} {text}", FRAMES[self.frame]), terminal_width());
                let _ = write!(std::io::stderr().lock(), "\r\x1b[K{line}");
                self.drawn = true;
                self.last_shown = now;
            }
            Mode::Plain if now - self.last_shown >= PLAIN_EVERY => {
                eprintln!("  {text}");
                self.last_shown = now;
            }
            _ => {}
        }
    }

    /// Erases the line, so what comes next starts on a clean line.
    pub fn clear(&mut self) {
        if self.drawn {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
            self.drawn = false;
        }
    }
}

impl Drop for StatusLine {
    fn drop(&mut self) {
        self.clear();
    }
}

/// `m:ss`.
fn clock(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// Console and make lines can carry escape sequences and other control characters: they must
/// not move the cursor or change colours on the user's terminal.
fn printable(text: &str) -> String {
    text.trim().chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Cut to `width` characters, so the line never wraps (a wrapped line cannot be redrawn).
fn fit(line: &str, width: usize) -> String {
    line.chars().take(width.saturating_sub(1)).collect()
}

fn terminal_width() -> usize {
    match rustix::termios::tcgetwinsize(std::io::stderr()) {
        Ok(size) if size.ws_col > 0 => size.ws_col.into(),
        _ => 80,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn news_loses_its_control_characters() {
        assert_eq!(printable("\x1b[31mred\x07 text\r\n"), " [31mred  text");
    }

    #[test]
    fn lines_are_cut_to_the_terminal() {
        assert_eq!(fit("abcdef", 4), "abc");
        assert_eq!(clock(Duration::from_secs(125)), "2:05");
    }
}
