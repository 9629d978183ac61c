#!/usr/bin/env bash
# Guests that fail for real, each judged from its console: the test-only modules panic, oops,
# hit BUG and WARN, hang, refuse a parameter, miss a symbol and fail to compile; a healthy check
# in the same run still passes. Then: no QEMU is left, and the guest had no network and no way
# to the host. Then bugs only the kernel's detectors see (an overflow, a sleep under a spinlock,
# an AB-BA lock order, a leak, a read past a buffer's end), each its own failure at its line, ten
# boots of ten. Prints one line per test and ends with `N passed, N failed`.
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
echo \"ccw devices: \$(ls /sys/bus/ccw/devices | wc -l)\"
echo \"disks: \$(ls /sys/block | tr '\\n' ' ')read-only: \$(cat /sys/block/vda/ro)\""

# The results as JSON on stdout (docs/results.md), the human report on stderr; zlab in a
# process group of its own, so that what it leaves behind can be told from other runs'.
json="$scratch/results.json"
out="$scratch/test.out"
fault_checks=(fault-panic fault-oops fault-bug fault-warn fault-hang fault-bad-param fault-unresolved fault-broken)
junit="$scratch/results.xml"
ZLAB_PROJECT=$fault_repo in_own_group ./bin/zlab test --json --junit "$junit" "${fault_checks[@]}" hello isolation \
    >"$json" 2>"$out" </dev/null
wait "$job"
status=$?

# from_json CHECK FIELD: CHECK's entry in the JSON, read with Python's json module. FIELD is
# `result` (pass, fail or error), `console_log`, `kinds` (its failures' kinds, one a line, in
# the order found) or `messages` (the failures' explanations with their console lines).
from_json() {
    python3 - "$json" "$@" <<'PY'
import json, sys
path, name, field = sys.argv[1:]
runs = [c for c in json.load(open(path))["checks"] if c["name"] == name and c["run"] == 1]
if len(runs) != 1:
    sys.exit(f"{path}: {len(runs)} entries for {name}")
check = runs[0]
if field in ("kinds", "messages"):
    key = {"kinds": "kind", "messages": "message"}[field]
    print("\n".join(f[key] for f in check["failures"]))
else:
    print(check[field])
PY
}

# The first failure is CHECK's own kind, and the failures show the console lines given.
fails_first_with() {
    local check=$1 kind=$2 result kinds messages line
    shift 2
    result=$(from_json "$check" result) && kinds=$(from_json "$check" kinds) &&
        messages=$(from_json "$check" messages) || return 1
    echo "$check: $result"
    echo "$messages"
    [ "$result" != pass ] || { echo "expected $check to fail"; return 1; }
    [ "$(head -n 1 <<<"$kinds")" = "$kind" ] || { echo "expected $check to fail first with '$kind', not: $kinds"; return 1; }
    for line in "$@"; do
        grep -qF -- "$line" <<<"$messages" || { echo "its failures lack: $line"; return 1; }
    done
}

# Exit status 1, the human report's closing line, and the same totals in the JSON (fault-broken
# is an error: it never booted).
zlab_fails_and_says_so() {
    tail -n 14 "$out"
    [ "$status" -eq 1 ] || { echo "zlab exited $status, not 1"; return 1; }
    grep -qx "2 passed, 8 failed" "$out" || return 1
    python3 - "$json" <<'PY'
import json, sys
totals = json.load(open(sys.argv[1]))["totals"]
print("totals:", totals)
assert totals == {"runs": 10, "passed": 2, "failed": 7, "errors": 1, "skipped": 0}, totals
PY
}

healthy_check_still_passes() {
    [ "$(from_json hello result)" = pass ]
}

# Nothing zlab started is left: no process in its group.
nothing_is_left() {
    ! pgrep -a -g "$job"
}

