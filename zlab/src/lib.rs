//! zlab: build, boot and test Rust Linux kernel code for IBM Z (s390x) in QEMU.
//!
//! The folders follow the pipeline, one stage each, data flowing down:
//!
//! ```text
//! inputs   kernel/source.toml, variants, fragments, checks/*.toml  → verified .debs, source tree, configs
//! build    source tree + config + toolchain                        → kernel build dir, modules (.ko)
//! guest    kernel + modules + a check                              → initramfs, a QEMU boot, its console
//! judge    console + QEMU's exit                                    → verdict (KTAP results, faults)
//! run      the checks asked for                                     → one verdict each, phases, summary
//! report   the verdicts                                             → JSON, JUnit
//! ```
//!
//! Beside the pipeline: `ui` (what the user sees), `host` (where files live, running tools),
//! `toolchain` (which tools and what they say of themselves), `setup` (installing and checking
//! them), `repro` (two builds compared) and `bench` (the loop measured). `cli` is the command
//! line and `commands` the glue between it and the stages.

pub mod bench;
pub mod build;
pub mod cli;
pub mod commands;
pub mod guest;
pub mod host;
pub mod inputs;
pub mod judge;
pub mod report;
pub mod repro;
pub mod run;
pub mod setup;
pub mod toolchain;
pub mod ui;
