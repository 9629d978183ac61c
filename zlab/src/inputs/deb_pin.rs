//! One pinned Debian binary package: what names it, what checks it, and the forms apt wants.

use anyhow::{bail, Result};

/// A Debian binary package pinned by version and SHA256. Its SHA1 only names the file on
/// snapshot.debian.org; the SHA256 is what every copy is checked against.
#[derive(Debug, Clone, PartialEq)]
pub struct DebPin {
    pub package: String,
    pub version: String,
    pub suite: String,
    pub arch: String,
    pub pool: String,
    pub sha256: String,
    pub sha1: String,
    /// The variable that may point at a copy zlab did not download; only the chosen kernel's
    /// pin has one, so ZLAB_KERNEL_DEB is never checked against another series.
    pub given_by: Option<GivenBy>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GivenBy {
    KernelDeb,
    BusyboxDeb,
}

impl GivenBy {
    pub fn variable(self) -> &'static str {
        match self {
            GivenBy::KernelDeb => "ZLAB_KERNEL_DEB",
            GivenBy::BusyboxDeb => "ZLAB_BUSYBOX_DEB",
        }
    }
}

impl DebPin {
    pub fn validate(&self) -> Result<()> {
        for (key, value, digits) in [("sha256", &self.sha256, 64), ("sha1", &self.sha1, 40)] {
            if value.len() != digits || !value.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
                bail!("pin {}: {key} must be {digits} lowercase hex digits, found {value:?}", self.package);
            }
        }
        if !self.pool.starts_with("pool/") || !self.pool.ends_with(".deb") {
            bail!("pin {}: pool must be a path like pool/main/…/name.deb, found {:?}", self.package, self.pool);
        }
        Ok(())
    }

    /// The file name apt gives the download (the pool path's last component).
    pub fn file_name(&self) -> &str {
        self.pool.rsplit('/').next().unwrap_or(&self.pool)
    }

    /// `package:arch=version`, the form `apt-get download` takes.
    pub fn apt_spec(&self) -> String {
        format!("{}:{}={}", self.package, self.arch, self.version)
    }
}
