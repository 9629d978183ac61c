//! Kconfig fragments: reading them, merging them, and checking that the final .config has every
//! value they ask for — Kconfig drops a symbol silently when its dependencies are not met.

use anyhow::{bail, Result};
use fs_err as fs;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One `CONFIG_X=value` or `# CONFIG_X is not set` line of a fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub symbol: String,
    /// `y`, `m`, `n`, a number or a quoted string, as .config writes it.
    pub value: String,
    pub origin: String,
}

pub fn parse_fragment(name: &str, text: &str) -> Result<Vec<Setting>> {
    let mut settings = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let origin = format!("{name}:{}", index + 1);
        if let Some((symbol, value)) = parse_line(line) {
            if !symbol.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') || symbol.is_empty() {
                bail!("{origin}: `{line}` names no valid Kconfig symbol");
            }
            settings.push(Setting { symbol, value, origin });
        } else if !(line.is_empty() || line.starts_with('#')) {
            bail!("{origin}: `{line}` is not `CONFIG_NAME=value` or `# CONFIG_NAME is not set`");
        }
    }
    Ok(settings)
}

fn parse_line(line: &str) -> Option<(String, String)> {
    if let Some(rest) = line.strip_prefix("# CONFIG_") {
        let symbol = rest.strip_suffix(" is not set")?;
        return Some((symbol.to_string(), "n".to_string()));
    }
    let (symbol, value) = line.strip_prefix("CONFIG_")?.split_once('=')?;
    Some((symbol.to_string(), value.to_string()))
}

/// A .config as symbol → value; `# CONFIG_X is not set` reads as `n`.
pub fn parse_config(text: &str) -> HashMap<String, String> {
    text.lines().filter_map(|l| parse_line(l.trim())).collect()
}

/// What the last fragment that names a symbol asks for it (later fragments override earlier).
pub fn effective(settings: &[Setting]) -> Vec<&Setting> {
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, s) in settings.iter().enumerate() {
        last.insert(&s.symbol, i);
    }
    settings.iter().enumerate().filter(|(i, s)| last[s.symbol.as_str()] == *i).map(|(_, s)| s).collect()
}

#[derive(Debug)]
pub struct Mismatch {
    pub setting: Setting,
    pub found: Option<String>,
    pub why: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let found = match &self.found {
            Some(v) => format!("is {v}"),
            None => "does not have it".to_string(),
        };
        write!(
            f,
            "CONFIG_{} ({}) asks for {} but the final .config {found}: {}",
            self.setting.symbol, self.setting.origin, self.setting.value, self.why
        )
    }
}

/// Each asked-for value the final .config does not have, with the likely reason. `source` is the
/// kernel tree, searched for the symbol's definition.
pub fn verify(wanted: &[&Setting], config: &HashMap<String, String>, source: &Path) -> Vec<Mismatch> {
    wanted
        .iter()
        .filter_map(|s| {
            let found = config.get(&s.symbol).cloned();
            let same = match &found {
                Some(v) => v == &s.value,
                None => s.value == "n",
            };
            (!same).then(|| Mismatch { setting: (*s).clone(), why: explain(&s.symbol, config, source), found })
        })
        .collect()
}

fn explain(symbol: &str, config: &HashMap<String, String>, source: &Path) -> String {
    if symbol == "RUST" && config.get("EXPOLINE").is_some_and(|v| v == "y") {
        return "Rust on s390 needs CONFIG_EXPOLINE off (arch/s390/Kconfig: `select HAVE_RUST if !EXPOLINE`); add `# CONFIG_EXPOLINE is not set`".into();
    }
    if symbol == "RUST" {
        return "Kconfig turned Rust off: `make rustavailable` in the build dir tells why".into();
    }
    match definition(source, symbol) {
        None => {
            format!("no Kconfig file of this kernel defines {symbol} — a typo, or a symbol this version does not have")
        }
        Some((file, deps)) if deps.is_empty() => {
            format!("defined in {}; check what selects it or what it chooses between", file.display())
        }
        Some((file, deps)) => format!("its dependencies are not met ({}, {})", deps.join("; "), file.display()),
    }
}

