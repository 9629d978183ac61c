//! `zlab repro`. In: the checks' kernel build and a clean build of the same pins. Out: each
//! file's hash side by side and, where they differ, which ELF sections.

pub mod compare;
pub mod rebuild;
