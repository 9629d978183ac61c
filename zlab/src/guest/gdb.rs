//! `zlab boot --gdb`: the port QEMU's gdbstub listens on, and the exact gdb command to paste into
//! another terminal to debug the guest's kernel from its first instruction.

use crate::build::kernel::Kernel;
use crate::host::process::shell_line;
use anyhow::{bail, Context, Result};
use fs_err as fs;
use std::path::Path;

/// What `--gdb` adds to a guest's kernel command line: the kernel then runs at the address the
/// gdb command loads its symbols at (CONFIG_KERNEL_IMAGE_BASE), whatever the configuration says
/// about KASLR.
pub const KERNEL_ARGS: &[&str] = &["nokaslr"];

/// A debugger's way into a guest: QEMU's gdbstub port and the gdb command line that attaches.
pub struct Debugger {
    pub port: u16,
    pub command: Vec<String>,
    /// The kernel's own gdb scripts (lx-dmesg, lx-symbols, …) load with the command.
    pub scripts: bool,
}

impl Debugger {
    /// For `kernel`, on `port` (a free one of 127.0.0.1 when none is given).
    pub fn new(gdb: &Path, kernel: &Kernel, port: Option<u16>) -> Result<Debugger> {
        let port = match port {
            Some(port) => port,
            None => free_port()?,
        };
        let config = fs::read_to_string(kernel.dir.join(".config"))?;
        let Some(base) = kernel_image_base(&config) else {
            bail!("{}/.config has no CONFIG_KERNEL_IMAGE_BASE: is it an s390 kernel?", kernel.dir.display());
        };
        let scripts = kernel.dir.join("vmlinux-gdb.py").exists();
        Ok(Debugger { port, command: command(gdb, &kernel.dir, base, scripts, port), scripts })
    }

    /// What zlab prints before QEMU starts.
    pub fn announcement(&self) -> String {
        let scripts = if self.scripts {
            "The kernel's gdb scripts load with it: try `lx-version`, `lx-dmesg`, `lx-ps`, `lx-lsmod`, and `lx-symbols` once a module is loaded (gdb 16 or newer; Debian 12's 13.1 fails it with \"PC not saved\")."
        } else {
            "This kernel has no debug info (no DWARF, no lx- scripts); breakpoints on function names still work."
        };
        format!(
            "zlab: QEMU waits for a debugger on 127.0.0.1:{port}; the guest runs once gdb says `continue`. In another terminal:\n\n    {}\n\n\
             Then e.g. `break do_init_module` and `continue`. {scripts}\n\
             With --gdb there is no time limit (a guest stopped in gdb is not hung); Ctrl-C here stops QEMU.\n",
            shell_line(&self.command),
            port = self.port
        )
    }
}

/// A port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port on 127.0.0.1")?;
    Ok(listener.local_addr()?.port())
}

/// CONFIG_KERNEL_IMAGE_BASE: s390's vmlinux is linked at 0, and with KASLR off the boot code
/// places the kernel at this virtual address.
pub fn kernel_image_base(config: &str) -> Option<u64> {
    let value = config.lines().find_map(|l| l.strip_prefix("CONFIG_KERNEL_IMAGE_BASE="))?;
    u64::from_str_radix(value.trim().trim_start_matches("0x").trim_start_matches("0X"), 16).ok()
}

/// gdb with vmlinux's symbols at the kernel's run-time address, attached to the stub. The
/// auto-load path lets gdb run the build dir's vmlinux-gdb.py (the kernel's scripts), and gdb
/// works in the build dir: `lx-symbols` reloads `vmlinux` by that relative name, then finds the
/// modules' .ko files below it.
pub fn command(gdb: &Path, build_dir: &Path, base: u64, scripts: bool, port: u16) -> Vec<String> {
    let mut words = vec![gdb.display().to_string(), "-q".into()];
    if scripts {
        words.push(format!("--cd={}", build_dir.display()));
        words.extend(["-iex".into(), format!("add-auto-load-safe-path {}", build_dir.display())]);
    }
    words.extend([
        "-ex".into(),
        format!("symbol-file {} -o {base:#x}", build_dir.join("vmlinux").display()),
        "-ex".into(),
        format!("target remote 127.0.0.1:{port}"),
    ]);
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_base_comes_from_the_config() {
        let config = "CONFIG_64BIT=y\nCONFIG_KERNEL_IMAGE_BASE=0x3FFE0000000\n";
        assert_eq!(kernel_image_base(config), Some(0x3ffe0000000));
        assert_eq!(kernel_image_base("CONFIG_64BIT=y\n"), None);
    }

    #[test]
    fn the_command_loads_symbols_at_the_base_and_attaches_to_loopback() {
        let words = command(Path::new("gdb-multiarch"), Path::new("/b/debug"), 0x3ffe0000000, true, 40123);
        assert_eq!(
            shell_line(&words),
            "gdb-multiarch -q --cd=/b/debug -iex 'add-auto-load-safe-path /b/debug' \
             -ex 'symbol-file /b/debug/vmlinux -o 0x3ffe0000000' -ex 'target remote 127.0.0.1:40123'"
        );
        let bare = command(Path::new("gdb"), Path::new("/b/test"), 0x3ffe0000000, false, 1);
        assert!(!bare.iter().any(|w| w.contains("auto-load") || w.starts_with("--cd")), "{bare:?}");
    }
}
