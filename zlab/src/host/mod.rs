//! The machine zlab runs on. In: the project (zlab.toml), `ZLAB_HOME` and the host's apt configuration.
//! Out: where each file lives, external tools run with errors that say what to do, one zlab at a
//! time per folder, files that appear whole or not at all, and Debian packages fetched, installed
//! or read.

pub mod apt;
pub mod deb;
pub mod lock;
pub mod os_release;
pub mod paths;
pub mod process;
pub mod project;
pub mod temp;
