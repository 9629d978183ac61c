#!/usr/bin/env bash
# `zlab test -j N`: every check of the repository, and every test-only fault check (panic, oops,
# BUG, WARN, a hang, a refused parameter, a missing symbol, a compile error), run with -j 1 and
# one at a time booted in full (-j 1 --boot) and two at a time resumed from the saved guest (-j 2);
# the JSON and JUnit results must be the same apart from times and how each guest started. With -j 2 each
# check's lines come whole and in check order, -v prefixes every console line with its check's
# name (and those lines are the check's console.log), and two checks that need one module build
# it once. Ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
# shellcheck source=tests/fault-repo.sh
source "$repo/tests/fault-repo.sh"
zlab=$repo/bin/zlab

# run_with NAME PROJECT JOBS [CHECK…]: `zlab test --json --junit -j JOBS` of PROJECT's checks;
# NAME.json, NAME.xml, NAME.err (the human report and notes) and NAME.status in $scratch.
run_with() {
    local name=$1 project=$2 jobs=$3
    shift 3
    ZLAB_PROJECT=$project "$zlab" test -j "$jobs" --json --junit "$scratch/$name.xml" "$@" \
        >"$scratch/$name.json" 2>"$scratch/$name.err" </dev/null
    echo $? >"$scratch/$name.status"
}

# same_results A B: A's and B's exit status, JSON and JUnit are the same once times are taken
# out: seconds, phases, how the guest started, JUnit's time and timestamp attributes, and the
# guest's printk clock in quoted console lines (the runs are different boots); and what differs
# between a resumed guest and a booted one: where in the console a line is (a resumed console
# has the saved guest's lines too), the addresses the module was loaded at, the pids of the
# check's processes, and the boot lines before the check that a time-out quotes.
same_results() {
    local a=$1 b=$2
    echo "exit status: $(cat "$scratch/$a.status") and $(cat "$scratch/$b.status")"
    [ "$(cat "$scratch/$a.status")" = "$(cat "$scratch/$b.status")" ] || return 1
    python3 - "$scratch/$a" "$scratch/$b" <<'PY'
import json, re, sys
import xml.etree.ElementTree as ET

clock = re.compile(r"\[ *\d+\.\d+\]")
# What differs from boot to boot whatever -j is: when and where kmemleak saw each leaked object
# allocated, and the pid of a task a report names (`busybox/37 is trying to acquire lock`,
# `pid 38`, `PID: 35`), which follows the guest's timing; in a KFENCE report, the (hashed)
# address read, the pool object and its addresses (`kfence-#154: 0x…-0x…`), and the task, CPU
# and time of the allocation (`task 36 on cpu 0 at 1.533315s (0.009425s ago)`).
per_boot = re.compile(
    r"jiffies \d+|unreferenced object 0x[0-9a-f]+|\b[\w-]+/\d+ is |\bpid \d+|\bPID: \d+"
    r"|\b(?:read|write) at 0x[0-9a-f]+|kfence-#\d+(?:: 0x[0-9a-f]+-0x[0-9a-f]+)?"
    r"|task \d+ on cpu \d+ at \d+\.\d+s \(\d+\.\d+s ago\)"
    r"|console line \d+|\b(?:0x)?[0-9a-f]{16}\b|\bbusybox/\d+|\bpid: \d+"
)
# A time-out quotes the console's last lines: before the check's start, a resumed guest's are
# the saved boot's end and the resume marker.
before_the_check = re.compile(r"(Last console lines:\n).*?(?= *\| zlab-init: start)", re.S)

def normal(text):
    return per_boot.sub("[boot's own]", clock.sub("[time]", before_the_check.sub(r"\1[…]\n", text)))

def untimed(value):
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k not in ("seconds", "phases", "start", "booted_because")}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    if isinstance(value, str):
        return normal(value)
    return value

def junit(path):
    root = ET.parse(path).getroot()
    for element in root.iter():
        for attribute in ("time", "timestamp"):
            element.attrib.pop(attribute, None)
        for attribute, value in element.attrib.items():
            element.attrib[attribute] = normal(value)
        for part in ("text", "tail"):
            text = getattr(element, part)
            if text:
                setattr(element, part, normal(text))
    return ET.tostring(root)

a, b = sys.argv[1:]
ja, jb = (untimed(json.load(open(f"{p}.json"))) for p in (a, b))
print("checks:", [c["name"] + ":" + c["result"] for c in ja["checks"]])
print("totals:", ja["totals"], jb["totals"])
if ja != jb:
    import difflib
    for ca, cb in zip(ja["checks"], jb["checks"]):
        if ca != cb:
            print(f"{ca['name']} differs:")
            a_lines = json.dumps(ca, indent=1, sort_keys=True).splitlines()
            b_lines = json.dumps(cb, indent=1, sort_keys=True).splitlines()
            print("\n".join(list(difflib.unified_diff(a_lines, b_lines, lineterm=""))[:40]))
