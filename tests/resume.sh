#!/usr/bin/env bash
# Boot once, resume every check (zlab/src/guest/snapshot.rs, zlab/src/run/resume.rs), for real:
# the sample checks give the same verdicts resumed and booted in full; a check sees nothing of
# the one before it; a changed QEMU, a damaged saved guest and one QEMU cannot load are each
# noticed, saved again and judged right. Prints one line per test and ends with
# `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
project="$scratch/project"
repo_copy "$project"
export ZLAB_PROJECT=$project
./bin/zlab build >/dev/null 2>&1 # the binary and the test kernel
zlab="$CARGO_TARGET_DIR/debug/zlab"
snapshots="$home/build/test/zlab-snapshots"
samples=(boot-smoke echo hello kernel-samples kunit_demo rust-doctests rust-kernel-fmt zfacility)

# results FILE: each check's name, result, KUnit counts and how it started, a line each, from
# --json.
results() {
    python3 -c '
import json, sys
for c in json.load(open(sys.argv[1]))["checks"]:
    counts = (c["ktap"] or {}).get("counts") or {}
    kunit = "kunit=%s/%s/%s" % (counts.get("passed"), counts.get("failed"), counts.get("skipped"))
    print(c["name"], c["result"], kunit, c["start"], c.get("booted_because") or "")' "$1"
}

# The saved guest hello resumes: the test kernel's, whose only kernel argument is the KUnit filter
# every check with steps shares (KUnit then runs nothing at boot; a check naming a module's suite
# sets its own filter after the resume).
hello_snapshot() {
    local inputs
    for inputs in "$snapshots"/*/inputs.txt; do
        if [ "$(grep '^kernel argument ' "$inputs")" = "kernel argument kunit.filter_glob=zlab_no_suite_named" ]; then
            dirname "$inputs"
            return
        fi
    done
}

same_verdicts_resumed_and_booted() {
    "$zlab" test -j 1 --json "${samples[@]}" >"$scratch/resumed.json" 2>"$scratch/resumed.err" || true
    "$zlab" test -j 1 --boot --json "${samples[@]}" >"$scratch/booted.json" 2>"$scratch/booted.err" || true
    results "$scratch/resumed.json"
    results "$scratch/booted.json"
    # Every check passes both ways with the same KUnit counts, and every one resumed: those
    # with no steps ran their built-in suites through debugfs after the resume.
    diff <(results "$scratch/resumed.json" | cut -d' ' -f1-3) <(results "$scratch/booted.json" | cut -d' ' -f1-3) &&
        [ "$(results "$scratch/resumed.json" | grep -c ' pass kunit=[0-9None/]* resumed')" -eq "${#samples[@]}" ] &&
        grep -q '^rust-doctests pass kunit=352/0/0 resumed' <(results "$scratch/resumed.json") &&
        [ "$(results "$scratch/booted.json" | grep -c ' pass kunit=[0-9None/]* booted --boot')" -eq "${#samples[@]}" ]
}

# rust-doctests resumed: a saved guest booted with `kunit.autorun=0` (nothing ran at boot), its
# three built-in suites run after the resume, each through debugfs, in the boot's order.
built_in_suites_run_after_the_resume() {
    "$zlab" test rust-doctests >/dev/null 2>&1 || return 1
    local log saved
    log="$(run_dir "$project" rust-doctests)/console.log"
    saved=$(grep -lx "kernel argument kunit.autorun=0" "$snapshots"/*/inputs.txt | head -n 1)
    [ -n "$saved" ] || { echo "no saved guest booted with kunit.autorun=0"; return 1; }
    sed -n '/the check resumes here/,$p' "$log" | grep -E "^(\[[ 0-9.]+\] )?(ok|not ok|KTAP|1\.\.)" | sed 's/^\[[ 0-9.]*\] //' >"$scratch/suites"
    cat "$scratch/suites"
    # Nothing of KUnit ran before the resume; after it each suite has its own header and plan.
    ! sed '/the check resumes here/q' "$log" | grep -q "# Subtest:" &&
        [ "$(tr '\n' '|' <"$scratch/suites")" = \
            "KTAP version 1|1..1|ok 1 rust_kernel_fmt|KTAP version 1|1..1|ok 1 rust_spinlock_irq_condvar|KTAP version 1|1..1|ok 1 rust_doctests_kernel|" ]
}

