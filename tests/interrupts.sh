#!/usr/bin/env bash
# Runs that are interrupted or overlap, for real: zlab killed (SIGKILL) and Ctrl-C'd (SIGINT to
# its process group, as a terminal sends it) during a kernel build and during a boot; two zlab
# runs on one build dir and on one check. Afterwards nothing the interrupted zlab started (make,
# its recipes, QEMU) may be left, and the next run must work without any cleanup. Every wait is
# for a condition, with a time limit. Prints one line per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
# shellcheck source=tests/fault-repo.sh
source "$repo/tests/fault-repo.sh"
export ZLAB_PROJECT=$fault_repo
./bin/zlab build >/dev/null 2>&1 # the binary and a finished kernel build to start from
zlab="$CARGO_TARGET_DIR/debug/zlab"
build="$home/build/test"

# Each zlab a test starts in the background runs as a job of its own (in_own_group): the
# processes below are looked for in that job's process group only, never host-wide, where
# other zlab runs on the same build dir or check would be found too.
make_runs_in_build() { pgrep -g "$job" -f "make .*O=$build( |$)" >/dev/null; }
# Make is walking the kernel tree (a sub-make of scripts/Makefile.build runs for some
# directory): for a relink, many seconds before vmlinux.o is linked.
build_under_way() { pgrep -g "$job" -f "make .*scripts/Makefile.build obj=" >/dev/null; }
# QEMU of the check's guest: booting its initramfs, or resumed with its disk (payload.img).
qemu_runs_for() { pgrep -g "$job" -f "qemu-system-s390x.*runs/.*/$1/(initramfs|payload)" >/dev/null; }
# The guest has begun its first step (zlab -v shows the console as it comes).
guest_in_step_1() { qemu_runs_for "$1" && grep -q "^zlab-step 1 begin" "$job_log"; }
nothing_of_the_job_left() { ! pgrep -g "$job" >/dev/null; }

# start LOG ARGS…: `zlab ARGS…` as a terminal job (in_own_group: its own process group, SIGINT
# not ignored), output to LOG (a new file, also in $job_log); its pid in $job.
start() {
    job_log=$1
    shift
    in_own_group "$zlab" "$@" >"$job_log" 2>&1 </dev/null
}
# Ends a job whose test failed before it could stop it, so that it holds no lock for the next.
abandon() {
    echo "the job's processes:"
    pgrep -a -g "$job"
    kill -KILL -- "-$job" 2>/dev/null
    wait "$job" 2>/dev/null
}
# Stops the job the way SIGNAL says: "KILL" kills zlab alone; "INT" is Ctrl-C at a terminal,
# which signals the whole foreground process group. Then every process of the job must end.
stop() {
    case $1 in
        KILL) kill -KILL "$job" ;;
        INT) kill -INT -- "-$job" ;;
    esac
    wait "$job" 2>/dev/null
    echo "zlab exited with $? after SIG$1"
    until_true 10 nothing_of_the_job_left || { echo "left running after zlab ended"; abandon; return 1; }
}

# A build that has real work to do: relinking vmlinux (a few seconds of make).
relink_needed() { rm -f "$build/vmlinux.o"; }

interrupted_build_recovers() {
    relink_needed
    start "$scratch/job.log" build
    until_true 60 build_under_way || { echo "make never got to work"; cat "$job_log"; abandon; return 1; }
    [ -e "$build/vmlinux.o" ] && { echo "vmlinux.o was made before the build could be interrupted"; abandon; return 1; }
    stop "$1" || return 1
    [ ! -e "$build/zlab-variant" ] || { echo "an unfinished build is marked finished"; return 1; }
    "$zlab" build || return 1
    [ -s "$build/vmlinux.o" ] && [ "$(cat "$build/zlab-variant")" = test ]
}

interrupted_boot_recovers() {
    start "$scratch/job.log" -v test slow-clean
    until_true 90 guest_in_step_1 slow-clean || { echo "the guest never reached its step"; cat "$job_log"; abandon; return 1; }
    stop "$1" || return 1
    "$zlab" test slow-clean
}

concurrent_builds_wait_for_each_other() {
    relink_needed
    start "$scratch/first.log" build
    until_true 60 make_runs_in_build || { echo "make never started"; cat "$job_log"; abandon; return 1; }
    "$zlab" build >"$scratch/second.log" 2>&1
    local second=$?
    wait "$job"
    local first_status=$?
    cat "$scratch/second.log"
    echo "first exited $first_status, second $second"
    [ "$first_status" -eq 0 ] && [ "$second" -eq 0 ] &&
        grep -q "another zlab is using $build; waiting" "$scratch/second.log" &&
        [ "$(cat "$build/zlab-variant")" = test ]
}

same_check_twice_at_once() {
    start "$scratch/a.log" test slow-clean
    until_true 90 qemu_runs_for slow-clean || { echo "QEMU never started"; cat "$job_log"; abandon; return 1; }
    "$zlab" test slow-clean >"$scratch/b.log" 2>&1
    local b=$?
    wait "$job"
    local a_status=$?
    cat "$scratch/b.log"
    echo "first exited $a_status, second $b"
    [ "$a_status" -eq 0 ] && [ "$b" -eq 0 ] && grep -qF "another zlab is using $(run_dir "$fault_repo" slow-clean); waiting" "$scratch/b.log"
}

run_test "SIGKILL during a kernel build: make stops, the next build works" interrupted_build_recovers KILL
run_test "Ctrl-C during a kernel build: the next build works" interrupted_build_recovers INT
run_test "SIGKILL during a boot: QEMU dies with zlab, the next boot works" interrupted_boot_recovers KILL
run_test "Ctrl-C during a boot: QEMU stops, the next boot works" interrupted_boot_recovers INT
run_test "two builds of one build dir: the second waits, both succeed" concurrent_builds_wait_for_each_other
run_test "one check run twice at once: the second waits, both pass" same_check_twice_at_once

summary
