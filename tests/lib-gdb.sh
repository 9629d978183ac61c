# shellcheck shell=bash disable=SC2154 # $scratch (tests/lib.sh) and $zlab: the sourcing script's
# Shared by tests/gdb.sh and tests/debian13.sh, sourced after tests/lib.sh with $zlab set to the
# zlab binary: `zlab boot --check CHECK --gdb` in the background and the gdb command it prints
# run in batch mode, with a time limit on every wait.

gdb_command_printed() { grep -q "^    .*target remote 127.0.0.1:" "$scratch/zlab.log"; }
qemu_runs_for() { pgrep -f "qemu-system-s390x.*runs/.*/$1/initramfs" >/dev/null; }
no_qemu_for() { ! qemu_runs_for "$1"; }
zlab_gone() { ! kill -0 "$zlab_pid" 2>/dev/null; }
gdb_command_printed_or_zlab_gone() { gdb_command_printed || zlab_gone; }

# debug CHECK GDB-ARGS…: `zlab boot --check CHECK --gdb` in the background; the gdb command it
# prints, run as printed plus `-batch` and GDB-ARGS; then zlab's end. Leaves gdb's output in
# $scratch/gdb.log, zlab's in $scratch/zlab.log and its exit status in $zlab_rc.
debug() {
    local check=$1 line
    shift
    : >"$scratch/zlab.log"
    "$zlab" boot --check "$check" --gdb >"$scratch/zlab.log" 2>&1 &
    zlab_pid=$!
    if ! until_true 180 gdb_command_printed_or_zlab_gone || ! gdb_command_printed; then
        echo "zlab printed no gdb command:"
        cat "$scratch/zlab.log"
        kill "$zlab_pid" 2>/dev/null
        wait "$zlab_pid"
        return 1
    fi
    line=$(grep -m1 "^    .*target remote 127.0.0.1:" "$scratch/zlab.log")
    echo "zlab printed:$line"
    local extra="" arg
    for arg in "$@"; do extra+=" $(printf '%q' "$arg")"; done
    eval "timeout 180 $line -batch$extra" >"$scratch/gdb.log" 2>&1
    echo "gdb exited with $?:"
    # The kernel's log (lx-dmesg) as a line count, so a failure's last lines show the rest.
    grep -v '^\[ *[0-9]*\.[0-9]*\] ' "$scratch/gdb.log" | sed 's/^/  gdb| /'
    echo "  gdb| ($(grep -c '^\[ *[0-9]*\.[0-9]*\] ' "$scratch/gdb.log") kernel log lines)"
    if ! until_true 120 zlab_gone; then
        echo "zlab still runs 120 s after gdb let go"
        kill "$zlab_pid"
    fi
    wait "$zlab_pid"
    zlab_rc=$?
    echo "zlab exited with $zlab_rc:"
    sed 's/^/  zlab| /' "$scratch/zlab.log" | tail -n 8
    until_true 5 no_qemu_for "$check" || { echo "QEMU outlived zlab:"; pgrep -af qemu-system-s390x; return 1; }
}

# shows FILE PATTERN: FILE has a line matching the extended regex, else says which is missing.
shows() { grep -Eq -- "$2" "$scratch/$1" || { echo "no line in $1 matches: $2"; return 1; }; }
passed_check() { [ "$zlab_rc" -eq 0 ] && shows zlab.log "^hello passed"; }
