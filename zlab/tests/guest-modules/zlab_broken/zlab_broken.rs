// SPDX-License-Identifier: GPL-2.0

//! zlab `zlab_broken`: a test-only module with a deliberate type error, to test how zlab
//! reports a module that does not compile (the first error, the module's name, and the other
//! modules' results). No normal check ever builds it.

use kernel::prelude::*;

module! {
    type: ZlabBroken,
    name: "zlab_broken",
    authors: ["zlab"],
    description: "zlab test-only: does not compile",
    license: "GPL",
}

struct ZlabBroken;

impl kernel::Module for ZlabBroken {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let greetings: u32 = "three";
        pr_info!("{} greetings\n", greetings);
        Ok(ZlabBroken)
    }
}
