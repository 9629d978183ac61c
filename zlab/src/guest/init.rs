//! What runs inside the guest: busybox as userspace, and an init script that runs a check's steps
//! between markers the verdict reads back from the console.

use crate::context::RunContext;
use crate::host::deb;
use crate::host::temp;
use crate::inputs::check::Step;
use crate::inputs::downloads;
use anyhow::{Context, Result};
use fs_err as fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

pub const INIT_START: &str = "zlab-init: start";
pub const INIT_END: &str = "zlab-init: end";
/// `zlab-step N begin`, then each output line as `zlab-out N| line`, then `zlab-step N end rc=R`.
pub const STEP_PREFIX: &str = "zlab-step ";
pub const OUTPUT_PREFIX: &str = "zlab-out ";

/// How init ends: power off for a verdict, or a shell on the console for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    PowerOff,
    Shell,
}

/// The s390x busybox binary: `ZLAB_BUSYBOX`, else extracted once from the pinned .deb.
pub fn busybox(ctx: &RunContext) -> Result<PathBuf> {
    let paths = &ctx.paths;
    if let Some(path) = &ctx.env.busybox {
        return Ok(path.clone());
    }
    let pins = ctx.pins()?;
    let target = paths.home.join("guest").join(format!("busybox-{}", &pins.busybox.deb.sha256[..12]));
    if target.is_file() {
        return Ok(target);
    }
    let deb = downloads::verified(ctx, &pins.busybox.deb)?;
    fs::create_dir_all(target.parent().unwrap_or(&paths.home))?;
    let partial = temp::beside(&target)?;
    deb::extract(&deb, &format!("./{}", pins.busybox.binary), partial.path())
        .context("extracting busybox from its .deb")?;
    fs::set_permissions(partial.path(), std::fs::Permissions::from_mode(0o755))?;
    temp::move_in(partial, &target)?;
    Ok(target)
}

/// The init script for `steps`, ending as asked.
pub fn init_script(steps: &[Step], ending: Ending) -> String {
    let mut s = String::from(
        "#!/bin/busybox sh\n\
         /bin/busybox --install -s /bin\n\
         export PATH=/bin\n\
         mount -t proc proc /proc\n\
         mount -t sysfs sysfs /sys\n\
         mount -t devtmpfs devtmpfs /dev 2>/dev/null\n\
         mount -t tmpfs tmpfs /tmp\n",
    );
    s.push_str(&format!("echo '{INIT_START}'\n"));
    for (i, _) in steps.iter().enumerate() {
        let n = i + 1;
        s.push_str(&format!(
            "echo '{STEP_PREFIX}{n} begin'\n\
             sh /zlab/steps/{n}.sh > /tmp/zlab-out 2>&1 < /dev/null; rc=$?\n\
             sed 's/^/{OUTPUT_PREFIX}{n}| /' /tmp/zlab-out\n\
             echo \"{STEP_PREFIX}{n} end rc=$rc\"\n"
        ));
    }
    s.push_str(&format!("echo '{INIT_END}'\n"));
    match ending {
        Ending::PowerOff => s.push_str("poweroff -f\n"),
        Ending::Shell => s.push_str(
            "echo 'zlab: modules are in /lib/modules; leave with `poweroff -f`'\n\
             while true; do setsid cttyhack sh -l; done\n",
        ),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(run: &str) -> Step {
        Step { run: run.into(), expect: vec![], exit: 0 }
    }

    #[test]
    fn each_step_runs_from_its_own_file_between_markers() {
        let script = init_script(&[step("a"), step("b")], Ending::PowerOff);
        assert!(script.contains("sh /zlab/steps/2.sh"));
        let start = script.find(INIT_START).unwrap();
        let first = script.find("zlab-step 1 begin").unwrap();
        let end = script.find(INIT_END).unwrap();
        assert!(start < first && first < end);
        assert!(script.trim_end().ends_with("poweroff -f"));
    }

    #[test]
    fn an_interactive_guest_ends_in_a_shell() {
        let script = init_script(&[], Ending::Shell);
        assert!(script.contains("cttyhack sh") && !script.contains("poweroff -f\n"));
    }
}
