#!/usr/bin/env bash
# Runs that are interrupted or overlap, for real: zlab killed (SIGKILL) and Ctrl-C'd (SIGINT to
# its process group, as a terminal sends it) during a kernel build and during a boot; two zlab
# runs on one build dir and on one check. Afterwards no make or QEMU may be left, and the next
# run must work without any cleanup. Prints one line per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
# shellcheck source=tests/fault-repo.sh
source "$repo/tests/fault-repo.sh"
export ZLAB_REPO=$fault_repo
./bin/zlab build >/dev/null 2>&1 # the binary and a finished kernel build to start from
zlab="$CARGO_TARGET_DIR/debug/zlab"
build="$home/build/test"

make_runs_in_build() { pgrep -f "make .*O=$build( |$)" >/dev/null; }
no_make_in_build() { ! make_runs_in_build; }
qemu_runs_for() { pgrep -f "qemu-system-s390x.*runs/$1/initramfs" >/dev/null; }
no_qemu_for() { ! qemu_runs_for "$1"; }

# Starts `zlab ARGS…` as a terminal job: its own process group, and SIGINT not ignored (a
# script's background commands would ignore it without job control, and a test run itself
# started in the background inherits an ignored SIGINT that `set -m` cannot undo); its pid in $job.
start() {
    set -m
    env --default-signal=INT "$zlab" "$@" >>"$scratch/job.log" 2>&1 &
    job=$!
    set +m
}
# Stops the job the way SIGNAL says: "KILL" kills zlab alone; "INT" is Ctrl-C at a terminal,
# which signals the whole foreground process group.
stop() {
    case $1 in
        KILL) kill -KILL "$job" ;;
        INT) kill -INT -- "-$job" ;;
    esac
    wait "$job" 2>/dev/null
    echo "zlab exited with $? after SIG$1"
}

# A build that has real work to do: relinking vmlinux (a few seconds of make).
relink_needed() { rm -f "$build/vmlinux.o"; }

interrupted_build_recovers() {
    relink_needed
    start build
    until_true 60 make_runs_in_build || { echo "make never started"; cat "$scratch/job.log"; return 1; }
    sleep 1
    [ -e "$build/vmlinux.o" ] && { echo "the build finished before it could be interrupted"; return 1; }
    stop "$1"
    until_true 3 no_make_in_build || { echo "make still runs in $build:"; pgrep -af "O=$build"; return 1; }
    [ ! -e "$build/zlab-variant" ] || { echo "an unfinished build is marked finished"; return 1; }
    "$zlab" build || return 1
    [ -s "$build/vmlinux.o" ] && [ "$(cat "$build/zlab-variant")" = test ]
}

interrupted_boot_recovers() {
    start test slow-clean
    until_true 90 qemu_runs_for slow-clean || { echo "QEMU never started"; cat "$scratch/job.log"; return 1; }
    sleep 1
    stop "$1"
    until_true 5 no_qemu_for slow-clean || { echo "QEMU outlived zlab:"; pgrep -af qemu-system-s390x; return 1; }
    "$zlab" test slow-clean
}

concurrent_builds_wait_for_each_other() {
    relink_needed
    "$zlab" build >"$scratch/first.log" 2>&1 &
    local first=$!
    until_true 60 make_runs_in_build || { echo "make never started"; return 1; }
    "$zlab" build >"$scratch/second.log" 2>&1
    local second=$?
    wait "$first"
    local first_status=$?
    cat "$scratch/second.log"
    echo "first exited $first_status, second $second"
    [ "$first_status" -eq 0 ] && [ "$second" -eq 0 ] &&
        grep -q "another zlab is using $build; waiting" "$scratch/second.log" &&
        [ "$(cat "$build/zlab-variant")" = test ]
}

same_check_twice_at_once() {
    "$zlab" test slow-clean >"$scratch/a.log" 2>&1 &
    local a=$!
    until_true 90 qemu_runs_for slow-clean || { echo "QEMU never started"; return 1; }
    "$zlab" test slow-clean >"$scratch/b.log" 2>&1
    local b=$?
    wait "$a"
    local a_status=$?
    cat "$scratch/b.log"
    echo "first exited $a_status, second $b"
    [ "$a_status" -eq 0 ] && [ "$b" -eq 0 ] && grep -q "another zlab is using $home/runs/slow-clean; waiting" "$scratch/b.log"
}

run_test "SIGKILL during a kernel build: make stops, the next build works" interrupted_build_recovers KILL
run_test "Ctrl-C during a kernel build: the next build works" interrupted_build_recovers INT
run_test "SIGKILL during a boot: QEMU dies with zlab, the next boot works" interrupted_boot_recovers KILL
run_test "Ctrl-C during a boot: QEMU stops, the next boot works" interrupted_boot_recovers INT
run_test "two builds of one build dir: the second waits, both succeed" concurrent_builds_wait_for_each_other
run_test "one check run twice at once: the second waits, both pass" same_check_twice_at_once

summary
