//! Where a check's wall time went: the kernel (its up-to-date check, or a build), the module
//! builds, the initramfs, and, from when console lines arrived, boot to init, the check's steps
//! and the power-off. What `zlab bench` and `zlab test --json` report.

use crate::guest::init::{INIT_END, INIT_START};
use crate::guest::qemu::Run;
use crate::run::resume::RESUMED_HERE;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Seconds of host wall time per phase; a boot phase is absent when its console line never
/// came (a guest that panicked before init has no steps phase).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Phases {
    pub kernel: f64,
    pub modules: f64,
    pub initramfs: f64,
    pub boot_to_init: Option<f64>,
    pub steps: Option<f64>,
    pub shutdown: Option<f64>,
}

/// The phases by their JSON names, in the order they happen.
pub const NAMES: [&str; 6] = ["kernel", "modules", "initramfs", "boot_to_init", "steps", "shutdown"];

/// The kernel's line as it starts init; everything before it is boot.
pub const INIT_LINE: &str = "Run /init as init process";

impl Phases {
    /// The boot phases of `run`; for a resumed guest, boot_to_init runs from QEMU's start to
    /// the check's start.
    pub fn with_boot(mut self, run: &Run) -> Phases {
        let init =
            if run.console.contains(RESUMED_HERE) { run.arrival_of(INIT_START) } else { run.arrival_of(INIT_LINE) };
        let end = run.arrival_of(INIT_END);
        self.boot_to_init = init.map(secs);
        self.steps = init.zip(end).map(|(i, e)| secs(e.saturating_sub(i)));
        self.shutdown = end.filter(|_| !run.timed_out).map(|e| secs(run.elapsed.saturating_sub(e)));
        self
    }

    pub fn boot(&self) -> Option<f64> {
        Some(self.boot_to_init? + self.steps? + self.shutdown?)
    }

    /// Each phase with its name from `NAMES`.
    pub fn by_name(&self) -> [(&'static str, Option<f64>); 6] {
        let values =
            [Some(self.kernel), Some(self.modules), Some(self.initramfs), self.boot_to_init, self.steps, self.shutdown];
        std::array::from_fn(|i| (NAMES[i], values[i]))
    }
}

pub fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(console: &str, times: &[u64], elapsed: u64, timed_out: bool) -> Run {
        Run {
            console: console.into(),
            timed_out,
            qemu_errors: String::new(),
            elapsed: Duration::from_millis(elapsed),
            line_times: times.iter().map(|&t| Duration::from_millis(t)).collect(),
        }
    }

    #[test]
    fn boot_phases_come_from_when_the_lines_arrived() {
        let console = "[ 0.1] Linux version\n[ 0.9] Run /init as init process\nzlab-init: start\nzlab-init: end\n";
        let p = Phases::default().with_boot(&run(console, &[400, 1000, 1100, 1500], 1600, false));
        assert_eq!((p.boot_to_init, p.steps, p.shutdown), (Some(1.0), Some(0.5), Some(0.1)));
        assert_eq!(p.boot().map(|b| (b * 10.0).round()), Some(16.0));
    }

    #[test]
    fn a_resumed_guest_is_at_init_when_the_check_starts() {
        let console = format!(
            "[ 0.9] Run /init as init process\nzlab-snapshot: ready\n{RESUMED_HERE}\nzlab-init: start\nzlab-init: end\n"
        );
        let p = Phases::default().with_boot(&run(&console, &[0, 0, 0, 300, 900], 1000, false));
        assert_eq!((p.boot_to_init, p.steps, p.shutdown), (Some(0.3), Some(0.6), Some(0.1)));
    }

    #[test]
    fn the_names_are_the_json_field_names() {
        let json = serde_json::to_value(Phases { steps: Some(0.5), ..Phases::default() }).unwrap();
        let fields: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let mut names = NAMES.to_vec();
        names.sort();
        let mut sorted = fields.clone();
        sorted.sort();
        assert_eq!(sorted, names);
        for (name, value) in (Phases { steps: Some(0.5), ..Phases::default() }).by_name() {
            assert_eq!(json[name].as_f64(), value, "{name}");
        }
    }

    #[test]
    fn a_guest_that_never_reached_init_has_only_what_it_did() {
        let p = Phases::default().with_boot(&run("[ 0.1] Kernel panic\n", &[300], 5000, true));
        assert_eq!((p.boot_to_init, p.steps, p.shutdown), (None, None, None));
        assert_eq!(p.boot(), None);
    }
}
