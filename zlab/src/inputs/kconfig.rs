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
    if symbol == "RUST" && config.get("KASAN").is_some_and(|v| v == "y") && !config.contains_key("CC_IS_CLANG") {
        return "with KASAN, Linux builds Rust only with clang (init/Kconfig: RUST depends on !KASAN || CC_IS_CLANG): build with --toolchain llvm".into();
    }
    if symbol == "RUST" {
        return "Kconfig turned Rust off: `make rustavailable` in the build dir tells why".into();
    }
    reason(symbol, definition(source, symbol))
}

/// Why a symbol the fragments ask for is missing, from where the tree defines it.
fn reason(symbol: &str, search: Search) -> String {
    match search.found {
        None if !search.unreadable.is_empty() => format!(
            "no Kconfig file zlab could read defines {symbol}, but {} could not be read ({}), so it may be there; make them readable and build again",
            plural(search.unreadable.len(), "folder or file", "folders or files"),
            search.unreadable.join("; ")
        ),
        None => {
            format!("no Kconfig file of this kernel defines {symbol} — a typo, or a symbol this version does not have")
        }
        Some((file, deps)) if deps.is_empty() => {
            format!("defined in {}; check what selects it or what it chooses between", file.display())
        }
        Some((file, deps)) => format!("its dependencies are not met ({}, {})", deps.join("; "), file.display()),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What a search of the kernel tree for a symbol's definition found.
pub struct Search {
    /// The Kconfig file (relative to the tree) and the symbol's conditions.
    pub found: Option<(PathBuf, Vec<String>)>,
    /// Folders and Kconfig files that could not be read, each as its io error (which names it).
    pub unreadable: Vec<String>,
}

/// Where `config SYMBOL` is defined and what it depends on: its `depends on` lines and the
/// `if` blocks around it. What cannot be read is skipped and listed, not taken for an answer.
pub fn definition(source: &Path, symbol: &str) -> Search {
    search(source, symbol, &|dir| fs::read_dir(dir)?.map(|entry| entry.map(|e| e.path())).collect())
}

/// `definition`, with `list` giving a folder's entries.
fn search(source: &Path, symbol: &str, list: &dyn Fn(&Path) -> std::io::Result<Vec<PathBuf>>) -> Search {
    let mut unreadable = Vec::new();
    let mut stack = vec![source.to_path_buf()];
    let heads = [format!("config {symbol}"), format!("menuconfig {symbol}")];
    while let Some(dir) = stack.pop() {
        let entries = match list(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                unreadable.push(e.to_string());
                continue;
            }
        };
        for path in entries {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if path.is_dir() && !name.starts_with('.') {
                stack.push(path);
            } else if name.starts_with("Kconfig") {
                let text = match fs::read_to_string(&path) {
                    Ok(text) => text,
                    Err(e) => {
                        unreadable.push(e.to_string());
                        continue;
                    }
                };
                if let Some(deps) = dependencies(&text, &heads) {
                    let relative = path.strip_prefix(source).unwrap_or(&path).to_path_buf();
                    return Search { found: Some((relative, deps)), unreadable };
                }
            }
        }
    }
    Search { found: None, unreadable }
}

/// The conditions on the entry that starts with one of `heads` in a Kconfig file's `text`: the
/// `if` blocks around it (unindented lines; help text is indented), its `depends on` lines, and
/// "no prompt" for a symbol only a `select` can set.
fn dependencies(text: &str, heads: &[String]) -> Option<Vec<String>> {
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| heads.iter().any(|h| l.trim() == h))?;
    let mut open_ifs = Vec::new();
    for line in &lines[..at] {
        if let Some(condition) = line.strip_prefix("if ") {
            open_ifs.push(format!("inside `if {}`", condition.trim()));
        } else if line.split_whitespace().next() == Some("endif") {
            // Kconfig files often name the block they close: `endif # DEBUG_INFO`.
            open_ifs.pop();
        }
    }
    let body: Vec<&str> = lines[at + 1..]
        .iter()
        .take_while(|l| !l.is_empty() && (l.starts_with('\t') || l.starts_with(' ')))
        .map(|l| l.trim())
        .take_while(|l| *l != "help" && *l != "---help---")
        .collect();
    let own = body.iter().filter_map(|l| l.strip_prefix("depends on ").map(|d| format!("depends on {d}")));
    let types = ["bool", "tristate", "string", "int", "hex", "def_bool", "def_tristate"];
    let prompt = body.iter().any(|l| {
        l.starts_with("prompt ")
            || types.iter().any(|t| l.strip_prefix(t).is_some_and(|rest| rest.trim_start().starts_with('"')))
    });
    let hidden = (!prompt).then(|| "no prompt: a fragment cannot set it, only another symbol's `select`".to_string());
    Some(open_ifs.into_iter().chain(own).chain(hidden).collect())
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

    /// Help text that starts a line with "if" opens no block, and a symbol without a prompt is
    /// named as one only a `select` sets (Linux 7.2's SYSCTL).
    #[test]
    fn help_text_is_no_if_block_and_a_hidden_symbol_says_so() {
        let text = "config LOCALVERSION_AUTO\n\tbool \"auto\"\n\thelp\n\t  A string\n\t  if a git-based tree is found.\n\nif PROC_FS\nconfig SYSCTL\n\tbool\n\tdepends on NET\nendif\n";
        let deps = dependencies(text, &["config SYSCTL".to_string()]).unwrap();
        assert_eq!(
            deps,
            [
                "inside `if PROC_FS`",
                "depends on NET",
                "no prompt: a fragment cannot set it, only another symbol's `select`"
            ]
        );
        let shown = dependencies(text, &["config LOCALVERSION_AUTO".to_string()]).unwrap();
        assert!(shown.is_empty(), "{shown:?}");
    }

    /// `endif # DEBUG_INFO` closes its block as `endif` does (lib/Kconfig.debug writes it so).
    #[test]
    fn an_endif_that_names_its_block_closes_it() {
        let text = "if DEBUG_INFO\nconfig GDB_SCRIPTS\n\tbool \"g\"\nendif # DEBUG_INFO\n\nconfig RUST_KERNEL_DOCTESTS\n\tbool \"d\"\n\tdepends on RUST && KUNIT=y\n";
        let deps = dependencies(text, &["config RUST_KERNEL_DOCTESTS".to_string()]).unwrap();
        assert_eq!(deps, ["depends on RUST && KUNIT=y"]);
    }

    #[test]
    fn rust_dropped_by_kasan_with_gcc_says_to_use_clang() {
        let gcc = parse_config("CONFIG_KASAN=y\nCONFIG_CC_IS_GCC=y\n");
        let why = explain("RUST", &gcc, Path::new("/nonexistent"));
        assert!(why.contains("RUST depends on !KASAN || CC_IS_CLANG") && why.contains("--toolchain llvm"), "{why}");
        let clang = parse_config("CONFIG_KASAN=y\nCONFIG_CC_IS_CLANG=y\n");
        assert!(explain("RUST", &clang, Path::new("/nonexistent")).contains("make rustavailable"));
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

    /// drivers/Kconfig defines PCI_THING; locked/Kconfig defines LOCKED_THING.
    fn tree_with_a_locked_folder() -> tempfile::TempDir {
        let src = tempfile::tempdir().unwrap();
        for (dir, symbol) in [("drivers", "PCI_THING"), ("locked", "LOCKED_THING")] {
            std::fs::create_dir_all(src.path().join(dir)).unwrap();
            std::fs::write(src.path().join(dir).join("Kconfig"), format!("config {symbol}\n\ttristate \"x\"\n"))
                .unwrap();
        }
        src
    }

    #[test]
    fn a_folder_that_cannot_be_read_is_named_and_the_symbol_not_called_a_typo() {
        let src = tree_with_a_locked_folder();
        let locked = src.path().join("locked");
        let list = |dir: &Path| -> std::io::Result<Vec<PathBuf>> {
            if dir == locked {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("failed to read directory `{}`: Permission denied (os error 13)", dir.display()),
                ));
            }
            std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect()
        };
        let search = search(src.path(), "LOCKED_THING", &list);
        assert!(search.found.is_none());
        assert_eq!(search.unreadable.len(), 1, "{:?}", search.unreadable);
        assert!(search.unreadable[0].contains(&locked.display().to_string()), "{:?}", search.unreadable);
        let why = reason("LOCKED_THING", search);
        assert!(why.contains("1 folder or file could not be read") && !why.contains("a typo"), "{why}");
        // A symbol in a readable folder is still found.
        assert!(super::search(src.path(), "PCI_THING", &list).found.is_some());
    }

    #[test]
    fn a_mode_000_folder_is_named_in_the_reason_or_searched_where_root_reads_it_anyway() {
        let src = tree_with_a_locked_folder();
        let locked = src.path().join("locked");
        std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
        let readable_anyway = std::fs::read_dir(&locked).is_ok();
        let wanted = setting("LOCKED_THING", "m");
        let why = verify(&[&wanted], &parse_config(""), src.path()).remove(0).why;
        std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        if readable_anyway {
            // Root: mode 000 does not stop reading, so the folder is searched and the symbol found.
            assert!(why.contains("locked/Kconfig"), "this user reads mode-000 folders (root): {why}");
        } else {
            assert!(why.contains("could not be read") && why.contains(&locked.display().to_string()), "{why}");
            assert!(!why.contains("a typo"), "{why}");
        }
    }
}
