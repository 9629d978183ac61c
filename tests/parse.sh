#!/usr/bin/env bash
# `zlab parse LOG`: a console zlab did not boot judged as `zlab test` judges one. Its KTAP counts
# equal those of the kernel's own `kunit.py parse` (tools/testing/kunit, from the pinned source)
# on every console fixture in zlab/tests/fixtures (real boots and synthetic streams, one of which
# is shaped past what kunit.py reads and is named as not compared), each KTAP
# stream of a console counted (tests/parse/compare.py says how), and on every log of kunit.py's
# own test data (tools/testing/kunit/test_data, read from the source, never copied here), where
# `zlab parse --ktap` also passes and fails as kunit.py does, but for the faults zlab fails on
# purpose (the logs named below); its verdict and exit status follow the faults, `--ktap` fails a
# console where no test ran, and `--check` holds a console to a check. Ends with `N passed, N
# failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
export ZLAB_PROJECT=$repo
./bin/zlab --version >/dev/null || exit 1
zlab="$CARGO_TARGET_DIR/debug/zlab"
fixtures=$repo/zlab/tests/fixtures

# kunit.py from the pinned source, unpacked by any earlier build, or else here.
source_tree=$(find "$home/src" -maxdepth 1 -name "linux-$(pin_field "$repo" kernel release)-*" -type d | head -n 1)
if [ -z "$source_tree" ]; then
    source_tree=$scratch/linux
    "$zlab" -q source --into "$source_tree" || exit 1
fi
kunit_py=$source_tree/tools/testing/kunit/kunit.py

for console in "$fixtures"/*.log; do
    if [ "$(basename "$console")" = synthetic-module-suites.log ]; then
        # Made by hand to test zlab beyond kunit.py: a suite printed after its stream's plan
        # ended, with no header of its own. kunit.py stops at the plan; zlab reads on.
        echo "not compared: synthetic-module-suites.log (a suite after its stream's plan, which kunit.py does not read)"
        continue
    fi
    run_test "$(basename "$console"): zlab parse counts what kunit.py parse counts" \
        python3 tests/parse/compare.py "$kunit_py" "$zlab" "$console"
done

# The logs kunit.py's own tests (kunit_tool_test.py) check its parser with: tab-indented TAP 14
# from older kernels, printk and other prefixes, missing plans, runs with no tests. Where zlab
# fails and kunit.py does not, on purpose: the kind of failure and why. zlab fails a console
# with any kernel panic or WARNING on it; these were captured under UML, which kunit.py runs
# without a root file system, so its boot ends in a panic that kunit.py stops reading at (its
# KTAP_END). Every other log must agree in counts and verdict.
declare -A stricter=(
    [test_config_printk_time.log]="kernel panic|VFS: Unable to mount root fs, after the last result"
    [test_interrupted_tap_output.log]="kernel panic|VFS: Unable to mount root fs, after the last result"
    [test_multiple_prefixes.log]="kernel panic|VFS: Unable to mount root fs, after the last result"
    [test_output_with_prefix_isolated_correctly.log]="kernel panic|VFS: Unable to mount root fs, after the last result"
    [test_pound_sign.log]="kernel panic|VFS: Unable to mount root fs, after the last result"
    [test_output_isolated_correctly.log]="WARNING|at kernel/time/clockevents.c:458, before the KTAP"
)
# has_logs DIR COUNT NAME…: DIR has COUNT logs, at least the 24 of Linux 7.3, and every NAME.
has_logs() {
    local dir=$1 count=$2 name
    shift 2
    [ "$count" -ge 24 ] || { echo "only $count logs in $dir"; return 1; }
    for name; do [ -f "$dir/$name" ] || { echo "no $name in $dir"; return 1; }; done
}
test_data=$source_tree/tools/testing/kunit/test_data
kernel_logs=("$test_data"/*.log)
run_test "kunit.py's test data has its logs (${#kernel_logs[@]}), every one listed here among them" \
    has_logs "$test_data" "${#kernel_logs[@]}" "${!stricter[@]}"
for console in "${kernel_logs[@]}"; do
    name=$(basename "$console")
    entry=${stricter[$name]:-}
    if [ -n "$entry" ]; then
        run_test "kernel's $name: zlab parse --ktap counts as kunit.py; fails on purpose for a ${entry%%|*} (${entry#*|})" \
            python3 tests/parse/compare.py --whole --stricter "${entry%%|*}" "$kunit_py" "$zlab" "$console"
    else
        run_test "kernel's $name: zlab parse --ktap counts and judges as kunit.py parse" \
            python3 tests/parse/compare.py --whole "$kunit_py" "$zlab" "$console"
    fi
done

# exit_and_says STATUS WORDS… -- ARGS…: `zlab ARGS…` exits STATUS and says every word.
exit_and_says() {
    local status=$1 words=() out code
    shift
    while [ "$1" != -- ]; do words+=("$1"); shift; done
    shift
    out=$("$zlab" "$@" 2>&1)
    code=$?
    echo "$out"
    [ "$code" = "$status" ] || { echo "exit $code, not $status"; return 1; }
    local word
    for word in "${words[@]}"; do grep -qF -- "$word" <<<"$out" || { echo "does not say: $word"; return 1; }; done
}

run_test "a panic: FAIL, exit 1, the panic line named" \
    exit_and_says 1 "FAIL" "kernel panic at console line" "Kernel panic - not syncing: zlab_fault" -- parse "$fixtures/real-panic.log"
# A module check's boot: the kernel's KUnit ran with no suite to run (kunit.filter_glob) and said so.
printf '%s\n' "[    0.5] KTAP version 1" "[    0.5] 1..0" "[    0.8] hello: loaded" >"$scratch/no-tests.log"
run_test "KTAP announcing no tests: PASS, says no tests ran" \
    exit_and_says 0 "KUnit: no tests ran" "PASS" -- parse "$scratch/no-tests.log"
run_test "KTAP announcing no tests, --ktap: FAIL, no tests ran" \
    exit_and_says 1 "FAIL" "no tests ran: KTAP began, but no test reported a result" -- parse --ktap "$scratch/no-tests.log"
run_test "a console with no KTAP: PASS, says so" \
    exit_and_says 0 "KUnit: no KTAP results on this console" "PASS" -- parse "$fixtures/boot-kunit-disabled-samples.log"
run_test "a console with no KTAP, --ktap: FAIL, no tests ran" \
    exit_and_says 1 "no tests ran: there is no KTAP on this console" -- parse --ktap "$fixtures/boot-kunit-disabled-samples.log"
run_test "a clean console from standard input: PASS, exit 0" \
    bash -c "'$zlab' parse - <'$fixtures/real-pass-hello.log' 2>&1 | grep -x 'PASS - (faults and KTAP)'"
run_test "--check hello on hello's console: PASS" \
    exit_and_says 0 "PASS" "(check hello)" -- parse --check hello "$fixtures/real-pass-hello.log"
run_test "--check kunit_demo on hello's console: FAIL, its suite never reported" \
    exit_and_says 1 "KUnit suite zlab_kunit_demo never reported" -- parse --check kunit_demo "$fixtures/real-pass-hello.log"
run_test "--check with no such check: the checks there are" \
    exit_and_says 2 "no check named \`nope\`; checks/ has: boot-smoke" -- parse --check nope "$fixtures/real-pass-hello.log"
run_test "a console that is not there: exit 2, what to give" \
    exit_and_says 2 "cannot read the console log" -- parse "$scratch/no-such.log"
summary
