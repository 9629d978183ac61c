//! checks/<name>.toml: a boot test as data — the kernel to boot, the modules to put in the
//! guest, the commands init runs, and what the console must and must not show.

use crate::inputs::kernel_version::KernelVersion;
use anyhow::{bail, Context, Result};
use fs_err as fs;
use serde::Deserialize;
use std::path::Path;

pub const DEFAULT_TIMEOUT_SECS: u64 = 60;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    #[serde(skip)]
    pub name: String,
    pub description: String,
    #[serde(default = "default_variant")]
    pub variant: String,
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    /// Folders under modules/, each copied into the guest as /lib/modules/<name>.ko.
    #[serde(default)]
    pub modules: Vec<String>,
    /// In-tree modules of the kernel build (e.g. samples/rust/rust_minimal.ko), copied into the
    /// guest as /lib/modules/<file name>.
    #[serde(default)]
    pub kernel_modules: Vec<String>,
    #[serde(default)]
    pub kernel_args: Vec<String>,
    #[serde(default)]
    pub expect: Vec<String>,
    #[serde(default)]
    pub forbid: Vec<String>,
    #[serde(default)]
    pub step: Vec<Step>,
    #[serde(default)]
    pub ktap: Vec<KtapExpectation>,
    #[serde(default)]
    pub kunit: Kunit,
    /// Whether kmemleak scans for leaks after the steps: `true` asks for it (a kernel without
    /// kmemleak is then refused), `false` never; unset, whenever the kernel has kmemleak.
    pub leaks: Option<bool>,
    /// The kernels this check is for; on any other it is skipped, and reported so.
    pub kernel: Option<KernelRange>,
}

/// `[kernel] min = "7.3"`, `why = "…"`: the oldest kernel a check is for, and why (an API
/// that came with it), which a skip on an older kernel reports.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelRange {
    pub min: String,
    pub why: String,
}

impl Check {
    /// The guest `zlab boot` gives a person without a check: the given modules in /lib/modules,
    /// no expectations, and a shell.
    pub fn interactive(modules: Vec<String>, kernel_modules: Vec<String>) -> Check {
        Check {
            name: "interactive".into(),
            description: "interactive shell".into(),
            variant: default_variant(),
            timeout: DEFAULT_TIMEOUT_SECS,
            modules,
            kernel_modules,
            kernel_args: vec![],
            expect: vec![],
            forbid: vec![],
            step: vec![],
            ktap: vec![],
            // A person at the shell expects a module's KUnit suite to run when they load it.
            kunit: Kunit::All,
            leaks: Some(false),
            kernel: None,
        }
    }
}

/// Which KUnit suites run in the guest. Unfiltered, KUnit runs the kernel's built-in suites at
/// every boot (350 Rust doctests: about 0.8 s of each boot under TCG) and each module's suite
/// at insmod.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kunit {
    /// Only the suite the check names in `[[ktap]]`, built in or in a module (none when it
    /// names none), through the kernel's `kunit.filter_glob`.
    #[default]
    Named,
    /// Every suite: the built-in ones at boot, each module's at insmod.
    All,
}

/// A suite name no kernel has: with it as the filter, no KUnit suite runs.
const NO_SUITE: &str = "zlab_no_suite_named";

/// Keeps KUnit from running the built-in suites at boot; each can then run through debugfs.
pub const KUNIT_NO_AUTORUN: &str = "kunit.autorun=0";

/// What a resumed check does with KUnit before its steps, its saved guest having run no suite
/// at boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumedKunit {
    /// Runs the built-in suites it is about (the save booted with `kunit.autorun=0`).
    Run(BuiltinSuites),
    /// Sets the filter its modules' suites are held to at insmod, the suite its `[[ktap]]` names
    /// (the save booted with a filter that matches no suite, as every check with steps shares).
    Filter(String),
}

