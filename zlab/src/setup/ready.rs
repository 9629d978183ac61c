//! That this toolchain passed doctor's tool checks, remembered, so a run need not ask fifteen
//! tools their versions again: that took 0.3–0.5 s of every `zlab test`, most of zlab's own
//! share of the edit → verdict loop. The record is keyed by the path, size and modification
//! time of every tool binary and of zlab itself, as cargo keys its cache of `rustc -vV`: an
//! upgrade, a removal, another choice of tool or a rebuilt zlab asks again. rust-src is a
//! folder, not a binary: the record names it and each run looks that it is still there.
//! `zlab doctor` always asks every tool.

use crate::context::RunContext;
use crate::toolchain::identity::identity;
use fs_err as fs;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// True when this toolchain, as it is now, passed before.
pub fn passed_before(ctx: &RunContext) -> bool {
    let Ok(record) = fs::read_to_string(record_path(ctx)) else { return false };
    let mut lines = record.lines();
    lines.next() == Some(key(ctx).as_str())
        && lines.next().is_some_and(|src| Path::new(src).join("core/src/lib.rs").is_file())
}

/// Records a pass. A record that cannot be written only means the tools are asked next time.
pub fn remember(ctx: &RunContext, rust_src: &Path) {
    let file = record_path(ctx);
    let written = file
        .parent()
        .map_or(Ok(()), |dir| Ok(fs::create_dir_all(dir)?))
        .and_then(|_| crate::host::temp::write(&file, format!("{}\n{}\n", key(ctx), rust_src.display())));
    if let Err(e) = written {
        crate::note!("zlab: could not remember that the tools passed ({e:#}); they are asked again next run");
    }
}

fn record_path(ctx: &RunContext) -> PathBuf {
    ctx.paths.tools_root().join(format!("doctor-passed{}", ctx.paths.toolchain_suffix()))
}

fn key(ctx: &RunContext) -> String {
    let tc = &ctx.tools;
    let mut h = Sha256::new();
    let mut add = |value: &str| {
        h.update(value.as_bytes());
        h.update([0]);
    };
    add(tc.compiler.name());
    if tc.compiler == crate::toolchain::tools::Compiler::Llvm {
        add(&tc.llvm);
    }
    add(&tc.cross_compile);
    add(&format!("{:?}", ctx.env.rust_lib_src));
    let mut tools = tc.kernel_build_tools();
    tools.push(tc.qemu.clone());
    tools.extend(["make", "flex", "bison", "bc"].map(PathBuf::from));
    tools.extend(std::env::current_exe().ok());
    for tool in tools {
        add(&identity(&tool));
    }
    crate::inputs::pins::hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environment::Environment;
    use crate::toolchain::tools::Compiler;

    #[test]
    fn a_pass_holds_for_the_tools_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let rustc = dir.path().join("rustc");
        std::fs::write(&rustc, "#!/bin/sh\n").unwrap();
        let src = dir.path().join("rust-src/library");
        std::fs::create_dir_all(src.join("core/src")).unwrap();
        std::fs::write(src.join("core/src/lib.rs"), "").unwrap();
        let env =
            Environment { home: Some(dir.path().join("home")), rustc: Some(rustc.clone()), ..Environment::default() };
        let ctx = RunContext::new(env.clone(), Compiler::Gcc, None).unwrap();
        assert!(!passed_before(&ctx), "nothing was remembered yet");
        remember(&ctx, &src);
        assert!(passed_before(&ctx));
        assert!(!passed_before(&RunContext::new(env.clone(), Compiler::Llvm, None).unwrap()), "one pass per toolchain");

        std::fs::write(&rustc, "#!/bin/sh\n# another rustc at the same path\n").unwrap();
        assert!(!passed_before(&ctx), "a rustc replaced in place went unnoticed");
        remember(&ctx, &src);
        std::fs::remove_file(src.join("core/src/lib.rs")).unwrap();
        assert!(!passed_before(&ctx), "rust-src removed went unnoticed");
        std::fs::write(src.join("core/src/lib.rs"), "").unwrap();
        assert!(passed_before(&ctx));
        let other = Environment { bindgen: Some(dir.path().join("other-bindgen")), ..env };
        assert!(!passed_before(&RunContext::new(other, Compiler::Gcc, None).unwrap()), "another tool chosen");
    }
}
