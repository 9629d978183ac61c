//! qemu-system-s390x: the machine zlab boots (an s390-ccw-virtio guest with only an SCLP console,
//! no network, no host folders; with a debugger, a gdbstub on 127.0.0.1) and a runner that
//! records the console, enforces the time limit and always reaps QEMU.

use crate::toolchain::tools::Toolchain;
use crate::ui::progress::StatusLine;
use anyhow::{Context, Result};
use fs_err as fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Machine {
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    pub kernel_args: Vec<String>,
    pub memory_mib: u32,
    /// Start halted, with QEMU's gdbstub on this port of 127.0.0.1 (never another interface).
    pub gdb_port: Option<u16>,
    /// A guest that is saved after its boot, or resumed from such a save (guest/snapshot.rs).
    pub resumable: Option<Resumable>,
}

/// What a guest that can be saved and resumed has besides: a pinned machine type, the disk a
/// check arrives on, and QMP (to save it) or a saved state (to resume from).
#[derive(Clone)]
pub struct Resumable {
    /// The versioned machine type (`s390-ccw-virtio-10.0`): a saved guest resumes only on the
    /// machine it was saved on, and the alias moves with QEMU's version.
    pub machine_type: String,
    /// A raw file, attached read-only as the guest's /dev/vda (init::PAYLOAD_DEVICE).
    pub disk: PathBuf,
    /// QEMU's QMP socket, to save the guest with `migrate`.
    pub qmp: Option<PathBuf>,
    /// The saved state to start from (`-incoming file:`), instead of booting.
    pub incoming: Option<PathBuf>,
}

/// Every guest's memory.
pub const GUEST_MEMORY_MIB: u32 = 512;

/// The machine type every guest runs on; guest/snapshot.rs resolves it to its versioned name.
pub const MACHINE_TYPE: &str = "s390-ccw-virtio";

/// KVM when the host is an s390x with /dev/kvm; software emulation (TCG) everywhere else.
pub fn accelerator() -> &'static str {
    if std::env::consts::ARCH == "s390x" && Path::new("/dev/kvm").exists() {
        "kvm"
    } else {
        "tcg"
    }
}

pub fn command(tc: &Toolchain, machine: &Machine) -> Command {
    let mut append = vec!["console=ttysclp0".to_string()];
    append.extend(machine.kernel_args.iter().cloned());
    let mut cmd = Command::new(&tc.qemu);
    let machine_type = machine.resumable.as_ref().map_or(MACHINE_TYPE, |r| r.machine_type.as_str());
    cmd.args(["-M", machine_type, "-accel", accelerator()])
        .args(["-cpu", if accelerator() == "kvm" { "host" } else { "qemu" }])
        .args(["-m", &machine.memory_mib.to_string()])
        // -nodefaults: no NIC, no disks, no monitor — the SCLP console is the guest's only device.
        .args(["-nodefaults", "-nographic", "-no-reboot"])
        .args(["-device", "sclpconsole,chardev=con", "-chardev", "stdio,id=con"])
        .arg("-kernel")
        .arg(&machine.kernel)
        .arg("-initrd")
        .arg(&machine.initrd)
        .args(["-append", &append.join(" ")]);
    if let Some(resumable) = &machine.resumable {
        // In QEMU's option syntax a comma is written twice.
        let disk = resumable.disk.to_string_lossy().replace(',', ",,");
        cmd.args(["-drive", &format!("file={disk},format=raw,if=none,id=payload,readonly=on")])
            .args(["-device", "virtio-blk-ccw,drive=payload"]);
        if let Some(qmp) = &resumable.qmp {
            cmd.arg("-qmp").arg(format!("unix:{},server=on,wait=off", qmp.display()));
        }
        if let Some(state) = &resumable.incoming {
            cmd.arg("-incoming").arg(format!("file:{}", state.display()));
        }
    }
    if let Some(port) = machine.gdb_port {
        // -S: no instruction runs before the debugger says `continue`.
        cmd.args(["-S", "-gdb", &format!("tcp:127.0.0.1:{port}")]);
    }
    cmd
}

pub struct Run {
    /// The console as text, carriage returns removed.
    pub console: String,
    pub timed_out: bool,
    /// What QEMU itself said on stderr (a bad option, a missing file).
    pub qemu_errors: String,
    pub elapsed: Duration,
    /// When each console line arrived, counted from QEMU's start: one entry per line.
    pub line_times: Vec<Duration>,
}

impl Run {
    /// When the first console line containing `text` arrived.
    pub fn arrival_of(&self, text: &str) -> Option<Duration> {
        self.console.lines().zip(&self.line_times).find(|(line, _)| line.contains(text)).map(|(_, t)| *t)
    }
}

