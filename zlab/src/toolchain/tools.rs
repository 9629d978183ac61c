//! The tools zlab drives, taken from the environment (Nix's dev shell sets these) or from what
//! `zlab setup` installed on a Debian host. Nothing here checks them; `doctor` does.

use crate::environment::{non_empty, Environment};
use crate::toolchain::newer_rust;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Which compilers build the kernel and modules (`zlab --toolchain`, `ZLAB_TOOLCHAIN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Compiler {
    /// GCC and binutils for s390x (`s390x-linux-gnu-gcc`)
    #[default]
    Gcc,
    /// `make LLVM=1`: clang, ld.lld and the llvm-* tools (s390 needs LLVM >= 18.1)
    Llvm,
}

impl Compiler {
    pub const ALL: [Compiler; 2] = [Compiler::Gcc, Compiler::Llvm];
    /// Read by the command line (`--toolchain`'s default); zlab sets it for the zlab processes
    /// it starts (bench).
    pub const VARIABLE: &'static str = "ZLAB_TOOLCHAIN";

    pub fn name(self) -> &'static str {
        match self {
            Compiler::Gcc => "gcc",
            Compiler::Llvm => "llvm",
        }
    }

    /// Appended to build and run folder names, so each toolchain's kernels and logs stay apart
    /// (the GCC ones keep the plain names).
    pub fn dir_suffix(self) -> &'static str {
        match self {
            Compiler::Gcc => "",
            Compiler::Llvm => ".llvm",
        }
    }
}

/// The LLVM tools a kernel build with `LLVM=1` runs (on s390: clang, ld.lld, llvm-objcopy for
/// the boot image, llvm-ar and llvm-nm), clang first.
pub const LLVM_TOOLS: [&str; 5] = ["clang", "ld.lld", "llvm-objcopy", "llvm-ar", "llvm-nm"];

/// Where Debian 12's clang-19, lld-19 and llvm-19 put their unsuffixed tools; given to make as
/// `LLVM=<dir>/` (the kernel's prefix form).
pub const DEBIAN_LLVM_PREFIX: &str = "/usr/lib/llvm-19/bin/";

#[derive(Debug, Clone)]
pub struct Toolchain {
    pub compiler: Compiler,
    /// make's `LLVM=` value for LLVM builds (`ZLAB_LLVM`): a folder ending in `/`, a version
    /// suffix such as `-19`, or `1` for the tools on PATH.
    pub llvm: String,
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
    /// More `NAME=value` words for the kernel's make: `ZLAB_KERNEL_MAKE_FLAGS` for every build,
    /// then `ZLAB_GCC_MAKE_FLAGS` for GCC builds only (Nix passes its unwrapped compiler and
    /// linker this way, as nixpkgs' own kernel builder does).
    pub extra_make_flags: Vec<String>,
}

/// Versions the kernel requires for Rust on s390 (scripts/min-tool-version.sh in Linux 7.3).
pub mod minimum {
    use crate::toolchain::version::Version;
    pub const RUSTC: Version = Version(1, 96, 0);
    pub const BINDGEN: Version = Version(0, 71, 1);
    pub const LIBCLANG: Version = Version(17, 0, 1);
    pub const GCC: Version = Version(8, 1, 0);
    pub const BINUTILS: Version = Version(2, 30, 0);
    /// `LLVM=1` on s390 (Documentation/kbuild/llvm.rst); older clang only as `CC=clang`.
    pub const LLVM_S390: Version = Version(18, 1, 0);
}

/// The bindgen-cli release `zlab setup` installs with `cargo install --locked`.
pub const BINDGEN_CLI_VERSION: &str = "0.73.2";
/// Where Debian 12's libclang1-19 puts libclang.so.
pub const DEBIAN_LIBCLANG_DIR: &str = "/usr/lib/llvm-19/lib";

impl Toolchain {
    /// The tools `env` names, else zlab's defaults: what `zlab setup` installs on Debian 12
    /// (`tools_root` holds its bindgen), else the bare names on PATH.
    /// `newer_rust` is the folder of a rustc `zlab setup --rust` unpacked, when `--rust` chose one.
    pub fn new(env: &Environment, tools_root: &Path, compiler: Compiler, newer_rust: Option<&Path>) -> Toolchain {
        // On Debian the rustup rustc that may come first on PATH is too old and has no rust-src;
        // Debian's rustc-web lives in /usr/bin.
        let (rustc, rustdoc) = match newer_rust {
            Some(dir) => (newer_rust::tool(dir, "rustc"), newer_rust::tool(dir, "rustdoc")),
            None => {
                let rustc = non_empty(&env.rustc).unwrap_or_else(|| first_existing(&["/usr/bin/rustc"], "rustc"));
                let rustdoc = non_empty(&env.rustdoc).unwrap_or_else(|| sibling(&rustc, "rustdoc"));
                (rustc, rustdoc)
            }
        };
        let installed_bindgen = tools_root.join("bin/bindgen");
        let bindgen = non_empty(&env.bindgen).unwrap_or_else(|| {
            if installed_bindgen.exists() {
                installed_bindgen
            } else {
                PathBuf::from("bindgen")
            }
        });
        let libclang_dir = non_empty(&env.libclang_path).unwrap_or_else(|| PathBuf::from(DEBIAN_LIBCLANG_DIR));
        // Empty is meaningful here: the host's own compilers, on an s390x host.
        let cross_compile = env.cross_compile.clone().unwrap_or_else(|| {
            if std::env::consts::ARCH == "s390x" {
                String::new()
            } else {
                "s390x-linux-gnu-".to_string()
            }
        });
        let qemu = non_empty(&env.qemu).unwrap_or_else(|| PathBuf::from("qemu-system-s390x"));
        let gdb = non_empty(&env.gdb).unwrap_or_else(|| PathBuf::from("gdb-multiarch"));
        let jobs = env
            .jobs
            .filter(|&j| j > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
        let llvm = env.llvm.clone().filter(|v| !v.is_empty()).unwrap_or_else(|| DEBIAN_LLVM_PREFIX.to_string());
        let mut extra_make_flags = words(&env.kernel_make_flags);
        if compiler == Compiler::Gcc {
            extra_make_flags.extend(words(&env.gcc_make_flags));
        }
        Toolchain {
            compiler,
            llvm,
            rustc,
            rustdoc,
            bindgen,
            libclang_dir,
            cross_compile,
            qemu,
            gdb,
            jobs,
            extra_make_flags,
        }
    }

    /// An LLVM tool (`clang`, `ld.lld`, `llvm-objcopy`) as make finds it for this `LLVM=` value.
    pub fn llvm_tool(&self, tool: &str) -> PathBuf {
        match self.llvm.as_str() {
            "1" => PathBuf::from(tool),
            prefix if prefix.ends_with('/') => PathBuf::from(format!("{prefix}{tool}")),
            suffix => PathBuf::from(format!("{tool}{suffix}")),
        }
    }

    /// The compilers and linkers this toolchain's kernel build runs, for `doctor` and the
    /// build stamp.
    pub fn compilers(&self) -> Vec<PathBuf> {
        match self.compiler {
            Compiler::Gcc => vec![PathBuf::from(self.cross_tool("gcc")), PathBuf::from(self.cross_tool("ld"))],
            Compiler::Llvm => LLVM_TOOLS.iter().map(|tool| self.llvm_tool(tool)).collect(),
        }
    }

    /// The binaries whose output a kernel build depends on: the Rust tools, the libclang
    /// bindgen loads, and the compilers. Their identities key the build stamp and doctor's
    /// remembered pass.
    pub fn kernel_build_tools(&self) -> Vec<PathBuf> {
        let mut tools =
            vec![self.rustc.clone(), self.rustdoc.clone(), self.bindgen.clone(), self.libclang_dir.join("libclang.so")];
        tools.extend(self.compilers());
        tools
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
            .args((self.compiler == Compiler::Llvm).then(|| format!("LLVM={}", self.llvm)))
            .args(&self.extra_make_flags)
            .env("LIBCLANG_PATH", &self.libclang_dir);
        for (name, value) in reproducible_build_env() {
            cmd.env(name, value);
        }
        cmd
    }
}

/// Fixed build identity, so the kernel's version string does not depend on who built it, when,
/// or how often it was relinked (`#1`, not `#29`).
fn reproducible_build_env() -> Vec<(&'static str, OsString)> {
    vec![
        ("KBUILD_BUILD_USER", "zlab".into()),
        ("KBUILD_BUILD_HOST", "zlab".into()),
        ("KBUILD_BUILD_TIMESTAMP", "1970-01-01".into()),
        ("KBUILD_BUILD_VERSION", "1".into()),
    ]
}

fn words(flags: &Option<String>) -> Vec<String> {
    flags.as_deref().map(|f| f.split_whitespace().map(str::to_string).collect()).unwrap_or_default()
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
