//! The tools zlab drives, taken from the environment (Nix's dev shell sets these) or from what
//! `zlab setup` installed on a Debian host. Nothing here checks them; `doctor` does.

use crate::paths::Paths;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone)]
pub struct Toolchain {
    pub rustc: PathBuf,
    pub rustdoc: PathBuf,
    pub bindgen: PathBuf,
    pub libclang_dir: PathBuf,
    /// Prefix of the s390x GCC and binutils (`s390x-linux-gnu-`; empty on an s390x host).
    pub cross_compile: String,
    pub qemu: PathBuf,
    /// A gdb that knows s390x (`ZLAB_GDB`, else Debian's `gdb-multiarch`); only `boot --gdb` needs it.
    pub gdb: PathBuf,
    /// `make -j`: the host's CPU count unless `ZLAB_JOBS` says otherwise.
    pub jobs: usize,
    /// More `NAME=value` words for the kernel's make (`ZLAB_KERNEL_MAKE_FLAGS`; Nix passes its
    /// unwrapped compiler and linker this way, as nixpkgs' own kernel builder does).
    pub extra_make_flags: Vec<String>,
}

/// Versions the kernel requires for Rust on s390 (scripts/min-tool-version.sh in Linux 7.3).
pub mod minimum {
    use crate::version::Version;
    pub const RUSTC: Version = Version(1, 96, 0);
    pub const BINDGEN: Version = Version(0, 71, 1);
    pub const LIBCLANG: Version = Version(17, 0, 1);
}

/// The bindgen-cli release `zlab setup` installs with `cargo install --locked`.
pub const BINDGEN_CLI_VERSION: &str = "0.73.2";
/// Where Debian 12's libclang1-19 puts libclang.so.
pub const DEBIAN_LIBCLANG_DIR: &str = "/usr/lib/llvm-19/lib";

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

impl Toolchain {
    pub fn from_env(paths: &Paths) -> Toolchain {
        // On Debian the rustup rustc that may come first on PATH is too old and has no rust-src;
        // Debian's rustc-web lives in /usr/bin.
        let rustc = env_path("ZLAB_RUSTC").unwrap_or_else(|| first_existing(&["/usr/bin/rustc"], "rustc"));
        let rustdoc = env_path("ZLAB_RUSTDOC").unwrap_or_else(|| sibling(&rustc, "rustdoc"));
        let installed_bindgen = paths.tools_root().join("bin/bindgen");
        let bindgen = env_path("ZLAB_BINDGEN").unwrap_or_else(|| {
            if installed_bindgen.exists() {
                installed_bindgen
            } else {
                PathBuf::from("bindgen")
            }
        });
        let libclang_dir = env_path("LIBCLANG_PATH").unwrap_or_else(|| PathBuf::from(DEBIAN_LIBCLANG_DIR));
        let cross_compile = std::env::var("ZLAB_CROSS_COMPILE").unwrap_or_else(|_| {
            if std::env::consts::ARCH == "s390x" {
                String::new()
            } else {
                "s390x-linux-gnu-".to_string()
            }
        });
        let qemu = env_path("ZLAB_QEMU").unwrap_or_else(|| PathBuf::from("qemu-system-s390x"));
        let gdb = env_path("ZLAB_GDB").unwrap_or_else(|| PathBuf::from("gdb-multiarch"));
        let jobs = std::env::var("ZLAB_JOBS")
            .ok()
            .and_then(|j| j.parse().ok())
            .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
        let extra_make_flags = std::env::var("ZLAB_KERNEL_MAKE_FLAGS")
            .map(|flags| flags.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        Toolchain { rustc, rustdoc, bindgen, libclang_dir, cross_compile, qemu, gdb, jobs, extra_make_flags }
    }

    pub fn cross_tool(&self, tool: &str) -> String {
        format!("{}{tool}", self.cross_compile)
    }

    /// `make` in the kernel source for an s390 build in `build_dir`, with every tool named
    /// explicitly so nothing depends on PATH order.
    pub fn kernel_make(&self, source: &Path, build_dir: &Path) -> Command {
        let mut cmd = Command::new("make");
        cmd.current_dir(source)
            .arg(format!("O={}", build_dir.display()))
            .arg("ARCH=s390")
            .arg(format!("CROSS_COMPILE={}", self.cross_compile))
            .arg(format!("RUSTC={}", self.rustc.display()))
            .arg(format!("RUSTDOC={}", self.rustdoc.display()))
            .arg(format!("HOSTRUSTC={}", self.rustc.display()))
            .arg(format!("BINDGEN={}", self.bindgen.display()))
            .args(&self.extra_make_flags)
            .env("LIBCLANG_PATH", &self.libclang_dir);
        for (name, value) in reproducible_build_env() {
            cmd.env(name, value);
        }
        cmd
    }
}

/// Fixed build identity, so the kernel's version string does not depend on who built it or when.
fn reproducible_build_env() -> Vec<(&'static str, OsString)> {
    vec![
        ("KBUILD_BUILD_USER", "zlab".into()),
        ("KBUILD_BUILD_HOST", "zlab".into()),
        ("KBUILD_BUILD_TIMESTAMP", "1970-01-01".into()),
    ]
}

fn first_existing(candidates: &[&str], fallback: &str) -> PathBuf {
    candidates.iter().map(PathBuf::from).find(|p| p.exists()).unwrap_or_else(|| PathBuf::from(fallback))
}

/// The tool next to `path` (rustdoc beside rustc), or the bare name when `path` is a bare name.
fn sibling(path: &Path, name: &str) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(name),
        _ => PathBuf::from(name),
    }
}
