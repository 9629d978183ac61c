//! `zlab build`: the pinned kernel with a variant's configuration, in a build dir outside git.

use crate::build::kbuild_path;
use crate::build::progress::BuildProgress;
use crate::build::seed;
use crate::build::stamp;
use crate::context::RunContext;
use crate::host::lock::DirLock;
use crate::host::process;
use crate::host::temp;
use crate::inputs::kconfig;
use crate::inputs::rust_pins::RustPins;
use crate::inputs::source;
use crate::inputs::variants;
use crate::note;
use crate::setup::doctor;
use crate::toolchain::tools::Toolchain;
use anyhow::{bail, Context, Result};
use fs_err as fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A finished kernel build.
#[derive(Debug, Clone)]
pub struct Kernel {
    pub variant: String,
    pub source: PathBuf,
    pub dir: PathBuf,
    /// Where modules are built against this kernel, in <project key>/<module>: inside its build
    /// dir, or for a read-only prebuilt kernel (Nix), under zlab's home.
    pub modules_out: PathBuf,
}

impl Kernel {
    pub fn bzimage(&self) -> PathBuf {
        self.dir.join(BZIMAGE)
    }
    pub fn gen_init_cpio(&self) -> PathBuf {
        self.dir.join("usr/gen_init_cpio")
    }
    /// Whether this build's .config has `CONFIG_<option>=y`.
    pub fn has(&self, option: &str) -> bool {
        let wanted = format!("CONFIG_{option}=y");
        fs_err::read_to_string(self.dir.join(".config")).is_ok_and(|config| config.lines().any(|l| l == wanted))
    }

    /// In-tree modules of this build (`samples/rust/rust_minimal.ko`, …), relative paths.
    pub fn module_file(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }
    /// The in-tree Rust samples this build made (`samples/rust/*.ko`), sorted.
    pub fn rust_samples(&self) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(self.dir.join("samples/rust")) else { return vec![] };
        let mut samples: Vec<String> = dir
            .filter_map(|e| e.ok()?.file_name().to_str().map(str::to_string))
            .filter(|n| n.ends_with(".ko"))
            .map(|n| format!("samples/rust/{n}"))
            .collect();
        samples.sort();
        samples
    }
}

/// Names the variant a finished build dir was configured as; written after a successful build.
const VARIANT_MARKER: &str = "zlab-variant";

/// A kernel built elsewhere (Nix's `kernel` package), used as it is: `ZLAB_KERNEL_BUILD` names
/// its build dir, and the variant it was built as must be the one asked for.
pub fn prebuilt(ctx: &RunContext, variant: &str) -> Option<Result<Kernel>> {
    let dir = ctx.env.kernel_build.clone()?;
    Some(read_prebuilt(&dir, variant).map(|(source, dir)| Kernel {
        variant: variant.to_string(),
        source,
        dir,
        modules_out: ctx.paths.build_dir(variant).join(MODULES_OUT),
    }))
}

/// Under a kernel's build dir: a folder per project, with one per module in it.
const MODULES_OUT: &str = "zlab-modules";

/// The fragments the build dir's .config was made from (configure).
const CONFIG_RECORD: &str = "zlab.config";

/// What is a build dir's own, never copied into another (seed.rs): its finished-build records
/// (a copy is unfinished until its own make succeeds), its configuration record (so a copy runs
/// allnoconfig with its own rustc) and the modules built against it.
const OWN_RECORDS: [&str; 4] = [VARIANT_MARKER, stamp::STAMP, CONFIG_RECORD, MODULES_OUT];

fn read_prebuilt(dir: &Path, variant: &str) -> Result<(PathBuf, PathBuf)> {
    let built_as = fs::read_to_string(dir.join(VARIANT_MARKER))
        .with_context(|| format!("ZLAB_KERNEL_BUILD={} is not a finished zlab kernel build", dir.display()))?;
    if built_as.trim() != variant {
        bail!(
            "ZLAB_KERNEL_BUILD={} holds the {} kernel, but the {variant} kernel is needed",
            dir.display(),
            built_as.trim()
        );
    }
    // Kbuild leaves a `source` link to the tree it built from in every O= dir.
    let source = fs::canonicalize(dir.join("source"))?;
    Ok((source, dir.to_path_buf()))
}

