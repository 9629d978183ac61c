//! What zlab and the project pin and ask for. In: kernel/source.toml, kernel/variants.toml and
//! kernel/configs/*.config (as zlab ships them, or the project's own) and checks/*.toml. Out: verified .debs (fetched when missing), the
//! unpacked kernel source, a variant's merged configuration and each check as data.

pub mod check;
pub mod deb_pin;
pub mod downloads;
pub mod kconfig;
pub mod kernel_tree;
pub mod kernel_version;
pub mod pins;
pub mod rust_pins;
pub mod shipped;
pub mod snapshot;
pub mod source;
pub mod variants;
