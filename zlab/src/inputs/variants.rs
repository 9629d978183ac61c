//! kernel/variants.toml: named kernel configurations made of kernel/configs fragments, as zlab
//! ships them and as a project adds its own.

use crate::host::paths::Paths;
use crate::inputs::kconfig::{self, Setting};
use crate::inputs::shipped;
use anyhow::{bail, Context, Result};
use fs_err as fs;
use serde::Deserialize;
use std::collections::BTreeMap;

pub const DEFAULT: &str = "test";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// What the variant is for, written for whoever reads kernel/variants.toml; zlab requires it
    /// and never shows it.
    #[serde(rename = "description")]
    _description: serde::de::IgnoredAny,
    pub fragments: Vec<String>,
    /// The variant `zlab boot --gdb` boots instead: the same kernel with debug info.
    #[serde(default)]
    pub gdb: Option<String>,
    /// The only toolchain this kernel builds with (`gcc` or `llvm`); with the other, a check on
    /// it is skipped and a build refused, saying `toolchain_why`.
    #[serde(default)]
    pub toolchain: Option<String>,
    #[serde(default)]
    pub toolchain_why: Option<String>,
}

impl Variant {
    /// Why the variant `name` does not build with `toolchain`, or None when it does.
    pub fn not_with(&self, name: &str, toolchain: &str) -> Result<Option<String>> {
        let Some(only) = &self.toolchain else { return Ok(None) };
        let why = self.toolchain_why.as_deref().map(str::trim).unwrap_or_default();
        if !crate::toolchain::tools::Compiler::ALL.iter().any(|c| c.name() == only) {
            bail!("kernel/variants.toml: the {name} variant's toolchain must be gcc or llvm, found `{only}`");
        }
        if why.is_empty() {
            bail!("kernel/variants.toml: the {name} variant builds only with {only}; say why in `toolchain_why` (a skip reports it)");
        }
        Ok((only != toolchain)
            .then(|| format!("the {name} kernel builds only with --toolchain {only}, this is {toolchain}: {why}")))
    }
}

/// The variants zlab ships, with the project's kernel/variants.toml (if it has one) added: a
/// variant of the project's own replaces a shipped one of the same name.
pub fn load_all(paths: &Paths) -> Result<BTreeMap<String, Variant>> {
    let mut all: BTreeMap<String, Variant> =
        toml::from_str(shipped::VARIANTS).context("in kernel/variants.toml as this zlab was built with it")?;
    if let Some(project) = &paths.project {
        let file = project.kernel_dir().join("variants.toml");
        if file.is_file() {
            let text = fs::read_to_string(&file)?;
            let own: BTreeMap<String, Variant> =
                toml::from_str(&text).with_context(|| format!("in {}", file.display()))?;
            all.extend(own);
        }
    }
    Ok(all)
}

/// A config fragment's text: the project's kernel/configs/<name>.config, else zlab's own.
pub fn fragment(paths: &Paths, name: &str) -> Result<String> {
    match fragment_if_any(paths, name)? {
        Some(text) => Ok(text),
        None => {
            let known: Vec<&str> = shipped::FRAGMENTS.iter().map(|(n, _)| *n).collect();
            bail!(
                "no config fragment `{name}` (named in kernel/variants.toml): not in the project's kernel/configs/ \
nor among zlab's ({})",
                known.join(", ")
            )
        }
    }
}

fn fragment_if_any(paths: &Paths, name: &str) -> Result<Option<String>> {
    if let Some(project) = &paths.project {
        let file = project.kernel_dir().join("configs").join(format!("{name}.config"));
        if file.is_file() {
            return Ok(Some(fs::read_to_string(&file)?));
        }
    }
    Ok(shipped::fragment(name).map(str::to_string))
}

