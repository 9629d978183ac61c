#!/usr/bin/env bash
# `zlab test --json` and `--junit FILE` end to end, in a repository copy with two checks: one
# that passes (boot-smoke) and one that cannot (`impossible`: boot-smoke expecting a line no
# kernel prints). The JSON is read back with Python's json module, the JUnit XML with its
# xml.etree, and the JUnit XML is validated by xmllint (Debian's libxml2-utils, installed when
# missing) against tests/fixtures/junit-10.xsd, the JUnit schema of Jenkins' xUnit plugin, kept
# in the repository: nothing is downloaded at test time. Also: -q, colour only on a terminal,
# NO_COLOR, CLICOLOR, CLICOLOR_FORCE, --color; and a check skipped on a kernel it is not for.
# Ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
zlab=$repo/bin/zlab
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"

xsd=$repo/tests/fixtures/junit-10.xsd

copy=$scratch/repo
repo_copy "$copy"
find "$copy/checks" -name '*.toml' ! -name boot-smoke.toml -delete
# Every KUnit suite (the built-in doctests too), so the reports carry KTAP results.
sed -i '1i kunit = "all"' "$copy/checks/boot-smoke.toml"
sed -e 's/^description = .*/description = "boot-smoke, expecting a line no kernel prints"/' \
    -e '0,/^expect = \[/s/^expect = \[/expect = ["zlab: this line never appears", /' "$copy/checks/boot-smoke.toml" >"$copy/checks/impossible.toml"
grep -q "never appears" "$copy/checks/impossible.toml" || echo "tests/results.sh: could not make checks/impossible.toml" >&2
export ZLAB_PROJECT=$copy
# The colour tests set these themselves; the caller's own (CI too: it colours a terminal with any
# TERM, as anstream does) must not decide for them.
unset NO_COLOR CLICOLOR CLICOLOR_FORCE CI
# script(1) passes TERM on to its terminal; a TERM that shows colour, as a user's has.
export TERM=xterm

# A fresh Debian 12 has no xmllint: Debian's libxml2-utils, as other suites install theirs.
xmllint_is_installed() {
    command -v xmllint >/dev/null || host_packages libxml2-utils || return 1
    xmllint --version
}

# junit_validates FILE: FILE is valid against the schema.
junit_validates() {
    xmllint --noout --schema "$xsd" "$1"
}

# One run for the report tests: exit status, stdout (the JSON), stderr, the JUnit file.
report_run() {
    "$zlab" test --json --junit "$scratch/r.xml" >"$scratch/r.json" 2>"$scratch/r.err"
    echo $? >"$scratch/r.status"
}

exits_1_with_json_alone_on_stdout() {
    cat "$scratch/r.err"
    [ "$(cat "$scratch/r.status")" = 1 ] || return 1
    python3 -m json.tool "$scratch/r.json" >/dev/null &&
        grep -qx "1 passed, 1 failed" "$scratch/r.err" && ! grep -q "passed, " "$scratch/r.json"
}

json_has_the_results() {
    python3 - "$scratch/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["format"] == "zlab-test-results" and r["version"] == 1, r
assert r["totals"] == {"runs": 2, "passed": 1, "failed": 1, "errors": 0, "skipped": 0}, r["totals"]
by_name = {c["name"]: c for c in r["checks"]}
assert sorted(by_name) == ["boot-smoke", "impossible"], sorted(by_name)
ok, bad = by_name["boot-smoke"], by_name["impossible"]
assert ok["result"] == "pass" and ok["failures"] == [] and ok["seconds"] > 0, ok
assert "/runs/" in ok["console_log"] and ok["console_log"].endswith("/boot-smoke/console.log"), ok["console_log"]
assert ok["ktap"]["complete"] and ok["ktap"]["counts"]["passed"] > 300, ok["ktap"]["counts"]
assert bad["result"] == "fail", bad["result"]
assert [f["kind"] for f in bad["failures"]] == ["expected line missing"], bad["failures"]
assert "zlab: this line never appears" in bad["failures"][0]["message"]
print("json ok:", r["totals"])
PY
}

# The counts in the attributes and the elements themselves agree, as a CI's reader counts them.
junit_parses_with_the_right_counts() {
    python3 - "$scratch/r.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
def counts(e):
    return tuple(int(e.get(k)) for k in ("tests", "failures", "errors"))
assert root.tag == "testsuites", root.tag
suites = {s.get("name"): s for s in root.findall("testsuite")}
assert sorted(suites) == ["boot-smoke", "impossible"], sorted(suites)
assert counts(root) == (2, 1, 0), counts(root)
for name, failures in [("boot-smoke", 0), ("impossible", 1)]:
    s = suites[name]
    cases = s.findall("testcase")
    assert counts(s) == (1, failures, 0) and len(cases) == 1, (name, counts(s), len(cases))
    assert (cases[0].get("classname"), cases[0].get("name")) == (name, "boot"), cases[0].attrib
    assert len(cases[0].findall("failure")) == failures, (name, [c.tag for c in cases[0]])
failure = suites["impossible"].find("testcase/failure")
assert failure.get("type") == "expected line missing", failure.attrib
assert "zlab: this line never appears" in failure.get("message"), failure.get("message")
print("junit ok: tests", root.get("tests"), "failures", root.get("failures"))
PY
}

