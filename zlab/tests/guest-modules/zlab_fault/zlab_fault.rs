// SPDX-License-Identifier: GPL-2.0

//! zlab `zlab_fault`: a test-only module whose `init` provokes a real kernel failure.
//!
//! `insmod zlab_fault.ko mode=N` with N = 0 load cleanly, 1 kernel panic (C `panic()`),
//! 2 oops (a bad kernel pointer dereference), 3 BUG (a Rust `panic!()`), 4 WARNING
//! (`warn_on!`), 5 hang (`init` never returns). It only exists to record consoles for
//! zlab's verdict tests; no normal check ever loads it.

use kernel::prelude::*;
use kernel::time::Delta;

module! {
    type: ZlabFault,
    name: "zlab_fault",
    authors: ["zlab"],
    description: "zlab test-only: provoke a panic, oops, BUG, WARNING or hang at init",
    license: "GPL",
    params: {
        mode: u32 {
            default: 0,
            description: "0 clean, 1 panic, 2 oops, 3 BUG, 4 WARNING, 5 hang",
        },
    },
}

/// Unmapped in this kernel: in the gap between modules (0x3ff6...) and the image (0x3ffe...);
/// unlike address 0 (the lowcore area) it really faults: `Oops: 0010` (segment translation).
const UNMAPPED: usize = 0x3ff_dead_0000;

struct ZlabFault;

impl kernel::Module for ZlabFault {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let mode = module_parameters::mode.value();
        pr_info!("mode={}\n", mode);
        match mode {
            0 => {}
            1 => {
                pr_info!("calling panic()\n");
                // SAFETY: `panic()` takes a printf format; this one is a NUL-terminated string
                // without conversions, so no variadic arguments are read. It never returns.
                unsafe {
                    kernel::bindings::panic(c"zlab_fault: panic requested (mode=1)".as_char_ptr())
                }
            }
            2 => {
                pr_info!("reading from unmapped address {:#x}\n", UNMAPPED);
                let ptr = UNMAPPED as *const u64;
                // SAFETY: Deliberately unsound: `ptr` points at no memory. The CPU raises a
                // translation exception, the kernel oopses and kills `insmod`, so execution never
                // continues past this read. `read_volatile` keeps the compiler from dropping it.
                let value = unsafe { core::ptr::read_volatile(ptr) };
                pr_err!("read {:#x} from {:#x} without an oops\n", value, UNMAPPED);
            }
            3 => {
                pr_info!("calling panic!()\n");
                panic!("zlab_fault: Rust panic requested (mode={})", mode);
            }
            4 => {
                pr_info!("calling warn_on!(true)\n");
                kernel::warn_on!(mode == 4);
            }
            5 => {
                pr_info!("hanging in init\n");
                loop {
                    // Sleeps, so the CPU stays schedulable and no lockup detector fires.
                    kernel::time::delay::fsleep(Delta::from_millis(100));
                }
            }
            _ => {
                pr_err!("unknown mode {}\n", mode);
                return Err(EINVAL);
            }
        }
        pr_info!("loaded\n");
        Ok(ZlabFault)
    }
}

impl Drop for ZlabFault {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
