//! `zlab doctor`: every tool the s390 Rust kernel build and boot need, with the version found,
//! the version required, and the command that fixes a problem.

use crate::context::RunContext;
use crate::environment::Environment;
use crate::host::process;
use crate::inputs::downloads;
use crate::inputs::kernel_tree;
use crate::inputs::pins::Pins;
use crate::setup::compilers;
use crate::setup::probe::{at_least, present, version_output, versioned, Finding};
use crate::setup::ready;
use crate::toolchain::elf::{self, Architecture};
use crate::toolchain::tools::{minimum, Compiler, Toolchain};
use crate::toolchain::version::Version;
use anyhow::{bail, Result};
use fs_err as fs;
use std::path::Path;
use std::process::Command;

/// The command that fixes any problem in this environment.
pub fn fix_command(env: &Environment) -> &'static str {
    if env.in_nix_shell {
        "nix develop"
    } else {
        "zlab setup"
    }
}

/// How to fix the problems: the fix command, and outside Nix, the variables that may have
/// chosen the wrong tools.
fn advice(ctx: &RunContext) -> String {
    let env = &ctx.env;
    let rust = ctx.rust.as_ref().map(|r| format!(" --rust {}", r.series)).unwrap_or_default();
    let mut text = format!("Fix with `{}{rust}`", fix_command(env));
    if !env.in_nix_shell {
        let set = env.tool_choices();
        if !set.is_empty() {
            text.push_str(&format!(", or unset what chose these tools: {}", set.join(" ")));
        }
    }
    text
}

pub fn run(ctx: &RunContext) -> Result<()> {
    let tc = &ctx.tools;
    for note in compilers::notes(tc) {
        println!("{note}");
    }
    if let Some(note) = kernel_note(ctx) {
        println!("{note}");
    }
    if let Some(note) = rust_note(ctx) {
        println!("{note}");
    }
    let findings = examine(ctx);
    for f in &findings {
        let mark = if f.ok { "ok     " } else { "MISSING" };
        println!("{mark} {:<22} {:<48} needs {}", f.tool, f.found, f.needed);
    }
    // Tools only some commands need: shown, never a failure.
    let mut optional = vec![(gdb(tc), "zlab boot --gdb")];
    if tc.compiler == Compiler::Gcc {
        optional.push((compilers::clang(tc), "zlab --toolchain llvm"));
    }
    for (f, used_by) in &optional {
        let mark = if f.ok { "ok     " } else { "absent " };
        println!("{mark} {:<22} {:<48} needs {} (optional: only {used_by})", f.tool, f.found, f.needed);
    }
    let problems = findings.iter().filter(|f| !f.ok).count();
    if problems > 0 {
        bail!("{problems} problem(s) above. {}", advice(ctx));
    }
    let absent = optional.iter().filter(|(f, _)| !f.ok).count();
    let absent = if absent > 0 {
        format!(" {absent} optional tool(s) absent: `{}` adds them.", fix_command(&ctx.env))
    } else {
        String::new()
    };
    println!("All {} tools are in place.{absent}", findings.len());
    Ok(())
}

/// Which pinned kernel this run builds, and how to choose another (none for a tree of one's own:
/// the "kernel source" finding names it).
fn kernel_note(ctx: &RunContext) -> Option<String> {
    if crate::environment::non_empty(&ctx.env.kernel_source).is_some() {
        return None;
    }
    let pins = ctx.pins().ok()?;
    let which = if pins.default_chosen() { "the default" } else { "not the default" };
    let series: Vec<&str> = pins.kernels.iter().map(|k| k.series.as_str()).collect();
    Some(format!(
        "kernel: Linux {}, {which} (`zlab --kernel {}` or ZLAB_KERNEL chooses; each has its own build dirs)",
        pins.kernel.release,
        series.join("|")
    ))
}

