#!/usr/bin/env bash
# `zlab watch`, the everyday loop, as a module author uses it: in a repository copy with two
# checks (hello and boot-smoke), it runs both, then on each save only the checks the change
# touches: a module's source edited (hello again, boot-smoke not), a burst of writes (one
# round), the check's own file, a new check file (picked up and run), a compile error (shown,
# and watching goes on), the fix. Ctrl-C ends it with nothing of it left running. Ends with
# `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
zlab=$repo/bin/zlab
trap 'kill -KILL -- "-$job" 2>/dev/null; rm -rf "$scratch"' EXIT

copy=$scratch/repo
repo_copy "$copy"
find "$copy/checks" -name '*.toml' ! -name hello.toml ! -name boot-smoke.toml -delete
hello_rs=$copy/modules/hello/hello.rs
out=$scratch/watch.out
"$zlab" -q build >/dev/null # the kernel, so the first round is not a build from nothing

ZLAB_PROJECT=$copy in_own_group "$zlab" watch >"$out" 2>&1 </dev/null

# rounds: how many rounds have ended (each ends with its `N passed, N failed` line).
rounds() { grep -cE '^zlab watch: round [0-9]+: [0-9]+ passed, [0-9]+ failed' "$out"; }
# watching_after N: round N has ended and zlab watches again.
watching_after() { sed -n "/^zlab watch: round $1: [0-9]* passed/,\$p" "$out" | grep -q "^zlab watch: watching"; }
# after_round N: waits until round N has ended and watching goes on.
after_round() {
    until_true 240 watching_after "$1" || { echo "round $1 never ended:"; tail -n 30 "$out"; return 1; }
}
# round_lines N: the lines of round N, from its first line to its closing line.
round_lines() { sed -n "/^zlab watch: round $1: [a-z]/,/^zlab watch: round $1: [0-9]* passed/p" "$out"; }

first_round_runs_every_check() {
    after_round 1 || return 1
    round_lines 1
    round_lines 1 | grep -q "^PASS boot-smoke " && round_lines 1 | grep -q "^PASS hello " &&
        round_lines 1 | grep -qx "zlab watch: round 1: 2 passed, 0 failed in [0-9.]* s"
}

an_edit_reruns_only_its_checks() {
    echo "// saved at $(date +%s.%N)" >>"$hello_rs"
    after_round 2 || return 1
    round_lines 2
    grep -qx "zlab watch: changed: modules/hello/hello.rs" "$out" && round_lines 2 | grep -q "^PASS hello " &&
        ! round_lines 2 | grep -q "boot-smoke"
}

# Five writes 50 ms apart, as an editor's save can be: one round, not five.
a_burst_of_writes_is_one_round() {
    local i
    for i in 1 2 3 4 5; do
        echo "// write $i" >>"$hello_rs"
        sleep 0.05
    done
    after_round 3 || return 1
    sleep 3 # a second round would have started by now
    round_lines 3
    [ "$(rounds)" -eq 3 ] && ! grep -q "^zlab watch: round 4" "$out"
}

a_check_file_edit_reruns_it() {
    sed -i 's/^description = "/description = "(edited) /' "$copy/checks/hello.toml"
    after_round 4 || return 1
    round_lines 4
    round_lines 4 | grep -q "^zlab: check hello — (edited) " && round_lines 4 | grep -q "^PASS hello "
}

a_new_check_file_is_picked_up() {
    sed 's/^description = .*/description = "a check added while zlab watched"/' "$copy/checks/boot-smoke.toml" \
        >"$copy/checks/.new.toml" && mv "$copy/checks/.new.toml" "$copy/checks/added.toml"
    after_round 5 || return 1
    round_lines 5
    round_lines 5 | grep -q "^PASS added " && ! round_lines 5 | grep -q "PASS boot-smoke"
}

a_compile_error_is_shown_and_watching_goes_on() {
    cp "$hello_rs" "$scratch/hello.rs.good"
    echo "fn broken() -> u32 { not_a_value }" >>"$hello_rs"
    after_round 6 || return 1
    round_lines 6
    round_lines 6 | grep -q "^FAIL hello " && round_lines 6 | grep -q "module hello did not build" &&
        round_lines 6 | grep -q "error\[E0425\]: cannot find value .not_a_value." &&
        round_lines 6 | grep -qx "zlab watch: round 6: 0 passed, 1 failed in [0-9.]* s" &&
        kill -0 "$job"
}

the_fix_passes_again() {
    cp "$scratch/hello.rs.good" "$hello_rs"
    after_round 7 || return 1
    round_lines 7
    round_lines 7 | grep -q "^PASS hello "
}

ctrl_c_leaves_nothing_running() {
    # A round under way when Ctrl-C comes: its make or QEMU must go too.
    echo "// one more" >>"$hello_rs"
    until_true 60 grep -q "^zlab watch: round 8: hello" "$out" || return 1
    kill -INT -- "-$job"
    until_true 10 bash -c "! kill -0 $job 2>/dev/null" || { echo "zlab watch is still running"; return 1; }
    # What died is reaped by init, not at once.
    until_true 10 bash -c "! pgrep -g $job >/dev/null" || { pgrep -a -g "$job"; return 1; }
}

run_test "zlab watch: the first round runs every check" first_round_runs_every_check
run_test "an edit of modules/hello/hello.rs reruns hello alone" an_edit_reruns_only_its_checks
run_test "a burst of five writes is one round" a_burst_of_writes_is_one_round
run_test "an edit of checks/hello.toml reruns hello" a_check_file_edit_reruns_it
run_test "a new check file is picked up and run" a_new_check_file_is_picked_up
run_test "a compile error is shown (rustc's error) and watching goes on" a_compile_error_is_shown_and_watching_goes_on
run_test "the fix passes again" the_fix_passes_again
run_test "Ctrl-C during a round: zlab watch ends, no make or QEMU left" ctrl_c_leaves_nothing_running
summary
