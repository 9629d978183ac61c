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
//! Before the pipeline: `environment` (every variable zlab reads, declared once), `ui` (what the
//! user sees), `host` (where files live, running tools), `toolchain` (which tools, and what they
//! say of themselves), `context` (one run's environment, paths, tools and pins, built once in
//! main and passed down) and `setup` (the tools installed and checked). After it: `repro` (two
//! builds compared) and `bench` (the loop measured). `cli` is the command line and `commands`
//! the glue between it and the stages.

pub mod environment;
pub mod ui;
pub mod host;
pub mod toolchain;
pub mod context;
pub mod setup;
pub mod inputs;
pub mod build;
pub mod guest;
pub mod judge;
pub mod run;
pub mod report;
pub mod repro;
pub mod bench;
pub mod cli;
pub mod commands;