/// Where `config SYMBOL` is defined and what it depends on: its `depends on` lines and the
/// `if` blocks around it.
pub fn definition(source: &Path, symbol: &str) -> Option<(PathBuf, Vec<String>)> {
    let mut stack = vec![source.to_path_buf()];
    let heads = [format!("config {symbol}"), format!("menuconfig {symbol}")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).ok()?.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() && !name.starts_with('.') {
                stack.push(path);
            } else if name.starts_with("Kconfig") {
                let Ok(text) = fs::read_to_string(&path) else { continue };
                if let Some(deps) = dependencies(&text, &heads) {
                    let relative = path.strip_prefix(source).unwrap_or(&path).to_path_buf();
                    return Some((relative, deps));
                }
            }
        }
    }
    None
}

/// The conditions on the entry that starts with one of `heads` in a Kconfig file's `text`.
fn dependencies(text: &str, heads: &[String]) -> Option<Vec<String>> {
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| heads.iter().any(|h| l.trim() == h))?;
    let mut open_ifs = Vec::new();
    for line in &lines[..at] {
        let line = line.trim();
        if let Some(condition) = line.strip_prefix("if ") {
            open_ifs.push(format!("inside `if {condition}`"));
        } else if line == "endif" {
            open_ifs.pop();
        }
    }
    let own = lines[at + 1..]
        .iter()
        .take_while(|l| !l.is_empty() && (l.starts_with('\t') || l.starts_with(' ')))
        .filter_map(|l| l.trim().strip_prefix("depends on ").map(|d| format!("depends on {d}")));
    Some(open_ifs.into_iter().chain(own).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(symbol: &str, value: &str) -> Setting {
        Setting { symbol: symbol.into(), value: value.into(), origin: "test:1".into() }
    }

    #[test]
    fn fragments_read_set_and_unset_lines() {
        let s = parse_fragment("rust", "# comment\nCONFIG_RUST=y\n# CONFIG_EXPOLINE is not set\nCONFIG_X=\"a b\"\n")
            .unwrap();
        assert_eq!(
            s,
            vec![
                Setting { symbol: "RUST".into(), value: "y".into(), origin: "rust:2".into() },
                Setting { symbol: "EXPOLINE".into(), value: "n".into(), origin: "rust:3".into() },
                Setting { symbol: "X".into(), value: "\"a b\"".into(), origin: "rust:4".into() },
            ]
        );
    }

    #[test]
    fn a_malformed_fragment_line_names_file_and_line() {
        let err = parse_fragment("base", "CONFIG_A=y\nRUST=y\n").unwrap_err();
        assert!(err.to_string().starts_with("base:2:"), "{err}");
    }

    #[test]
    fn later_fragments_override_earlier_ones() {
        let all = [setting("A", "y"), setting("B", "y"), setting("A", "n")];
        let eff = effective(&all);
        assert_eq!(eff.len(), 2);
        assert_eq!(eff.iter().find(|s| s.symbol == "A").unwrap().value, "n");
    }

    #[test]
    fn rust_dropped_by_expoline_is_named_with_the_reason() {
        let config = parse_config("CONFIG_EXPOLINE=y\n# CONFIG_RUST is not set\n");
        let wanted = setting("RUST", "y");
        let found = verify(&[&wanted], &config, Path::new("/nonexistent"));
        assert_eq!(found.len(), 1);
        let text = found[0].to_string();
        assert!(text.contains("CONFIG_RUST") && text.contains("EXPOLINE off"), "{text}");
    }

    #[test]
    fn unset_wishes_match_absent_symbols_and_set_wishes_do_not() {
        let config = parse_config("CONFIG_A=y\n");
        let (off, on, a) = (setting("GONE", "n"), setting("GONE", "y"), setting("A", "y"));
        assert!(verify(&[&off, &a], &config, Path::new("/nonexistent")).is_empty());
        assert_eq!(verify(&[&on], &config, Path::new("/nonexistent")).len(), 1);
    }

    #[test]
    fn unknown_and_dependent_symbols_are_told_apart() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("drivers")).unwrap();
        std::fs::write(
            src.path().join("drivers/Kconfig"),
            "config PCI_THING\n\ttristate \"x\"\n\tdepends on PCI\n\nconfig OTHER\n",
        )
        .unwrap();
        let config = parse_config("");
        let (dep, typo) = (setting("PCI_THING", "m"), setting("PCI_THNIG", "m"));
        let found = verify(&[&dep, &typo], &config, src.path());
        assert!(found[0].why.contains("depends on PCI"), "{}", found[0].why);
        assert!(found[1].why.contains("no Kconfig file"), "{}", found[1].why);
    }
}
