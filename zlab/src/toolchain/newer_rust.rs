//! Where a rustc `zlab setup --rust SERIES` unpacked lives, and how it starts:
//! `$ZLAB_HOME/tools/rust-<release>/` holds `root/` (the files of its .debs and of the Debian 13
//! runtime) and `bin/rustc`, `bin/rustdoc`, which the kernel's make runs as RUSTC and RUSTDOC.
//! Those two are scripts that start the unpacked program through the unpacked glibc's ld.so with
//! its library folder, so the programs rustc starts (the host's linker, make) never see it.

use crate::host::process::shell_line;
use std::path::{Path, PathBuf};

/// The tools a release provides, as the kernel's make names them.
pub const TOOLS: [&str; 2] = ["rustc", "rustdoc"];

/// The release's folder under zlab's tools folder.
pub fn dir(tools_root: &Path, release: &str) -> PathBuf {
    tools_root.join(format!("rust-{release}"))
}

/// `bin/<tool>` in a release's folder.
pub fn tool(dir: &Path, tool: &str) -> PathBuf {
    dir.join("bin").join(tool)
}

/// Debian's multiarch library folder and its dynamic loader, for a Debian architecture.
pub fn loader(arch: &str) -> Option<(&'static str, &'static str)> {
    match arch {
        "amd64" => Some(("x86_64-linux-gnu", "ld-linux-x86-64.so.2")),
        "arm64" => Some(("aarch64-linux-gnu", "ld-linux-aarch64.so.1")),
        "s390x" => Some(("s390x-linux-gnu", "ld64.so.1")),
        _ => None,
    }
}

/// How to start `tool` of a release unpacked into `root` for `arch`: the unpacked ld.so, its
/// library folder, the program.
pub fn start(root: &Path, arch: &str, tool: &str) -> Option<Vec<String>> {
    let (multiarch, ld_so) = loader(arch)?;
    let lib = root.join("usr/lib").join(multiarch);
    let words = [lib.join(ld_so), "--library-path".into(), lib.clone(), root.join("usr/bin").join(tool)];
    Some(words.iter().map(|w| w.display().to_string()).collect())
}

/// The script `bin/<tool>` of a release unpacked into `root` for `arch`.
pub fn launcher(root: &Path, arch: &str, tool: &str) -> Option<String> {
    Some(format!(
        "#!/bin/sh\n# Written by `zlab setup --rust`: Debian's {tool}, run on the glibc unpacked beside it.\nexec {} \"$@\"\n",
        shell_line(&start(root, arch, tool)?)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_launcher_quotes_every_path_and_passes_every_argument() {
        let text = launcher(Path::new("/h/it's here/root"), "amd64", "rustc").unwrap();
        let exec = text.lines().last().unwrap();
        assert_eq!(
            exec,
            r#"exec '/h/it'\''s here/root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' --library-path '/h/it'\''s here/root/usr/lib/x86_64-linux-gnu' '/h/it'\''s here/root/usr/bin/rustc' "$@""#
        );
        assert!(launcher(Path::new("/r"), "mips64el", "rustc").is_none());
    }
}
