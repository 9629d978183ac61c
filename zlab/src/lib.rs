//! zlab: build, boot and test Rust Linux kernel code for IBM Z (s390x) in QEMU.

pub mod apt;
pub mod build;
pub mod check;
pub mod cli;
pub mod commands;
pub mod console_faults;
pub mod doctor;
pub mod downloads;
pub mod guest;
pub mod initramfs;
pub mod kconfig;
pub mod ktap;
pub mod lock;
pub mod modules;
pub mod paths;
pub mod pins;
pub mod process;
pub mod qemu;
pub mod runner;
pub mod session;
pub mod setup;
pub mod source;
pub mod toolchain;
pub mod variants;
pub mod verdict;
pub mod version;
