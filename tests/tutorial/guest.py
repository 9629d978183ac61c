"""Types a tutorial's guest commands into a guest's shell, as a reader would.

Usage: guest.py LINES_FILE TIMEOUT_SECONDS COMMAND...
Runs COMMAND (whose output is the guest's console, e.g. `zlab boot`) and, at each shell prompt,
types the next line of LINES_FILE; after each line but the last it types `echo "typed-rc=$?"`
to learn that line's exit status. The last line must end the guest (`poweroff -f`). Fails when a
line exits non-zero, the guest ends early, COMMAND fails, or TIMEOUT_SECONDS pass.
Input typed before the guest's shell reads it is lost, hence the wait for each prompt.
"""
import os
import re
import select
import signal
import subprocess
import sys
import time

# A busybox prompt ("/ # ", maybe followed by its cursor-position query) at the start of a line
# that is not a kernel message, and then a short silence.
PROMPT = re.compile(rb"(?:^|[\r\n])[^\r\n\[]*[#$] (?:\x1b\[6n)?$")
QUIET_SECONDS = 0.5
STATUS = re.compile(rb"typed-rc=(\d+)")


class Guest:
    def __init__(self, command, timeout):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.deadline = time.monotonic() + timeout
        self.seen = b""  # output since the last line typed

    def read(self, wait):
        """Reads what is there within `wait` seconds; False once the output has ended."""
        ready, _, _ = select.select([self.proc.stdout], [], [], wait)
        if not ready:
            return True
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        self.seen += chunk
        return bool(chunk)

    def wait_for(self, pattern, quiet=0.0):
        """The match of `pattern` in the output (after `quiet` seconds of silence), or None at the end."""
        while time.monotonic() < self.deadline:
            if not self.read(0.2):
                return None
            m = pattern.search(self.seen)
            if m and (quiet == 0.0 or not self.more_within(quiet)):
                return m
        raise TimeoutError

    def more_within(self, seconds):
        before = len(self.seen)
        self.read(seconds)
        return len(self.seen) != before

    def type(self, line):
        self.seen = b""
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def stop(self, grace=0):
        """The command's exit status; it is killed (with its children) if it runs on past `grace` seconds."""
        try:
            return self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait()


def drive(guest, lines):
    """Types every line; returns what went wrong, or None once the guest's output has ended."""
    for number, line in enumerate(lines, 1):
        if guest.wait_for(PROMPT, QUIET_SECONDS) is None:
            return f"the guest ended before line {number} ({line}) was typed"
        guest.type(line)
        if number == len(lines):
            break
        if guest.wait_for(PROMPT, QUIET_SECONDS) is None:
            return f"the guest ended during line {number} ({line})"
        guest.type('echo "typed-rc=$?"')
        status = guest.wait_for(STATUS)
        if status is None or status.group(1) != b"0":
            return f"line {number} ({line}) failed in the guest"
    while guest.read(0.2):
        if time.monotonic() > guest.deadline:
            raise TimeoutError
    return None


def main():
    lines = [l for l in open(sys.argv[1], encoding="utf-8").read().splitlines()
             if l.strip() and not l.lstrip().startswith("#")]
    command = sys.argv[3:]
    guest = Guest(command, float(sys.argv[2]))
    try:
        problem = drive(guest, lines)
    except TimeoutError:
        problem = f"no result within {sys.argv[2]} s"
    status = guest.stop(grace=0 if problem else 30)
    if problem is None and status != 0:
        problem = f"{' '.join(command)} exited with {status}"
    if problem:
        sys.exit(f"\nguest.py: {problem}")


main()
