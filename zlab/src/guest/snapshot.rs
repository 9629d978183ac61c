//! Boot once, resume every check: per kernel build and kernel command line, zlab boots the
//! kernel once to an init that waits for a check on a disk (init::snapshot_init), judges that
//! boot, and saves the guest with QEMU's migration. Checks then start from the saved guest
//! (run/resume.rs) instead of booting. The save lives beside the build, in
//! `zlab-snapshots/<key>/`, keyed on everything the guest's start depends on (inputs.txt).

use crate::build::kernel::Kernel;
use crate::context::RunContext;
use crate::guest::init;
use crate::guest::initramfs;
use crate::guest::qemu::{self, Machine, Reaper, Resumable};
use crate::guest::qmp::Qmp;
use crate::host::lock::DirLock;
use crate::inputs::pins::{sha256, sha256_file};
use crate::judge::console_faults;
use crate::note;
use anyhow::{bail, Context, Result};
use fs_err as fs;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, UNIX_EPOCH};

/// Raised when what a snapshot is made of changes in a way its inputs do not show.
const FORMAT: u32 = 1;
/// The check's disk: sparse, so its size costs nothing; a check's cpio must fit in it.
pub const DISK_BYTES: u64 = 256 << 20;
/// Under a kernel's build dir: a folder per saved guest.
pub const SNAPSHOTS: &str = "zlab-snapshots";
const STATE: &str = "state";
const RECORD: &str = "snapshot.json";
const REFUSED: &str = "refused.txt";
const BOOT_LOG: &str = "boot.log";
const INPUTS: &str = "inputs.txt";
/// How long the saved guest's boot may take (a lockdep kernel under TCG on a busy machine).
const BOOT_LIMIT: Duration = Duration::from_secs(300);

/// A saved guest, ready to resume.
#[derive(Clone)]
pub struct Snapshot {
    /// The machine it was saved on: every resume starts QEMU the same way, with its own disk.
    pub machine: Machine,
    pub state: PathBuf,
    /// The console of its boot, up to the line its init printed once ready.
    pub boot_console: String,
}

/// What `ready` found or made.
pub enum Ready {
    Usable(Snapshot),
    /// Its boot showed a fault, or never got ready: the checks boot in full and report it.
    Refused(String),
}

/// What is recorded once a snapshot is whole; its state file is checked against it.
#[derive(Serialize, Deserialize)]
struct Record {
    sha256: String,
    size: u64,
    mtime_ns: u128,
}

/// The saved guest for `kernel` booted with `kernel_args`: found, checked, or made now.
pub fn ready(ctx: &RunContext, kernel: &Kernel, kernel_args: &[String]) -> Result<Ready> {
    let busybox = init::busybox(ctx)?;
    let inputs = inputs(ctx, kernel, &busybox, kernel_args)?;
    let root = kernel.dir.join(SNAPSHOTS);
    let dir = root.join(&sha256(inputs.as_bytes())[..16]);
    let _lock = DirLock::acquire(&root)?;
    if let Ok(why) = fs::read_to_string(dir.join(REFUSED)) {
        return Ok(Ready::Refused(why));
    }
    let machine = machine(ctx, kernel, &dir, kernel_args)?;
    if usable(&dir)? {
        let boot_console = fs::read_to_string(dir.join(BOOT_LOG))?;
        return Ok(Ready::Usable(Snapshot { machine, state: dir.join(STATE), boot_console }));
    }
    remove_stale(&root, &inputs);
    make(ctx, kernel, &dir, &inputs, &busybox, machine)
}

/// Drops a saved guest that could not be resumed (a QEMU that cannot load it), so that the next
/// check makes it again.
pub fn discard(snapshot: &Snapshot) {
    if let Some(dir) = snapshot.state.parent() {
        let _ = fs::remove_file(dir.join(RECORD));
    }
}

