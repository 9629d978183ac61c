//! The kernel's bug detectors' reports on real s390x consoles, each its own kind of failure.
//!
//! `real-<detector>.log` were recorded by `zlab test` on the pinned 7.3.4 kernel built with GCC,
//! from the test-only modules in tests/guest-modules (`insmod zlab_<detector>.ko`): overflow and
//! atomic-sleep on the `test` variant; lock-order on the test kernel plus lockdep (as `debug`
//! has it, without the DWARF); leak on `debug`, from init's leak scan after rmmod; kfence on
//! `test` booted with `kfence.sample_interval=1`; kasan, from the same zlab_kfence, on the
//! `kasan` variant built with `--toolchain llvm` (LLVM 19, rustc 1.96's kernel-address
//! sanitizer). The files are unedited, apart from QEMU's carriage returns.

use std::path::PathBuf;

use zlab::judge::console_faults::{Fault, FaultKind};
use zlab::judge::verdict::{judge_console, Failure};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The console's faults, in console order.
fn faults(name: &str) -> Vec<Fault> {
    judge_console(&fixture(name))
        .failures
        .into_iter()
        .filter_map(|f| match f {
            Failure::Fault(fault) => Some(fault),
            _ => None,
        })
        .collect()
}

#[test]
fn an_overflow_is_its_own_kind_named_at_its_line() {
    let faults = faults("real-overflow.log");
    // The overflow's panic, then the BUG() trap it raises (an oops of its own on s390).
    assert_eq!(faults.iter().map(|f| f.kind).collect::<Vec<_>>(), [FaultKind::Overflow, FaultKind::Oops]);
    let overflow = &faults[0];
    let at = overflow.location.as_ref().unwrap();
    assert_eq!((at.file.as_str(), at.line, at.column), ("zlab_overflow.rs", 21, Some(5)));
    assert_eq!(overflow.message.as_deref(), Some("attempt to add with overflow"));
    assert!(overflow.summary().starts_with("overflow at console line "), "{}", overflow.summary());
}

#[test]
fn a_sleeping_allocation_under_a_spinlock_names_the_modules_frame_first() {
    let faults = faults("real-atomic-sleep.log");
    assert_eq!(faults.iter().map(|f| f.kind).collect::<Vec<_>>(), [FaultKind::AtomicSleep]);
    let sleep = &faults[0];
    assert!(sleep.excerpt[0].contains("BUG: sleeping function called from invalid context"), "{:?}", sleep.excerpt);
    // The Call Trace's first frame in a module, before dump_stack_lvl and the allocator.
    let first = &sleep.frames[0];
    assert_eq!(first.module.as_deref(), Some("zlab_atomic_sleep"));
    assert!(first.symbol.contains("ZlabAtomicSleep"), "{first:?}");
    assert_eq!(first.offset, 0xe2);
    // Without lockdep or DEBUG_PREEMPT the report does not say where atomic context began.
    assert!(sleep.sites.is_empty(), "{:?}", sleep.sites);
}

#[test]
fn a_lock_order_cycle_names_both_acquisitions() {
    let faults = faults("real-lock-order.log");
    assert_eq!(faults.iter().map(|f| f.kind).collect::<Vec<_>>(), [FaultKind::Lockdep]);
    let cycle = &faults[0];
    assert!(cycle.excerpt[0].ends_with("WARNING: possible circular locking dependency detected"));
    // Entry #0 of the chain is the acquisition that closes the cycle: the fault's own place.
    assert_eq!(cycle.role.as_deref(), Some("ACCOUNTS taken while LEDGER was held"));
    assert_eq!((cycle.frames[0].module.as_deref(), cycle.frames[0].offset), (Some("zlab_lock_order"), 0xe2));
    // Entry #1: the other order, taken earlier on another path.
    assert_eq!(cycle.sites.len(), 1, "{:?}", cycle.sites);
    let other = &cycle.sites[0];
    assert_eq!(other.role, "LEDGER taken while ACCOUNTS was held");
    assert_eq!((other.frames[0].module.as_deref(), other.frames[0].offset), (Some("zlab_lock_order"), 0x68));
    // Undecoded (no .ko at hand), each place is named as the console names it, demangled.
    let summary = cycle.summary();
    assert!(
        summary.contains("LEDGER taken while ACCOUNTS was held at <zlab_lock_order::ZlabLockOrder as kernel::module::Module>::init+0x68"),
        "{summary}"
    );
}