assert ja == jb, "the JSON differs"
assert junit(f"{a}.xml") == junit(f"{b}.xml"), "the JUnit XML differs"
PY
}

# in_check_order NAME CHECK…: NAME.err has, for each check in the order given, a block that
# starts with its `zlab: check` note and holds its own PASS/FAIL line and no other check's.
in_check_order() {
    local name=$1
    shift
    python3 - "$scratch/$name.err" "$@" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
checks = sys.argv[2:]
blocks, current = [], None
for line in lines:
    m = re.match(r"zlab: check (\S+) — ", line)
    if m:
        current = [m.group(1), []]
        blocks.append(current)
    elif current and re.match(r"(PASS|FAIL) ", line):
        current[1].append(line.split()[1])
    elif re.match(r"check +result +seconds", line):
        current = None  # the summary table
print([b[0] for b in blocks])
assert [b[0] for b in blocks] == checks, f"checks reported in another order: {[b[0] for b in blocks]}"
for name, verdicts in blocks:
    assert verdicts == [name], f"{name}'s block holds the verdicts of {verdicts}"
PY
}

# The checks, named in checks/ order, as `zlab test --list` lists them.
mapfile -t repo_checks < <("$zlab" test --list | awk '{ print $1 }')
fault_checks=(fault-panic fault-oops fault-bug fault-warn fault-hang fault-bad-param fault-unresolved fault-broken hello
    detect-overflow detect-atomic-sleep detect-lock-order detect-leak detect-kfence)

run_with repo-j1 "$repo" 1 --boot
run_with repo-j2 "$repo" 2
run_with faults-j1 "$fault_repo" 1 --boot "${fault_checks[@]}"
run_with faults-j2 "$fault_repo" 2 "${fault_checks[@]}"

says_it_runs_two_at_once() {
    grep -F "booting up to 2 checks at once" "$scratch/repo-j2.err" &&
        ! grep -F "at once" "$scratch/repo-j1.err"
}

# -v -j 2: every console line is prefixed `CHECK| `, and a check's prefixed lines are its
# console.log, line for line (a resumed check's: the saved boot, then the check).
consoles_are_prefixed() {
    local out=$scratch/verbose.out check log
    "$zlab" -v test -j 2 hello echo >"$out" 2>&1 </dev/null || { tail -n 20 "$out"; return 1; }
    for check in hello echo; do
        log=$(run_dir "$repo" "$check")/console.log
        grep "^$check| " "$out" | sed "s/^$check| //" | diff - <(tr -d '\r' <"$log") >/dev/null ||
            { echo "$check's prefixed lines are not its console.log ($log)"; return 1; }
        echo "$check: $(grep -c "^$check| " "$out") prefixed lines, as in its console.log"
    done
    grep -q "hello| zlab: ---- the check resumes here" "$out" && grep -q "Linux version" "$out" &&
        ! grep -E "^\[ *[0-9]+\.[0-9]+\] Linux version" "$out"
}

# Two checks loading one module, just after its source changed: the module is compiled once,
# so its build log (written by every make that runs) is the one that compiled it.
one_module_build_for_two_checks() {
    local copy=$scratch/twice key log
    repo_copy "$copy"
    sed 's/^description = .*/description = "hello again, beside hello"/' "$copy/checks/hello.toml" >"$copy/checks/hello-again.toml"
    touch "$copy"/modules/hello/*.rs
    ZLAB_PROJECT=$copy "$zlab" test -j 2 hello hello-again </dev/null 2>&1 | tail -n 3 || return 1
    key=$(project_key "$copy")
    log=$(find "$home/build/test/zlab-modules/$key/hello" -name zlab-build.log)
    [ -f "$log" ] || { echo "no build log for hello under $key"; return 1; }
    grep -F "[M]" "$log" | head -n 3
    grep -q "RUSTC \[M\]" "$log" || { echo "the last make of hello compiled nothing: it ran twice"; return 1; }
}

run_test "every check of the repository: -j 2 resumed gives the results of -j 1 booted in full" same_results repo-j1 repo-j2
run_test "every fault and detector check: -j 2 resumed gives the results of -j 1 booted in full" same_results faults-j1 faults-j2
run_test "-j 2 says it boots two at once; -j 1 does not" says_it_runs_two_at_once
run_test "-j 2: each check's lines whole, in check order (the repository)" in_check_order repo-j2 "${repo_checks[@]}"
run_test "-j 2: each check's lines whole, in check order (faults)" in_check_order faults-j2 "${fault_checks[@]}"
run_test "-v -j 2: each console line starts with its check's name" consoles_are_prefixed
run_test "two checks needing one module: it is built once" one_module_build_for_two_checks
summary