/// Builds the variant in `dir` (default: its build dir under zlab's home), or returns the
/// prebuilt kernel that `ZLAB_KERNEL_BUILD` names.
pub fn build(ctx: &RunContext, variant_name: &str, dir: Option<&Path>) -> Result<Kernel> {
    let paths = &ctx.paths;
    if let Some(kernel) = prebuilt(ctx, variant_name) {
        return kernel;
    }
    let pins = ctx.pins()?;
    source::clean_stale(paths);
    let source = source::unpacked(ctx, &pins.kernel)?;
    match dir {
        Some(dir) => build_from(ctx, variant_name, &source, dir),
        None => build_in(
            ctx,
            variant_name,
            &source,
            &paths.build_dir(variant_name),
            &other_rustcs_builds(ctx, &pins.rust, variant_name),
        ),
    }
}

/// The variant's build dirs with the other rustc releases (the floor's and every pinned
/// `--rust` series'), where a first build with this one may start (seed.rs).
fn other_rustcs_builds(ctx: &RunContext, rust: &RustPins, variant: &str) -> Vec<PathBuf> {
    let series = std::iter::once(None).chain(rust.releases.iter().map(|r| Some(r.series.clone())));
    series
        .filter(|s| *s != ctx.paths.rust_series)
        .map(|rust_series| crate::host::paths::Paths { rust_series, ..ctx.paths.clone() }.build_dir(variant))
        .collect()
}

/// Whether `dir` holds a finished build of the variant from `source` with today's inputs.
pub fn up_to_date(ctx: &RunContext, variant_name: &str, source: &Path, dir: &Path) -> Result<bool> {
    let paths = &ctx.paths;
    let tc = &ctx.tools;
    let variant = variants::load(paths, variant_name)?;
    let release = crate::inputs::kernel_tree::release(source).unwrap_or_default();
    let (merged, _) = variants::merged_fragments(paths, &variant, series_of(&release).as_deref())?;
    Ok(staleness(dir, &fingerprint(tc, variant_name, &merged, source)).is_none())
}

fn fingerprint(tc: &Toolchain, variant: &str, merged_fragments: &str, source: &Path) -> String {
    stamp::fingerprint(&stamp::Inputs { variant, merged_fragments, source, toolchain: tc })
}

/// Why `dir` holds no finished build (its variant recorded) with this fingerprint from an
/// unchanged source, or None when it does.
fn staleness(dir: &Path, fingerprint: &str) -> Option<String> {
    if !dir.join(VARIANT_MARKER).is_file() {
        return Some("no finished build here yet".into());
    }
    stamp::staleness(dir, fingerprint, &dir.join(BZIMAGE))
}

const BZIMAGE: &str = "arch/s390/boot/bzImage";

/// Builds the variant from the kernel tree `source` in `dir`.
pub fn build_from(ctx: &RunContext, variant_name: &str, source: &Path, dir: &Path) -> Result<Kernel> {
    build_in(ctx, variant_name, source, dir, &[])
}

