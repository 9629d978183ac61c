//! What the repository pins and asks for. In: kernel/source.toml, kernel/variants.toml,
//! kernel/configs/*.config and checks/*.toml. Out: verified .debs (fetched when missing), the
//! unpacked kernel source, a variant's merged configuration and each check as data.

pub mod check;
pub mod downloads;
pub mod kconfig;
pub mod pins;
pub mod snapshot;
pub mod source;
pub mod variants;
