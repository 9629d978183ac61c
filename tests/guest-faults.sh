#!/usr/bin/env bash
# Guests that fail for real, each judged from its console: the test-only modules panic, oops,
# hit BUG and WARN, hang, refuse a parameter, miss a symbol and fail to compile; a healthy check
# in the same run still passes. Then: no QEMU is left, and the guest had no network and no way
# to the host. Prints one line per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
trap 'rm -rf "$scratch"; rm -f "$probe"' EXIT
# shellcheck source=tests/fault-repo.sh
source "$repo/tests/fault-repo.sh"

# A guest step that writes where the host has the same path: it must land in the guest only.
probe="/tmp/zlab-isolation-probe-$$"
add_check isolation 30 '' "echo guest > $probe && cat $probe
echo \"net: \$(ls /sys/class/net 2>/dev/null | grep -vx lo | wc -l)\"
echo \"ccw devices: \$(ls /sys/bus/ccw/devices | wc -l)\""

out="$scratch/test.out"
fault_checks=(fault-panic fault-oops fault-bug fault-warn fault-hang fault-bad-param fault-unresolved fault-broken)
ZLAB_REPO=$fault_repo ./bin/zlab test "${fault_checks[@]}" hello isolation >"$out" 2>&1
status=$?

# The failure kinds in CHECK's summary row ("kernel panic, init did not finish, step 1 failed").
kinds_of() {
    awk -v c="$1" '$1 == c && ($2 == "FAIL" || $2 == "pass") { $1 = $2 = $3 = ""; sub(/^ +/, ""); print }' "$out"
}
# CHECK's report: from its PASS/FAIL line up to the next report or the summary.
report_of() {
    awk -v c="$1" '/^(PASS|FAIL) / { show = ($2 == c) } /^$/ { show = 0 } show' "$out"
}
# The first failure is CHECK's own kind, and the report shows the console lines given.
fails_first_with() {
    local check=$1 kind=$2 line
    shift 2
    report_of "$check"
    case "$(kinds_of "$check")" in
        "$kind"*) ;;
        *) echo "expected $check to fail first with '$kind'"; return 1 ;;
    esac
    for line in "$@"; do
        grep -qF -- "$line" <(report_of "$check") || { echo "its report lacks: $line"; return 1; }
    done
}

zlab_fails_and_says_so() {
    tail -n 14 "$out"
    [ "$status" -ne 0 ] && grep -qx "2 passed, 8 failed" "$out"
}

healthy_check_still_passes() {
    report_of hello
    grep -q "^PASS hello " "$out"
}

no_qemu_is_left() {
    ! pgrep -af "qemu-system-s390x.*$home/runs/(fault-|isolation|hello)"
}

guest_is_isolated() {
    report_of isolation
    grep -q "^PASS isolation " "$out" || return 1
    [ ! -e "$probe" ] || { echo "the guest's write reached the host: $probe"; return 1; }
    grep -q "zlab-out 1| guest" "$home/runs/isolation/console.log" &&
        grep -q "zlab-out 1| net: 0" "$home/runs/isolation/console.log" &&
        grep -q "zlab-out 1| ccw devices: 0" "$home/runs/isolation/console.log"
}

test_only_modules_stay_out_of_normal_runs() {
    local dir name found=0
    for dir in zlab/tests/guest-modules/*/; do
        [ -d "$dir" ] || continue
        name=$(basename "$dir")
        [ ! -e "modules/$name" ] || { echo "modules/$name exists"; found=1; }
        grep -l "$name" checks/*.toml && found=1
    done
    [ "$found" -eq 0 ]
}

run_test "test-only modules are in no normal module folder or check" test_only_modules_stay_out_of_normal_runs
run_test "a guest fault run exits non-zero with its summary" zlab_fails_and_says_so
run_test "panic: its own verdict, with the panic line" \
    fails_first_with fault-panic "kernel panic" "Kernel panic - not syncing: zlab_fault: panic requested (mode=1)"
run_test "oops: its own verdict, with the oops header" fails_first_with fault-oops "oops" "Oops:"
run_test "Rust panic: a BUG, with the panic message" \
    fails_first_with fault-bug "BUG" "zlab_fault: Rust panic requested (mode=3)"
run_test "WARN: its own verdict, with the warning" fails_first_with fault-warn "WARNING" "WARNING:"
run_test "hang: a time-out, QEMU killed, last lines shown" \
    fails_first_with fault-hang "time-out" "did not finish within 15 s; QEMU was killed" "zlab_fault: mode=5"
run_test "a refused parameter names the module and the guest's error" \
    fails_first_with fault-bad-param "step 1 failed" "insmod /lib/modules/zlab_fault.ko mode=9" "Invalid argument" \
    "zlab_fault: unknown mode 9"
run_test "an unresolved symbol names the module and the symbol" \
    fails_first_with fault-unresolved "step 1 failed" "unknown symbol in module" \
    "zlab_unresolved: Unknown symbol zlab_no_such_symbol"
run_test "a module that does not compile: its name and first error, no boot" \
    fails_first_with fault-broken "could not boot" "module zlab_broken did not build" "error[E0308]: mismatched types" \
    "zlab_broken.rs:21"
run_test "a healthy check in the same run still passes" healthy_check_still_passes
run_test "no QEMU is left running" no_qemu_is_left
run_test "the guest has no network, no devices and no way to the host" guest_is_isolated

summary