repeat_gives_a_suite_per_run() {
    "$zlab" -q test --repeat 2 --junit "$scratch/rep.xml" >/dev/null 2>&1
    python3 - "$scratch/rep.xml" <<'PY' && junit_validates "$scratch/rep.xml"
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
names = sorted(s.get("name") for s in root.findall("testsuite"))
assert names == ["boot-smoke (run 1/2)", "boot-smoke (run 2/2)", "impossible (run 1/2)", "impossible (run 2/2)"], names
assert (root.get("tests"), root.get("failures")) == ("4", "2"), root.attrib
assert len(root.findall("testsuite/testcase/failure")) == 2, len(root.findall("testsuite/testcase/failure"))
print(names)
PY
}

# Warnings stay under -q: another zlab's lock on the shared build dir may add one.
quiet_shows_only_results() {
    local out err
    out=$("$zlab" -q test boot-smoke 2>"$scratch/q.err") || return 1
    err=$(grep -v "another zlab is using" "$scratch/q.err")
    echo "stdout: $out"
    echo "stderr: $err"
    [ -z "$err" ] && grep -q "^PASS boot-smoke " <<<"$out" && [ "$(tail -n 1 <<<"$out")" = "1 passed, 0 failed" ]
}

# On a terminal (script(1) gives one) PASS and FAIL are coloured, and the JSON redirected to a
# file is not; with NO_COLOR set nothing is.
colour_only_on_a_terminal() {
    script -qec "$zlab test --json >$scratch/tty.json" "$scratch/tty.out" >/dev/null 2>&1
    if ! { grep -q $'\e\\[32mPASS' "$scratch/tty.out" && grep -q $'\e\\[31mFAIL' "$scratch/tty.out"; }; then
        cat -v "$scratch/tty.out"
        return 1
    fi
    if grep -q $'\e' "$scratch/tty.json" "$scratch/r.json" "$scratch/r.xml"; then
        echo "escape codes in a file"
        return 1
    fi
    NO_COLOR=1 script -qec "$zlab test boot-smoke" "$scratch/nocolor.out" >/dev/null 2>&1
    grep -q "^PASS boot-smoke" "$scratch/nocolor.out" && ! grep -q $'\e\\[3[12]m' "$scratch/nocolor.out"
}

# has_colour FILE / no_colour FILE: whether FILE holds zlab's red `error:` / any escape code.
has_colour() { grep -q $'\e\\[31merror:' "$1" || { cat -v "$1"; return 1; }; }
no_colour() { ! grep -q $'\e' "$1" || { cat -v "$1"; return 1; }; }
# on_a_terminal FILE [VAR=VALUE…] -- ARGS…: zlab ARGS with a terminal for stdout and stderr
# (script(1)'s), its output in FILE.
on_a_terminal() {
    local file=$1 vars=()
    shift
    while [ "$1" != -- ]; do vars+=("$1") && shift; done
    shift
    env "${vars[@]}" script -qec "$zlab $*" "$file" >/dev/null 2>&1
}

# The flag and the environment, on the red `error:` of a check that does not exist (no boot).
colour_follows_color_and_clicolor() {
    local t=$scratch/c
    "$zlab" --color always test no-such-check 2>"$t.always"
    has_colour "$t.always" || { echo "--color always into a file: plain"; return 1; }
    CLICOLOR_FORCE=1 "$zlab" test no-such-check 2>"$t.force"
    has_colour "$t.force" || { echo "CLICOLOR_FORCE=1 into a file: plain"; return 1; }
    CLICOLOR_FORCE=1 "$zlab" test no-such-check --color never 2>"$t.force-never"
    no_colour "$t.force-never" || { echo "--color never under CLICOLOR_FORCE: coloured"; return 1; }
    NO_COLOR=1 CLICOLOR_FORCE=1 "$zlab" test no-such-check 2>"$t.no-force"
    no_colour "$t.no-force" || { echo "NO_COLOR beside CLICOLOR_FORCE: coloured"; return 1; }
    on_a_terminal "$t.tty" -- test no-such-check
    has_colour "$t.tty" || { echo "a terminal: plain"; return 1; }
    on_a_terminal "$t.never" -- --color never test no-such-check
    no_colour "$t.never" || { echo "--color never on a terminal: coloured"; return 1; }
    on_a_terminal "$t.clicolor0" CLICOLOR=0 -- test no-such-check
    no_colour "$t.clicolor0" || { echo "CLICOLOR=0 on a terminal: coloured"; return 1; }
    on_a_terminal "$t.dumb" TERM=dumb -- test no-such-check
    no_colour "$t.dumb" || { echo "TERM=dumb: coloured"; return 1; }
    on_a_terminal "$t.no-always" NO_COLOR=1 -- test no-such-check --color=always
    has_colour "$t.no-always" || { echo "--color always under NO_COLOR: plain"; return 1; }
}