/// Which rustc `--rust` chose, or which it could choose (none under Nix or with ZLAB_RUSTC:
/// those choose rustc themselves).
fn rust_note(ctx: &RunContext) -> Option<String> {
    if let Some(rust) = &ctx.rust {
        return Some(format!(
            "rustc: Debian's {} from {}, unpacked by zlab (--rust {}); leave out --rust (ZLAB_RUST) for the host's",
            rust.release,
            rust.suite(),
            rust.series
        ));
    }
    if ctx.env.in_nix_shell || crate::environment::non_empty(&ctx.env.rustc).is_some() {
        return None;
    }
    let pins = ctx.pins().ok()?;
    let series: Vec<&str> = pins.rust.releases.iter().map(|r| r.series.as_str()).collect();
    (!series.is_empty()).then(|| {
        format!(
            "rustc: the host's (`zlab --rust {}` or ZLAB_RUST chooses a newer Debian build, after `zlab setup --rust SERIES`; each has its own build dirs)",
            series.join("|")
        )
    })
}

/// A gdb that can debug an s390x guest: asked to switch to s390, a gdb built for the host alone
/// (Debian's plain `gdb`) refuses.
pub fn gdb(tc: &Toolchain) -> Finding {
    let needed = "gdb with s390x support (gdb-multiarch)".to_string();
    let Some(version) = version_output(&tc.gdb, &["--version"]) else {
        return Finding { tool: "gdb (s390x)", found: format!("not found ({})", tc.gdb.display()), needed, ok: false };
    };
    let first = version.lines().next().unwrap_or("").trim();
    let s390 = version_output(&tc.gdb, &["-nx", "-batch", "-ex", "set architecture s390:64-bit"]).is_some();
    let found = if s390 {
        format!("{first} ({})", tc.gdb.display())
    } else {
        format!("no s390 support in {} ({first})", tc.gdb.display())
    };
    Finding { tool: "gdb (s390x)", found, needed, ok: s390 }
}

/// Fails before any work is done when a tool is missing or too old. A run checks once: the
/// commands that need tools all call this, and the tools do not change while zlab runs.
pub fn require(ctx: &RunContext) -> Result<()> {
    // One check per toolchain: `zlab test --matrix` uses several in one run.
    static READY: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let which = ctx.paths.toolchain_suffix();
    if READY.lock().unwrap_or_else(|e| e.into_inner()).contains(&which) {
        return Ok(());
    }
    let remembered = ready::passed_before(ctx);
    let findings = if remembered { inputs(ctx) } else { examine(ctx) };
    let problems: Vec<String> = findings
        .into_iter()
        .filter(|f| !f.ok)
        .map(|f| format!("  {}: found {}, needs {}", f.tool, f.found, f.needed))
        .collect();
    if !problems.is_empty() {
        bail!("the toolchain is not ready:\n{}\n{}; `zlab doctor` shows every tool", problems.join("\n"), advice(ctx));
    }
    if !remembered {
        if let Some(src) = rust_src_dir(ctx) {
            ready::remember(ctx, &src);
        }
    }
    READY.lock().unwrap_or_else(|e| e.into_inner()).push(which);
    Ok(())
}

/// Every finding: each tool asked its version, then the pinned inputs.
pub fn examine(ctx: &RunContext) -> Vec<Finding> {
    let tc = &ctx.tools;
    let mut out = Vec::new();
    let rustc = versioned(&tc.rustc, "rustc");
    let rustc_version = rustc.as_ref().ok().copied();
    out.push(at_least("rustc", &tc.rustc, rustc, minimum::RUSTC));
    out.push(rust_src(ctx, rustc_version));
    out.push(at_least("rustdoc", &tc.rustdoc, versioned(&tc.rustdoc, "rustdoc"), minimum::RUSTC));
    out.push(at_least("bindgen", &tc.bindgen, versioned(&tc.bindgen, "bindgen"), minimum::BINDGEN));
    let libclang_version = libclang_version(tc);
    out.push(libclang(tc, libclang_version));
    out.extend(compilers::findings(tc, libclang_version));
    out.push(present("qemu-system-s390x", &tc.qemu, &["--version"]));
    for tool in ["make", "flex", "bison", "bc"] {
        out.push(present(tool, Path::new(tool), &["--version"]));
    }
    out.extend(inputs(ctx));
    out
}

