//! Compiling. In: the unpacked source, a variant's configuration, the toolchain. Out: a kernel
//! build dir outside git (with a stamp saying whether it is current), the modules/ built
//! against it, rust-project.json for editors, and new modules and projects from templates.

pub mod kbuild_path;
pub mod kernel;
pub mod modules;
pub mod new_project;
pub mod progress;
pub mod rust_analyzer;
pub mod scaffold;
pub mod seed;
pub mod source_files;
pub mod stamp;