#[test]
fn leaked_objects_of_one_place_are_one_leak_named_by_the_recorded_load_address() {
    let faults = faults("real-leak.log");
    assert_eq!(faults.iter().map(|f| f.kind).collect::<Vec<_>>(), [FaultKind::Leak]);
    let leak = &faults[0];
    // kmemleak's file lists all 32 objects; one backtrace, so one failure that counts them.
    assert_eq!(leak.role.as_deref(), Some("32 objects of 512 bytes no pointer refers to, allocated"));
    // The module was unloaded before the scan: its frames are bare addresses, placed by the
    // `zlab-module zlab_leak .text 0x000003ff600000b0` line insmod printed.
    let first = &leak.frames[0];
    assert_eq!(
        (first.module.as_deref(), first.section.as_deref(), first.offset),
        (Some("zlab_leak"), Some(".text"), 0x84)
    );
    assert!(leak.summary().contains("allocated at zlab_leak .text+0x84"), "{}", leak.summary());
}

#[test]
fn an_out_of_bounds_read_is_named_at_the_read_and_where_its_buffer_was_allocated() {
    let faults = faults("real-kfence.log");
    assert_eq!(faults.iter().map(|f| f.kind).collect::<Vec<_>>(), [FaultKind::Kfence]);
    let kfence = &faults[0];
    assert!(kfence.excerpt[0].contains("BUG: KFENCE: out-of-bounds read in "), "{:?}", kfence.excerpt);
    // The read itself (the fault's PSW, which KFENCE's header names), not a return address:
    // decoded one byte earlier it would be the line that called the inlined checksum().
    let first = &kfence.frames[0];
    assert_eq!((first.module.as_deref(), first.offset, first.exact), (Some("zlab_kfence"), 0xae, true));
    assert!(first.symbol.contains("ZlabKfence"), "{first:?}");
    // Where the buffer came from: the module's call into krealloc, before krealloc's frames.
    assert_eq!(kfence.sites.len(), 1, "{:?}", kfence.sites);
    let allocated = &kfence.sites[0];
    assert_eq!(allocated.role, "allocated");
    assert_eq!((allocated.frames[0].module.as_deref(), allocated.frames[0].offset), (Some("zlab_kfence"), 0x66));
    let summary = kfence.summary();
    assert!(summary.starts_with("KFENCE at console line 57"), "{summary}");
    assert!(
        summary.ends_with("allocated at <zlab_kfence::ZlabKfence as kernel::module::Module>::init+0x66"),
        "{summary}"
    );
}

#[test]
fn kasan_in_rust_code_is_named_at_the_access_and_where_its_buffer_was_allocated() {
    let faults = faults("real-kasan.log");
    assert_eq!(faults.first().map(|f| f.kind), Some(FaultKind::Kasan), "{faults:?}");
    let kasan = &faults[0];
    assert!(kasan.excerpt[0].contains("BUG: KASAN: slab-out-of-bounds in "), "{:?}", kasan.excerpt);
    // KASAN's header names the instruction after the call into its check: a return address.
    let first = &kasan.frames[0];
    assert_eq!((first.module.as_deref(), first.offset, first.exact), (Some("zlab_kfence"), 0x1d2, false));
    let allocated = kasan.sites.iter().find(|s| s.role == "allocated").expect("an allocated site");
    assert_eq!(allocated.frames[0].module.as_deref(), Some("zlab_kfence"), "{allocated:?}");
    assert!(kasan.summary().starts_with("KASAN at console line 61"), "{}", kasan.summary());
}
