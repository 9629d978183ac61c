//! Folders the kernel's build system can work in. Kbuild splits make words at spaces and puts
//! paths into shell lines unquoted or in `'…'`, so a path with a space, a quote, `:` or a shell
//! character fails deep in make with errors that never say why; zlab says so before it starts.

use anyhow::{bail, Result};
use std::path::Path;

/// What Kbuild cannot take in a folder's path (besides whitespace).
const UNUSABLE: &str = "'\"\\$:()&;|<>`";

/// Fails, saying what to do, when Kbuild cannot build in one of `dirs`.
pub fn require_usable(dirs: &[&Path]) -> Result<()> {
    for dir in dirs {
        let text = dir.to_string_lossy();
        if let Some(c) = text.chars().find(|c| c.is_whitespace() || UNUSABLE.contains(*c)) {
            bail!(
                "the kernel's build system cannot build in {} (its path has {c:?}; Kbuild takes no spaces, quotes, `:`, `$`, `\\`, `(`, `&` or other shell characters in a folder's path): set ZLAB_HOME to a folder without them for zlab's own builds, or move the project to one for its modules/",
                dir.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_kbuild_breaks_on_are_refused_with_what_to_do() {
        for bad in
            ["/tmp/it's", "/tmp/a home", "/tmp/a:b", "/tmp/a$b", "/tmp/a\"b", "/tmp/a\\b", "/tmp/a(b", "/tmp/a&b"]
        {
            let err = require_usable(&[Path::new("/ok"), Path::new(bad)]).unwrap_err().to_string();
            assert!(err.contains(bad) && err.contains("set ZLAB_HOME to a folder without them"), "{err}");
        }
    }

    #[test]
    fn ordinary_folders_pass() {
        // `#` and `*` were tried: Kbuild builds a module in such a folder.
        let dirs = [Path::new("/root/.cache/zlab/build/test.llvm"), Path::new("/w/zlab-2_x+y,z@h#1*")];
        assert!(require_usable(&dirs).is_ok());
    }
}
