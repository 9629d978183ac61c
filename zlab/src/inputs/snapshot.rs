//! snapshot.debian.org, where a pinned .deb is still found after the mirror has dropped it
//! (superseded backports and binNMUs go within weeks). Its by-hash form, `/file/<sha1>`, needs
//! no time stamp; the bytes are checked against the pin's SHA256 like a mirror's.

use crate::environment::Environment;
use crate::host::process;
use crate::inputs::pins::DebPin;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;

/// Where the snapshot archive is: `ZLAB_SNAPSHOT_URL`, else the public one.
pub const VARIABLE: &str = "ZLAB_SNAPSHOT_URL";
pub const DEFAULT_BASE: &str = "https://snapshot.debian.org";

/// apt's own downloader, in Debian's `apt` package: every Debian host has it, and it honours
/// the host's apt proxy settings as `apt-get` does.
const APT_HELPER: &str = "/usr/lib/apt/apt-helper";

/// The snapshot archive's base URL.
pub fn base(env: &Environment) -> String {
    base_from(env.snapshot_url.clone())
}

fn base_from(variable: Option<String>) -> String {
    variable.filter(|v| !v.is_empty()).unwrap_or_else(|| DEFAULT_BASE.to_string())
}

/// The pin's .deb on the snapshot archive at `base`.
pub fn url(base: &str, pin: &DebPin) -> String {
    format!("{}/file/{}", base.trim_end_matches('/'), pin.sha1)
}

/// Downloads `url` to `target` (a new file) with apt-helper.
pub fn download(url: &str, target: &Path) -> Result<()> {
    let mut cmd = Command::new(APT_HELPER);
    // Like zlab's private apt: no switch to the _apt user, who cannot write into a home folder.
    cmd.args(["-o", "APT::Sandbox::User=root", "download-file", url]).arg(target);
    process::stdout_of(&mut cmd).map(drop).with_context(|| format!("downloading {url}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin() -> DebPin {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../kernel/source.toml")).unwrap();
        crate::inputs::pins::Pins::parse(&text).unwrap().busybox.deb
    }

    #[test]
    fn the_url_names_the_file_by_its_sha1() {
        let pin = pin();
        assert_eq!(url(DEFAULT_BASE, &pin), format!("https://snapshot.debian.org/file/{}", pin.sha1));
    }

    #[test]
    fn the_variable_overrides_the_base_unless_empty() {
        assert_eq!(base_from(None), DEFAULT_BASE);
        assert_eq!(base_from(Some(String::new())), DEFAULT_BASE);
        assert_eq!(base_from(Some("http://127.0.0.1:8000".into())), "http://127.0.0.1:8000");
    }

    #[test]
    fn a_base_with_a_trailing_slash_or_a_path_is_joined_once() {
        let pin = pin();
        assert_eq!(url("http://127.0.0.1:8000/", &pin), format!("http://127.0.0.1:8000/file/{}", pin.sha1));
        assert_eq!(url("http://m.example/snap//", &pin), format!("http://m.example/snap/file/{}", pin.sha1));
    }
}
