"""One console, counted by kunit.py parse and by `zlab parse --json`, which must agree.

kunit.py parse reads the first KTAP stream of a console and stops; a console where modules ran
their suites at insmod holds one stream per insmod. So the console is cut into its top-level
streams (a `KTAP version` or `TAP version` line with nothing before it but printk's timestamp)
and kunit.py parses each; the sums must equal zlab's counts over the whole console. Tests that a
plan promised and that never came are "crashed" to kunit.py; zlab calls that stream incomplete.

With --whole (the kernel's own test data for kunit.py, one stream each, some of it behind a
prefix kunit.py strips) kunit.py parses the console as it is, and zlab with --ktap, since
kunit.py expects KUnit output. Beside the counts, the verdicts must agree: kunit.py's is clean
when it counted no failed or crashed test and printed no [ERROR] (not its exit status, which is
1 for a run whose tests were all skipped, that `kunit.py run` calls a success, and 0 for one
with "[ERROR] ... 0 tests run!"); zlab's is its result. --stricter KIND names a failure zlab
reports on purpose where kunit.py does not (its fault policy: a kernel panic or WARNING on the
console fails the run): zlab must report it, and its verdict without it must agree.

Usage: compare.py [--whole] [--stricter KIND]... KUNIT_PY ZLAB CONSOLE. Prints both counts and
verdicts; exits 1 when they differ.
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile

parser = argparse.ArgumentParser()
parser.add_argument("--whole", action="store_true")
parser.add_argument("--stricter", action="append", default=[])
parser.add_argument("kunit_py")
parser.add_argument("zlab")
parser.add_argument("console")
args = parser.parse_args()
console = args.console
lines = open(console, errors="backslashreplace").read().splitlines(keepends=True)
if args.whole:
    streams = [lines]
else:
    streams, current = [], None
    for line in lines:
        body = re.sub(r"^\[\s*\d+\.\d+\] ?", "", line)
        if re.match(r"K?TAP version \d+", body):
            current = []
            streams.append(current)
        if current is not None:
            current.append(line)

kunit = {"passed": 0, "failed": 0, "skipped": 0, "crashed": 0, "errors": 0}
exits = []
# Streams with a `1..0` plan and nothing run: KUnit had no suite to run (a module check's boot,
# `kunit.filter_glob` naming none). kunit.py calls that an error; `zlab parse` without --ktap
# passes it by design (README, "How a check is judged"), so its errors are counted apart.
empty_streams = 0
for stream in streams:
    with tempfile.NamedTemporaryFile("w", suffix=".log") as part:
        part.writelines(stream)
        part.flush()
        done = subprocess.run([sys.executable, args.kunit_py, "parse", part.name], capture_output=True, text=True)
    exits.append(done.returncode)
    found = re.findall(r"Testing complete\. Ran \d+ tests?(?:: (.*))?", done.stdout)
    if not found:
        sys.exit(f"kunit.py parse printed no summary for a stream of {console}:\n{done.stdout}{done.stderr}")
    counted = dict(item.split(": ") for item in filter(None, (found[-1] or "").split(", ")))
    plans = [re.sub(r"^\[\s*\d+\.\d+\] ?", "", l).strip() for l in stream]
    if not args.whole and "1..0" in plans and set(counted) <= {"errors"}:
        empty_streams += 1
        continue
    for name, count in counted.items():
        kunit[name] += int(count)

command = [args.zlab, "parse", "--json"] + (["--ktap"] if args.whole else []) + [console]
result = subprocess.run(command, capture_output=True, text=True)
if result.returncode not in (0, 1):
    sys.exit(f"zlab parse failed ({result.returncode}):\n{result.stderr}")
parsed = json.loads(result.stdout)
ktap = parsed["ktap"]
zlab_counts = ktap["counts"]
kinds = [f["kind"] for f in parsed["failures"]]
print(f"kunit.py ({len(streams)} stream(s), {empty_streams} with nothing to run, exit {exits}): {kunit}")
print(f"zlab: {zlab_counts}, complete: {ktap['complete']}, {parsed['result']} {kinds}")
if not all(kunit[k] == zlab_counts[k] for k in ("passed", "failed", "skipped")):
    sys.exit("the counts differ")
if args.whole:
    kunit_clean = kunit["failed"] == kunit["crashed"] == kunit["errors"] == 0
    missing = [k for k in args.stricter if k not in kinds]
    if missing:
        sys.exit(f"zlab does not report {missing}, which it should on purpose")
    rest = [k for k in kinds if k not in args.stricter]
    if kunit_clean == bool(rest):
        sys.exit(f"the verdicts differ: kunit.py {'clean' if kunit_clean else 'not clean'}, zlab fails for {rest}")
else:
    cut_short = kunit["crashed"] > 0 or (kunit["errors"] > 0 and streams != [])
    if cut_short == ktap["complete"]:
        sys.exit("the counts differ")
