// SPDX-License-Identifier: GPL-2.0

//! my_module: a Rust kernel module for IBM Z, made by `zlab new`. Change it freely: its check
//! (checks/my_module.toml) and its KUnit suite below say what it must keep doing.

use kernel::prelude::*;

module! {
    type: MyModule,
    name: "my_module",
    authors: ["you"],
    description: "my_module: a first Rust kernel module on s390x",
    license: "GPL",
}

/// Adds the digits of `n` (a small pure function, so the KUnit suite has something to test).
pub fn digit_sum(mut n: u64) -> u64 {
    let mut sum = 0;
    while n > 0 {
        sum += n % 10;
        n /= 10;
    }
    sum
}

struct MyModule;

impl kernel::Module for MyModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let endian = if cfg!(target_endian = "big") { "big" } else { "little" };
        pr_info!("loaded ({}-endian)\n", endian);
        pr_info!("digit_sum(2026) = {}\n", digit_sum(2026));
        Ok(MyModule)
    }
}

impl Drop for MyModule {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}

// KUnit runs this suite when the module is loaded; the results appear on the console as KTAP.
#[kunit_tests(my_module_tests)]
mod tests {
    use super::*;

    #[test]
    fn digit_sum_of_zero_is_zero() {
        assert_eq!(digit_sum(0), 0);
    }

    #[test]
    fn digit_sum_adds_every_digit() {
        assert_eq!(digit_sum(2026), 10);
        assert_eq!(digit_sum(u64::MAX), 87);
    }

    #[test]
    fn this_is_a_big_endian_machine() {
        assert_eq!(0x1234_5678u32.to_ne_bytes(), [0x12, 0x34, 0x56, 0x78]);
    }
}
