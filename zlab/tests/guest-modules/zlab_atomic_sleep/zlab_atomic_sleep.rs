// SPDX-License-Identifier: GPL-2.0

//! zlab `zlab_atomic_sleep`: a test-only module that allocates with `GFP_KERNEL`, which may
//! sleep, while it holds a `SpinLock`. On an idle machine the allocation rarely sleeps, so
//! nothing shows; `CONFIG_DEBUG_ATOMIC_SLEEP` reports it every time ("BUG: sleeping function
//! called from invalid context").

use kernel::prelude::*;
use kernel::sync::global_lock;

module! {
    type: ZlabAtomicSleep,
    name: "zlab_atomic_sleep",
    authors: ["zlab"],
    description: "zlab test-only: a GFP_KERNEL allocation under a spinlock",
    license: "GPL",
}

global_lock! {
    // SAFETY: Initialised in `init` before its first use.
    unsafe(uninit) static READINGS: SpinLock<KVec<u32>> = KVec::new();
}

struct ZlabAtomicSleep;

fn record(value: u32) -> Result {
    let mut readings = READINGS.lock();
    readings.push(value, GFP_KERNEL)?;
    Ok(())
}

impl kernel::Module for ZlabAtomicSleep {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Called once, before any other use of `READINGS`.
        unsafe { READINGS.init() };
        record(42)?;
        pr_info!("recorded {} reading(s)\n", READINGS.lock().len());
        Ok(ZlabAtomicSleep)
    }
}
