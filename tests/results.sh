#!/usr/bin/env bash
# `zlab test --json` and `--junit FILE` end to end, in a repository copy with two checks: one
# that passes (boot-smoke) and one that cannot (`impossible`: boot-smoke expecting a line no
# kernel prints). The JSON is read back with Python's json module, the JUnit XML with the
# junitparser library and validated against junit-10.xsd, the JUnit schema of Jenkins' xUnit
# plugin (shipped in pytest's source release); both come from PyPI into $scratch at test time.
# Also: -q, colour only on a terminal, NO_COLOR. Ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
zlab=$repo/bin/zlab
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"

JUNITPARSER=junitparser==5.0.3
XMLSCHEMA=xmlschema==4.3.2
PYTEST_SDIST=pytest-8.3.3
export PYTHONPATH=$scratch/py

copy=$scratch/repo
repo_copy "$copy"
find "$copy/checks" -name '*.toml' ! -name boot-smoke.toml -delete
# Every KUnit suite (the built-in doctests too), so the reports carry KTAP results.
sed -i '1i kunit = "all"' "$copy/checks/boot-smoke.toml"
sed -e 's/^description = .*/description = "boot-smoke, expecting a line no kernel prints"/' \
    -e '0,/^expect = \[/s/^expect = \[/expect = ["zlab: this line never appears", /' "$copy/checks/boot-smoke.toml" >"$copy/checks/impossible.toml"
grep -q "never appears" "$copy/checks/impossible.toml" || echo "tests/results.sh: could not make checks/impossible.toml" >&2
export ZLAB_REPO=$copy

python_tools() {
    # A fresh Debian 12 has python3 but no pip; --target installs pass its PEP 668 guard.
    if ! python3 -m pip --version >/dev/null 2>&1; then
        apt-get install -y --no-install-recommends python3-pip >/dev/null || return 1
    fi
    python3 -m pip install --quiet --disable-pip-version-check --target "$scratch/py" "$JUNITPARSER" "$XMLSCHEMA" &&
        python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
            -d "$scratch/sdist" "${PYTEST_SDIST/-/==}" &&
        tar -xzf "$scratch/sdist/$PYTEST_SDIST.tar.gz" -C "$scratch" --strip-components=3 \
            "$PYTEST_SDIST/testing/example_scripts/junit-10.xsd" &&
        python3 -c 'import junitparser, xmlschema'
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
assert r["totals"] == {"runs": 2, "passed": 1, "failed": 1, "errors": 0}, r["totals"]
by_name = {c["name"]: c for c in r["checks"]}
assert sorted(by_name) == ["boot-smoke", "impossible"], sorted(by_name)
ok, bad = by_name["boot-smoke"], by_name["impossible"]
assert ok["result"] == "pass" and ok["failures"] == [] and ok["seconds"] > 0, ok
assert ok["console_log"].endswith("/runs/boot-smoke/console.log"), ok["console_log"]
assert ok["ktap"]["complete"] and ok["ktap"]["counts"]["passed"] > 300, ok["ktap"]["counts"]
assert bad["result"] == "fail", bad["result"]
assert [f["kind"] for f in bad["failures"]] == ["expected line missing"], bad["failures"]
assert "zlab: this line never appears" in bad["failures"][0]["message"]
print("json ok:", r["totals"])
PY
}

junit_parses_with_the_right_counts() {
    python3 - "$scratch/r.xml" <<'PY'
import sys
from junitparser import JUnitXml, Failure
xml = JUnitXml.fromfile(sys.argv[1])
suites = {s.name: s for s in xml}
assert sorted(suites) == ["boot-smoke", "impossible"], sorted(suites)
assert (xml.tests, xml.failures, xml.errors) == (2, 1, 0), (xml.tests, xml.failures, xml.errors)
for name, failures in [("boot-smoke", 0), ("impossible", 1)]:
    s = suites[name]
    cases = list(s)
    assert (s.tests, s.failures, len(cases)) == (1, failures, 1), (name, s.tests, s.failures, len(cases))
    assert (cases[0].classname, cases[0].name) == (name, "boot"), (cases[0].classname, cases[0].name)
failure = list(suites["impossible"])[0].result[0]
assert isinstance(failure, Failure) and failure.type == "expected line missing", failure
assert "zlab: this line never appears" in failure.message, failure.message
print("junit ok: tests", xml.tests, "failures", xml.failures)
PY
}

junit_validates_against_the_schema() {
    python3 -c 'import sys, xmlschema; xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2]); print("valid")' \
        "$scratch/junit-10.xsd" "$scratch/r.xml"
}

repeat_gives_a_suite_per_run() {
    "$zlab" -q test --repeat 2 --junit "$scratch/rep.xml" >/dev/null 2>&1
    python3 - "$scratch/rep.xml" <<'PY' && junit_validates "$scratch/rep.xml"
import sys
from junitparser import JUnitXml
xml = JUnitXml.fromfile(sys.argv[1])
names = sorted(s.name for s in xml)
assert names == ["boot-smoke (run 1/2)", "boot-smoke (run 2/2)", "impossible (run 1/2)", "impossible (run 2/2)"], names
assert (xml.tests, xml.failures) == (4, 2), (xml.tests, xml.failures)
print(names)
PY
}

junit_validates() {
    python3 -c 'import sys, xmlschema; xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])' "$scratch/junit-10.xsd" "$1"
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

"$zlab" --version >/dev/null # built before the timed runs
if ! python_tools >"$scratch/pip.log" 2>&1; then
    run_test "PyPI tools (junitparser, xmlschema, junit-10.xsd) are installed" cat "$scratch/pip.log" false
    summary
    exit 1
fi
report_run
run_test "zlab test --json: exit 1, JSON alone on stdout, the human report on stderr" exits_1_with_json_alone_on_stdout
run_test "the JSON has both checks, their failures and the totals" json_has_the_results
run_test "the JUnit file parses (junitparser) with tests=2 failures=1" junit_parses_with_the_right_counts
run_test "the JUnit file is valid against junit-10.xsd" junit_validates_against_the_schema
run_test "--repeat 2 --junit: one suite per run" repeat_gives_a_suite_per_run
run_test "-q: only results, no progress on stderr" quiet_shows_only_results
run_test "colour on a terminal only, never in files, none under NO_COLOR" colour_only_on_a_terminal
summary