# kunit_demo names its module's suite: it resumes the guest hello resumes (the boot's filter
# matches no suite) and sets its filter after the resume; its 9 tests run at insmod.
a_module_suite_shares_the_save_and_sets_its_filter() {
    "$zlab" test kunit_demo hello >/dev/null 2>&1 || return 1
    local demo hello
    demo="$(run_dir "$project" kunit_demo)/console.log"
    hello="$(run_dir "$project" hello)/console.log"
    diff <(sed '/the check resumes here/q' "$demo") <(sed '/the check resumes here/q' "$hello") >/dev/null ||
        { echo "kunit_demo and hello resumed different saved boots"; return 1; }
    grep -q "Kernel command line: .*kunit.filter_glob=zlab_no_suite_named" "$demo" &&
        sed -n '/the check resumes here/,$p' "$demo" | grep -q "ok 1 zlab_kunit_demo"
}

# A check naming a built-in suite the kernel lacks: resumed, it fails as a full boot does.
a_missing_built_in_suite_fails_the_same_resumed() {
    cat >"$project/checks/no-such-suite.toml" <<'TOML'
description = "test-only: names a built-in KUnit suite no kernel has"
[[ktap]]
suite = "zlab_no_such_suite"
TOML
    "$zlab" test --json no-such-suite >"$scratch/ns-resumed.json" 2>/dev/null
    local resumed=$?
    "$zlab" test --boot --json no-such-suite >"$scratch/ns-booted.json" 2>/dev/null
    local booted=$?
    rm "$project/checks/no-such-suite.toml"
    results "$scratch/ns-resumed.json"
    results "$scratch/ns-booted.json"
    [ "$resumed" -eq 1 ] && [ "$booted" -eq 1 ] &&
        grep -q '^no-such-suite fail .* resumed' <(results "$scratch/ns-resumed.json") &&
        python3 - "$scratch/ns-resumed.json" "$scratch/ns-booted.json" <<'PY'
import json, sys
kinds = [[(f["kind"], f["message"].splitlines()[0]) for f in json.load(open(p))["checks"][0]["failures"]] for p in sys.argv[1:]]
print(kinds)
assert kinds[0] == kinds[1] and kinds[0], "the failures differ"
PY
}

# A check that leaves a module loaded and a file in /tmp, then one that looks for both: it sees
# neither, one after the other and two at once.
nothing_of_one_check_reaches_the_next() {
    cat >"$project/checks/leave-traces.toml" <<'TOML'
description = "test-only: leaves hello loaded and a file in /tmp"
modules = ["hello"]
[[step]]
run = "insmod /lib/modules/hello.ko && echo left >/tmp/zlab-trace && lsmod"
expect = ["hello"]
TOML
    cat >"$project/checks/find-traces.toml" <<'TOML'
description = "test-only: finds no module and no file left by another check"
forbid = ["zlab-trace"]
[[step]]
run = "lsmod | grep -c hello; ls /tmp"
expect = ["0"]
TOML
    "$zlab" test -j 1 leave-traces find-traces && "$zlab" test -j 2 leave-traces find-traces &&
        ! grep -q "zlab-trace" "$(run_dir "$project" find-traces)/console.log" &&
        grep -q "zlab-out 1| 0" "$(run_dir "$project" find-traces)/console.log"
    local status=$?
    rm "$project"/checks/{leave,find}-traces.toml
    return $status
}