/// Writes the check's cpio into `<dir>/payload.img`, the disk of its resumed guest (sparse, the
/// size the saved guest knows).
pub fn payload_disk(dir: &Path, payload_cpio: &Path) -> Result<PathBuf> {
    let bytes = fs::read(payload_cpio)?;
    if bytes.len() as u64 > DISK_BYTES {
        bail!(
            "the check's modules and steps take {} MiB, more than the {} MiB disk a resumed guest reads: run it with --boot",
            bytes.len() >> 20,
            DISK_BYTES >> 20
        );
    }
    let image = dir.join("payload.img");
    let mut file = fs::File::create(&image)?;
    file.write_all(&bytes)?;
    file.set_len(DISK_BYTES)?;
    Ok(image)
}

/// Everything a guest's start depends on, a line each; the snapshot's folder is named by their hash.
fn inputs(ctx: &RunContext, kernel: &Kernel, busybox: &Path, kernel_args: &[String]) -> Result<String> {
    let (version, machine_type) = qemu_identity(&ctx.tools.qemu)?;
    let init = sha256(format!("{}{}", init::snapshot_init(), init::INSMOD).as_bytes());
    let mut lines = vec![
        format!("format {FORMAT}"),
        format!("kernel {}", sha256_file(&kernel.bzimage())?),
        format!("busybox {}", sha256_file(busybox)?),
        format!("init {init}"),
        format!("qemu {version}"),
        format!("machine {machine_type}"),
        format!("accelerator {}", qemu::accelerator()),
        format!("memory {} MiB", qemu::GUEST_MEMORY_MIB),
        format!("disk {DISK_BYTES} bytes"),
    ];
    lines.extend(kernel_args.iter().map(|a| format!("kernel argument {a}")));
    Ok(lines.join("\n") + "\n")
}

/// QEMU's version line and the versioned machine type `s390-ccw-virtio` stands for, asked once
/// per QEMU binary.
fn qemu_identity(qemu: &Path) -> Result<(String, String)> {
    static SEEN: OnceLock<Mutex<BTreeMap<PathBuf, (String, String)>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    if let Some(found) = seen.lock().unwrap_or_else(|e| e.into_inner()).get(qemu) {
        return Ok(found.clone());
    }
    let ask = |arg: &[&str]| crate::host::process::stdout_of(std::process::Command::new(qemu).args(arg));
    let version = ask(&["--version"])?.lines().next().unwrap_or_default().to_string();
    let machines = ask(&["-M", "help"])?;
    let machine_type = alias_target(&machines, qemu::MACHINE_TYPE).with_context(|| {
        format!("`{} -M help` does not say which machine {} stands for", qemu.display(), qemu::MACHINE_TYPE)
    })?;
    let found = (version, machine_type);
    seen.lock().unwrap_or_else(|e| e.into_inner()).insert(qemu.to_path_buf(), found.clone());
    Ok(found)
}

/// From `-M help`'s `s390-ccw-virtio  Virtual s390x machine (version 10.0) (alias of
/// s390-ccw-virtio-10.0)`: the versioned name.
fn alias_target(machines: &str, alias: &str) -> Option<String> {
    let line = machines.lines().find(|l| l.split_whitespace().next() == Some(alias))?;
    let start = line.find("(alias of ")? + "(alias of ".len();
    let end = line[start..].find(')')? + start;
    Some(line[start..end].to_string())
}

/// The machine a snapshot in `dir` is saved on and resumed with (its disk and state set per use).
fn machine(ctx: &RunContext, kernel: &Kernel, dir: &Path, kernel_args: &[String]) -> Result<Machine> {
    Ok(Machine {
        kernel: kernel.bzimage(),
        initrd: dir.join(initramfs::BASE_INITRD),
        kernel_args: kernel_args.to_vec(),
        memory_mib: qemu::GUEST_MEMORY_MIB,
        gdb_port: None,
        resumable: Some(Resumable {
            machine_type: qemu_identity(&ctx.tools.qemu)?.1,
            disk: dir.join("empty-disk.img"),
            qmp: None,
            incoming: None,
        }),
    })
}

