//! What a kernel build shows while make runs: a count of the objects Kbuild made so far, the
//! time, and the object in hand (`  RUSTC L rust/core.o`). Under `-v`, make's own lines instead.

use crate::ui::output;
use crate::ui::progress::StatusLine;

pub struct BuildProgress {
    status: StatusLine,
    objects: usize,
    current: String,
}

impl BuildProgress {
    pub fn new(step: &str) -> Self {
        BuildProgress { status: StatusLine::counter(step), objects: 0, current: String::new() }
    }

    /// One line of make's output, or `None` when time passed without one.
    pub fn feed(&mut self, line: Option<&str>) {
        if let Some(line) = line {
            if output::verbose() {
                eprintln!("{line}");
                return;
            }
            if let Some(object) = kbuild_object(line) {
                self.objects += 1;
                self.current = object.to_string();
            }
        }
        if !output::verbose() {
            let current = if self.current.is_empty() { String::new() } else { format!(", {}", self.current) };
            self.status.update(&format!("{} objects{current}", self.objects));
        }
    }

    pub fn objects(&self) -> usize {
        self.objects
    }
}

/// Kbuild's short form of a command: two spaces, an upper-case tag (`CC`, `LD`, `RUSTC L`,
/// `BINDGEN`), spaces, the target. Returns the line without its indentation.
pub fn kbuild_object(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("  ")?;
    let (tag, target) = rest.split_once(char::is_whitespace)?;
    let tag_ok = !tag.is_empty()
        && tag.starts_with(|c: char| c.is_ascii_uppercase())
        && tag.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    let target = target.trim_start();
    // `RUSTC L rust/core.o`, `LD [M]  x.ko`: a one-letter or `[M]` second word belongs to the tag.
    let target = match target.split_once(' ') {
        Some((word, after)) if word == "[M]" || (word.len() == 1 && word.chars().all(|c| c.is_ascii_uppercase())) => {
            after.trim_start()
        }
        _ => target,
    };
    (tag_ok && !target.is_empty() && !target.contains(char::is_whitespace)).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kbuild_short_lines_are_objects() {
        assert_eq!(kbuild_object("  CC      init/main.o"), Some("CC      init/main.o"));
        assert_eq!(kbuild_object("  RUSTC L rust/core.o"), Some("RUSTC L rust/core.o"));
        assert_eq!(
            kbuild_object("  BINDGEN rust/bindings/bindings_generated.rs"),
            Some("BINDGEN rust/bindings/bindings_generated.rs")
        );
        assert_eq!(
            kbuild_object("  LD [M]  samples/rust/rust_minimal.ko"),
            Some("LD [M]  samples/rust/rust_minimal.ko")
        );
    }

    #[test]
    fn other_lines_are_not() {
        for line in [
            "make[1]: Entering directory '/b'",
            "  GEN",
            "warning: unstable feature specified for `-Ctarget-feature`: `backchain`",
            "  | ^^^ here it is",
            "Kernel: arch/s390/boot/bzImage is ready  (#1)",
        ] {
            assert_eq!(kbuild_object(line), None, "{line}");
        }
    }
}