guest_is_isolated() {
    local log
    from_json isolation messages
    [ "$(from_json isolation result)" = pass ] || return 1
    [ ! -e "$probe" ] || { echo "the guest's write reached the host: $probe"; return 1; }
    log=$(from_json isolation console_log) || return 1
    grep -q "zlab-out 1| guest" "$log" && grep -q "zlab-out 1| net: 0" "$log" &&
        grep -q "zlab-out 1| ccw devices: 1" "$log" && grep -q "zlab-out 1| disks: vda read-only: 1" "$log"
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
# Where the fault module calls panic!(), as rustc names it: FILE:LINE:COLUMN (1-based).
panic_at=$(awk '/panic!\("zlab_fault: Rust panic requested/ { print "zlab_fault.rs:" NR ":" index($0, "panic!") }' \
    zlab/tests/guest-modules/zlab_fault/zlab_fault.rs)
run_test "Rust panic: a BUG, with the panic message" \
    fails_first_with fault-bug "BUG" "zlab_fault: Rust panic requested (mode=3)"
# The report's first line names the panic's place in the source, before any trace; so does the
# JSON, as a field.
panic_names_its_line_first() {
    local first
    first=$(from_json fault-bug messages | head -n 1)
    echo "$first"
    [[ "$first" == "BUG at console line "*": Rust panic at $panic_at: zlab_fault: Rust panic requested (mode=3):" ]] || return 1
    python3 - "$json" "$panic_at" <<'PY'
import json, sys
check = next(c for c in json.load(open(sys.argv[1]))["checks"] if c["name"] == "fault-bug")
file, line, column = sys.argv[2].split(":")
location = {k: check["failures"][0]["location"][k] for k in ("file", "line", "column")}
assert location == {"file": file, "line": int(line), "column": int(column)}, check["failures"][0]
print("location:", check["failures"][0]["location"])
PY
}
run_test "Rust panic: the report and the JSON name its .rs line first ($panic_at)" panic_names_its_line_first

# The line of the fault module that PATTERN is on, as the project names it.
fault_source=modules/zlab_fault/zlab_fault.rs
line_of() {
    grep -nF -- "$1" "$fault_repo/$fault_source" | head -n 1 | cut -d: -f1
}
init_function='<zlab_fault::ZlabFault as kernel::module::Module>::init'

# An oops, a C panic() or a WARN in the module: the faulting address decoded against the
# module's .ko names the function and the .rs line, first in the report, in the JSON's
# location and in JUnit's failure message.
names_its_line() {
    local check=$1 line=$2 first
    first=$(from_json "$check" messages | head -n 1)
    echo "$first"
    [[ "$first" == *" at console line "*": in $init_function at $fault_source:$line:" ]] || return 1
    python3 - "$json" "$junit" "$check" "$fault_source" "$line" "$init_function" <<'PY'
import json, sys
import xml.etree.ElementTree as ET
path, junit, name, file, line, function = sys.argv[1:]
check = next(c for c in json.load(open(path))["checks"] if c["name"] == name)
location = check["failures"][0]["location"]
print("location:", location)
assert location == {"file": file, "line": int(line), "column": None, "function": function}, location
case = next(c for c in ET.parse(junit).getroot().iter("testcase") if c.get("classname") == name and c.get("name") == "boot")
message = case.find("failure").get("message")
print("JUnit:", message)
assert f"in {function} at {file}:{line}" in message, message
PY
}
oops_line=$(line_of "core::ptr::read_volatile(ptr)")
panic_line=$(line_of "kernel::bindings::panic(")
warn_line=$(line_of "kernel::warn_on!(mode == 4)")
run_test "oops: the report, JSON and JUnit name the function and $fault_source:$oops_line" names_its_line fault-oops "$oops_line"
run_test "panic(): the report, JSON and JUnit name the function and $fault_source:$panic_line" names_its_line fault-panic "$panic_line"
run_test "WARN: the report, JSON and JUnit name the function and $fault_source:$warn_line" names_its_line fault-warn "$warn_line"
# A Rust panic names its own place; the decoded trace adds the function it was raised in.
panic_names_its_function() {
    python3 - "$json" "$init_function" <<'PY'
import json, sys
check = next(c for c in json.load(open(sys.argv[1]))["checks"] if c["name"] == "fault-bug")
print("location:", check["failures"][0]["location"])
assert check["failures"][0]["location"]["function"] == sys.argv[2]
PY
}
run_test "Rust panic: the JSON names the function it was raised in" panic_names_its_function
# The guest boots the module as the warm loop builds it, without line tables; the decoding
# used a twin built with them, whose code sections are the same bytes.
only_the_twin_has_line_tables() {
    local out booted twin section
    out=$home/build/test/zlab-modules/$(project_key "$fault_repo")
    booted=$out/zlab_fault/zlab_fault.ko
    twin=$out/zlab_fault.line-tables/zlab_fault.ko
    ls -l "$booted" "$twin" || return 1
    ! s390x-linux-gnu-readelf -S "$booted" | grep -q "\.debug_line" || { echo "the booted module has line tables"; return 1; }
    s390x-linux-gnu-readelf -S "$twin" | grep -q "\.debug_line" || { echo "the twin has no line tables"; return 1; }
    for section in .text .init.text; do
        s390x-linux-gnu-objcopy -O binary --only-section="$section" "$booted" "$scratch/booted$section" &&
            s390x-linux-gnu-objcopy -O binary --only-section="$section" "$twin" "$scratch/twin$section" &&
            cmp "$scratch/booted$section" "$scratch/twin$section" || return 1
        echo "$section: $(stat -c %s "$scratch/booted$section") bytes, the same"
    done
}
run_test "the booted module has no line tables; the twin that decoded it has, with the same code" only_the_twin_has_line_tables
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

run_test "no QEMU, nor anything else zlab started, is left running" nothing_is_left
run_test "the guest has no network and one device, its check's read-only disk: no way to the host" guest_is_isolated

# The kernel's bug detectors: bugs Rust's type system accepts, which pass on a kernel without
# the detectors (allnoconfig's defaults), each failing with its own kind at the module's line.
# Each is booted ten times: each boot must fail so (not luck). From here on from_json reads
# this run's results (its first boots).
json=$scratch/detectors.json
junit=$scratch/detectors.xml
detector_checks=(detect-overflow detect-atomic-sleep detect-kfence detect-lock-order detect-leak)
ZLAB_PROJECT=$fault_repo ./bin/zlab test --repeat 10 --json --junit "$junit" "${detector_checks[@]}" >"$json" 2>"$scratch/detectors.out" </dev/null

# detected_at CHECK KIND FILE LINE [COLUMN] [ROLE SITE_LINE]: CHECK's first failure is KIND at
# FILE:LINE(:COLUMN) in the JSON, JUnit's failure message names that place, and (with ROLE) a
# site of the report is ROLE at FILE:SITE_LINE.
detected_at() {
    python3 - "$json" "$junit" "$@" <<'PY'
import json, sys
import xml.etree.ElementTree as ET
path, junit, name, kind, file, line, *rest = sys.argv[1:]
column = int(rest.pop(0)) if rest and rest[0].isdigit() else None
check = next(c for c in json.load(open(path))["checks"] if c["name"] == name and c["run"] == 1)
first = check["failures"][0]
print(first["message"].splitlines()[0])
assert check["result"] == "fail", check["result"]
assert first["kind"] == kind, f"first failure is {first['kind']}, not {kind}"
at = first["location"]
assert at and (at["file"], at["line"]) == (file, int(line)), f"at {at}, not {file}:{line}"
if column is not None:
    assert at["column"] == column, f"column {at['column']}, not {column}"
case = next(c for c in ET.parse(junit).getroot().iter("testcase") if c.get("classname") == name and c.get("name") == "boot (run 1/10)")
message = case.find("failure").get("message")
assert f"{file.rsplit('/', 1)[-1]}:{line}" in message, message
if rest:
    role, site_line = rest
    sites = [(s["role"], s["location"] and (s["location"]["file"], s["location"]["line"])) for s in first["sites"]]
    print("sites:", sites)
    assert (role, (file, int(site_line))) in sites, f"no site {role} at {file}:{site_line}"
    assert f"{role} at {file}:{site_line}" in message, message
PY
}

# line_in MODULE PATTERN: the line of zlab/tests/guest-modules/MODULE/MODULE.rs that PATTERN is on.
line_in() {
    grep -nF -- "$2" "zlab/tests/guest-modules/$1/$1.rs" | head -n 1 | cut -d: -f1
}
overflow_line=$(line_in zlab_overflow "a + b")
overflow_column=$(awk -v n="$overflow_line" 'NR == n { print index($0, "a + b") }' zlab/tests/guest-modules/zlab_overflow/zlab_overflow.rs)
overflow_named() {
    fails_first_with detect-overflow overflow "attempt to add with overflow" &&
        detected_at detect-overflow overflow zlab_overflow.rs "$overflow_line" "$overflow_column"
}
run_test "overflow (u8 200 + 100): its own kind at zlab_overflow.rs:$overflow_line:$overflow_column, 'attempt to add with overflow'" \
    overflow_named
sleep_line=$(line_in zlab_atomic_sleep "readings.push(")
run_test "a GFP_KERNEL allocation under a SpinLock: sleep in atomic context at zlab_atomic_sleep.rs:$sleep_line" \
    detected_at detect-atomic-sleep "sleep in atomic context" modules/zlab_atomic_sleep/zlab_atomic_sleep.rs "$sleep_line"
audit_line=$(line_in zlab_lock_order "let accounts = ACCOUNTS.lock();")
deposit_line=$(line_in zlab_lock_order "let mut ledger = LEDGER.lock();")
run_test "an AB-BA lock order (debug kernel): lockdep, both acquisitions decoded (lines $audit_line and $deposit_line)" \
    detected_at detect-lock-order lockdep modules/zlab_lock_order/zlab_lock_order.rs "$audit_line" \
    "LEDGER taken while ACCOUNTS was held" "$deposit_line"

leak_line=$(line_in zlab_leak "KBox::new(")
leak_named() {
    detected_at detect-leak "memory leak" modules/zlab_leak/zlab_leak.rs "$leak_line" &&
        python3 - "$json" <<'PY'
import json, sys
check = next(c for c in json.load(open(sys.argv[1]))["checks"] if c["name"] == "detect-leak" and c["run"] == 1)
leaks = [f for f in check["failures"] if f["kind"] == "memory leak"]
assert len(leaks) == 1, f"{len(leaks)} leak failures, not one for the 32 objects of one place"
assert "32 objects of 512 bytes no pointer refers to, allocated" in leaks[0]["message"], leaks[0]["message"]
PY
}
run_test "32 KBoxes leaked, the module unloaded (debug kernel): one memory leak, allocated at zlab_leak.rs:$leak_line" \
    leak_named
kfence_read_line=$(line_in zlab_kfence "core::ptr::read_volatile(start.add(i))")
kfence_alloc_line=$(line_in zlab_kfence "KBox::new(")
run_test "a read one byte past a KBox (unsafe): KFENCE at zlab_kfence.rs:$kfence_read_line, allocated at line $kfence_alloc_line" \
    detected_at detect-kfence KFENCE modules/zlab_kfence/zlab_kfence.rs "$kfence_read_line" allocated "$kfence_alloc_line"

# KASAN with Rust needs clang: on GCC the check on the kasan kernel is skipped, saying why,
# and no kernel is built for it. (Its report, recorded with --toolchain llvm, is the fixture
# real-kasan.log; building that kernel takes longer than the whole of this suite.)
kasan_is_skipped_on_gcc() {
    local out
    out=$(ZLAB_PROJECT=$fault_repo ./bin/zlab test detect-kasan 2>&1) || { echo "$out"; return 1; }
    echo "$out" | tail -n 3
    grep -q "^detect-kasan  *skip .*builds only with --toolchain llvm, this is gcc: .*CC_IS_CLANG" <<<"$out" &&
        grep -q "^0 passed, 0 failed, 1 skipped$" <<<"$out" && [ ! -e "$home/build/kasan" ]
}
run_test "a check on the kasan kernel with GCC: skipped, saying it needs --toolchain llvm, nothing built" kasan_is_skipped_on_gcc

# Not luck: every one of ten boots of each fails with its detector's kind.
ten_of_ten() {
    python3 - "$json" <<'PY'
import collections, json, sys
kinds = {
    "detect-overflow": "overflow",
    "detect-atomic-sleep": "sleep in atomic context",
    "detect-lock-order": "lockdep",
    "detect-leak": "memory leak",
    "detect-kfence": "KFENCE",
}
runs = collections.Counter()
for check in json.load(open(sys.argv[1]))["checks"]:
    first = check["failures"][0]["kind"] if check["failures"] else "pass"
    runs[(check["name"], first)] += 1
print(dict(runs))
assert all(runs[(name, kind)] == 10 for name, kind in kinds.items()), runs
PY
}
run_test "each detector's check fails 10 runs of 10 with its own kind" ten_of_ten

summary