/// Whether `dir` holds a whole snapshot whose state file is as recorded: when its size or time
/// differ from the record, its hash decides (a damaged file is made again, never resumed).
fn usable(dir: &Path) -> Result<bool> {
    let Ok(text) = fs::read_to_string(dir.join(RECORD)) else { return Ok(false) };
    let Ok(record) = serde_json::from_str::<Record>(&text) else { return Ok(false) };
    let Ok((size, mtime_ns)) = size_and_time(&dir.join(STATE)) else { return Ok(false) };
    if size == record.size && mtime_ns == record.mtime_ns {
        return Ok(true);
    }
    let same = sha256_file(&dir.join(STATE))? == record.sha256;
    if !same {
        note!(
            "zlab: the saved guest in {} is damaged (its hash differs from the record): saving it again",
            dir.display()
        );
    }
    Ok(same)
}

fn size_and_time(file: &Path) -> Result<(u64, u128)> {
    let meta = fs::metadata(file)?;
    Ok((meta.len(), meta.modified()?.duration_since(UNIX_EPOCH)?.as_nanos()))
}

/// Removes the saved guests of other kernel builds (a rebuild leaves them unusable); those of
/// this build with other kernel arguments stay.
fn remove_stale(root: &Path, inputs: &str) {
    let kernel_line = inputs.lines().find(|l| l.starts_with("kernel ")).unwrap_or_default();
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let theirs = std::fs::read_to_string(entry.path().join(INPUTS)).unwrap_or_default();
        if entry.path().is_dir() && !theirs.lines().any(|l| l == kernel_line) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Boots the guest in `dir` (emptied first), judges its boot, saves it, and records it; the
/// record is written last, so a folder without one is never resumed.
fn make(
    ctx: &RunContext,
    kernel: &Kernel,
    dir: &Path,
    inputs: &str,
    busybox: &Path,
    machine: Machine,
) -> Result<Ready> {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir)?;
    fs::write(dir.join(INPUTS), inputs)?;
    initramfs::snapshot_base(kernel, dir, busybox)?;
    let _ = fs::remove_dir_all(dir.join("guest")); // what the cpio was made from
    let resumable = machine.resumable.as_ref().context("a snapshot's machine is resumable")?;
    fs::File::create(&resumable.disk)?.set_len(DISK_BYTES)?;
    note!("zlab: booting the {} kernel once and saving it; checks resume from the save", kernel.variant);
    let started = Instant::now();
    let console = match boot_and_save(ctx, machine.clone(), dir)? {
        Saved::Ready(console) => console,
        Saved::NotReady(why) => return refuse(dir, why),
    };
    fs::write(dir.join(BOOT_LOG), &console)?;
    let faults = console_faults::scan(&console);
    if !faults.is_empty() {
        let said: Vec<String> = faults.iter().map(|f| format!("  - {}", f.summary())).collect();
        return refuse(dir, format!("its boot showed a fault:\n{}", said.join("\n")));
    }
    let state = dir.join(STATE);
    let (size, mtime_ns) = size_and_time(&state)?;
    let record = Record { sha256: sha256_file(&state)?, size, mtime_ns };
    fs::write(dir.join(RECORD), serde_json::to_string_pretty(&record)?)?;
    note!(
        "zlab: saved the booted guest in {:.1} s ({} MiB): {}",
        started.elapsed().as_secs_f64(),
        size >> 20,
        dir.display()
    );
    Ok(Ready::Usable(Snapshot { machine, state, boot_console: console }))
}

fn refuse(dir: &Path, why: String) -> Result<Ready> {
    let why = format!("no saved guest: {why}\n(boot console: {})", dir.join(BOOT_LOG).display());
    note!("zlab: {why}");
    fs::write(dir.join(REFUSED), &why)?;
    Ok(Ready::Refused(why))
}

enum Saved {
    /// The boot's console, up to its ready line.
    Ready(String),
    NotReady(String),
}

