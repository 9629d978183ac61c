//! `zlab test`. In: the checks asked for, the kernel and the toolchain (or every one, with
//! `--matrix`). Out: a verdict per check, where its time went (phases), and the summary table.
//! And `zlab parse`: the same verdict on a console saved elsewhere; `zlab watch`: `zlab test`
//! again on every save.

pub mod matrix;
pub mod median;
pub mod parse;
pub mod phases;
pub mod pool;
pub mod resume;
pub mod runner;
pub mod watch;
