//! `zlab setup`: everything a Debian 12 or 13 host needs, installed once, each from its own
//! release. A second run changes nothing.

use crate::context::RunContext;
use crate::environment::Environment;
use crate::host::apt;
use crate::host::os_release::{self, Debian};
use crate::host::process::{self, which};
use crate::inputs::downloads;
use crate::setup::newer_rust;
use crate::toolchain::tools::BINDGEN_CLI_VERSION;
use anyhow::{bail, Context, Result};
use std::process::Command;

/// Host packages from the host's own suites, and why each is there.
pub const DEBIAN_PACKAGES: &[(&str, &str)] = &[
    ("rustc-web", "rustc 1.96, the kernel's minimum for Rust on s390"),
    ("rust-web-src", "the Rust standard library source the kernel builds core from"),
    ("cargo-web", "cargo, to build zlab where no cargo is present (and bindgen-cli on Debian 12)"),
    ("libclang1-19", "libclang for bindgen"),
    ("gcc-s390x-linux-gnu", "the s390x C cross compiler"),
    ("binutils-s390x-linux-gnu", "the s390x assembler and linker"),
    ("gcc", "host programs of the kernel build"),
    ("libc6-dev", "host programs of the kernel build"),
    ("make", "the kernel build"),
    ("flex", "the kernel's Kconfig and dtc parsers"),
    ("bison", "the kernel's Kconfig and dtc parsers"),
    ("bc", "the kernel build's timeconst"),
    ("libelf-dev", "objtool and module tools"),
    ("libssl-dev", "module signing tools"),
    ("kmod", "module tools"),
    ("python3", "kernel build scripts"),
    ("xz-utils", "unpacking the kernel source tarball"),
    ("gdb-multiarch", "gdb for the s390x guest (zlab boot --gdb)"),
    ("clang-19", "the LLVM toolchain (zlab --toolchain llvm): clang of libclang's version"),
    ("lld-19", "the LLVM toolchain: ld.lld"),
    ("llvm-19", "the LLVM toolchain: llvm-objcopy, llvm-ar, llvm-nm and the rest"),
];

/// What a release has beyond DEBIAN_PACKAGES: Debian 13's bindgen is the kernel's minimum,
/// Debian 12's (0.60) is too old, so there bindgen-cli is built with cargo instead.
fn release_packages(release: Debian) -> &'static [(&'static str, &'static str)] {
    match release {
        Debian::Bookworm => &[],
        Debian::Trixie => &[("bindgen", "bindgen 0.71.1, the kernel's minimum")],
    }
}

/// The s390x system emulator; on Debian 12 it is only in bookworm-backports.
const QEMU_PACKAGE: &str = "qemu-system-s390x";

/// Everything: packages as root, then bindgen-cli and the pinned downloads into the zlab home of
/// whoever will use them. Under `sudo` that is the user who ran sudo, not root.
pub fn run(ctx: &RunContext, user_only: bool) -> Result<()> {
    let release = os_release::host()?;
    // Debian 13 has bindgen as a package; Debian 12's is too old, so zlab builds bindgen-cli.
    let bindgen = if release == Debian::Bookworm { "bindgen-cli and " } else { "" };
    let rust = ctx.rust.as_ref().map(|r| format!(", rustc {}", r.release)).unwrap_or_default();
    if user_only {
        return report(&user_part(ctx, release)?, &format!("{bindgen}every pinned download{rust} are in place"));
    }
    require_debian_root()?;
    eprintln!("zlab: setting up {}", release.name());
    let done = packages(ctx, release)?;
    match sudo_user(&ctx.env) {
        Some(user) => {
            report(&done, "every package is installed")?;
            as_user(ctx, &user)
        }
        None => {
            let mut done = done;
            done.extend(user_part(ctx, release)?);
            report(&done, &format!("every package, {bindgen}every pinned download{rust} are in place"))
        }
    }
}

fn report(done: &[String], everything_there: &str) -> Result<()> {
    if done.is_empty() {
        println!("zlab setup: nothing to do — {everything_there}.");
    } else {
        println!("zlab setup: done —\n  {}", done.join("\n  "));
    }
    println!("Next: `zlab doctor` to see every tool and version, `zlab test` to build, boot and check.");
    Ok(())
}