/// The KUnit suites built into the kernel that a check with no steps is about: each runs while
/// the kernel boots, or, in a resumed guest, through /sys/kernel/debug/kunit/<suite>/run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuiltinSuites {
    All,
    /// The suite `kunit.filter_glob` would name on a full boot's command line.
    Named(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub run: String,
    #[serde(default)]
    pub expect: Vec<String>,
    #[serde(default)]
    pub exit: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KtapExpectation {
    pub suite: String,
    #[serde(default = "one")]
    pub min_tests: usize,
}

fn default_variant() -> String {
    crate::inputs::variants::DEFAULT.to_string()
}
fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_SECS
}
fn one() -> usize {
    1
}

impl Check {
    pub fn parse(name: &str, text: &str) -> Result<Check> {
        let mut check: Check = toml::from_str(text)?;
        check.name = name.to_string();
        check.validate()?;
        Ok(check)
    }

    pub fn load(path: &Path) -> Result<Check> {
        let name = path.file_stem().and_then(|s| s.to_str()).context("check file without a name")?;
        let text = fs::read_to_string(path)?;
        // toml's errors carry the line and column; the file name is added here.
        Check::parse(name, &text).with_context(|| format!("{} is not a valid check", path.display()))
    }

    /// The guest's kernel command line: the check's own words and the KUnit filter.
    pub fn kernel_command_line(&self) -> Vec<String> {
        let mut args = self.kernel_args.clone();
        if self.kunit == Kunit::Named {
            let suite = self.ktap.first().map_or(NO_SUITE, |k| k.suite.as_str());
            args.push(format!("kunit.filter_glob={suite}"));
        }
        args
    }

    /// What the check tests, when it is built-in KUnit suites and nothing else (it has no
    /// steps, so nothing loads a module).
    pub fn builtin_suites(&self) -> Option<BuiltinSuites> {
        if !self.step.is_empty() {
            return None;
        }
        match (self.kunit, self.ktap.first()) {
            (Kunit::All, _) => Some(BuiltinSuites::All),
            (Kunit::Named, Some(named)) => Some(BuiltinSuites::Named(named.suite.clone())),
            (Kunit::Named, None) => None,
        }
    }

    /// What the check's resumed guest does with KUnit before its steps, if anything.
    pub fn resumed_kunit(&self) -> Option<ResumedKunit> {
        if self.step.is_empty() {
            return self.builtin_suites().map(ResumedKunit::Run);
        }
        match (self.kunit, self.ktap.first()) {
            (Kunit::Named, Some(named)) => Some(ResumedKunit::Filter(named.suite.clone())),
            _ => None,
        }
    }

    /// The kernel command line of the saved guest the check resumes. A check of built-in suites
    /// keeps KUnit from running them at boot (it runs them after the resume); one that names a
    /// module's suite shares the save of every check that names none, and sets its filter after
    /// the resume; any other has its full boot's.
    pub fn resumed_kernel_command_line(&self) -> Vec<String> {
        let last = match self.resumed_kunit() {
            Some(ResumedKunit::Run(_)) => KUNIT_NO_AUTORUN.to_string(),
            Some(ResumedKunit::Filter(_)) => format!("kunit.filter_glob={NO_SUITE}"),
            None => return self.kernel_command_line(),
        };
        [self.kernel_args.clone(), vec![last]].concat()
    }

    /// Why this check is not for the kernel `release` (its `[kernel]` range leaves it out), or
    /// None when it is.
    pub fn not_for(&self, release: &str) -> Result<Option<String>> {
        let Some(range) = &self.kernel else { return Ok(None) };
        let (min, found) = (KernelVersion::parse(&range.min)?, KernelVersion::parse(release)?);
        Ok((found < min).then(|| format!("for Linux {} or newer, this is {release}: {}", range.min, range.why)))
    }