/// build_from, where a first build may start from a copy of one of `seeds` (seed.rs).
fn build_in(ctx: &RunContext, variant_name: &str, source: &Path, dir: &Path, seeds: &[PathBuf]) -> Result<Kernel> {
    let paths = &ctx.paths;
    kbuild_path::require_usable(&[source, dir])?;
    doctor::require(ctx)?;
    let tc = &ctx.tools;
    let pins = ctx.pins()?;
    let variant = variants::load(paths, variant_name)?;
    if let Some(why) = variant.not_with(variant_name, paths.compiler.name())? {
        bail!("{why}");
    }
    let (source, dir) = (source.to_path_buf(), dir.to_path_buf());
    let _lock = DirLock::acquire(&dir)?;

    let tree_release = crate::inputs::kernel_tree::release(&source);
    let series = series_of(tree_release.as_deref().unwrap_or_default());
    let (merged, settings) = variants::merged_fragments(paths, &variant, series.as_deref())?;
    let fingerprint = fingerprint(tc, variant_name, &merged, &source);
    let kernel = Kernel {
        variant: variant_name.to_string(),
        source: source.clone(),
        dir: dir.clone(),
        modules_out: dir.join(MODULES_OUT),
    };
    let Some(stale) = staleness(&dir, &fingerprint) else {
        note!("zlab: kernel up to date (no input changed since its last build): {}", kernel.bzimage().display());
        return Ok(kernel);
    };

    let stale = match seed::from_sibling(&dir, &source, seeds, VARIANT_MARKER, &OWN_RECORDS)? {
        true => format!("{stale}; only what rustc compiles is rebuilt in the copy"),
        false => stale,
    };
    require_rust_available(tc, &source, &dir)?;
    configure(tc, &source, &dir, &merged)?;
    let config = fs::read_to_string(dir.join(".config"))?;
    let mismatches = kconfig::verify(&kconfig::effective(&settings), &kconfig::parse_config(&config), &source);
    if !mismatches.is_empty() {
        let list: Vec<String> = mismatches.iter().map(|m| format!("  {m}")).collect();
        bail!(
            "the {variant_name} kernel's .config lacks {} value(s) its fragments ask for:\n{}\nFix the fragments in kernel/configs/ (the .config is in {})",
            mismatches.len(),
            list.join("\n"),
            dir.display()
        );
    }

    let started = Instant::now();
    let log = dir.join("zlab-build.log");
    let release = tree_release.unwrap_or_else(|| pins.kernel.release.clone());
    note!(
        "zlab: building Linux {release} ({variant_name}, {}) in {} with -j{}",
        tc.compiler.name(),
        dir.display(),
        tc.jobs
    );
    note!("  because {stale}");
    let mut make = tc.kernel_make(&source, &dir);
    make.arg(format!("-j{}", tc.jobs)).args(["bzImage", "modules"]);
    // Only `make all` builds the gdb scripts (vmlinux-gdb.py and scripts/gdb in the build dir).
    if config.lines().any(|l| l == "CONFIG_GDB_SCRIPTS=y") {
        make.arg("scripts_gdb");
    }
    let _ = fs::remove_file(dir.join(VARIANT_MARKER));
    stamp::forget(&dir);
    let began = std::time::SystemTime::now();
    let mut progress = BuildProgress::new("kernel build");
    process::run_logged(&mut make, &log, "kernel build", &mut |line| progress.feed(line))?;
    let objects = progress.objects();
    drop(progress);
    fs::write(dir.join(VARIANT_MARKER), format!("{variant_name}\n"))?;
    if !stamp::record(&dir, &fingerprint, &source, began)? {
        note!("zlab: a kernel source file changed during the build, so the next run asks make again");
    }
    let made = match objects {
        0 => "nothing to rebuild".to_string(),
        n => format!("{n} objects made; make's output is in {}", log.display()),
    };
    note!("zlab: kernel ready in {:.0} s ({made}): {}", started.elapsed().as_secs_f64(), kernel.bzimage().display());
    Ok(kernel)
}

/// The kernel's own verdict on the Rust toolchain; nothing Rust-related is configured before it.
fn require_rust_available(tc: &Toolchain, source: &Path, dir: &Path) -> Result<()> {
    let mut cmd = tc.kernel_make(source, dir);
    cmd.arg("rustavailable");
    let output = cmd.output().with_context(|| format!("could not run `{}`", process::describe(&cmd)))?;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if !output.status.success() || !text.contains("Rust is available!") {
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("make")).collect();
        bail!(
            "the kernel says Rust is not available with this toolchain:\n{}\nRun `zlab doctor` to see every tool and version",
            lines.join("\n")
        );
    }
    Ok(())
}

/// The series of a release (7.2 for 7.2.12), which chooses its own fragments.
fn series_of(release: &str) -> Option<String> {
    Some(crate::inputs::kernel_version::KernelVersion::parse(release).ok()?.series())
}

/// allnoconfig with the merged fragments, redone when the fragments or the source changed: a
/// .config made from another tree's Kconfig (a pin moved to another series) is never kept.
fn configure(tc: &Toolchain, source: &Path, dir: &Path, merged: &str) -> Result<()> {
    let fragments_file = dir.join(CONFIG_RECORD);
    let record = format!("# zlab: allnoconfig of {} with these fragments\n{merged}", source.display());
    let unchanged = fs::read_to_string(&fragments_file).is_ok_and(|old| old == record) && dir.join(".config").is_file();
    if unchanged {
        return Ok(());
    }
    // The new fragments are recorded only after Kconfig succeeded, so a failed or killed run
    // configures again next time.
    let pending = temp::beside(&fragments_file)?;
    fs::write(pending.path(), &record)?;
    let mut cmd = tc.kernel_make(source, dir);
    cmd.arg(format!("KCONFIG_ALLCONFIG={}", pending.path().display())).arg("allnoconfig");
    process::stdout_of(&mut cmd).context("configuring the kernel (allnoconfig with the fragments)")?;
    temp::move_in(pending, &fragments_file)?;
    Ok(())
}
