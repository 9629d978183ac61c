//! A check started from the saved guest (guest/snapshot.rs) instead of a boot: its cpio written
//! into the disk the saved guest waits on, QEMU started with `-incoming`, and a console that
//! reads as a boot's: the saved boot, a line that marks the resume, then the check.

use crate::guest::init::{INIT_START, KUNIT_NOT_AFTER_RESUME, PAYLOAD_MISSING};
use crate::guest::qemu::{self, Run, Shown};
use crate::guest::snapshot::{self, Snapshot};
use anyhow::Result;
use fs_err as fs;
use std::path::Path;
use std::time::Duration;

/// The line between the saved boot and the check in a resumed check's console.
pub const RESUMED_HERE: &str = "zlab: ---- the check resumes here, in the guest saved after the boot above (`zlab test --boot` boots it in full) ----";

/// Why a resumed guest gave no check to judge, so that it boots in full instead.
pub struct NotResumed(pub String);

/// Resumes the saved guest with `disk`, its console (the saved boot, RESUMED_HERE, then what the
/// guest printed) in `log`, the time limit counted from QEMU's start. A guest that never began
/// the check (QEMU could not load the state, the disk was not read) is no verdict: NotResumed,
/// and a state QEMU could not load is discarded.
pub fn run(
    tools: &crate::toolchain::tools::Toolchain,
    saved: &Snapshot,
    disk: &Path,
    log: &Path,
    limit: Option<Duration>,
    shown: &Shown,
) -> Result<std::result::Result<Run, NotResumed>> {
    // QEMU's `file:` URI has no quoting: the state is reached through a link in a plain folder.
    let scratch = tempfile::Builder::new().prefix("zlab-resume-").tempdir()?;
    let state = scratch.path().join("state");
    fs::os::unix::fs::symlink(std::path::absolute(&saved.state)?, &state)?;
    let mut machine = saved.machine.clone();
    if let Some(resumable) = &mut machine.resumable {
        resumable.disk = disk.to_path_buf();
        resumable.incoming = Some(state);
    }
    let before = format!("{}{RESUMED_HERE}\n", saved.boot_console);
    let run = qemu::run_captured_after(qemu::command(tools, &machine), log, limit, shown, &before)?;
    let check_part = &run.console[before.len().min(run.console.len())..];
    if let Some(why) = suites_not_after_resume(check_part) {
        return Ok(Err(NotResumed(why)));
    }
    if check_part.contains(INIT_START) {
        return Ok(Ok(run));
    }
    if check_part.trim().is_empty() && !run.timed_out {
        snapshot::discard(saved);
        return Ok(Err(NotResumed(format!(
            "QEMU could not resume the saved guest ({}); it is made again next time",
            first_line(&run.qemu_errors)
        ))));
    }
    let why = if check_part.contains(PAYLOAD_MISSING) {
        "the resumed guest found no check on its disk".to_string()
    } else if run.timed_out {
        "the resumed guest did not begin the check within its time limit".to_string()
    } else {
        "the resumed guest ended before it began the check".to_string()
    };
    Ok(Err(NotResumed(why)))
}

/// Why the check's KUnit suites could not run in the resumed guest, if the guest said so.
fn suites_not_after_resume(check_part: &str) -> Option<String> {
    check_part.lines().find_map(|l| l.trim_end().strip_prefix(KUNIT_NOT_AFTER_RESUME)).map(str::to_string)
}

fn first_line(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("it said nothing")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suite_that_runs_only_at_boot_sends_the_check_to_a_full_boot() {
        let part =
            format!("zlab-init: start\r\n{KUNIT_NOT_AFTER_RESUME}KUnit suite s runs only while the kernel boots\r\n");
        assert_eq!(suites_not_after_resume(&part).as_deref(), Some("KUnit suite s runs only while the kernel boots"));
        assert_eq!(suites_not_after_resume("zlab-init: start\nKTAP version 1\n"), None);
    }
}