/// Kills and reaps QEMU whenever the runner is left, even through an error.
pub struct Reaper(pub Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// What the user sees of a guest's console while it boots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// A spinner with its latest line (on a terminal only).
    Spinner,
    /// Every byte as it comes (`-v`, `zlab boot`).
    Console,
    /// Every line as it comes, after this prefix (`-v` with several guests at once).
    Prefixed(String),
    /// Nothing: another line owns the terminal.
    Nothing,
}

/// Runs QEMU headless until it exits or `limit` passes (no limit: until it exits); the console
/// goes to `log`, and to the human report's stream as `shown` says.
pub fn run_captured(cmd: Command, log: &Path, limit: Option<Duration>, shown: &Shown) -> Result<Run> {
    run_captured_after(cmd, log, limit, shown, "")
}

/// run_captured, with `before` at the head of the console and the log as if the guest had
/// printed it when QEMU started (a resumed guest's saved boot).
pub fn run_captured_after(
    mut cmd: Command,
    log: &Path,
    limit: Option<Duration>,
    shown: &Shown,
    before: &str,
) -> Result<Run> {
    let mut log_file = fs::File::create(log)?;
    log_file.write_all(before.as_bytes())?;
    let mut partial_line = Vec::new();
    echo(shown, before.as_bytes(), &mut partial_line);
    let started = Instant::now();
    let child = crate::host::process::dies_with_zlab(&mut cmd, crate::host::process::Signal::KILL)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {} (run `zlab doctor`)", cmd.get_program().to_string_lossy()))?;
    let mut qemu = Reaper(child);
    let stdout = qemu.0.stdout.take().context("QEMU's console pipe")?;
    let mut stderr = qemu.0.stderr.take().context("QEMU's stderr pipe")?;
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let chunks = stream_chunks(stdout);

    let deadline = limit.map(|limit| started + limit);
    let mut console = before.as_bytes().to_vec();
    let mut timed_out = false;
    let mut line_times = vec![Duration::ZERO; before.lines().count()];
    let mut spinner = (*shown == Shown::Spinner).then(|| StatusLine::spinner("booting"));
    loop {
        let wait = match deadline {
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    timed_out = true;
                    break;
                }
                (deadline - now).min(SPINNER_TICK)
            }
            None => SPINNER_TICK,
        };
        match chunks.recv_timeout(wait) {
            Ok(chunk) => {
                let chunk: Vec<u8> = chunk.into_iter().filter(|&b| b != b'\r').collect();
                let arrived = started.elapsed();
                line_times.extend(chunk.iter().filter(|&&b| b == b'\n').map(|_| arrived));
                log_file.write_all(&chunk)?;
                echo(shown, &chunk, &mut partial_line);
                console.extend_from_slice(&chunk);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if let Some(spinner) = &mut spinner {
            spinner.update(&last_line(&console));
        }
    }
    drop(spinner);
    if !partial_line.is_empty() {
        echo(shown, b"\n", &mut partial_line);
    }
    if !timed_out {
        // QEMU closed its console: let it finish exiting (a timed-out one the reaper kills).
        qemu.0.wait()?;
    }
    drop(qemu);
    let qemu_errors = stderr_reader.join().unwrap_or_default();
    Ok(Run {
        console: String::from_utf8_lossy(&console).into_owned(),
        timed_out,
        qemu_errors,
        elapsed: started.elapsed(),
        line_times,
    })
}

/// Shows console bytes as `shown` says; a prefixed line waits in `partial` until it is whole.
fn echo(shown: &Shown, chunk: &[u8], partial: &mut Vec<u8>) {
    match shown {
        Shown::Console => crate::ui::output::human_write(chunk),
        Shown::Prefixed(prefix) => {
            partial.extend_from_slice(chunk);
            if let Some(end) = partial.iter().rposition(|&b| b == b'\n') {
                let whole: Vec<u8> = partial.drain(..=end).collect();
                let mut text = Vec::new();
                for line in whole.split_inclusive(|&b| b == b'\n') {
                    text.extend_from_slice(prefix.as_bytes());
                    text.extend_from_slice(line);
                }
                crate::ui::output::human_write(&text);
            }
        }
        Shown::Spinner | Shown::Nothing => {}
    }
}

/// How often the boot spinner turns while the console is quiet.
const SPINNER_TICK: Duration = Duration::from_millis(100);

/// The console's last non-empty line so far.
fn last_line(console: &[u8]) -> String {
    let end = console.len().min(4096);
    let recent = String::from_utf8_lossy(&console[console.len() - end..]);
    recent.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").to_string()
}

