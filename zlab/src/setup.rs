//! `zlab setup`: everything a Debian 12 host needs, installed once. A second run changes nothing.

use crate::paths::Paths;
use crate::pins::Pins;
use crate::process::{self, which};
use crate::toolchain::BINDGEN_CLI_VERSION;
use crate::{apt, downloads};
use anyhow::{bail, Context, Result};
use std::process::Command;

/// Host packages from the host's own suites, and why each is there.
pub const DEBIAN_PACKAGES: &[(&str, &str)] = &[
    ("rustc-web", "rustc 1.96, the kernel's minimum for Rust on s390"),
    ("rust-web-src", "the Rust standard library source the kernel builds core from"),
    ("cargo-web", "cargo, to install bindgen-cli (and build zlab where no cargo is present)"),
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
];

/// The s390x system emulator; on Debian 12 it is only in bookworm-backports.
const QEMU_PACKAGE: &str = "qemu-system-s390x";

pub fn run(paths: &Paths) -> Result<()> {
    require_debian_root()?;
    let pins = Pins::load(&paths.source_pins())?;
    let mut done = Vec::new();

    let missing: Vec<&str> = DEBIAN_PACKAGES.iter().map(|(p, _)| *p).filter(|p| !installed(p)).collect();
    let qemu_missing = !installed(QEMU_PACKAGE);
    if !missing.is_empty() || qemu_missing {
        eprintln!("zlab: apt-get update");
        process::run(Command::new("apt-get").args(["update", "-q"]))?;
    }
    if !missing.is_empty() {
        eprintln!("zlab: installing {}", missing.join(" "));
        apt::install_on_host(&missing, None)?;
        done.push(format!("installed {}", missing.join(", ")));
    }
    if qemu_missing {
        let backports =
            if has_candidate(QEMU_PACKAGE)? { None } else { Some(format!("{}-backports", apt::host_codename()?)) };
        let apt_dir = paths.apt_dir().join("host-backports");
        eprintln!(
            "zlab: installing {QEMU_PACKAGE}{}",
            backports.as_deref().map(|b| format!(" from {b}")).unwrap_or_default()
        );
        apt::install_on_host(&[QEMU_PACKAGE], backports.as_deref().map(|b| (apt_dir.as_path(), b)))?;
        done.push(format!("installed {QEMU_PACKAGE}"));
    }
    if install_bindgen(paths)? {
        done.push(format!("installed bindgen-cli {BINDGEN_CLI_VERSION}"));
    }
    for fetched in downloads::fetch_missing(paths, &pins.debs())? {
        done.push(format!("downloaded and verified {fetched}"));
    }

    if done.is_empty() {
        println!("zlab setup: nothing to do — every package, bindgen-cli {BINDGEN_CLI_VERSION} and both pinned downloads are in place.");
    } else {
        println!("zlab setup: done —\n  {}", done.join("\n  "));
    }
    println!("Next: `zlab doctor` to see every tool and version, `zlab test` to build, boot and check.");
    Ok(())
}

fn require_debian_root() -> Result<()> {
    if which("apt-get").is_none() || which("dpkg-query").is_none() {
        bail!(
            "zlab setup installs Debian packages and needs apt-get; on other systems use the Nix flake (`nix develop`)"
        );
    }
    let uid = process::stdout_of(Command::new("id").arg("-u"))?;
    if uid.trim() != "0" {
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
fn install_bindgen(paths: &Paths) -> Result<bool> {
    let root = paths.tools_root();
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
