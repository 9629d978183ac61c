// SPDX-License-Identifier: GPL-2.0

//! zlab `zlab_lock_order`: a test-only module that takes two `Mutex`es in one order on one
//! path and in the other order on another: an AB-BA inversion that deadlocks only when both
//! paths run at once. Lockdep (`CONFIG_PROVE_LOCKING`) reports it the first time both orders
//! are seen ("possible circular locking dependency detected"); without lockdep nothing shows.

use kernel::prelude::*;
use kernel::sync::global_lock;

module! {
    type: ZlabLockOrder,
    name: "zlab_lock_order",
    authors: ["zlab"],
    description: "zlab test-only: two mutexes taken in both orders",
    license: "GPL",
}

global_lock! {
    // SAFETY: Initialised in `init` before its first use.
    unsafe(uninit) static ACCOUNTS: Mutex<u32> = 0;
}

global_lock! {
    // SAFETY: Initialised in `init` before its first use.
    unsafe(uninit) static LEDGER: Mutex<u32> = 0;
}

struct ZlabLockOrder;

/// Accounts, then the ledger.
fn deposit() {
    let mut accounts = ACCOUNTS.lock();
    let mut ledger = LEDGER.lock();
    *accounts += 1;
    *ledger += 1;
}

/// The ledger, then accounts: the other order.
fn audit() -> u32 {
    let ledger = LEDGER.lock();
    let accounts = ACCOUNTS.lock();
    *ledger + *accounts
}

impl kernel::Module for ZlabLockOrder {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Called once, before any other use of the two locks.
        unsafe {
            ACCOUNTS.init();
            LEDGER.init();
        }
        deposit();
        pr_info!("audit: {}\n", audit());
        Ok(ZlabLockOrder)
    }
}
