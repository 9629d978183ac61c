//! zlab printing into a pipe whose reader has gone (`zlab doctor | head -1`): it ends as a Unix
//! filter does, killed by SIGPIPE (the shell's status 141), with no panic message.

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

#[derive(Clone, Copy)]
enum Closed {
    Stdout,
    Stderr,
}

/// Runs zlab with `closed` a pipe nobody reads (its read end is closed before zlab starts, so the
/// first write fails), against this checkout (only read) and an empty zlab home.
fn run_into_closed_pipe(args: &[&str], repo: &std::path::Path, closed: Closed) -> Output {
    let home = tempfile::tempdir().unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zlab"));
    cmd.args(args).env("ZLAB_PROJECT", repo).env("ZLAB_HOME", home.path()).stdin(Stdio::null());
    match closed {
        Closed::Stdout => cmd.stdout(writer).stderr(Stdio::piped()),
        Closed::Stderr => cmd.stderr(writer).stdout(Stdio::piped()),
    };
    cmd.output().unwrap()
}

fn checkout() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn assert_ended_by_sigpipe(what: &str, out: &Output) {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("panicked"), "{what} panicked: {text}");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{what} ended with {} instead: {text}", out.status);
}

#[test]
fn doctor_into_a_closed_stdout() {
    let out = run_into_closed_pipe(&["doctor"], &checkout(), Closed::Stdout);
    assert_ended_by_sigpipe("zlab doctor | head -0", &out);
}

#[test]
fn completions_into_a_closed_stdout() {
    let out = run_into_closed_pipe(&["completions", "bash"], &checkout(), Closed::Stdout);
    assert_ended_by_sigpipe("zlab completions bash | head -0", &out);
}

/// The error path: main's `zlab: error: …` line on a stderr nobody reads.
#[test]
fn an_error_into_a_closed_stderr() {
    let nowhere = tempfile::tempdir().unwrap();
    let out = run_into_closed_pipe(&["doctor"], nowhere.path(), Closed::Stderr);
    assert_ended_by_sigpipe("zlab doctor (no repository) 2>&1 | head -0", &out);
}
