//! What runs inside the guest: busybox as userspace, and an init script that runs a check's steps
//! between markers the verdict reads back from the console.

use crate::context::RunContext;
use crate::host::deb;
use crate::host::temp;
use crate::inputs::check::{BuiltinSuites, ResumedKunit, Step};
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
/// `zlab-module NAME SECTION ADDRESS`: where insmod loaded a module's code, so that a report
/// printed after rmmod, which names its code by bare address (kmemleak's), is still decoded.
pub const MODULE_LOADED: &str = "zlab-module ";

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

/// Each line of kmemleak's report, as init copies it to the console (judge::console_faults).
pub const KMEMLEAK_PREFIX: &str = "zlab-kmemleak| ";

/// After the steps, on a kernel with kmemleak: its scans, and its report (`unreferenced object
/// …` and the allocation's backtrace, one an object, without their hex dumps) copied to the
/// console for the verdict. kmemleak reports an object only
/// once it is 5 s old and two scans in a row found no pointer to it. The report is read from
/// its file, not printed by the kernel (`kmemleak.verbose=1`): printing it under kmemleak's
/// object lock, through the SCLP console, closes a lock cycle lockdep reports. The first scan
/// runs at once (it records each object's checksum; a young object is not reported yet), the
/// second once 5 s have passed since the steps ended.
const LEAK_SCAN: &str =
    "echo 'zlab-leaks: two scans, the second 5 s after the steps (kmemleak reports objects that old)'
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
steps_ended=$(cut -d' ' -f1 /proc/uptime)
echo scan >/sys/kernel/debug/kmemleak
sleep $(awk -v t=\"$steps_ended\" '{ s = t + 5.2 - $1; print (s > 0 ? s : 0) }' /proc/uptime)
echo scan >/sys/kernel/debug/kmemleak
echo \"zlab-leaks: scanned, $(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak) unreferenced object(s)\"
sed '/hex dump/,/backtrace/{/backtrace/!d}' /sys/kernel/debug/kmemleak | head -n 1000 | sed 's/^/zlab-kmemleak| /'
";

/// What the kernel needs on its command line for LEAK_SCAN: SLUB's sheaves off in the kmalloc
/// caches (`KBox`, `KVec` and C's kmalloc; any `slab_debug` flag turns a cache's sheaves off,
/// `U`, recording owners, is the lightest), whose stale pointers hide nearly every leaked
/// object, and KFENCE off, whose pool hides the odd one.
pub const LEAK_SCAN_KERNEL_ARGS: &[&str] = &["slab_debug=U,kmalloc-*", "kfence.sample_interval=0"];

/// Where the guest keeps INSMOD.
pub const INSMOD_PATH: &str = "/zlab/insmod";

/// `insmod` in the guest's steps: busybox's, then a MODULE_LOADED line on the console for each
/// code section of the module (the kernel names a module by its file name with `-` made `_`).
pub const INSMOD: &str = r#"#!/bin/busybox sh
/bin/busybox insmod "$@"
rc=$?
[ $rc -eq 0 ] || exit $rc
name=$(basename "$1" .ko | tr - _)
for section in /sys/module/"$name"/sections/.*text*; do
    [ -r "$section" ] && echo "zlab-module $name ${section##*/} $(cat "$section")" >/dev/console
done
exit 0
"#;

/// A step's file in the guest: its commands, with `insmod` meaning INSMOD (busybox's shell runs
/// its own applets before any file in PATH; a function comes before both).
pub fn step_file(step: &Step) -> String {
    format!("insmod() {{ {INSMOD_PATH} \"$@\"; }}; {}\n", step.run)
}

/// What every init does first: busybox's applets as commands, and the file systems a check uses.
const INIT_SETUP: &str = "/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
";

/// The init script for `steps`, with a leak scan after them if asked, ending as asked: a full
/// boot's /init.
pub fn init_script(steps: &[Step], leak_scan: bool, ending: Ending) -> String {
    format!("#!/bin/busybox sh\n{INIT_SETUP}{}", check_part(steps, None, leak_scan, ending))
}

/// The check's own part of an init: what a resumed guest runs as /zlab/check, its file systems
/// already mounted by the saved boot (snapshot_init). Before any step it does what `kunit`
/// says: runs the built-in suites the saved boot did not (`kunit.autorun=0`), or sets the
/// filter its module's suite is held to at insmod.
pub fn check_script(steps: &[Step], kunit: Option<&ResumedKunit>, leak_scan: bool, ending: Ending) -> String {
    format!("#!/bin/busybox sh\nexport PATH=/bin\n{}", check_part(steps, kunit, leak_scan, ending))
}

/// The filter module suites are held to at insmod, set in a resumed guest. Written without a
/// newline: the kernel keeps one as part of the glob, which then matches no suite.
fn kunit_filter(suite: &str) -> String {
    format!("printf %s '{suite}' >/sys/module/kunit/parameters/filter_glob\n")
}

/// A resumed guest says this, and powers off, when a suite cannot run after the boot (it is in
/// the init section, or the kernel has no KUNIT_DEBUGFS): the check then boots in full.
pub const KUNIT_NOT_AFTER_RESUME: &str = "zlab-kunit: cannot run after a resume: ";

/// Runs built-in suites through debugfs, each as KUnit prints a module's suite at insmod (its
/// own `KTAP version 1` and `1..1`: each run through debugfs numbers its suite 1). `All` runs
/// them in the order the kernel registered them, as the boot would: debugfs lists the newest
/// first (busybox's ls cannot list unsorted; its find does). A named suite the kernel does not
/// have gives what the boot's filter gives: a plan of no suites.
fn kunit_suites(suites: &BuiltinSuites) -> String {
    let dirs = match suites {
        BuiltinSuites::All => "$(find . -mindepth 1 -maxdepth 1 | tac | sed 's|^[.]/||')".to_string(),
        BuiltinSuites::Named(suite) => format!("'{suite}'"),
    };
    format!(
        "mount -t debugfs debugfs /sys/kernel/debug\n\
         cd /sys/kernel/debug/kunit 2>/dev/null || {{ echo '{KUNIT_NOT_AFTER_RESUME}the kernel has no /sys/kernel/debug/kunit (KUNIT_DEBUGFS)'; poweroff -f; }}\n\
         for suite in {dirs}; do\n\
         \x20   if [ ! -d \"$suite\" ]; then echo 'KTAP version 1'; echo '1..0'; continue; fi\n\
         \x20   [ -e \"$suite/run\" ] || {{ echo \"{KUNIT_NOT_AFTER_RESUME}KUnit suite $suite runs only while the kernel boots (it is in the init section)\"; poweroff -f; }}\n\
         \x20   echo 'KTAP version 1'; echo '1..1'\n\
         \x20   echo run >\"$suite/run\"\n\
         done\n\
         cd /\n"
    )
}

fn check_part(steps: &[Step], kunit: Option<&ResumedKunit>, leak_scan: bool, ending: Ending) -> String {
    let mut s = format!("echo '{INIT_START}'\n");
    match kunit {
        Some(ResumedKunit::Run(suites)) => s.push_str(&kunit_suites(suites)),
        Some(ResumedKunit::Filter(suite)) => s.push_str(&kunit_filter(suite)),
        None => {}
    }
    for (i, _) in steps.iter().enumerate() {
        let n = i + 1;
        s.push_str(&format!(
            "echo '{STEP_PREFIX}{n} begin'\n\
             sh /zlab/steps/{n}.sh > /tmp/zlab-out 2>&1 < /dev/null; rc=$?\n\
             sed 's/^/{OUTPUT_PREFIX}{n}| /' /tmp/zlab-out\n\
             echo \"{STEP_PREFIX}{n} end rc=$rc\"\n"
        ));
    }
    if leak_scan {
        s.push_str(LEAK_SCAN);
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

/// The saved guest's init says this once booted, then waits for a check (snapshot_init).
pub const SNAPSHOT_READY: &str = "zlab-snapshot: ready, waiting for a check on /dev/vda";
/// …or this, when no check came on the disk (the disk was not written before the resume).
pub const PAYLOAD_MISSING: &str = "zlab-snapshot: no check arrived on /dev/vda";
/// The guest device the check arrives on: a read-only virtio-blk disk, empty when the guest is
/// saved, holding the check's cpio (its /zlab/check, steps and modules) when it is resumed.
pub const PAYLOAD_DEVICE: &str = "/dev/vda";

/// The init of the guest zlab saves after its boot (guest/snapshot.rs). It polls the disk every
/// 20 ms, dropping the page cache that still holds the empty disk from before the save, until a
/// cpio's magic shows (`070701`, the newc format gen_init_cpio writes); then unpacks it and runs
/// the check. About 5 s without a check ends the guest, named, instead of polling until the
/// check's time limit.
pub fn snapshot_init() -> String {
    format!(
        "#!/bin/busybox sh\n{INIT_SETUP}echo '{SNAPSHOT_READY}'\n\
         tries=0\n\
         until [ \"$(head -c 6 {PAYLOAD_DEVICE} 2>/dev/null)\" = 070701 ]; do\n\
         \x20   tries=$((tries + 1))\n\
         \x20   if [ $tries -gt 250 ]; then echo '{PAYLOAD_MISSING}'; poweroff -f; fi\n\
         \x20   usleep 20000\n\
         \x20   blockdev --flushbufs {PAYLOAD_DEVICE} 2>/dev/null\n\
         done\n\
         cd / && cpio -i -d -m -u <{PAYLOAD_DEVICE} 2>/dev/null\n\
         exec /zlab/check\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(run: &str) -> Step {
        Step { run: run.into(), expect: vec![], exit: 0 }
    }

    #[test]
    fn each_step_runs_from_its_own_file_between_markers() {
        let script = init_script(&[step("a"), step("b")], false, Ending::PowerOff);
        assert!(script.contains("sh /zlab/steps/2.sh"));
        let start = script.find(INIT_START).unwrap();
        let first = script.find("zlab-step 1 begin").unwrap();
        let end = script.find(INIT_END).unwrap();
        assert!(start < first && first < end);
        assert!(script.trim_end().ends_with("poweroff -f"));
    }

    #[test]
    fn a_leak_scan_comes_after_the_steps() {
        let script = init_script(&[step("a")], true, Ending::PowerOff);
        let scan = script.find("echo scan >/sys/kernel/debug/kmemleak").unwrap();
        assert!(script.find("zlab-step 1 end").unwrap() < scan && scan < script.find(INIT_END).unwrap());
        assert!(!init_script(&[step("a")], false, Ending::PowerOff).contains("kmemleak"));
    }

    #[test]
    fn a_steps_insmod_says_where_it_loaded_the_code() {
        let file = step_file(&step("insmod /lib/modules/a.ko\necho done"));
        // On the step's first line, so the shell's line numbers are the step's own.
        assert_eq!(file.lines().count(), 2);
        assert!(file.starts_with(&format!("insmod() {{ {INSMOD_PATH} \"$@\"; }}; insmod /lib")), "{file}");
        assert!(INSMOD.contains(&format!("echo \"{MODULE_LOADED}$name ")), "{INSMOD}");
    }

    #[test]
    fn a_resumed_check_runs_what_a_booted_one_does_without_mounting_again() {
        let steps = [step("a"), step("b")];
        let booted = init_script(&steps, true, Ending::PowerOff);
        let resumed = check_script(&steps, None, true, Ending::PowerOff);
        let from_start = |s: &str| s[s.find(INIT_START).unwrap()..].to_string();
        assert_eq!(from_start(&booted), from_start(&resumed));
        assert!(booted.contains("mount -t proc") && !resumed.contains("mount -t proc"));
    }

    #[test]
    fn a_resumed_check_of_built_in_suites_runs_them_through_debugfs_before_any_step() {
        let all = check_script(&[step("a")], Some(&ResumedKunit::Run(BuiltinSuites::All)), false, Ending::PowerOff);
        let run = all.find("echo run >\"$suite/run\"").unwrap();
        assert!(all.find(INIT_START).unwrap() < run && run < all.find("zlab-step 1 begin").unwrap(), "{all}");
        assert!(all.contains("for suite in $(find . -mindepth 1 -maxdepth 1 | tac | sed 's|^[.]/||'); do"), "{all}");
        let named =
            check_script(&[], Some(&ResumedKunit::Run(BuiltinSuites::Named("mine".into()))), false, Ending::PowerOff);
        assert!(named.contains("for suite in 'mine'; do"), "{named}");
        assert!(named.contains(&format!("echo \"{KUNIT_NOT_AFTER_RESUME}KUnit suite $suite runs only")), "{named}");
        // A full boot's KUnit runs them itself.
        assert!(!init_script(&[], false, Ending::PowerOff).contains("kunit"));
        // A module's suite: its filter set before the steps, with no newline after it.
        let filtered = check_script(&[step("a")], Some(&ResumedKunit::Filter("mine".into())), false, Ending::PowerOff);
        let set = filtered.find("printf %s 'mine' >/sys/module/kunit/parameters/filter_glob\n").unwrap();
        assert!(filtered.find(INIT_START).unwrap() < set && set < filtered.find("zlab-step 1 begin").unwrap());
    }

    #[test]
    fn the_saved_guest_says_it_is_ready_and_waits_for_its_disk() {
        let init = snapshot_init();
        assert!(init.contains(&format!("{INIT_SETUP}echo '{SNAPSHOT_READY}'")), "{init}");
        assert!(init.contains(&format!("then echo '{PAYLOAD_MISSING}'; poweroff -f; fi")), "{init}");
        assert!(init.contains("cpio -i -d -m -u </dev/vda"), "{init}");
        assert!(init.trim_end().ends_with("exec /zlab/check"), "{init}");
    }

    #[test]
    fn an_interactive_guest_ends_in_a_shell() {
        let script = init_script(&[], false, Ending::Shell);
        assert!(script.contains("cttyhack sh") && !script.contains("poweroff -f\n"));
    }
}