pub fn load(paths: &Paths, name: &str) -> Result<Variant> {
    let mut all = load_all(paths)?;
    match all.remove(name) {
        Some(v) => Ok(v),
        None => bail!(
            "no kernel variant `{name}` in kernel/variants.toml; known: {}",
            all.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The variant to boot under gdb for a check of `name`: its `gdb` twin, or itself.
pub fn for_gdb(paths: &Paths, name: &str) -> Result<String> {
    let twin = load(paths, name)?.gdb.unwrap_or_else(|| name.to_string());
    load(paths, &twin).with_context(|| format!("the gdb variant of `{name}` in kernel/variants.toml"))?;
    Ok(twin)
}

/// The fragments' text merged in order (what Kconfig reads) and their parsed settings. For a
/// kernel of the series `series` (e.g. 7.2), each fragment `<name>` is followed by
/// `<name>-<series>` where there is one: what that series needs said otherwise, such as a
/// symbol it names differently.
pub fn merged_fragments(paths: &Paths, variant: &Variant, series: Option<&str>) -> Result<(String, Vec<Setting>)> {
    let mut text = String::new();
    let mut settings = Vec::new();
    for name in &variant.fragments {
        let mut parts = vec![(name.clone(), fragment(paths, name)?)];
        if let Some(series) = series {
            let own = format!("{name}-{series}");
            if let Some(body) = fragment_if_any(paths, &own)? {
                parts.push((own, body));
            }
        }
        for (name, body) in parts {
            settings.extend(kconfig::parse_fragment(&format!("kernel/configs/{name}.config"), &body)?);
            text.push_str(&format!("# --- kernel/configs/{name}.config\n{body}\n"));
        }
    }
    Ok((text, settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<BTreeMap<String, Variant>, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn a_variant_needs_its_description_and_nothing_unknown() {
        let ok = parse("[test]\ndescription = \"the test kernel\"\nfragments = [\"base\", \"rust\"]\n").unwrap();
        assert_eq!(ok["test"].fragments, ["base", "rust"]);
        let without = parse("[test]\nfragments = [\"base\"]\n").unwrap_err();
        assert!(without.to_string().contains("missing field `description`"), "{without}");
        let typo = parse("[test]\ndescription = \"x\"\nfragmets = [\"base\"]\n").unwrap_err();
        assert!(typo.to_string().contains("unknown field `fragmets`"), "{typo}");
    }

    #[test]
    fn a_variant_for_one_toolchain_says_why_with_the_other() {
        let one =
            |extra: &str| parse(&format!("[kasan]\ndescription = \"x\"\nfragments = [\"base\"]\n{extra}")).unwrap();
        let kasan = one("toolchain = \"llvm\"\ntoolchain_why = \"RUST needs clang with KASAN\"\n");
        assert_eq!(kasan["kasan"].not_with("kasan", "llvm").unwrap(), None);
        assert_eq!(
            kasan["kasan"].not_with("kasan", "gcc").unwrap().as_deref(),
            Some("the kasan kernel builds only with --toolchain llvm, this is gcc: RUST needs clang with KASAN")
        );
        assert_eq!(one("")["kasan"].not_with("kasan", "gcc").unwrap(), None);
        let silent = one("toolchain = \"llvm\"\n")["kasan"].not_with("kasan", "gcc").unwrap_err();
        assert!(silent.to_string().contains("say why in `toolchain_why`"), "{silent}");
        let typo = one("toolchain = \"clang\"\ntoolchain_why = \"x\"\n")["kasan"].not_with("kasan", "gcc").unwrap_err();
        assert!(typo.to_string().contains("must be gcc or llvm, found `clang`"), "{typo}");
    }

    #[test]
    fn a_series_fragment_follows_its_fragment_only_for_that_series() {
        let home = tempfile::tempdir().unwrap();
        let paths = Paths::for_tests("/nowhere".as_ref(), home.path());
        let test = load(&paths, DEFAULT).unwrap();
        let names = |series: Option<&str>| -> Vec<String> {
            let (text, _) = merged_fragments(&paths, &test, series).unwrap();
            text.lines().filter_map(|l| l.strip_prefix("# --- kernel/configs/")).map(str::to_string).collect()
        };
        assert_eq!(
            names(Some("7.3")),
            ["base.config", "rust.config", "kunit.config", "samples.config", "detectors.config"]
        );
        assert_eq!(
            names(Some("7.2")),
            ["base.config", "base-7.2.config", "rust.config", "kunit.config", "samples.config", "detectors.config"]
        );
        assert_eq!(names(None), names(Some("7.3")));
    }
}
