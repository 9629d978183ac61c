// SPDX-License-Identifier: GPL-2.0

//! zlab `zlab_overflow`: a test-only module with a bug that safe Rust compiles: `u8` arithmetic
//! that overflows. With `CONFIG_RUST_OVERFLOW_CHECKS` it panics ("attempt to add with
//! overflow") at its line; without, it wraps silently and prints 44.

use kernel::prelude::*;

module! {
    type: ZlabOverflow,
    name: "zlab_overflow",
    authors: ["zlab"],
    description: "zlab test-only: a u8 addition that overflows",
    license: "GPL",
}

struct ZlabOverflow;

/// The sum of two readings, as a careless driver might keep it: in a `u8`.
fn total(a: u8, b: u8) -> u8 {
    a + b
}

impl kernel::Module for ZlabOverflow {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // black_box: the operands are not known at compile time, so the check is not folded.
        let (a, b) = (core::hint::black_box(200u8), core::hint::black_box(100u8));
        pr_info!("{} + {} = {}\n", a, b, total(a, b));
        Ok(ZlabOverflow)
    }
}
