//! Every environment variable zlab reads, declared once. Each is also a flag of `zlab` itself
//! (`zlab --help` lists them under "Environment"); Nix's dev shell and derivations set the
//! tool variables, a Debian host usually sets none. Read once in main, then passed down.

use clap::Args;
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Environment (each flag's variable does the same)")]
pub struct Environment {
    /// The zlab project: a folder with zlab.toml, modules/ and checks/ [default: the nearest
    /// folder with a zlab.toml at or above the current one]
    #[arg(long, env = "ZLAB_PROJECT", value_name = "DIR", hide_short_help = true)]
    pub project: Option<PathBuf>,
    /// zlab's home: downloads, tools, unpacked source, build dirs, run logs [default:
    /// $XDG_CACHE_HOME/zlab, else ~/.cache/zlab]
    #[arg(long, env = "ZLAB_HOME", value_name = "DIR", hide_short_help = true)]
    pub home: Option<PathBuf>,
    /// rustc for the kernel (1.96 or newer, with rust-src) [default: /usr/bin/rustc, else rustc on PATH]
    #[arg(long, env = "ZLAB_RUSTC", value_name = "PATH", hide_short_help = true)]
    pub rustc: Option<PathBuf>,
    /// rustdoc for the kernel's doctests [default: beside rustc]
    #[arg(long, env = "ZLAB_RUSTDOC", value_name = "PATH", hide_short_help = true)]
    pub rustdoc: Option<PathBuf>,
    /// bindgen (0.71.1 or newer) [default: the one zlab setup installed, else bindgen on PATH]
    #[arg(long, env = "ZLAB_BINDGEN", value_name = "PATH", hide_short_help = true)]
    pub bindgen: Option<PathBuf>,
    /// The folder with the libclang bindgen loads (17 or newer) [default: /usr/lib/llvm-19/lib]
    #[arg(long, env = "LIBCLANG_PATH", value_name = "DIR", hide_short_help = true)]
    pub libclang_path: Option<PathBuf>,
    /// rust-src for rustc, when it is not in rustc's sysroot (doctor checks it)
    #[arg(long, env = "RUST_LIB_SRC", value_name = "DIR", hide_short_help = true)]
    pub rust_lib_src: Option<PathBuf>,
    /// Prefix of the s390x GCC and binutils; empty on an s390x host [default: s390x-linux-gnu-]
    #[arg(long, env = "ZLAB_CROSS_COMPILE", value_name = "PREFIX", hide_short_help = true)]
    pub cross_compile: Option<String>,
    /// make's LLVM= for --toolchain llvm: a folder ending in `/`, a suffix such as `-19`, or `1`
    /// for the tools on PATH [default: /usr/lib/llvm-19/bin/]
    #[arg(long, env = "ZLAB_LLVM", value_name = "LLVM", hide_short_help = true)]
    pub llvm: Option<String>,
    /// qemu-system-s390x [default: on PATH]
    #[arg(long, env = "ZLAB_QEMU", value_name = "PATH", hide_short_help = true)]
    pub qemu: Option<PathBuf>,
    /// A gdb that knows s390x, for boot --gdb [default: gdb-multiarch]
    #[arg(long = "gdb-program", env = "ZLAB_GDB", value_name = "PATH", hide_short_help = true)]
    pub gdb: Option<PathBuf>,
    /// make -j for kernel and module builds [default: the CPU count]
    #[arg(long, env = "ZLAB_JOBS", value_name = "N", hide_short_help = true, value_parser = jobs)]
    pub jobs: Option<usize>,
    /// More NAME=value words for every kernel make
    #[arg(long, env = "ZLAB_KERNEL_MAKE_FLAGS", value_name = "WORDS", hide_short_help = true)]
    pub kernel_make_flags: Option<String>,
    /// More NAME=value words for GCC kernel makes only (Nix passes its unwrapped compiler so)
    #[arg(long, env = "ZLAB_GCC_MAKE_FLAGS", value_name = "WORDS", hide_short_help = true)]
    pub gcc_make_flags: Option<String>,
    /// A finished kernel build to use as is (zlab neither builds nor changes it; Nix's checks)
    #[arg(long, env = "ZLAB_KERNEL_BUILD", value_name = "DIR", hide_short_help = true)]
    pub kernel_build: Option<PathBuf>,
    /// A kernel tree of your own to build instead of the pinned source: a clean Linux 7.2 or newer
    /// (a git checkout with your patches, rust-next), built out of tree in a build dir of its own
    #[arg(long, env = "ZLAB_KERNEL_SOURCE", value_name = "DIR", hide_short_help = true)]
    pub kernel_source: Option<PathBuf>,
    /// The s390x busybox binary for the guest instead of the pinned .deb's
    #[arg(long, env = "ZLAB_BUSYBOX", value_name = "PATH", hide_short_help = true)]
    pub busybox: Option<PathBuf>,
    /// The pinned kernel source .deb, from elsewhere (checked against its pin, never replaced)
    #[arg(long, env = "ZLAB_KERNEL_DEB", value_name = "PATH", hide_short_help = true)]
    pub kernel_deb: Option<PathBuf>,
    /// The pinned s390x busybox .deb, from elsewhere (checked against its pin, never replaced)
    #[arg(long, env = "ZLAB_BUSYBOX_DEB", value_name = "PATH", hide_short_help = true)]
    pub busybox_deb: Option<PathBuf>,
    /// The Debian mirror for zlab's private apt [default: the host's, from /etc/apt]
    #[arg(long, env = "ZLAB_DEBIAN_MIRROR", value_name = "URI", hide_short_help = true)]
    pub debian_mirror: Option<String>,
    /// Where pins the mirror has dropped are fetched by SHA1 [default: https://snapshot.debian.org]
    #[arg(long, env = "ZLAB_SNAPSHOT_URL", value_name = "URL", hide_short_help = true)]
    pub snapshot_url: Option<String>,

    // Set by the system, not by zlab's users; read here so nothing else reads the environment.
    #[arg(skip = std::env::var_os("HOME"))]
    pub user_home: Option<OsString>,
    #[arg(skip = std::env::var_os("XDG_CACHE_HOME"))]
    pub xdg_cache_home: Option<OsString>,
    /// `nix develop` sets it: doctor's fixes then say `nix develop`, not `zlab setup`.
    #[arg(skip = std::env::var_os("IN_NIX_SHELL").is_some())]
    pub in_nix_shell: bool,
    /// bin/zlab sets it to itself: the command that rebuilds and runs this zlab, which
    /// `sudo zlab setup` runs as the user (root's build of zlab is no use to them).
    #[arg(skip = std::env::var_os("ZLAB_LAUNCHER").map(PathBuf::from))]
    pub launcher: Option<PathBuf>,
    /// sudo sets it: `sudo zlab setup` installs the user's part as that user.
    #[arg(skip = std::env::var("SUDO_USER").ok())]
    pub sudo_user: Option<String>,
}

impl Environment {
    /// The variables that choose tools instead of zlab's defaults, as `NAME=value`, for doctor
    /// to show beside its findings.
    pub fn tool_choices(&self) -> Vec<String> {
        let path = |name: &str, value: &Option<PathBuf>| value.as_ref().map(|v| format!("{name}={}", v.display()));
        let word = |name: &str, value: &Option<String>| value.as_ref().map(|v| format!("{name}={v}"));
        let out = [
            path("ZLAB_RUSTC", &self.rustc),
            path("ZLAB_RUSTDOC", &self.rustdoc),
            path("ZLAB_BINDGEN", &self.bindgen),
            path("LIBCLANG_PATH", &self.libclang_path),
            word("ZLAB_CROSS_COMPILE", &self.cross_compile),
            word("ZLAB_LLVM", &self.llvm),
            path("ZLAB_QEMU", &self.qemu),
            path("ZLAB_GDB", &self.gdb),
        ];
        out.into_iter().flatten().collect()
    }
}

/// `-j` for make: a count, or empty or 0 for the CPU count (what an unset `NIX_BUILD_CORES`
/// passed on gives).
fn jobs(value: &str) -> Result<usize, String> {
    if value.is_empty() {
        return Ok(0);
    }
    value.parse().map_err(|_| format!("`{value}` is not a number of jobs (ZLAB_JOBS, --jobs); give a count such as 4"))
}

/// A path variable set to the empty string counts as unset, as shells treat `VAR=` in practice.
pub fn non_empty(path: &Option<PathBuf>) -> Option<PathBuf> {
    path.clone().filter(|p| !p.as_os_str().is_empty())
}
