//! The host made ready and checked. In: the toolchain and the pins. Out: `zlab setup`'s installs
//! and `zlab doctor`'s findings (each with the version found, the one needed and the fix);
//! every stage that builds or boots asks `doctor::require` first.

pub mod compilers;
pub mod doctor;
pub mod install;
pub mod newer_rust;
pub mod probe;
pub mod ready;
