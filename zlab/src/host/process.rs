//! Running external tools with errors that name the command, its exit status and what to do next.

use anyhow::{bail, Context, Result};
use fs_err as fs;
pub use rustix::process::Signal;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

pub fn describe(cmd: &Command) -> String {
    let mut words = vec![cmd.get_program().to_string_lossy().into_owned()];
    words.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    words.join(" ")
}

/// The words as one line a POSIX shell reads back as the same words.
pub fn shell_line(words: &[String]) -> String {
    words.iter().map(|w| shell_word(w)).collect::<Vec<_>>().join(" ")
}

fn shell_word(word: &str) -> String {
    let plain = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=+,@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Runs with the terminal attached; fails with the command line on a non-zero exit.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd.status().with_context(|| format!("could not start `{}`", describe(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(cmd));
    }
    Ok(())
}

/// Runs `first | second` without a shell (so no path needs quoting): `first`'s stdout is
/// `second`'s stdin. Fails naming both commands and each one's exit status if either fails.
pub fn pipe(first: &mut Command, second: &mut Command) -> Result<()> {
    let line = format!("`{} | {}`", describe(first), describe(second));
    let mut producer =
        first.stdout(Stdio::piped()).spawn().with_context(|| format!("could not start `{}`", describe(first)))?;
    let consumer = match producer.stdout.take() {
        Some(out) => second.stdin(out).spawn(),
        None => Err(std::io::Error::other("no pipe to read from")),
    };
    // Closes zlab's copy of the pipe's read end, so `first` is not left writing to a pipe that
    // `second` has stopped reading.
    second.stdin(Stdio::null());
    let consumed = consumer.and_then(|mut child| child.wait());
    let produced = producer.wait();
    let name = |cmd: &Command| cmd.get_program().to_string_lossy().into_owned();
    match (produced, consumed) {
        (Ok(a), Ok(b)) if a.success() && b.success() => Ok(()),
        (Ok(a), Ok(b)) => bail!("{line} failed ({}: {a}; {}: {b})", name(first), name(second)),
        (Err(e), _) => Err(e).with_context(|| format!("{line}: waiting for {}", name(first))),
        (_, Err(e)) => Err(e).with_context(|| format!("{line}: could not run {}", name(second))),
    }
}

/// Runs and returns stdout; stderr is kept for the error message.
pub fn stdout_of(cmd: &mut Command) -> Result<String> {
    let out = cmd.stdin(Stdio::null()).output().with_context(|| format!("could not start `{}`", describe(cmd)))?;
    if !out.status.success() {
        bail!("`{}` failed ({}): {}", describe(cmd), out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs a long step with stdout and stderr going to `log`. `watch` sees every line as it comes,
/// and `None` about every 200 ms without one (to redraw a progress line); on failure the error
/// carries the log's last lines and its path.
pub fn run_logged(cmd: &mut Command, log: &Path, step: &str, watch: &mut dyn FnMut(Option<&str>)) -> Result<()> {
    let mut log_file = fs::File::create(log)?;
    let mut child = dies_with_zlab(cmd, Signal::TERM)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start `{}`", describe(cmd)))?;
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        readers.push(forward_lines(out, tx.clone()));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(forward_lines(err, tx.clone()));
    }
    drop(tx);
    let mut tail: std::collections::VecDeque<String> = Default::default();
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                writeln!(log_file, "{line}")?;
                watch(Some(&line));
                if tail.len() == 60 {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => watch(None),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    for reader in readers {
        let _ = reader.join();
    }
    let status = child.wait()?;
    if !status.success() {
        let shown: Vec<String> = tail.into_iter().collect();
        bail!("{step} failed ({status}). Last lines:\n{}\nFull log: {}", shown.join("\n"), log.display());
    }
    Ok(())
}

fn forward_lines<R: std::io::Read + Send + 'static>(
    reader: R,
    tx: std::sync::mpsc::Sender<String>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(reader);
        let mut buf = Vec::new();
        while let Ok(n) = reader.read_until(b'\n', &mut buf) {
            if n == 0 || tx.send(String::from_utf8_lossy(&buf).trim_end().to_string()).is_err() {
                break;
            }
            buf.clear();
        }
    })
}

/// Makes the child get `signal` when zlab dies, however it dies (a SIGKILL included), so no
/// make or QEMU outlives the run that started it and keeps writing into a build dir. (Linux
/// sends it when the thread that started the child ends.)
pub fn dies_with_zlab(cmd: &mut Command, signal: Signal) -> &mut Command {
    use std::os::unix::process::CommandExt;
    let parent = rustix::process::getpid();
    // SAFETY: between fork and exec the closure makes only raw system calls (prctl, getppid) and
    // builds an io::Error from an errno: no allocation, no locks, nothing async-signal-unsafe.
    unsafe {
        cmd.pre_exec(move || {
            rustix::process::set_parent_process_death_signal(Some(signal))?;
            // zlab may have died before the prctl took effect: then the child must not run.
            if rustix::process::getppid() != Some(parent) {
                return Err(rustix::io::Errno::SRCH.into());
            }
            Ok(())
        })
    }
}

/// Looks a program up on PATH the way a shell would.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    if program.contains('/') {
        let path = std::path::PathBuf::from(program);
        return path.is_file().then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn quoting_survives_a_shell() {
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("/a/b-c"), "/a/b-c");
    }

    #[test]
    fn the_child_gets_the_signal_when_its_starter_ends() {
        // Linux sends the signal when the thread that started the child ends: a thread stands
        // in for zlab.
        let starter = std::thread::spawn(|| dies_with_zlab(Command::new("sleep").arg("20"), Signal::TERM).spawn());
        let mut child = starter.join().unwrap().unwrap();
        let started = std::time::Instant::now();
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(Signal::TERM.as_raw()), "{status}");
        assert!(started.elapsed() < Duration::from_secs(10), "sleep ran its course: no signal");
    }

    #[test]
    fn a_child_runs_as_usual_while_zlab_lives() {
        let out = dies_with_zlab(Command::new("sh").args(["-c", "echo alive"]), Signal::KILL).output().unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, b"alive\n");
    }

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script);
        cmd
    }

    #[test]
    fn the_first_command_s_output_is_the_second_s_input() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("it's a file");
        let mut upper = Command::new("tr");
        upper.args(["a-z", "A-Z"]).stdout(std::fs::File::create(&out).unwrap());
        pipe(Command::new("echo").arg("it's"), &mut upper).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "IT'S\n");
    }

    #[test]
    fn a_failure_of_either_side_names_both_commands_and_both_statuses() {
        let err = pipe(&mut sh("exit 3"), &mut Command::new("cat")).unwrap_err().to_string();
        assert!(err.contains("`sh -c exit 3 | cat` failed (sh: exit status: 3; cat: exit status: 0)"), "{err}");
        let err = pipe(&mut Command::new("true"), &mut sh("cat; exit 4")).unwrap_err().to_string();
        assert!(err.contains("(true: exit status: 0; sh: exit status: 4)"), "{err}");
    }

    #[test]
    fn a_reader_that_stops_early_does_not_leave_the_writer_waiting() {
        let err = pipe(&mut Command::new("yes"), Command::new("head").args(["-c", "1"]).stdout(Stdio::null()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("yes: signal: 13 (SIGPIPE)"), "{err}");
    }
}