    fn validate(&self) -> Result<()> {
        if let Some(range) = &self.kernel {
            KernelVersion::parse(&range.min).context("in [kernel] min")?;
            if range.why.trim().is_empty() {
                bail!("[kernel] why is empty: say what this check needs from Linux {} (a skip reports it)", range.min);
            }
        }
        if self.timeout == 0 || self.timeout > 3600 {
            bail!("timeout must be between 1 and 3600 seconds, found {}", self.timeout);
        }
        for module in &self.modules {
            if !valid_name(module) {
                bail!("module name `{module}` must be lowercase letters, digits and underscores");
            }
        }
        for module in &self.kernel_modules {
            if !module.ends_with(".ko") || module.starts_with('/') || module.contains("..") {
                bail!("kernel module `{module}` must be a .ko path relative to the build dir, like samples/rust/rust_minimal.ko");
            }
        }
        for arg in &self.kernel_args {
            if arg.is_empty() || arg.contains(char::is_whitespace) {
                bail!("kernel_args takes one word per entry, found {arg:?}");
            }
        }
        if self.kunit == Kunit::Named && self.ktap.len() > 1 {
            bail!(
                "this check names {} KUnit suites, but the kernel's filter takes one: add `kunit = \"all\"` to run every suite",
                self.ktap.len()
            );
        }
        if self.step.iter().any(|s| s.run.trim().is_empty()) {
            bail!("a [[step]] has an empty `run`");
        }
        Ok(())
    }
}

pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 56
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Every check in `dir`, sorted by name; a malformed file stops everything before any boot.
pub fn load_dir(dir: &Path) -> Result<Vec<Check>> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files.iter().map(|f| Check::load(f)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_check_parses_with_defaults() {
        let text = r#"
description = "hello"
modules = ["hello"]
expect = ["Hello"]

[[step]]
run = "insmod /lib/modules/hello.ko"

[[step]]
run = "false"
exit = 1

[[ktap]]
suite = "s"
"#;
        let check = Check::parse("hello", text).unwrap();
        assert_eq!(check.variant, "test");
        assert_eq!(check.timeout, DEFAULT_TIMEOUT_SECS);
        assert_eq!(check.step.len(), 2);
        assert_eq!(check.step[1].exit, 1);
        assert_eq!(check.ktap[0].min_tests, 1);
    }

    #[test]
    fn an_unknown_key_is_an_error_with_its_line() {
        let err =
            Check::parse("x", "description = \"d\"\n\n[[step]]\nrun = \"true\"\nexpct = [\"typo\"]\n").unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("expct") && text.contains("line 5"), "{text}");
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(Check::parse("x", "description = \"d\"\ntimeout = 0\n").is_err());
        assert!(Check::parse("x", "description = \"d\"\nmodules = [\"../etc\"]\n").is_err());
        assert!(Check::parse("x", "description = \"d\"\nkernel_modules = [\"/abs.ko\"]\n").is_err());
        assert!(Check::parse("x", "description = \"d\"\nkernel_args = [\"two words\"]\n").is_err());
    }

    #[test]
    fn a_check_of_built_in_suites_resumes_a_guest_that_ran_none_at_boot() {
        let all = Check::parse("x", "description = \"d\"\nkunit = \"all\"\nkernel_args = [\"a=1\"]\n").unwrap();
        assert_eq!(all.builtin_suites(), Some(BuiltinSuites::All));
        assert_eq!(all.resumed_kernel_command_line(), ["a=1", KUNIT_NO_AUTORUN]);
        assert_eq!(all.kernel_command_line(), ["a=1"]);
        let named = Check::parse("x", "description = \"d\"\n[[ktap]]\nsuite = \"mine\"\n").unwrap();
        assert_eq!(named.builtin_suites(), Some(BuiltinSuites::Named("mine".into())));
        assert_eq!(named.resumed_kernel_command_line(), [KUNIT_NO_AUTORUN]);
        // With steps, a module brings the suite: the guest every check with steps shares, the
        // filter set after the resume.
        let stepped = "description = \"d\"\n[[ktap]]\nsuite = \"mine\"\n[[step]]\nrun = \"true\"\n";
        let stepped = Check::parse("x", stepped).unwrap();
        assert_eq!(stepped.builtin_suites(), None);
        assert_eq!(stepped.resumed_kunit(), Some(ResumedKunit::Filter("mine".into())));
        assert_eq!(stepped.resumed_kernel_command_line(), ["kunit.filter_glob=zlab_no_suite_named"]);
        let plain = Check::parse("x", "description = \"d\"\n[[step]]\nrun = \"true\"\n").unwrap();
        assert_eq!(plain.resumed_kunit(), None);
        assert_eq!(plain.resumed_kernel_command_line(), stepped.resumed_kernel_command_line());
        let all = "description = \"d\"\nkunit = \"all\"\n[[step]]\nrun = \"true\"\n";
        let all = Check::parse("x", all).unwrap();
        assert_eq!(all.resumed_kunit(), None, "its built-in suites run at the saved boot");
        assert!(all.resumed_kernel_command_line().is_empty());
        let nothing = Check::parse("x", "description = \"d\"\n").unwrap();
        assert_eq!(nothing.builtin_suites(), None);
    }

    #[test]
    fn only_the_named_suite_runs_unless_all_are_asked_for() {
        let named = Check::parse("x", "description = \"d\"\n[[ktap]]\nsuite = \"mine\"\n").unwrap();
        assert_eq!(named.kernel_command_line(), ["kunit.filter_glob=mine"]);
        let none = Check::parse("x", "description = \"d\"\nkernel_args = [\"a=1\"]\n").unwrap();
        assert_eq!(none.kernel_command_line(), ["a=1", "kunit.filter_glob=zlab_no_suite_named"]);
        let all = Check::parse("x", "description = \"d\"\nkunit = \"all\"\n").unwrap();
        assert!(all.kernel_command_line().is_empty());
        let two = "description = \"d\"\n[[ktap]]\nsuite = \"a\"\n[[ktap]]\nsuite = \"b\"\n";
        assert!(format!("{:#}", Check::parse("x", two).unwrap_err()).contains("kunit = \"all\""));
    }

    #[test]
    fn a_check_for_newer_kernels_says_why_it_skips_an_older_one() {
        let text = "description = \"d\"\n[kernel]\nmin = \"7.3\"\nwhy = \"uses kernel::foo, new in 7.3\"\n";
        let check = Check::parse("x", text).unwrap();
        let why = check.not_for("7.2.12").unwrap().unwrap();
        assert_eq!(why, "for Linux 7.3 or newer, this is 7.2.12: uses kernel::foo, new in 7.3");
        assert_eq!(check.not_for("7.3.4").unwrap(), None);
        assert_eq!(check.not_for("7.10.1").unwrap(), None);
        let any = Check::parse("x", "description = \"d\"\n").unwrap();
        assert_eq!(any.not_for("7.2.12").unwrap(), None);
    }

    #[test]
    fn a_kernel_range_needs_a_version_and_a_reason() {
        let bad = |range: &str| {
            format!("{:#}", Check::parse("x", &format!("description = \"d\"\n[kernel]\n{range}")).unwrap_err())
        };
        assert!(bad("min = \"7\"\nwhy = \"w\"\n").contains("is not a kernel version"));
        assert!(bad("min = \"7.3\"\nwhy = \" \"\n").contains("why is empty"));
        assert!(bad("min = \"7.3\"\n").contains("missing field `why`"));
        assert!(bad("min = \"7.3\"\nwhy = \"w\"\nmax = \"7.4\"\n").contains("unknown field `max`"));
    }

    #[test]
    fn the_repository_checks_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../checks");
        let checks = load_dir(&dir).unwrap();
        assert!(checks.iter().any(|c| c.name == "boot-smoke"), "checks/boot-smoke.toml is missing");
    }
}
