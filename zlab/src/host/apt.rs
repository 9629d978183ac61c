//! Debian packages: the host's mirror (read from /etc/apt, never named in the repository), a
//! private apt configuration for other suites and architectures, and installs on the host.
//! The host's own apt sources are never changed.

use crate::host::process::{self, describe};
use anyhow::{bail, Context, Result};
use fs_err as fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// One `deb` entry of an apt sources file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEntry {
    pub uri: String,
    pub suites: Vec<String>,
}

/// The host's Debian mirror: `ZLAB_DEBIAN_MIRROR`, else the URI of the first `deb` entry in
/// /etc/apt that serves the host's own release (e.g. `bookworm`).
pub fn host_mirror(given: Option<&str>) -> Result<String> {
    if let Some(uri) = given {
        return Ok(uri.to_string());
    }
    let codename = host_codename()?;
    let entries = read_host_sources()?;
    mirror_for(&entries, &codename).with_context(|| {
        format!(
            "no Debian mirror for `{codename}` in /etc/apt/sources.list or /etc/apt/sources.list.d; set ZLAB_DEBIAN_MIRROR to your Debian mirror's URI"
        )
    })
}

pub fn mirror_for(entries: &[SourceEntry], codename: &str) -> Option<String> {
    entries
        .iter()
        .find(|e| e.suites.iter().any(|s| s == codename) && !e.uri.contains("security"))
        .map(|e| e.uri.trim_end_matches('/').to_string())
}

/// The host's Debian architecture (`amd64`), as dpkg names it.
pub fn host_arch() -> Result<String> {
    Ok(process::stdout_of(Command::new("dpkg").arg("--print-architecture"))?.trim().to_string())
}

pub fn host_codename() -> Result<String> {
    let text = fs::read_to_string("/etc/os-release")?;
    os_release_codename(&text)
        .context("/etc/os-release has no VERSION_CODENAME: zlab setup supports Debian (12 and later)")
}

fn os_release_codename(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|v| v.trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
}

fn read_host_sources() -> Result<Vec<SourceEntry>> {
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(dir) = fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        more.sort();
        files.extend(more);
    }
    let mut entries = Vec::new();
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else { continue };
        match file.extension().and_then(|e| e.to_str()) {
            Some("sources") => entries.extend(parse_deb822(&text)),
            Some("list") => entries.extend(parse_one_line(&text)),
            _ => {}
        }
    }
    Ok(entries)
}

/// `deb [options] uri suite components...` lines.
pub fn parse_one_line(text: &str) -> Vec<SourceEntry> {
    text.lines()
        .filter_map(|line| {
            let line = line.split('#').next()?.trim();
            let rest = line.strip_prefix("deb ")?.trim_start();
            let rest = match rest.strip_prefix('[') {
                Some(opts) => opts.split_once(']')?.1,
                None => rest,
            };
            let mut words = rest.split_whitespace();
            let uri = words.next()?.to_string();
            let suite = words.next()?.to_string();
            Some(SourceEntry { uri, suites: vec![suite] })
        })
        .collect()
}

/// deb822 stanzas (`Types:`, `URIs:`, `Suites:`), one entry per URI.
pub fn parse_deb822(text: &str) -> Vec<SourceEntry> {
    let mut entries = Vec::new();
    for stanza in text.split("\n\n") {
        let field = |name: &str| -> Vec<String> {
            stanza
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(':')))
                .map(|v| v.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default()
        };
        if !field("Types").iter().any(|t| t == "deb") || field("Enabled").iter().any(|v| v == "no") {
            continue;
        }
        let suites = field("Suites");
        entries.extend(field("URIs").into_iter().map(|uri| SourceEntry { uri, suites: suites.clone() }));
    }
    entries
}

/// An apt configuration of zlab's own under `dir`: its own sources list, package lists and
/// cache, and no view of the host's dpkg state, so it can list other suites and architectures.
pub struct PrivateApt {
    dir: PathBuf,
}

impl PrivateApt {
    /// `suites` are (suite, architecture) pairs served from `mirror`.
    pub fn create(dir: &Path, mirror: &str, suites: &[(&str, &str)]) -> Result<PrivateApt> {
        for sub in ["lists/partial", "cache/archives/partial", "sources.list.d", "preferences.d"] {
            fs::create_dir_all(dir.join(sub))?;
        }
        let mut list = String::new();
        for (suite, arch) in suites {
            list.push_str(&format!("deb [arch={arch} signed-by={KEYRING}] {mirror} {suite} main\n"));
        }
        fs::write(dir.join("sources.list"), list)?;
        Ok(PrivateApt { dir: dir.to_path_buf() })
    }

