//! Which host this is, from /etc/os-release (os-release(5)): `zlab setup` installs each Debian
//! release's own packages, and refuses a host it has no list for before installing anything.

use anyhow::{bail, Result};
use fs_err as fs;

/// The Debian releases `zlab setup` knows the packages of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Debian {
    /// Debian 12: rustc-web 1.96 from its security suite, QEMU from bookworm-backports, and
    /// bindgen built with cargo (its own bindgen is 0.60).
    Bookworm,
    /// Debian 13: rustc-web 1.96, and bindgen 0.71.1 (the kernel's minimum) as a package.
    Trixie,
}

impl Debian {
    pub fn name(self) -> &'static str {
        match self {
            Debian::Bookworm => "Debian 12 (bookworm)",
            Debian::Trixie => "Debian 13 (trixie)",
        }
    }
}

/// This host's release; an error naming what it is and what to do instead on any other.
pub fn host() -> Result<Debian> {
    // os-release(5): /etc/os-release, else /usr/lib/os-release.
    let text = fs::read_to_string("/etc/os-release").or_else(|_| fs::read_to_string("/usr/lib/os-release"));
    let Ok(text) = text else { bail!("{}", unsupported("a system without /etc/os-release")) };
    supported(&text).map_err(|what| anyhow::anyhow!("{}", unsupported(&what)))
}

fn unsupported(what: &str) -> String {
    format!(
        "zlab setup installs the packages of Debian 12 (bookworm) and Debian 13 (trixie); this host is {what}, \
so it installed nothing. Everywhere else the Nix flake gives the same tools: `nix develop` in this clone \
(README: \"The Nix path in detail\")"
    )
}

/// The release an os-release file describes, or what it describes when zlab has no packages
/// for it (Debian testing and unstable have no VERSION_ID; Ubuntu is ID=ubuntu, ID_LIKE=debian).
pub fn supported(text: &str) -> Result<Debian, String> {
    let field = |key: &str| {
        text.lines()
            .filter_map(|l| l.trim().split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
    };
    let pretty = field("PRETTY_NAME").or_else(|| field("NAME")).unwrap_or_else(|| "an unnamed system".into());
    match (field("ID").as_deref(), field("VERSION_ID").as_deref()) {
        (Some("debian"), Some("12")) => Ok(Debian::Bookworm),
        (Some("debian"), Some("13")) => Ok(Debian::Trixie),
        _ => Err(pretty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The os-release files of the releases named, as those releases ship them (trimmed to the
    /// fields read).
    const BOOKWORM: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n";
    const TRIXIE: &str = "PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"13\"\nVERSION_CODENAME=trixie\nID=debian\n";
    const SID: &str =
        "PRETTY_NAME=\"Debian GNU/Linux forky/sid\"\nNAME=\"Debian GNU/Linux\"\nVERSION_CODENAME=forky\nID=debian\n";
    const BULLSEYE: &str = "PRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\nVERSION_ID=\"11\"\nID=debian\n";
    const UBUNTU: &str =
        "PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nID=ubuntu\nID_LIKE=debian\n";
    const FEDORA: &str =
        "NAME=\"Fedora Linux\"\nVERSION_ID=41\nID=fedora\nPRETTY_NAME=\"Fedora Linux 41 (Workstation Edition)\"\n";

    #[test]
    fn debian_12_and_13_are_known() {
        assert_eq!(supported(BOOKWORM), Ok(Debian::Bookworm));
        assert_eq!(supported(TRIXIE), Ok(Debian::Trixie));
    }

    #[test]
    fn every_other_host_is_named_as_it_names_itself() {
        assert_eq!(supported(SID).unwrap_err(), "Debian GNU/Linux forky/sid");
        assert_eq!(supported(BULLSEYE).unwrap_err(), "Debian GNU/Linux 11 (bullseye)");
        assert_eq!(supported(UBUNTU).unwrap_err(), "Ubuntu 24.04.1 LTS");
        assert_eq!(supported(FEDORA).unwrap_err(), "Fedora Linux 41 (Workstation Edition)");
        assert_eq!(supported("").unwrap_err(), "an unnamed system");
        let message = unsupported("Ubuntu 24.04.1 LTS");
        assert!(message.contains("this host is Ubuntu 24.04.1 LTS, so it installed nothing"), "{message}");
        assert!(message.contains("`nix develop`"), "{message}");
    }
}