/// Boots `machine` until its init says it is ready, then saves it through QMP into `dir`/state.
fn boot_and_save(ctx: &RunContext, mut machine: Machine, dir: &Path) -> Result<Saved> {
    // A unix socket's path has a length limit, and QEMU's `file:` URI no quoting: both live in a
    // short temporary folder, the state as a link to `dir`.
    let scratch = tempfile::Builder::new().prefix("zlab-save-").tempdir()?;
    let (socket, state) = (scratch.path().join("qmp"), scratch.path().join("state"));
    fs::os::unix::fs::symlink(std::path::absolute(dir.join(STATE))?, &state)?;
    if let Some(resumable) = &mut machine.resumable {
        resumable.qmp = Some(socket.clone());
    }
    let mut cmd = qemu::command(&ctx.tools, &machine);
    let child = crate::host::process::dies_with_zlab(&mut cmd, crate::host::process::Signal::KILL)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {} (run `zlab doctor`)", ctx.tools.qemu.display()))?;
    let mut qemu = Reaper(child);
    let chunks = qemu::stream_chunks(qemu.0.stdout.take().context("QEMU's console pipe")?);
    let mut console = Vec::new();
    let deadline = Instant::now() + BOOT_LIMIT;
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).replace('\r', "");
    loop {
        if text(&console).contains(init::SNAPSHOT_READY) {
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(Saved::NotReady(format!("its boot was not ready in {} s", BOOT_LIMIT.as_secs())));
        }
        match chunks.recv_timeout(deadline - now) {
            Ok(chunk) => console.extend_from_slice(&chunk),
            Err(_) => {
                let mut errors = String::new();
                if let Some(mut stderr) = qemu.0.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut stderr, &mut errors);
                }
                let last = console_faults::last_lines(&text(&console), 10).join("\n  ");
                return Ok(Saved::NotReady(format!("QEMU ended before the boot was ready: {errors}\n  {last}")));
            }
        }
    }
    let mut qmp = Qmp::connect(&socket, Duration::from_secs(10))?;
    qmp.save_to(&state, Duration::from_secs(120)).context("saving the booted guest")?;
    let _ = qmp.execute("quit", serde_json::json!({}));
    let _ = qemu.0.wait();
    let console = text(&console);
    let end = console.find(init::SNAPSHOT_READY).map_or(console.len(), |i| i + init::SNAPSHOT_READY.len());
    if fs::metadata(dir.join(STATE)).map(|m| m.len()).unwrap_or(0) == 0 {
        bail!("QEMU said the guest was saved, but {} is empty", dir.join(STATE).display());
    }
    Ok(Saved::Ready(format!("{}\n", &console[..end])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alias_is_resolved_to_its_versioned_machine() {
        let help = "Supported machines are:\n\
                    s390-ccw-virtio      Virtual s390x machine (version 10.0) (alias of s390-ccw-virtio-10.0)\n\
                    s390-ccw-virtio-10.0 Virtual s390x machine (version 10.0) (default)\n\
                    s390-ccw-virtio-9.2  Virtual s390x machine (version 9.2)\n";
        assert_eq!(alias_target(help, "s390-ccw-virtio").as_deref(), Some("s390-ccw-virtio-10.0"));
        assert_eq!(alias_target("s390-ccw-virtio-9.2  Virtual s390x machine", "s390-ccw-virtio"), None);
    }

    #[test]
    fn a_state_file_that_changed_is_used_only_if_its_hash_is_the_recorded_one() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join(STATE);
        std::fs::write(&state, b"saved guest").unwrap();
        let (size, mtime_ns) = size_and_time(&state).unwrap();
        let record = Record { sha256: sha256_file(&state).unwrap(), size, mtime_ns };
        std::fs::write(dir.path().join(RECORD), serde_json::to_string(&record).unwrap()).unwrap();
        assert!(usable(dir.path()).unwrap());
        std::fs::write(&state, b"saved guest").unwrap(); // the same bytes, a new time
        assert!(usable(dir.path()).unwrap());
        std::fs::write(&state, b"saved gueSt").unwrap(); // the same size, other bytes
        assert!(!usable(dir.path()).unwrap());
        std::fs::remove_file(dir.path().join(RECORD)).unwrap();
        std::fs::write(&state, b"saved guest").unwrap();
        assert!(!usable(dir.path()).unwrap(), "no record: unfinished");
    }
}
