//! The command line. Each subcommand's help says what it does, what it needs first, and where
//! its output goes.

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "zlab",
    version,
    about = "Build, boot and test Rust Linux kernel code for IBM Z (s390x) in QEMU",
    long_about = "zlab builds the pinned Linux kernel for s390x with Rust, builds your project's Rust modules \
(modules/), and boots them in qemu-system-s390x, judging each boot test (checks/) from the guest's console.\n\n\
First time on Debian 12 or 13: `zlab setup` (as root), then `zlab doctor`.\n\
With Nix: `nix develop` provides every tool; `zlab setup` is not needed.\n\n\
Your own project: `zlab new --project DIR`, then `cd DIR && zlab test`.\n\
The everyday loop: edit modules/<name>/<name>.rs, then `zlab test <name>`.\n\
On the older pinned kernel: `zlab --kernel 7.2 test`; on every kernel and toolchain: `zlab test --matrix`.\n\
With a newer rustc than the floor (Debian 12 or 13): `zlab setup --rust 1.98`, then `zlab --rust 1.98 test`.",
    after_help = "Files: a project is a folder with zlab.toml, its modules in modules/ and checks in checks/ \
(zlab finds it from the current folder, as cargo does; zlab's own clone is one). The kernel pins, variants and \
config fragments are zlab's (kernel/ in its repository); a project may add its own in its kernel/.\n\
Downloads, tools, build dirs and console logs live in $ZLAB_HOME (default ~/.cache/zlab)."
)]
pub struct Cli {
    /// Only results and errors: no progress, no notes
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More detail: each guest's console as it boots, make's own output while the kernel builds
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// The compilers for the kernel and modules: gcc (s390x-linux-gnu-gcc) or llvm (make LLVM=1
    /// with clang, ld.lld, llvm-*). Each has its own build dirs and run logs
    #[arg(long, global = true, value_enum, env = "ZLAB_TOOLCHAIN", default_value = "gcc")]
    pub toolchain: crate::toolchain::tools::Compiler,
    /// The pinned kernel series to build and boot, e.g. 7.2 (kernel/source.toml pins each series;
    /// `zlab doctor` lists them). A series other than the default has its own build dirs and run logs
    /// [default: the pins' default-kernel]
    #[arg(long, global = true, env = "ZLAB_KERNEL", value_name = "SERIES")]
    pub kernel: Option<String>,
    /// A newer rustc than the host's, e.g. 1.98: Debian's build pinned in kernel/source.toml, which
    /// `zlab setup --rust SERIES` unpacks into zlab's home (no root needed). Each has its own build
    /// dirs and run logs. [default: the host's rustc, the kernel's floor 1.96 on Debian]
    #[arg(long, global = true, env = "ZLAB_RUST", value_name = "SERIES")]
    pub rust: Option<String>,
    /// Colour PASS, FAIL, warnings and errors: auto (on a terminal, unless NO_COLOR or CLICOLOR=0 is set;
    /// CLICOLOR_FORCE colours everywhere), always, or never
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value = "auto")]
    pub color: clap::ColorChoice,
    #[command(flatten)]
    pub env: crate::environment::Environment,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Install everything a Debian 12 or 13 host needs, from its own release (packages, bindgen, the pinned kernel source and s390x busybox); with --rust SERIES, that newer rustc too, unpacked into your zlab home; safe to rerun
    Setup {
        /// Only the part that needs no root: bindgen-cli, the pinned downloads and a --rust rustc, into your zlab home (`sudo zlab setup` runs this part as you)
        #[arg(long)]
        user_only: bool,
    },
    /// Check every tool and version against the kernel's minimums for Rust on s390, and say how to fix what is missing
    Doctor,
    /// Download the pinned .debs (kernel source, guest busybox) that are missing or fail their SHA256 (zlab setup does this too; no root needed)
    ///
    /// They come from the host's Debian mirror (ZLAB_DEBIAN_MIRROR overrides it) and, for a version the mirror has dropped, from snapshot.debian.org by the pinned SHA1 (ZLAB_SNAPSHOT_URL overrides its base URL). A .deb given through ZLAB_KERNEL_DEB or ZLAB_BUSYBOX_DEB is checked, never replaced
    Fetch,
    /// Unpack the pinned, verified kernel source into a new folder (zlab build does this by itself)
    Source {
        /// The folder to create
        #[arg(long)]
        into: std::path::PathBuf,
    },
    /// Build the pinned kernel (bzImage and in-tree modules) for a configuration variant; reruns are incremental
    Build {
        /// A variant from kernel/variants.toml
        #[arg(long = "config", default_value = crate::inputs::variants::DEFAULT)]
        variant: String,
        /// Build here instead of $ZLAB_HOME/build/<variant>
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Build modules/<name> against the kernel build (all of them when no name is given)
    Modules(ModulesArgs),
    /// Write a guest's initramfs (busybox, init, modules, guest commands) and print its path
    Initramfs {
        /// The check whose guest to write; without it, the interactive guest with every module
        #[arg(long)]
        check: Option<String>,
    },
    /// Start a new module: modules/NAME (Rust module with a KUnit suite, Kbuild, README) and checks/NAME.toml, which pass untouched; or, with --project, a new project of your own
    ///
    /// `zlab new NAME` adds a module to the project you are in. `zlab new --project DIR [NAME]` makes the folder DIR a project: zlab.toml, one module (NAME, default my_module) with its check, a README, .gitignore, a GitHub workflow, flake.nix and .envrc (the same files as `nix flake init -t <zlab's flake>`); then `cd DIR && zlab test`.
    New {
        /// Lowercase letters, digits and `_`, starting with a letter (it becomes the module's name)
        #[arg(required_unless_present = "project")]
        name: Option<String>,
        /// Make a new project in DIR (a new or empty folder) instead of adding to this one
        #[arg(long, value_name = "DIR")]
        project: Option<std::path::PathBuf>,
    },
    /// Write rust-project.json so editors (rust-analyzer) resolve `kernel::` and `bindings::` in modules/; rerun after adding a module
    #[command(name = "rust-analyzer")]
    RustAnalyzer {
        /// The variant whose configuration (CONFIG_* cfgs) the editor sees
        #[arg(long = "config", default_value = crate::inputs::variants::DEFAULT)]
        variant: String,
        /// Write here instead of rust-project.json at the project's root (where editors look for it)
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Measure the edit → verdict loop phase by phase (and, with --cold and --peer, a fresh kernel build against the kernel's own kunit.py); --write keeps the numbers in docs/benchmarks.md
    Bench(BenchArgs),
    /// Compare the checks' build (`zlab build`'s, brought up to date first) with a clean build from nothing in other folders: the SHA256 of bzImage, vmlinux, every .ko, modules/ and an initramfs, naming the ELF sections that differ (one kernel build from nothing: about 5 min)
    Repro {
        /// A variant from kernel/variants.toml
        #[arg(long = "config", default_value = crate::inputs::variants::DEFAULT)]
        variant: String,
    },
    /// Boot the kernel in qemu-system-s390x: a shell on the console, or a check's guest straight to a verdict
    Boot(BootArgs),
    /// Run boot checks from checks/ (all when no name is given): build what is missing, boot, judge the console
    Test(TestArgs),
    /// The everyday loop: run the checks, then run them again on every save, each round only the checks the change touches
    ///
    /// Watches the project's modules/ (a module's .rs, .c, .h, Kbuild, Makefile: the checks that load it), checks/ (that check; a new file is picked up) and kernel/ (fragments and pins: every check, the kernel rebuilt first). An editor's burst of writes is one round. A failure or a compile error is shown and watching goes on; Ctrl-C stops it, with no make or QEMU left behind. Example: `zlab watch hello`, then edit modules/hello/hello.rs
    Watch(WatchArgs),
    /// Judge a console zlab did not boot (a run on a real LinuxONE machine, a CI artifact, a colleague's log): KTAP counts, faults, a verdict
    ///
    /// Without --check the console is held to its faults (panic, Oops, BUG, WARNING) and its KTAP results alone; with --check NAME to that check, as `zlab test` holds a boot (then it must come from a zlab guest, whose init marks its steps). Exit status 0 when it passes, 1 when not
    Parse(ParseArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell), e.g. `source <(zlab completions bash)`
    Completions { shell: clap_complete::Shell },
}

// `zlab watch`
#[derive(Args, Debug)]
pub struct WatchArgs {
    /// The checks to watch (default: every check in checks/, new ones too)
    pub names: Vec<String>,
    /// Boot up to N checks at once [default: the CPU count]
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub parallel: Option<u32>,
    #[command(flatten)]
    pub guest: GuestArgs,
}

// `zlab parse`
#[derive(Args, Debug)]
pub struct ParseArgs {
    /// The console log: a file, or - for standard input
    pub log: std::path::PathBuf,
    /// Hold the console to this check of the project (checks/NAME.toml)
    #[arg(long, value_name = "NAME")]
    pub check: Option<String>,
    /// Fail when no KUnit test reported a result (as kunit.py parse does); without it a console
    /// with no tests passes on the rest
    #[arg(long)]
    pub ktap: bool,
    /// Print the result as JSON on stdout (the report goes to stderr)
    #[arg(long)]
    pub json: bool,
}

// `zlab bench`
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The check whose module is touched before each run
    #[arg(long, default_value = "hello")]
    pub check: String,
    /// Runs per measurement (the median is reported)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Also build the test kernel from nothing in a scratch dir and boot rust-doctests with it (about 5 min)
    #[arg(long)]
    pub cold: bool,
    /// Also run the kernel's tools/testing/kunit/kunit.py on the same tree from an empty build dir (about 8 min), with --cold
    /// to set beside it; its build dir is kept, and every later bench runs kunit.py again on it with nothing changed
    #[arg(long)]
    pub peer: bool,
    /// Also build s390 defconfig with Rust from nothing, the yardstick for the test kernel's build time (most of an hour), with --cold
    #[arg(long)]
    pub defconfig: bool,
    /// Also measure what each of the kernel's bug detectors costs: the test kernel without them, then with each added,
    /// then with lockdep and with kmemleak, each built from nothing and booted (six kernel builds: about 25 min)
    #[arg(long)]
    pub detectors: bool,
    /// Write docs/benchmarks.json, docs/benchmarks.md and docs/benchmarks.svg
    #[arg(long)]
    pub write: bool,
    /// Measure nothing: render docs/benchmarks.md and .svg again from docs/benchmarks.json (after a change to the report)
    #[arg(long, conflicts_with_all = ["cold", "peer", "defconfig", "detectors", "write"])]
    pub render: bool,
}

// `zlab modules`
#[derive(Args, Debug)]
pub struct ModulesArgs {
    pub names: Vec<String>,
    #[arg(long = "config", default_value = crate::inputs::variants::DEFAULT)]
    pub variant: String,
    /// Only list the modules
    #[arg(long)]
    pub list: bool,
}

// `zlab boot`
#[derive(Args, Debug)]
pub struct BootArgs {
    /// Boot this check's guest (its modules and commands); without it, every module is in /lib/modules
    #[arg(long)]
    pub check: Option<String>,
    /// Give the console to you: after the check's commands (if any), a busybox shell
    #[arg(long)]
    pub interactive: bool,
    /// Start QEMU halted with a gdbstub on 127.0.0.1 and print the gdb-multiarch command that
    /// attaches (with vmlinux's symbols and the kernel's gdb scripts). Boots the variant's
    /// debug twin (kernel/variants.toml `gdb`, e.g. test -> debug). A check is still judged
    /// when its guest powers off, but its time limit is off: a guest stopped in gdb is not hung
    #[arg(long)]
    pub gdb: bool,
    /// The gdbstub's port on 127.0.0.1 (default: a free one)
    #[arg(long, requires = "gdb")]
    pub gdb_port: Option<u16>,
}

// `zlab test`
#[derive(Args, Debug)]
pub struct TestArgs {
    pub names: Vec<String>,
    /// Print the results as JSON on stdout (fields: docs/results.md); the human report goes to stderr
    #[arg(long)]
    pub json: bool,
    /// Also write the results as JUnit XML to FILE, for CI test reports (GitLab, GitHub, Jenkins)
    #[arg(long, value_name = "FILE")]
    pub junit: Option<std::path::PathBuf>,
    /// Only list the checks
    #[arg(long)]
    pub list: bool,
    /// Boot up to N checks at once [default: the CPU count]. Kernels are built first, one at a
    /// time; each check's report still comes whole and in check order, and under -v each console
    /// line starts with its check's name. -j 1 runs them one after another
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub parallel: Option<u32>,
    /// Boot each check this many times in a row (a soak test: any failure is a flake to find)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Run the checks on every pinned kernel series (newest first), each with every toolchain
    /// (gcc, then llvm: one kernel build each), and end with a check × kernel × toolchain table;
    /// with --kernel or --kernel-source, that one kernel's two toolchains; with --rust, each with
    /// the host's rustc and with that newer one
    #[arg(long)]
    pub matrix: bool,
    #[command(flatten)]
    pub guest: GuestArgs,
}

/// Which kernel the checks boot and how their guests start: `zlab test` and `zlab watch`.
#[derive(Args, Debug)]
pub struct GuestArgs {
    /// Boot every check on this kernel variant (kernel/variants.toml) instead of its own, e.g.
    /// `debug` for lockdep and kmemleak (checks/NAME.toml may ask for one with `variant =`)
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Boot each check's kernel in full instead of resuming the guest zlab saved after booting
    /// it once. Every check resumes but one with neither steps nor a KUnit suite (what it tests
    /// is the boot); -v says which way each check started
    #[arg(long)]
    pub boot: bool,
}
