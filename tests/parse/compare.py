"""One console, counted by kunit.py parse and by `zlab parse --json`, which must agree.

kunit.py parse reads the first KTAP stream of a console and stops; a console where modules ran
their suites at insmod holds one stream per insmod. So the console is cut into its top-level
streams (a `KTAP version` or `TAP version` line with nothing before it but printk's timestamp)
and kunit.py parses each; the sums must equal zlab's counts over the whole console. Tests that a
plan promised and that never came are "crashed" to kunit.py; zlab calls that stream incomplete.

Usage: compare.py KUNIT_PY ZLAB CONSOLE. Prints both counts; exits 1 when they differ.
"""
import json
import re
import subprocess
import sys
import tempfile

kunit_py, zlab, console = sys.argv[1:4]
lines = open(console, errors="backslashreplace").read().splitlines(keepends=True)
streams, current = [], None
for line in lines:
    body = re.sub(r"^\[\s*\d+\.\d+\] ?", "", line)
    if re.match(r"K?TAP version \d+", body):
        current = []
        streams.append(current)
    if current is not None:
        current.append(line)

kunit = {"passed": 0, "failed": 0, "skipped": 0, "crashed": 0, "errors": 0}
for stream in streams:
    with tempfile.NamedTemporaryFile("w", suffix=".log") as part:
        part.writelines(stream)
        part.flush()
        out = subprocess.run([sys.executable, kunit_py, "parse", part.name], capture_output=True, text=True).stdout
    found = re.findall(r"Testing complete\. Ran \d+ tests?(?:: (.*))?", out)
    if not found:
        sys.exit(f"kunit.py parse printed no summary for a stream of {console}:\n{out}")
    for item in filter(None, (found[-1] or "").split(", ")):
        name, count = item.split(": ")
        kunit[name] += int(count)

result = subprocess.run([zlab, "parse", "--json", console], capture_output=True, text=True)
if result.returncode not in (0, 1):
    sys.exit(f"zlab parse failed ({result.returncode}):\n{result.stderr}")
ktap = json.loads(result.stdout)["ktap"]
zlab_counts = ktap["counts"]
print(f"kunit.py ({len(streams)} stream(s)): {kunit}")
print(f"zlab: {zlab_counts}, complete: {ktap['complete']}")
same = all(kunit[k] == zlab_counts[k] for k in ("passed", "failed", "skipped"))
cut_short = kunit["crashed"] > 0 or (kunit["errors"] > 0 and streams != [])
if not same or cut_short == ktap["complete"]:
    sys.exit("the counts differ")