    fn command(&self, archs: &[&str]) -> Command {
        let d = |sub: &str| self.dir.join(sub).display().to_string();
        let mut cmd = Command::new("apt-get");
        let mut opts = vec![
            format!("Dir::Etc::SourceList={}", d("sources.list")),
            format!("Dir::Etc::SourceParts={}", d("sources.list.d")),
            format!("Dir::Etc::PreferencesParts={}", d("preferences.d")),
            format!("Dir::Etc::Preferences={}", d("preferences")),
            format!("Dir::State::Lists={}", d("lists")),
            format!("Dir::Cache={}", d("cache")),
            "Dir::State::status=/dev/null".to_string(),
            "APT::Sandbox::User=root".to_string(),
        ];
        opts.extend(archs.iter().map(|a| format!("APT::Architectures::={a}")));
        for opt in opts {
            cmd.arg("-o").arg(opt);
        }
        cmd.arg("-q");
        cmd
    }

    pub fn update(&self, archs: &[&str]) -> Result<()> {
        let mut cmd = self.command(archs);
        // A mirror that cannot be reached is an error, not a warning over stale or empty lists.
        cmd.args(["update", "--error-on=any"]);
        process::stdout_of(&mut cmd).map(drop).context("updating zlab's private package lists")
    }

    /// Downloads `spec` (`package:arch=version`) into `dest`, returning the file's path.
    pub fn download(&self, archs: &[&str], spec: &str, file_name: &str, dest: &Path) -> Result<PathBuf> {
        let mut cmd = self.command(archs);
        cmd.arg("download").arg(spec).current_dir(dest);
        let what = describe(&cmd);
        process::stdout_of(&mut cmd).with_context(|| {
            format!("downloading {spec} failed (`{what}`); if the version is gone from the mirror, the pin in kernel/source.toml needs updating")
        })?;
        // apt names the file with the epoch's colon escaped as %3a.
        let escaped = dest.join(file_name_from_spec(spec));
        let plain = dest.join(file_name);
        if escaped != plain && escaped.exists() {
            fs::rename(&escaped, &plain)?;
        }
        if !plain.exists() {
            bail!("apt-get download {spec} reported success but {} is not there", plain.display());
        }
        Ok(plain)
    }
}

fn file_name_from_spec(spec: &str) -> String {
    let (name_arch, version) = spec.split_once('=').unwrap_or((spec, ""));
    let (name, arch) = name_arch.split_once(':').unwrap_or((name_arch, ""));
    format!("{name}_{}_{arch}.deb", version.replace(':', "%3a"))
}

/// Installs host packages with the host's own apt configuration. `backports`, when given, adds
/// that suite from the host's mirror (or `mirror`) for this call only, and installs `packages` from it.
pub fn install_on_host(packages: &[&str], backports: Option<(&Path, &str)>, mirror: Option<&str>) -> Result<()> {
    let mut cmd = Command::new("apt-get");
    if let Some((dir, suite)) = backports {
        let mirror = host_mirror(mirror)?;
        fs::create_dir_all(dir.join("lists/partial"))?;
        fs::write(dir.join("sources.list"), format!("deb [signed-by={KEYRING}] {mirror} {suite} main\n"))?;
        let opts = [
            format!("Dir::Etc::SourceList={}", dir.join("sources.list").display()),
            format!("Dir::State::Lists={}", dir.join("lists").display()),
        ];
        let mut update = Command::new("apt-get");
        for o in &opts {
            update.arg("-o").arg(o);
            cmd.arg("-o").arg(o);
        }
        update.args(["-q", "update"]);
        process::stdout_of(&mut update).context("reading the backports package lists")?;
        cmd.args(["-t", suite]);
    }
    cmd.env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(packages);
    process::run(&mut cmd).context("installing Debian packages (zlab setup must run as root)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb822_entries_with_suites() {
        let text = "Types: deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\nTypes: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n";
        let entries = parse_deb822(text);
        assert_eq!(entries.len(), 2);
        assert_eq!(mirror_for(&entries, "bookworm").as_deref(), Some("http://mirror.example/debian"));
    }

    #[test]
    fn one_line_entries_with_options_and_comments() {
        let text = "# deb http://old.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian/ bookworm main contrib\ndeb http://m.example/debian-security bookworm-security main\n";
        let entries = parse_one_line(text);
        assert_eq!(entries.len(), 2);
        assert_eq!(mirror_for(&entries, "bookworm").as_deref(), Some("http://m.example/debian"));
    }

    #[test]
    fn security_only_hosts_have_no_mirror() {
        let entries = parse_one_line("deb http://security.example/debian-security bookworm main\n");
        assert_eq!(mirror_for(&entries, "bookworm"), None);
    }

    #[test]
    fn codename_from_os_release() {
        assert_eq!(os_release_codename("NAME=\"Debian\"\nVERSION_CODENAME=bookworm\n").as_deref(), Some("bookworm"));
        assert_eq!(os_release_codename("NAME=x\n"), None);
    }

    #[test]
    fn apt_file_names_escape_the_epoch() {
        assert_eq!(file_name_from_spec("pkg:s390x=1:2.0-1"), "pkg_1%3a2.0-1_s390x.deb");
    }
}