/// The kernel source and busybox as the pins name them: cheap, so every run looks again.
fn inputs(ctx: &RunContext) -> Vec<Finding> {
    match ctx.pins() {
        Ok(pins) => vec![kernel_source(ctx, pins), busybox(ctx, pins)],
        Err(e) => vec![Finding {
            tool: "kernel/source.toml",
            found: format!("{e:#}"),
            needed: "valid pins".into(),
            ok: false,
        }],
    }
}

/// rust-src's library folder: RUST_LIB_SRC, else the one in rustc's sysroot, if it has `core`.
fn rust_src_dir(ctx: &RunContext) -> Option<std::path::PathBuf> {
    let src = match &ctx.env.rust_lib_src {
        Some(dir) => Some(dir.clone()),
        None => process::stdout_of(Command::new(&ctx.tools.rustc).args(["--print", "sysroot"]))
            .ok()
            .map(|s| Path::new(s.trim()).join("lib/rustlib/src/rust/library")),
    };
    src.filter(|s| s.join("core/src/lib.rs").is_file())
}

/// rust-src must exist in rustc's sysroot (the kernel builds `core` from it) and, where its
/// folder name carries a version (Debian: rustc-1.96.0), match rustc.
fn rust_src(ctx: &RunContext, rustc: Option<Version>) -> Finding {
    let needed = "rust-src of the same rustc".to_string();
    let Some(src) = rust_src_dir(ctx) else {
        return Finding { tool: "rust-src", found: "not found in rustc's sysroot".into(), needed, ok: false };
    };
    let real = fs::canonicalize(&src).unwrap_or(src.clone());
    let src_version = real
        .ancestors()
        .filter_map(|d| d.file_name()?.to_str()?.strip_prefix("rustc-"))
        .find_map(|v| Version::find(v, ""));
    match (src_version, rustc) {
        (Some(s), Some(r)) if s != r => Finding {
            tool: "rust-src",
            found: format!("{s} ({})", real.display()),
            needed: format!("{r}, as rustc"),
            ok: false,
        },
        (Some(s), _) => Finding { tool: "rust-src", found: format!("{s} ({})", real.display()), needed, ok: true },
        (None, _) => Finding { tool: "rust-src", found: format!("present ({})", real.display()), needed, ok: true },
    }
}

fn libclang(tc: &Toolchain, version: Option<Version>) -> Finding {
    let needed = format!(">= {}", minimum::LIBCLANG);
    match version {
        Some(v) => Finding {
            tool: "libclang",
            found: format!("{v} ({})", tc.libclang_dir.display()),
            needed,
            ok: v >= minimum::LIBCLANG,
        },
        None => Finding {
            tool: "libclang",
            found: format!("not loadable by bindgen from {}", tc.libclang_dir.display()),
            needed,
            ok: false,
        },
    }
}

/// The libclang bindgen loads, asked the way the kernel's rust_is_available.sh does: bindgen
/// runs on a header whose only content makes clang report its own version.
fn libclang_version(tc: &Toolchain) -> Option<Version> {
    let dir = std::env::temp_dir().join(format!("zlab-libclang-{}", std::process::id()));
    let header = dir.join("clang_version.h");
    let probe = fs::create_dir_all(&dir)
        .and_then(|_| fs::write(&header, "#pragma message(\"clang version \" __clang_version__)\n"))
        .ok()
        .and_then(|_| Command::new(&tc.bindgen).arg(&header).env("LIBCLANG_PATH", &tc.libclang_dir).output().ok());
    let _ = fs::remove_dir_all(&dir);
    let text = probe.map(|o| format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)));
    text.as_deref().and_then(|t| Version::find(t, "clang version"))
}

