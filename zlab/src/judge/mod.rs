//! The verdict on one boot. In: the console log, QEMU's exit and the check's expectations. Out:
//! pass or fail with the reason: KTAP results parsed, kernel faults found, init's markers read.

pub mod console_faults;
pub mod decode;
pub mod detectors;
pub mod frames;
pub mod ktap;
pub mod verdict;
