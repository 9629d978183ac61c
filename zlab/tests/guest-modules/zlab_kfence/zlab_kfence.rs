// SPDX-License-Identifier: GPL-2.0

//! zlab `zlab_kfence`: a test-only module that reads one byte past the end of a `KBox`'d buffer
//! through a raw pointer: an off-by-one (`0..=LEN`) that `unsafe` Rust compiles. Mostly the read
//! returns a byte of the next slab object and nothing shows. KFENCE (`CONFIG_KFENCE`) puts one
//! sampled allocation per interval against a guard page and reports the read there ("BUG:
//! KFENCE: out-of-bounds read"); the check boots with `kfence.sample_interval=1`, and the module
//! allocates and reads again until KFENCE has reported, at most `ATTEMPTS` times. On the
//! `kasan` kernel KASAN reports the first read ("BUG: KASAN: slab-out-of-bounds"), which ends
//! the loop the same way.

use kernel::prelude::*;
use kernel::time::{delay::fsleep, Delta};

module! {
    type: ZlabKfence,
    name: "zlab_kfence",
    authors: ["zlab"],
    description: "zlab test-only: reads one byte past the end of a kmalloc'd buffer",
    license: "GPL",
}

/// The buffer's length: a multiple of the allocator's alignment, so that a KFENCE object placed
/// at the end of its page ends where the guard page begins.
const LEN: usize = 64;

/// KFENCE samples one allocation per interval and puts it at either end of its page, so one
/// attempt in two or more goes unseen: ten boots of ten need retries, 10 ms apart (in 24 boots
/// the 2nd to the 6th attempt was caught).
const ATTEMPTS: u32 = 200;

struct ZlabKfence;

/// The sum of the buffer's bytes, as a careless driver might count them: `0..=LEN`, one too many.
fn checksum(buffer: &[u8; LEN]) -> u32 {
    let start = buffer.as_ptr();
    let mut sum = 0u32;
    for i in 0..=LEN {
        // SAFETY: Deliberately unsound (the bug): at `i == LEN` this reads one byte past the end.
        sum += u32::from(unsafe { core::ptr::read_volatile(start.add(i)) });
    }
    sum
}

/// Whether KFENCE has reported: it taints the kernel `B` (bad page) with each report.
fn kfence_reported() -> bool {
    // SAFETY: `test_taint` only reads the kernel's taint flags.
    unsafe { kernel::bindings::test_taint(kernel::bindings::TAINT_BAD_PAGE) != 0 }
}

impl kernel::Module for ZlabKfence {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        for attempt in 1..=ATTEMPTS {
            let buffer = KBox::new([1u8; LEN], GFP_KERNEL)?;
            let sum = checksum(&buffer);
            if kfence_reported() {
                pr_info!("KFENCE reported attempt {} (checksum {})\n", attempt, sum);
                return Ok(ZlabKfence);
            }
            // Lets KFENCE's timer sample again: 1 ms is one jiffy, 4 ms at HZ=250.
            fsleep(Delta::from_millis(10));
        }
        pr_info!("{} attempts, no KFENCE report\n", ATTEMPTS);
        Ok(ZlabKfence)
    }
}
