// SPDX-License-Identifier: GPL-2.0

//! zlab `zlab_leak`: a test-only module that leaks memory on purpose: `KBox::leak` of 32
//! buffers of 512 bytes, never freed, not even on unload. kmemleak (`CONFIG_DEBUG_KMEMLEAK`)
//! reports each as an "unreferenced object" once it is old enough and a scan finds no pointer to it.

use kernel::prelude::*;

module! {
    type: ZlabLeak,
    name: "zlab_leak",
    authors: ["zlab"],
    description: "zlab test-only: leaks 32 buffers of 512 bytes",
    license: "GPL",
}

const BUFFERS: usize = 32;

struct ZlabLeak;

fn scratch_buffer(fill: u8) -> Result<&'static mut [u8; 512]> {
    let buffer = KBox::new([fill; 512], GFP_KERNEL)?;
    Ok(KBox::leak(buffer))
}

impl kernel::Module for ZlabLeak {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let mut sum = 0usize;
        for i in 0..BUFFERS {
            sum += usize::from(scratch_buffer(i as u8)?[0]);
        }
        pr_info!("leaked {} buffers (checksum {})\n", BUFFERS, sum);
        Ok(ZlabLeak)
    }
}