/// The kernel source: a tree of the user's own (`ZLAB_KERNEL_SOURCE`) must be clean and have
/// Rust on s390; the source of a prebuilt build (Nix: `ZLAB_KERNEL_BUILD`) must be the pinned
/// release; otherwise the pinned .deb must be there and verified.
fn kernel_source(ctx: &RunContext, pins: &Pins) -> Finding {
    if let Some(dir) = crate::environment::non_empty(&ctx.env.kernel_source) {
        let needed = "a clean Linux tree with Rust on s390 (7.2 or newer)".to_string();
        return match kernel_tree::inspect(&dir) {
            Ok(tree) => {
                let pinned = pins.kernels.iter().any(|k| k.release == tree.release);
                let pinned = if pinned { "a pinned release" } else { "your own tree" };
                Finding {
                    tool: "kernel source",
                    found: format!("Linux {} ({pinned}, {})", tree.release, tree.dir.display()),
                    needed,
                    ok: true,
                }
            }
            Err(e) => Finding { tool: "kernel source", found: format!("{e:#}"), needed, ok: false },
        };
    }
    let given = ctx.env.kernel_build.as_ref().map(|b| b.join("source"));
    let Some(tree) = given else { return pinned_download("kernel source", ctx, &pins.kernel.deb) };
    let needed = format!("Linux {}", pins.kernel.release);
    let found = match kernel_tree::release(&tree) {
        Some(release) => release,
        None => {
            return Finding {
                tool: "kernel source",
                found: format!("no kernel Makefile in {}", tree.display()),
                needed,
                ok: false,
            }
        }
    };
    let ok = found == pins.kernel.release;
    Finding { tool: "kernel source", found: format!("Linux {found} ({})", tree.display()), needed, ok }
}

/// The guest's busybox: given ready-made (`ZLAB_BUSYBOX`), it must be a static s390x program;
/// otherwise the pinned .deb must be there and verified.
fn busybox(ctx: &RunContext, pins: &Pins) -> Finding {
    let Some(path) = &ctx.env.busybox else {
        return pinned_download("busybox (s390x)", ctx, &pins.busybox.deb);
    };
    given_busybox(Path::new(&path))
}

fn given_busybox(path: &Path) -> Finding {
    let program = fs::read(path).unwrap_or_default();
    let (ok, found) = match elf::architecture(&program) {
        Some(Architecture::S390x) => (true, format!("s390x program ({})", path.display())),
        Some(_) => (false, format!("not an s390x program ({})", path.display())),
        None => (false, format!("not found or not a program ({})", path.display())),
    };
    Finding { tool: "busybox (s390x)", found, needed: "a static s390x busybox".into(), ok }
}

fn pinned_download(tool: &'static str, ctx: &RunContext, pin: &crate::inputs::pins::DebPin) -> Finding {
    let needed = format!("{} {} (pinned SHA256)", pin.package, pin.version);
    if downloads::given(&ctx.env, pin).is_none() && !downloads::location(ctx, pin).exists() {
        return Finding { tool, found: "not downloaded".into(), needed, ok: false };
    }
    match downloads::verified(ctx, pin) {
        Ok(path) => Finding { tool, found: format!("verified ({})", path.display()), needed, ok: true },
        Err(e) => Finding { tool, found: format!("{e:#}"), needed, ok: false },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_busybox_must_be_an_s390x_elf() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/elf");
        let s390x = given_busybox(&fixtures.join("answer-42.o"));
        assert!(s390x.ok && s390x.found.starts_with("s390x program"), "{}", s390x.found);
        let host = given_busybox(&std::env::current_exe().unwrap());
        assert!(!host.ok && host.found.starts_with("not an s390x program"), "{}", host.found);
        for not_elf in [fixtures.join("answer.c"), fixtures.join("missing")] {
            let f = given_busybox(&not_elf);
            assert!(!f.ok && f.found.starts_with("not found or not a program"), "{}", f.found);
        }
    }
}
