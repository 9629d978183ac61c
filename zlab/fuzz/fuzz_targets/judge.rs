//! Any bytes as a console: the KTAP parser, the fault scan and the verdict keep the invariants
//! the property tests check (tests/console_invariants), and nothing panics.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/console_invariants/mod.rs"]
mod console_invariants;

fuzz_target!(|data: &[u8]| {
    console_invariants::check_console(&String::from_utf8_lossy(data));
});
