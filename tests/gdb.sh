#!/usr/bin/env bash
# `zlab boot --gdb` for real: a check boots halted, the exact gdb command zlab prints attaches
# (gdb-multiarch, batch mode), a breakpoint in the kernel is hit while the check's insmod runs,
# the kernel's gdb scripts answer, and after gdb lets go the check still passes with no QEMU
# left. Every wait has a time limit. Prints one line per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
# The debug kernel (`--gdb` boots the test variant's debug twin) is built before any timed wait.
if ! ./bin/zlab build --config debug >"$scratch/build.log" 2>&1; then
    tail -n 30 "$scratch/build.log"
    echo "0 passed, 1 failed"
    exit 1
fi
zlab="$CARGO_TARGET_DIR/debug/zlab"

# shellcheck source=tests/lib-gdb.sh
source "$repo/tests/lib-gdb.sh"

# The hello check's insmod reaches the kernel's module loader: gdb stops there with source
# lines and the module's name (DWARF), the kernel's scripts read the guest's banner and log,
# and after `detach` the guest runs on to a passing verdict.
breakpoint_in_the_module_loader_is_hit() {
    debug hello \
        -ex "break do_init_module" -ex continue -ex bt -ex "print mod->name" \
        -ex lx-version -ex lx-dmesg -ex delete -ex detach || return 1
    shows gdb.log "^Breakpoint 1, do_init_module \(mod=0x[0-9a-f]+\) at .*kernel/module/main.c:[0-9]+" &&
        shows gdb.log " __s390x_sys_finit_module \(" &&
        shows gdb.log '^[$]1 = "hello"' &&
        shows gdb.log "^Linux version 7\.3\.4 " &&
        shows gdb.log "^\[ *[0-9.]+\] Run /init as init process" &&
        passed_check
}

# The assertions above can fail: a breakpoint the run never reaches is reported as never hit,
# gdb ends when the guest powers off, and the check passes all the same.
breakpoint_never_reached_is_not_reported_hit() {
    debug hello -ex "break panic" -ex continue || return 1
    ! shows gdb.log "^Breakpoint 1, " && shows gdb.log "Remote connection closed|exited normally" && passed_check
}

# A guest held at a breakpoint far longer than its check's time limit is not killed as hung.
no_time_limit_while_debugging() {
    local copy="$scratch/repo"
    repo_copy "$copy"
    sed -i 's/^timeout = .*/timeout = 2/' "$copy/checks/hello.toml"
    ZLAB_PROJECT=$copy debug hello -ex "break do_init_module" -ex continue -ex "shell sleep 6" -ex delete -ex detach ||
        return 1
    shows gdb.log "^Breakpoint 1, do_init_module" && passed_check
}

run_test "a breakpoint in the module loader is hit, lx- scripts work, the check passes" breakpoint_in_the_module_loader_is_hit
run_test "a breakpoint never reached is not reported hit, and nothing hangs" breakpoint_never_reached_is_not_reported_hit
run_test "a guest stopped in gdb beyond its time limit still passes" no_time_limit_while_debugging
summary
