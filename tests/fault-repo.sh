# shellcheck shell=bash
# Sourced by the fault tests: a scratch copy of the repository whose modules/ also holds the
# test-only guest modules (zlab/tests/guest-modules) and whose checks/ also holds checks that
# load them. The real modules/ and checks/ never see them.
# Needs tests/lib.sh (for $scratch and repo_copy). Sets: $fault_repo.

fault_repo="${scratch:?tests/fault-repo.sh: source tests/lib.sh first}/fault-repo"
repo_copy "$fault_repo"
cp -r zlab/tests/guest-modules/zlab_* "$fault_repo/modules/"

# add_check NAME TIMEOUT MODULES STEP [VARIANT [LEAKS [KERNEL_ARGS]]]: a check with one guest
# step, on the kernel VARIANT (default: the test kernel), with `leaks = LEAKS` and `kernel_args =
# [KERNEL_ARGS]` when given (LEAKS may be empty).
add_check() {
    cat >"$fault_repo/checks/$1.toml" <<TOML
description = "test-only: $1"
timeout = $2
variant = "${5:-test}"
modules = [$3]
${6:+leaks = $6}
${7:+kernel_args = [$7]}

[[step]]
run = '''
$4
'''
TOML
}

add_check fault-panic 30 '"zlab_fault"' "insmod /lib/modules/zlab_fault.ko mode=1"
add_check fault-oops 30 '"zlab_fault"' "insmod /lib/modules/zlab_fault.ko mode=2"
add_check fault-bug 30 '"zlab_fault"' "insmod /lib/modules/zlab_fault.ko mode=3"
add_check fault-warn 30 '"zlab_fault"' "insmod /lib/modules/zlab_fault.ko mode=4"
add_check fault-hang 15 '"zlab_fault"' "insmod /lib/modules/zlab_fault.ko mode=5"
add_check fault-bad-param 30 '"zlab_fault"' "insmod /lib/modules/zlab_fault.ko mode=9"
add_check fault-unresolved 30 '"zlab_unresolved"' "insmod /lib/modules/zlab_unresolved.ko"
add_check fault-broken 30 '"zlab_broken"' "insmod /lib/modules/zlab_broken.ko"
# Bugs Rust's type system accepts, each reported by one of the kernel's detectors.
add_check detect-overflow 30 '"zlab_overflow"' "insmod /lib/modules/zlab_overflow.ko"
add_check detect-atomic-sleep 30 '"zlab_atomic_sleep"' "insmod /lib/modules/zlab_atomic_sleep.ko"
add_check detect-lock-order 60 '"zlab_lock_order"' "insmod /lib/modules/zlab_lock_order.ko" debug false
# Two leak scans of a lockdep kernel under TCG: 20 s alone, up to 53 s on a loaded machine.
add_check detect-leak 120 '"zlab_leak"' "insmod /lib/modules/zlab_leak.ko && rmmod zlab_leak" debug true
# KFENCE samples an allocation every millisecond (one jiffy) instead of every 100.
add_check detect-kfence 30 '"zlab_kfence"' "insmod /lib/modules/zlab_kfence.ko" test '' '"kfence.sample_interval=1"'
# KASAN finds the same read on its first try; its kernel builds only with --toolchain llvm.
add_check detect-kasan 60 '"zlab_kfence"' "insmod /lib/modules/zlab_kfence.ko" kasan
# A healthy guest that takes a while: something to interrupt, and to run twice at once.
add_check slow-clean 90 '' "sleep 8; echo slept"
