#!/usr/bin/env bash
# `zlab parse LOG`: a console zlab did not boot judged as `zlab test` judges one. Its KTAP counts
# equal those of the kernel's own `kunit.py parse` (tools/testing/kunit, from the pinned source)
# on every console fixture in zlab/tests/fixtures (real boots and synthetic streams, one of which
# is shaped past what kunit.py reads and is named as not compared), each KTAP
# stream of a console counted (tests/parse/compare.py says how); its verdict and exit status
# follow the faults, and `--check` holds a console to a check. Ends with `N passed, N failed`.
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
