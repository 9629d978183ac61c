//! The C side of the chosen toolchain, held to what Linux 7.3 documents for s390: GCC >= 8.1
//! with binutils >= 2.30 (scripts/min-tool-version.sh), or for `LLVM=1` clang >= 18.1 with
//! ld.lld and the llvm-* tools (Documentation/kbuild/llvm.rst). With clang, bindgen's libclang
//! must be clang's exact version: scripts/rust_is_available.sh warns otherwise, because the
//! bindings would then describe C as another compiler sees it.

use crate::setup::probe::{at_least, present, version_output, Finding};
use crate::toolchain::tools::{minimum, Compiler, Toolchain, LLVM_TOOLS};
use crate::toolchain::version::Version;
use std::path::Path;

pub fn findings(tc: &Toolchain, libclang: Option<Version>) -> Vec<Finding> {
    match tc.compiler {
        Compiler::Gcc => {
            let gcc = tc.cross_tool("gcc");
            let ld = tc.cross_tool("ld");
            let (gcc, ld) = (Path::new(&gcc), Path::new(&ld));
            vec![
                at_least("s390x gcc", gcc, version_after(gcc, "gcc"), minimum::GCC),
                at_least("s390x binutils (ld)", ld, version_after(ld, "Binutils"), minimum::BINUTILS),
            ]
        }
        Compiler::Llvm => {
            let mut out = vec![clang(tc)];
            for tool in &LLVM_TOOLS[1..] {
                out.push(present(tool, &tc.llvm_tool(tool), &["--version"]));
            }
            out.push(libclang_matches_clang(clang_version(tc).ok(), libclang));
            out
        }
    }
}

/// clang for `LLVM=1` on s390, wherever `tc`'s `LLVM=` value finds it (whichever toolchain is chosen).
pub fn clang(tc: &Toolchain) -> Finding {
    at_least("clang", &tc.llvm_tool("clang"), clang_version(tc), minimum::LLVM_S390)
}

fn clang_version(tc: &Toolchain) -> Result<Version, String> {
    version_after(&tc.llvm_tool("clang"), "clang version")
}

/// What is worth knowing about the toolchain but never a failure.
pub fn notes(tc: &Toolchain) -> Vec<String> {
    let mut out = vec![format!(
        "toolchain: {} (`zlab --toolchain gcc|llvm` or ZLAB_TOOLCHAIN chooses; each has its own build dirs)",
        match tc.compiler {
            Compiler::Gcc => format!("gcc, CROSS_COMPILE={}", tc.cross_compile),
            Compiler::Llvm => format!("llvm, make LLVM={}", tc.llvm),
        }
    )];
    let verbose = version_output(&tc.rustc, &["-vV"]).unwrap_or_default();
    out.push(format!("rustc in use: {}", rustc_kind(&verbose)));
    if tc.compiler == Compiler::Llvm {
        let rustc_llvm = Version::find(&verbose, "LLVM version:");
        let clang = clang_version(tc).ok();
        if let (Some(r), Some(c)) = (rustc_llvm, clang) {
            out.push(llvm_majors(r, c));
        }
    }
    out
}

/// Which rustc this is, from `rustc -vV`: the kernel's s390 floor, a newer stable, or a nightly.
pub fn rustc_kind(verbose: &str) -> String {
    let field = |name: &str| verbose.lines().find_map(|l| l.strip_prefix(name)).map(str::trim);
    let (Some(release), Some(version)) = (field("release:"), Version::find(verbose, "release:")) else {
        return "unknown (rustc -vV printed no release)".into();
    };
    let date = field("commit-date:").unwrap_or("unknown date");
    if release.contains("nightly") {
        format!("{release} from {date}, a nightly (the Nix path pins one in kernel/rust-toolchain.toml)")
    } else if version == minimum::RUSTC {
        format!("{release}, the kernel's minimum for Rust on s390 (Debian's rustc-web; the flake's floor shell)")
    } else {
        format!("{release}, a stable release above the kernel's minimum {}", minimum::RUSTC)
    }
}

/// init/Kconfig's RUSTC_CLANG_LLVM_COMPATIBLE: equal LLVM majors matter only where LLVM IR
/// crosses between the languages, which no s390 option does in Linux 7.3.
pub fn llvm_majors(rustc: Version, clang: Version) -> String {
    if rustc.0 == clang.0 {
        format!("rustc and clang share LLVM {}: cross-language LTO would be possible", rustc.0)
    } else {
        format!(
            "rustc uses LLVM {rustc}, clang is {clang}: fine for s390; only cross-language LTO and \
RUST_INLINE_HELPERS (arm64/x86_64) need the same major (RUSTC_CLANG_LLVM_COMPATIBLE)"
        )
    }
}

fn libclang_matches_clang(clang: Option<Version>, libclang: Option<Version>) -> Finding {
    let needed = "the version of clang (scripts/rust_is_available.sh)".to_string();
    let (found, ok) = match (clang, libclang) {
        (Some(c), Some(l)) => (format!("libclang {l}, clang {c}"), c == l),
        _ => ("unknown: clang or libclang missing (above)".to_string(), false),
    };
    Finding { tool: "libclang = clang", found, needed, ok }
}

fn version_after(tool: &Path, word: &str) -> Result<Version, String> {
    let text = version_output(tool, &["--version"]).ok_or_else(|| format!("not found ({})", tool.display()))?;
    Version::find(&text, word).ok_or_else(|| format!("unreadable version: {}", text.lines().next().unwrap_or("")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustc_kinds_are_told_apart() {
        let floor =
            "rustc 1.96.0 (ac68faa20 2026-05-25)\nrelease: 1.96.0\ncommit-date: 2026-05-25\nLLVM version: 22.1.8\n";
        assert!(rustc_kind(floor).contains("the kernel's minimum"), "{}", rustc_kind(floor));
        let nightly = "rustc 1.98.0-nightly (abc 2026-08-21)\nrelease: 1.98.0-nightly\ncommit-date: 2026-08-21\n";
        assert!(rustc_kind(nightly).starts_with("1.98.0-nightly from 2026-08-21, a nightly"));
        let stable = "release: 1.97.1\n";
        assert!(rustc_kind(stable).contains("above the kernel's minimum 1.96.0"));
        assert!(rustc_kind("garbage").starts_with("unknown"));
    }

    #[test]
    fn libclang_must_be_clangs_exact_version() {
        assert!(libclang_matches_clang(Some(Version(19, 1, 7)), Some(Version(19, 1, 7))).ok);
        assert!(!libclang_matches_clang(Some(Version(19, 1, 7)), Some(Version(19, 1, 6))).ok);
        assert!(!libclang_matches_clang(None, Some(Version(19, 1, 7))).ok);
    }

    #[test]
    fn different_llvm_majors_are_explained_not_refused() {
        assert!(llvm_majors(Version(22, 1, 8), Version(19, 1, 7)).contains("fine for s390"));
        assert!(llvm_majors(Version(19, 1, 0), Version(19, 1, 7)).contains("share LLVM 19"));
    }
}
