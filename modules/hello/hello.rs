// SPDX-License-Identifier: GPL-2.0

//! zlab `hello`: module parameters, `pr_info!`, and what "s390x" means for your data.
//!
//! Load it with `insmod hello.ko repeat=3 loud=1` and read the console (or `dmesg`).

use kernel::prelude::*;

module! {
    type: Hello,
    name: "hello",
    authors: ["zlab"],
    description: "zlab: module parameters and s390x machine facts",
    license: "GPL",
    // A Rust module parameter is an integer type (Linux 7.3 adds `bool`; no strings yet), so
    // `loud` is a number and this module loads on 7.2 too. The value is set once, at `insmod`
    // time; it is not visible under /sys/module/hello/parameters.
    params: {
        repeat: u32 {
            default: 1,
            description: "How many times to greet (1..=10)",
        },
        loud: u8 {
            default: 0,
            description: "Greet in capitals when 1",
        },
    },
}

/// Upper bound for `repeat`, so a typo cannot flood the console.
const MAX_REPEAT: u32 = 10;

struct Hello {
    greetings: u32,
}

/// The architecture this module was compiled for, decided by the compiler, not at run time.
const fn machine() -> &'static str {
    if cfg!(target_arch = "s390x") {
        "s390x"
    } else {
        "not s390x"
    }
}

/// z/Architecture is big-endian: the most significant byte is stored at the lowest address.
const fn byte_order() -> &'static str {
    if cfg!(target_endian = "big") {
        "big-endian"
    } else {
        "little-endian"
    }
}

impl kernel::Module for Hello {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // `.clone()` makes these lines build on both pinned kernels: in 7.3 `value()` returns
        // the number, in 7.2 a reference to it (and `clone` of either is the number).
        let repeat = module_parameters::repeat.value().clone();
        let loud = module_parameters::loud.value().clone() != 0;

        // Returning an error makes `insmod` fail with that errno ("Invalid argument" here), and
        // the module is never loaded: no cleanup code needed.
        if repeat == 0 || repeat > MAX_REPEAT {
            pr_err!("repeat={} is out of range 1..={}\n", repeat, MAX_REPEAT);
            return Err(EINVAL);
        }

        let greeting = if loud { "HELLO" } else { "Hello" };
        for i in 1..=repeat {
            pr_info!(
                "{} from Rust on {} ({}/{})\n",
                greeting,
                machine(),
                i,
                repeat
            );
        }

        // `to_ne_bytes` ("native endian") shows the bytes in the order they sit in memory. On
        // s390x that is 12 34 56 78, the order you also see in a z/OS or z/VM storage dump.
        // On x86 it would be 78 56 34 12.
        let b = 0x1234_5678u32.to_ne_bytes();
        pr_info!(
            "byte order: {}, 0x12345678 in memory: {:02x} {:02x} {:02x} {:02x}\n",
            byte_order(),
            b[0],
            b[1],
            b[2],
            b[3]
        );
        pr_info!("pointer width: {} bits\n", usize::BITS);

        Ok(Hello { greetings: repeat })
    }
}

impl Drop for Hello {
    // Runs at `rmmod`: the kernel drops the `Hello` value that `init` returned.
    fn drop(&mut self) {
        pr_info!(
            "Goodbye from {} after {} greeting(s)\n",
            machine(),
            self.greetings
        );
    }
}