fn packages(ctx: &RunContext, release: Debian) -> Result<Vec<String>> {
    let mut done = Vec::new();
    let wanted = DEBIAN_PACKAGES.iter().chain(release_packages(release));
    let missing: Vec<&str> = wanted.map(|(p, _)| *p).filter(|p| !installed(p)).collect();
    let qemu_missing = !installed(QEMU_PACKAGE);
    if !missing.is_empty() || qemu_missing {
        eprintln!("zlab: apt-get update");
        process::run(Command::new("apt-get").args(["update", "-q"]))?;
    }
    if !missing.is_empty() {
        eprintln!("zlab: installing {}", missing.join(" "));
        apt::install_on_host(&missing, None, None)?;
        done.push(format!("installed {}", missing.join(", ")));
    }
    if qemu_missing {
        let backports =
            if has_candidate(QEMU_PACKAGE)? { None } else { Some(format!("{}-backports", apt::host_codename()?)) };
        let apt_dir = ctx.paths.apt_dir().join("host-backports");
        eprintln!(
            "zlab: installing {QEMU_PACKAGE}{}",
            backports.as_deref().map(|b| format!(" from {b}")).unwrap_or_default()
        );
        apt::install_on_host(
            &[QEMU_PACKAGE],
            backports.as_deref().map(|b| (apt_dir.as_path(), b)),
            ctx.env.debian_mirror.as_deref(),
        )?;
        done.push(format!("installed {QEMU_PACKAGE}"));
    }
    Ok(done)
}

/// What needs no root: bindgen-cli (Debian 12) and the verified downloads, in this user's zlab home.
fn user_part(ctx: &RunContext, release: Debian) -> Result<Vec<String>> {
    let pins = ctx.pins()?;
    let mut done = Vec::new();
    if release == Debian::Bookworm && install_bindgen(ctx)? {
        done.push(format!("installed bindgen-cli {BINDGEN_CLI_VERSION} in {}", ctx.paths.tools_root().display()));
    }
    for fetched in downloads::fetch_missing(ctx, &pins.debs())? {
        done.push(format!("downloaded and verified {fetched}"));
    }
    if let Some(rust) = &ctx.rust {
        done.extend(newer_rust::install(ctx, rust)?);
    }
    Ok(done)
}

/// The user behind `sudo zlab setup`: sudo sets HOME to root's, so without this the user's
/// tools and downloads would land in root's cache, where the user's own zlab never looks.
fn sudo_user(env: &Environment) -> Option<String> {
    let user = env.sudo_user.clone().filter(|u| !u.is_empty() && u != "root")?;
    is_root().then_some(user)
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Runs `zlab setup --user-only` as `user` (through bin/zlab when that started this zlab): files
/// in their home are theirs, made by them.
fn as_user(ctx: &RunContext, user: &str) -> Result<()> {
    eprintln!("zlab: bindgen-cli and the pinned downloads go into {user}'s zlab home; continuing as {user}");
    let program = match &ctx.env.launcher {
        Some(launcher) => launcher.clone(),
        None => std::env::current_exe().context("finding this zlab's own program file")?,
    };
    process::run(
        Command::new("runuser")
            .args(["-u", user, "--"])
            .arg(&program)
            .args(["setup", "--user-only"])
            .args(ctx.rust.iter().flat_map(|r| ["--rust", r.series.as_str()]))
            // Setup needs no project, and root's current folder may be closed to the user.
            .current_dir("/")
            // Root's bin/zlab exported its own target dir, which the user cannot write.
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("ZLAB_HOME"),
    )
    .with_context(|| format!("setting up {user}'s part; as {user}, `zlab setup --user-only` retries just that"))
}

fn require_debian_root() -> Result<()> {
    if which("apt-get").is_none() || which("dpkg-query").is_none() {
        bail!(
            "zlab setup installs Debian packages and needs apt-get; on other systems use the Nix flake (`nix develop`)"
        );
    }
    if !is_root() {
        bail!("zlab setup installs system packages: run it as root (e.g. `sudo ./bin/zlab setup`)");
    }
    Ok(())
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${db:Status-Status}", package])
        .output()
        .map(|o| o.status.success() && o.stdout == b"installed")
        .unwrap_or(false)
}

fn has_candidate(package: &str) -> Result<bool> {
    let policy = process::stdout_of(Command::new("apt-cache").args(["policy", package]))?;
    Ok(policy.lines().any(|l| l.trim_start().starts_with("Candidate:") && !l.contains("(none)")))
}

/// Installs the pinned bindgen-cli under zlab's tools folder; false when it is already there.
fn install_bindgen(ctx: &RunContext) -> Result<bool> {
    let root = ctx.paths.tools_root();
    let bindgen = root.join("bin/bindgen");
    let current = Command::new(&bindgen).arg("--version").output().ok().filter(|o| o.status.success());
    if current.is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == format!("bindgen {BINDGEN_CLI_VERSION}")) {
        return Ok(false);
    }
    let cargo = which("cargo").context("no cargo found; install Debian's cargo-web (`apt-get install cargo-web`)")?;
    eprintln!("zlab: cargo install bindgen-cli {BINDGEN_CLI_VERSION} (about two minutes)");
    process::run(
        Command::new(cargo)
            .args(["install", "--locked", "--quiet", "bindgen-cli", "--version", BINDGEN_CLI_VERSION, "--root"])
            .arg(&root),
    )
    .context("installing bindgen-cli")?;
    Ok(true)
}
