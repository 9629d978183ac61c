//! The tools zlab drives. In: the environment (Nix's dev shell) or what `zlab setup` installed,
//! and the GCC-or-LLVM choice. Out: each tool's path, the kernel's `make` command line, version
//! numbers read from the tools, and the ELF files they make, read back.

pub mod elf;
pub mod identity;
pub mod newer_rust;
pub mod tools;
pub mod version;