pub fn stream_chunks(mut reader: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    rx
}

/// Runs QEMU with the terminal as the guest's console.
pub fn run_interactive(mut cmd: Command) -> Result<()> {
    eprintln!(
        "zlab: booting; the guest's shell is on this terminal. Leave with `poweroff -f` in the guest (or Ctrl-C)."
    );
    let status = crate::host::process::dies_with_zlab(&mut cmd, crate::host::process::Signal::KILL)
        .status()
        .with_context(|| format!("could not start {}", cmd.get_program().to_string_lossy()))?;
    if !status.success() {
        anyhow::bail!("QEMU exited with {status}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> Vec<String> {
        args_with_gdb(None)
    }

    fn tool_chain() -> Toolchain {
        Toolchain {
            compiler: crate::toolchain::tools::Compiler::Gcc,
            llvm: "1".into(),
            rustc: "rustc".into(),
            rustdoc: "rustdoc".into(),
            bindgen: "bindgen".into(),
            libclang_dir: "/lib".into(),
            cross_compile: String::new(),
            qemu: "qemu-system-s390x".into(),
            gdb: "gdb-multiarch".into(),
            jobs: 1,
            extra_make_flags: vec![],
        }
    }

    fn args_with_gdb(gdb_port: Option<u16>) -> Vec<String> {
        let tc = tool_chain();
        let machine = Machine {
            kernel: "/k/bzImage".into(),
            initrd: "/r/initramfs.cpio".into(),
            kernel_args: vec!["facilities=!148".into()],
            memory_mib: 512,
            gdb_port,
            resumable: None,
        };
        command(&tc, &machine).get_args().map(|a| a.to_string_lossy().into_owned()).collect()
    }

    /// The guest's only device is its console: no network, no disks, no host folders.
    #[test]
    fn the_guest_gets_no_network_and_no_host_folders() {
        for args in [args(), args_with_gdb(Some(40123))] {
            assert!(args.contains(&"-nodefaults".to_string()), "{args:?}");
            for option in ["-netdev", "-nic", "-net", "-virtfs", "-fsdev", "-drive", "-hda", "-cdrom", "-usb"] {
                assert!(!args.iter().any(|a| a == option), "{option} in {args:?}");
            }
            let devices: Vec<&String> = args.windows(2).filter(|w| w[0] == "-device").map(|w| &w[1]).collect();
            assert_eq!(devices, ["sclpconsole,chardev=con"], "{args:?}");
            assert!(args.iter().any(|a| a == "console=ttysclp0 facilities=!148"));
        }
    }

    /// A resumable guest gets its check's disk, read-only, on the versioned machine it was saved on.
    #[test]
    fn a_resumed_guest_has_one_read_only_disk_on_its_versioned_machine() {
        let machine = Machine {
            kernel: "/k/bzImage".into(),
            initrd: "/r/base.cpio".into(),
            kernel_args: vec![],
            memory_mib: 512,
            gdb_port: None,
            resumable: Some(Resumable {
                machine_type: "s390-ccw-virtio-10.0".into(),
                disk: "/runs/a,b/payload.img".into(),
                qmp: None,
                incoming: Some("/tmp/x/state".into()),
            }),
        };
        let args: Vec<String> =
            command(&tool_chain(), &machine).get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let after = |option: &str| args.windows(2).filter(|w| w[0] == option).map(|w| w[1].clone()).collect::<Vec<_>>();
        assert_eq!(after("-M"), ["s390-ccw-virtio-10.0"]);
        assert_eq!(after("-drive"), ["file=/runs/a,,b/payload.img,format=raw,if=none,id=payload,readonly=on"]);
        assert_eq!(after("-device"), ["sclpconsole,chardev=con", "virtio-blk-ccw,drive=payload"]);
        assert_eq!(after("-incoming"), ["file:/tmp/x/state"]);
        assert!(after("-qmp").is_empty());
    }

    /// With a debugger the guest starts halted and the gdbstub listens on loopback only.
    #[test]
    fn a_debugged_guest_waits_for_gdb_on_loopback_only() {
        let args = args_with_gdb(Some(40123));
        assert!(args.contains(&"-S".to_string()), "{args:?}");
        let stubs: Vec<&String> = args.windows(2).filter(|w| w[0] == "-gdb").map(|w| &w[1]).collect();
        assert_eq!(stubs, ["tcp:127.0.0.1:40123"], "{args:?}");
        assert!(!args.iter().any(|a| a == "-s"), "-s would listen on every interface: {args:?}");
        let plain = args_with_gdb(None);
        assert!(!plain.iter().any(|a| a == "-S" || a == "-gdb"), "{plain:?}");
    }
}