# Another QEMU (its --version differs): a saved guest of its own, made before the check.
another_qemu_saves_again() {
    local real wrapper="$scratch/qemu-renamed"
    real=$(command -v qemu-system-s390x)
    cat >"$wrapper" <<SH
#!/bin/sh
[ "\$1" = --version ] && { echo "QEMU emulator version 99.0 (zlab's test wrapper, run $$)"; exit 0; }
exec "$real" "\$@"
SH
    chmod +x "$wrapper"
    ZLAB_QEMU=$wrapper "$zlab" test hello >"$scratch/q.log" 2>&1
    local status=$?
    cat "$scratch/q.log"
    local its_save
    its_save=$(grep -lx "qemu QEMU emulator version 99.0 (zlab's test wrapper, run $$)" "$snapshots"/*/inputs.txt)
    [ -n "$its_save" ] && rm -r "$(dirname "$its_save")" # saved for this run's wrapper only
    [ "$status" -eq 0 ] && grep -q "booting the test kernel once and saving it" "$scratch/q.log" &&
        [ -n "$its_save" ] && grep -q "resumed from the saved boot" "$scratch/q.log"
}

# Bytes changed inside the saved guest, its size the same and its time new (as a real write
# leaves it): the hash differs from the record, the guest is saved again, the check passes.
a_damaged_save_is_made_again() {
    "$zlab" test hello >/dev/null 2>&1 || return 1
    local dir
    dir=$(hello_snapshot)
    [ -n "$dir" ] || { echo "no saved guest for hello in $snapshots"; return 1; }
    printf 'damage' | dd of="$dir/state" bs=1 seek=$((4 << 20)) conv=notrunc status=none
    "$zlab" test hello >"$scratch/d.log" 2>&1
    local status=$?
    cat "$scratch/d.log"
    [ "$status" -eq 0 ] && grep -q "is damaged (its hash differs from the record): saving it again" "$scratch/d.log" &&
        grep -q "resumed from the saved boot" "$scratch/d.log"
}

# A saved guest QEMU cannot load (cut short, its record rewritten to match, so no hash can tell):
# the check boots in full and passes, and the next check saves the guest again.
a_save_qemu_cannot_load_boots_instead() {
    "$zlab" test hello >/dev/null 2>&1 || return 1
    local dir
    dir=$(hello_snapshot)
    [ -n "$dir" ] || { echo "no saved guest for hello in $snapshots"; return 1; }
    truncate -s 1M "$dir/state"
    python3 - "$dir" <<'PY' || return 1
import hashlib, json, os, sys
d = sys.argv[1]
state = os.path.join(d, "state")
st = os.stat(state)
record = {"sha256": hashlib.sha256(open(state, "rb").read()).hexdigest(), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
json.dump(record, open(os.path.join(d, "snapshot.json"), "w"))
PY
    "$zlab" test -v hello >"$scratch/t.log" 2>&1
    local status=$?
    grep "zlab" "$scratch/t.log" | grep -v "^zlab-"
    [ "$status" -eq 0 ] && grep -q "QEMU could not resume the saved guest" "$scratch/t.log" &&
        grep -q "booted in .* (in full: QEMU could not resume the saved guest" "$scratch/t.log" &&
        "$zlab" test hello >"$scratch/again.log" 2>&1 &&
        grep -q "booting the test kernel once and saving it" "$scratch/again.log" &&
        grep -q "resumed from the saved boot" "$scratch/again.log"
}

# The console of a resumed check: the saved boot, the line that marks the resume, the check.
the_console_has_the_boot_then_the_check() {
    "$zlab" test hello >/dev/null 2>&1 || return 1
    local log
    log="$(run_dir "$project" hello)/console.log"
    grep -n "Linux version\|Run /init as init process\|zlab-snapshot: ready\|the check resumes here\|zlab-init: start" "$log" |
        cut -c1-100 >"$scratch/order"
    cat "$scratch/order"
    [ "$(cut -d: -f2- "$scratch/order" | sed 's/^\[[ 0-9.]*\] //' | cut -c1-20 | tr '\n' '|')" = \
        "Linux version 7.3.4 |Run /init as init pr|zlab-snapshot: ready|zlab: ---- the check|zlab-init: start|" ]
}

run_test "the sample checks: the same verdicts and KUnit counts resumed and booted in full, every one resumed" \
    same_verdicts_resumed_and_booted
run_test "rust-doctests: its built-in suites run after the resume through debugfs, none at the saved boot" \
    built_in_suites_run_after_the_resume
run_test "kunit_demo resumes the save hello does and sets its module suite's filter after the resume" \
    a_module_suite_shares_the_save_and_sets_its_filter
run_test "a built-in suite the kernel lacks: FAIL resumed, with the failure a full boot gives" \
    a_missing_built_in_suite_fails_the_same_resumed
run_test "a module left loaded and a file in /tmp by one check: the next sees neither (-j 1 and -j 2)" \
    nothing_of_one_check_reaches_the_next
run_test "the console: the saved boot, the line that marks the resume, then the check" \
    the_console_has_the_boot_then_the_check
run_test "bytes changed in the saved guest (same size, new time): noticed by its hash, saved again, PASS" \
    a_damaged_save_is_made_again
run_test "a saved guest QEMU cannot load: the check boots in full and passes, the next saves again" \
    a_save_qemu_cannot_load_boots_instead

# Last: the other QEMU's saved guest stays beside the real one's.
run_test "another QEMU (another --version): the guest is saved again for it" another_qemu_saves_again

summary