# Forced colour reaches the human report on stderr, never the JSON on stdout.
forced_colour_leaves_the_json_plain() {
    "$zlab" --color always test --json boot-smoke >"$scratch/forced.json" 2>"$scratch/forced.err"
    grep -q $'\e\\[32mPASS' "$scratch/forced.err" || { cat -v "$scratch/forced.err"; return 1; }
    no_colour "$scratch/forced.json" && python3 -m json.tool "$scratch/forced.json" >/dev/null
}

# A check for newer kernels run on 7.2: skipped with its own reason, nothing built or booted,
# exit 0; `"result": "skipped"` in the JSON and a valid JUnit file with a <skipped> boot case.
skipped_on_an_older_kernel() {
    local dir=$scratch/skip out status
    repo_copy "$dir" checks
    find "$dir/checks" -name '*.toml' ! -name rust-kernel-fmt.toml -delete
    ZLAB_PROJECT=$dir "$zlab" --kernel 7.2 test --json --junit "$scratch/skip.xml" >"$scratch/skip.json" 2>"$scratch/skip.err"
    status=$?
    cat "$scratch/skip.err"
    [ "$status" = 0 ] || { echo "exit $status"; return 1; }
    grep -q "^SKIP rust-kernel-fmt-7.2: for Linux 7.3 or newer, this is 7.2.12: " "$scratch/skip.err" &&
        grep -qx "0 passed, 0 failed, 1 skipped" "$scratch/skip.err" || return 1
    ! grep -qE "building Linux|booted in" "$scratch/skip.err" || { echo "it built or booted"; return 1; }
    python3 - "$scratch/skip.json" "$scratch/skip.xml" <<'PY' || return 1
import json, sys, xml.etree.ElementTree as ET
r = json.load(open(sys.argv[1]))
assert r["totals"] == {"runs": 1, "passed": 0, "failed": 0, "errors": 0, "skipped": 1}, r["totals"]
c = r["checks"][0]
assert (c["result"], c["kernel"], c["failures"], c["ktap"]) == ("skipped", "7.2.12", [], None), c
assert c["skipped"].endswith("rust_kernel_fmt came with Linux 7.3"), c["skipped"]
case = ET.parse(sys.argv[2]).getroot().find("testsuite/testcase")
assert case.get("classname") == "rust-kernel-fmt-7.2", case.attrib
assert case.find("skipped").get("message") == c["skipped"], ET.tostring(case)
print("skip ok:", c["skipped"])
PY
    junit_validates "$scratch/skip.xml"
}

"$zlab" --version >/dev/null # built before the timed runs
failed_before=$failed
run_test "xmllint is installed (Debian's libxml2-utils)" xmllint_is_installed
if [ "$failed" -ne "$failed_before" ]; then
    summary
    exit 1
fi
report_run
run_test "zlab test --json: exit 1, JSON alone on stdout, the human report on stderr" exits_1_with_json_alone_on_stdout
run_test "the JSON has both checks, their failures and the totals" json_has_the_results
run_test "the JUnit file parses (xml.etree) with tests=2 failures=1" junit_parses_with_the_right_counts
run_test "the JUnit file is valid against junit-10.xsd (xmllint)" junit_validates "$scratch/r.xml"
run_test "--repeat 2 --junit: one suite per run" repeat_gives_a_suite_per_run
run_test "a check for 7.3 on --kernel 7.2: skipped with its reason in the report, the JSON and valid JUnit, exit 0" skipped_on_an_older_kernel
run_test "-q: only results, no progress on stderr" quiet_shows_only_results
run_test "colour on a terminal only, never in files, none under NO_COLOR" colour_only_on_a_terminal
run_test "--color and CLICOLOR_FORCE colour files; --color never, CLICOLOR=0, TERM=dumb do not; the flag beats the environment" colour_follows_color_and_clicolor
run_test "zlab --color always test --json: a coloured report on stderr, plain JSON on stdout" forced_colour_leaves_the_json_plain
summary
