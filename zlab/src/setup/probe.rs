//! Asking a tool about itself, for `doctor`'s findings: does it run, and which version does it
//! say it is.

use crate::toolchain::version::Version;
use std::path::Path;
use std::process::Command;

/// One line of `zlab doctor`: a tool, what was found, what is needed, and whether that is met.
pub struct Finding {
    pub tool: &'static str,
    pub found: String,
    pub needed: String,
    pub ok: bool,
}

/// What `path args` printed on stdout and stderr, when it ran and succeeded.
pub fn version_output(path: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new(path).args(args).output().ok()?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    output.status.success().then_some(text)
}

pub fn versioned(path: &Path, word: &str) -> Result<Version, String> {
    let text = version_output(path, &["--version"]).ok_or_else(|| format!("not found ({})", path.display()))?;
    Version::find(&text, word).ok_or_else(|| format!("unreadable version: {}", text.trim()))
}

pub fn at_least(tool: &'static str, path: &Path, found: Result<Version, String>, min: Version) -> Finding {
    match found {
        Ok(v) => {
            Finding { tool, found: format!("{v} ({})", path.display()), needed: format!(">= {min}"), ok: v >= min }
        }
        Err(why) => Finding { tool, found: why, needed: format!(">= {min}"), ok: false },
    }
}

pub fn present(tool: &'static str, path: &Path, args: &[&str]) -> Finding {
    let found = match version_output(path, args) {
        Some(text) => {
            let first = text.lines().next().unwrap_or("").trim().to_string();
            (first, true)
        }
        None => (format!("not found ({})", path.display()), false),
    };
    Finding { tool, found: found.0, needed: "installed".into(), ok: found.1 }
}
