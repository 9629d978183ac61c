//! Results for machines. In: the run's verdicts. Out: `--json` on stdout and `--junit FILE`.

pub mod json;
pub mod junit;
