//! The command line's refusals and generated files, which need no kernel, no QEMU and no host
//! tools: malformed and unknown checks, `zlab new`'s refusals, doctor judging LLVM tools that
//! are too old, and shell completions. Each runs zlab against a scratch copy of the repository's
//! kernel/ and checks/ and an empty zlab home.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A scratch project (zlab.toml, kernel/ and checks/ of this checkout, an empty modules/) and home.
struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let checkout = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        for folder in ["kernel", "checks"] {
            copy_dir(&checkout.join(folder), &dir.path().join("repo").join(folder));
        }
        std::fs::create_dir_all(dir.path().join("repo/modules")).unwrap();
        std::fs::copy(checkout.join("zlab.toml"), dir.path().join("repo/zlab.toml")).unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        Scratch { dir }
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// zlab with only this scratch repository and home; no tool chosen by the caller's shell.
    fn zlab(&self) -> Command {
        let mut cmd = Command::cargo_bin("zlab").unwrap();
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(|n| n.starts_with("ZLAB_")) {
                cmd.env_remove(&name);
            }
        }
        cmd.env("ZLAB_PROJECT", self.repo()).env("ZLAB_HOME", self.dir.path().join("home")).env("NO_COLOR", "1");
        cmd
    }

    /// Every path under the repository, to show that a refused command changed nothing.
    fn listing(&self) -> Vec<PathBuf> {
        let mut all = Vec::new();
        list(&self.repo(), &mut all);
        all.sort();
        all
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn list(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.push(path.clone());
        if path.is_dir() {
            list(&path, out);
        }
    }
}

/// `zlab test` with checks/bad.toml holding `toml` fails before any boot, naming the file and
/// each of `words`.
fn malformed_check_is_named(toml: &str, words: &[&str]) {
    let scratch = Scratch::new();
    std::fs::write(scratch.repo().join("checks/bad.toml"), toml).unwrap();
    let mut assert = scratch.zlab().arg("test").assert().code(2).stderr(contains("checks/bad.toml"));
    for word in words {
        assert = assert.stderr(contains(*word));
    }
    assert.stderr(contains("zlab: check ").not());
}

#[test]
fn a_check_with_an_unknown_key_names_file_line_and_key() {
    malformed_check_is_named("description = \"x\"\ntimeout = 30\nexpekt = [\"y\"]\n", &["line 3", "expekt"]);
}

#[test]
fn a_check_that_is_not_toml_names_file_and_line() {
    malformed_check_is_named("description = \"x\"\n\n[[step]\nrun = \"true\"\n", &["line 3"]);
}

#[test]
fn a_check_with_a_wrong_type_names_file_line_and_type() {
    malformed_check_is_named("description = \"x\"\ntimeout = \"ten\"\n", &["line 2", "invalid type"]);
}

#[test]
fn an_unknown_check_is_refused_with_the_checks_there_are() {
    Scratch::new()
        .zlab()
        .args(["test", "no-such-check"])
        .assert()
        .code(2)
        .stderr(contains("no check named `no-such-check`; checks/ has: boot-smoke"))
        .stderr(contains("booted").not());
}

#[test]
fn zlab_new_refuses_bad_and_taken_names_and_changes_nothing() {
    let scratch = Scratch::new();
    scratch.zlab().args(["new", "my_first"]).assert().success();
    assert!(scratch.repo().join("modules/my_first/my_first.rs").is_file());
    assert!(scratch.repo().join("checks/my_first.toml").is_file());
    let before = scratch.listing();
    for (name, why) in
        [("my_first", "already exists"), ("2fast", "lowercase"), ("Has-Caps", "lowercase"), ("fn", "keyword")]
    {
        let out = scratch.zlab().args(["new", name]).assert().code(2).get_output().stderr.clone();
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains(why), "zlab new {name}: expected `{why}` in: {text}");
    }
    assert_eq!(scratch.listing(), before, "a refused zlab new changed the repository");
}

/// Fake LLVM tools of `version` in a folder, which only print their version.
fn fake_llvm(dir: &Path, version: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let tools = [("clang", format!("clang version {version}"))]
        .into_iter()
        .chain(["ld.lld", "llvm-objcopy", "llvm-ar", "llvm-nm"].map(|t| (t, format!("{t} (fake) {version}"))));
    for (tool, says) in tools {
        let path = dir.join(tool);
        std::fs::write(&path, format!("#!/bin/sh\necho \"{says}\"\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn doctor_refuses_clang_older_than_18_1_for_llvm_builds() {
    let scratch = Scratch::new();
    let llvm = scratch.dir.path().join("llvm-17");
    fake_llvm(&llvm, "17.0.6");
    let out = scratch
        .zlab()
        .args(["--toolchain", "llvm", "doctor"])
        .env("ZLAB_LLVM", format!("{}/", llvm.display()))
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    let clang = text.lines().find(|l| l.split_whitespace().nth(1) == Some("clang")).unwrap_or_default();
    assert!(clang.starts_with("MISSING") && clang.contains("17.0.6") && clang.ends_with("needs >= 18.1.0"), "{text}");
}

fn completions(shell: &str) -> String {
    let out = Scratch::new().zlab().args(["completions", shell]).assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

/// What bash's completion function, from `zlab completions bash`, offers for the last of `words`.
fn bash_offers(words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("zlab.bash");
    std::fs::write(&script, completions("bash")).unwrap();
    let driver = r#"source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        function=$(complete -p zlab | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
        "$function" zlab "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}""#;
    let out = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", driver, "_"])
        .arg(&script)
        .args(words)
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

#[test]
fn bash_completion_offers_every_subcommand() {
    let offered = bash_offers(&["zlab", ""]);
    for sub in ["setup", "doctor", "fetch", "build", "modules", "initramfs", "new", "rust-analyzer", "boot", "test"] {
        assert!(offered.iter().any(|o| o == sub), "missing {sub} in {offered:?}");
    }
}

#[test]
fn bash_completion_offers_the_options_of_test() {
    let offered = bash_offers(&["zlab", "test", "--"]);
    for option in ["--junit", "--json", "--repeat", "--matrix"] {
        assert!(offered.iter().any(|o| o == option), "missing {option} in {offered:?}");
    }
}

#[test]
fn bash_completion_completes_a_partial_word() {
    assert_eq!(bash_offers(&["zlab", "te"]), ["test"]);
}

#[test]
fn zsh_and_fish_scripts_name_the_options() {
    let zsh = completions("zsh");
    assert!(zsh.starts_with("#compdef zlab") && zsh.contains("'--junit="), "{zsh}");
    let fish = completions("fish");
    assert!(fish.lines().any(|l| l.starts_with("complete -c zlab") && l.contains("-l junit")), "{fish}");
}
