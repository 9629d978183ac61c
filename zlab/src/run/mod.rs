//! `zlab test`. In: the checks asked for and the toolchain (or both, with `--matrix`). Out: a
//! verdict per check, where its time went (phases), and the summary table.

pub mod matrix;
pub mod median;
pub mod phases;
pub mod runner;
