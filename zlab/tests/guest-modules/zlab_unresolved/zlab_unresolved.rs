// SPDX-License-Identifier: GPL-2.0

//! zlab `zlab_unresolved`: a test-only module that calls a function no kernel exports, so
//! `insmod` fails with "Unknown symbol". It exists to test how zlab reports a module that
//! does not load; no normal check ever loads it.

use kernel::prelude::*;

module! {
    type: ZlabUnresolved,
    name: "zlab_unresolved",
    authors: ["zlab"],
    description: "zlab test-only: needs a symbol nothing exports",
    license: "GPL",
}

unsafe extern "C" {
    fn zlab_no_such_symbol() -> i32;
}

struct ZlabUnresolved;

impl kernel::Module for ZlabUnresolved {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: never runs: the kernel refuses the module while the symbol is unresolved.
        let value = unsafe { zlab_no_such_symbol() };
        pr_info!("zlab_no_such_symbol() = {}\n", value);
        Ok(ZlabUnresolved)
    }
}
