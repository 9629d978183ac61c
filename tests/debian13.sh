#!/usr/bin/env bash
# Debian 13 (trixie) as a newcomer meets it: a fresh minbase root made by debootstrap from this
# host's own Debian mirror (read from /etc/apt, never written down), this clone's files copied in,
# then `./bin/zlab setup`, `zlab doctor` and `zlab test hello` inside it, as root in a chroot.
# The host's CA certificates go in first: this workplace's outbound proxy has its own CA, and
# without it cargo cannot reach crates.io from inside. Afterwards the root is unmounted and
# removed, and the host's packages and apt sources are as they were (debootstrap aside, which
# this suite installs). The root is a tmpfs (about 6 GB at its fullest: 24 GiB machines), so
# taking it down is instant; removing those files from disk took 8 minutes. About 10 minutes
# in all: the root's zlab builds its own kernel with GCC 14. Last, the root's gdb 16.3 runs the
# kernel's lx-symbols on the host's debug kernel (tests/gdb.sh builds it; built here when it has
# not). Prints one line per test, the time
# of each step a newcomer takes, and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
# shellcheck source=tests/lib-gdb.sh
source "$repo/tests/lib-gdb.sh"
zlab="$CARGO_TARGET_DIR/debug/zlab"

root=$home/debian13-root
mounted=()
took=()
# remove_root: removes the root, never while anything is mounted below it (the host's /dev).
remove_root() {
    if grep -qF " $root/" /proc/mounts; then
        echo "not removing $root: still mounted there: $(grep -F " $root/" /proc/mounts | cut -d' ' -f2 | tr '\n' ' ')"
        return 1
    fi
    rm -rf --one-file-system "$root"
}
take_down() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}" 2>/dev/null; done
    mounted=()
    remove_root
    rm -rf "$scratch"
}
trap take_down EXIT

# in_root COMMAND: COMMAND by bash as root inside the Debian 13 root, with a clean environment.
in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash -c "$1"
}

# The host's Debian archive: the first source whose suites include the host's own release.
host_mirror() {
    python3 - <<'PY'
import glob, re
codename = dict(l.strip().split("=", 1) for l in open("/etc/os-release") if "=" in l)["VERSION_CODENAME"]
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in open(path).read().split("\n\n"):
        fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, re.M))
        if "deb" in fields.get("Types", "").split() and codename in fields.get("Suites", "").split():
            print(fields["URIs"].split()[0]); raise SystemExit
for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        words = re.sub(r"\[[^]]*\]", "", line).split()
        if len(words) >= 3 and words[0] == "deb" and words[2] == codename:
            print(words[1]); raise SystemExit
raise SystemExit("no apt source of this host names its own release " + codename)
PY
}

host_state() { dpkg-query -W; cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | sha256sum; }

debootstrap_is_there() {
    command -v debootstrap >/dev/null || host_packages debootstrap
}

a_debian_13_root_from_the_host_mirror() {
    local mirror started=$SECONDS
    mirror=$(host_mirror) || return 1
    remove_root || return 1
    mkdir -p "$root" && mount -t tmpfs -o size=12g,mode=0755 zlab-debian13 "$root" || return 1
    mounted+=("$root")
    debootstrap --variant=minbase --include=ca-certificates trixie "$root" "$mirror" >"$scratch/debootstrap.log" 2>&1 ||
        { tail -n 20 "$scratch/debootstrap.log"; return 1; }
    took+=("debootstrap $((SECONDS - started)) s")
    grep -qx 'VERSION_ID="13"' "$root/etc/os-release" || { cat "$root/etc/os-release"; return 1; }
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null
    in_root update-ca-certificates >/dev/null || return 1
    local dir
    for dir in proc sys dev dev/pts; do
        mount --bind "/$dir" "$root/$dir" || return 1
        mounted+=("$root/$dir")
    done
    # This clone's files as they are, committed or not (never its build output).
    mkdir -p "$root/root/zlab"
    git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -C "$root/root/zlab" -xf -
}

setup_takes_debian_13_s_own_packages() {
    local out started=$SECONDS
    out=$(in_root 'cd /root/zlab && ./bin/zlab setup' 2>&1) || { echo "$out" | tail -n 30; return 1; }
    took+=("zlab setup $((SECONDS - started)) s")
    echo "$out" | grep -E "^zlab|^  (installed|downloaded)"
    grep -qF "zlab: setting up Debian 13 (trixie)" <<<"$out" || return 1
    grep -E "^  installed .*\bbindgen\b" <<<"$out" || { echo "bindgen was not installed as a package"; return 1; }
    ! grep -q "cargo install bindgen-cli" <<<"$out" || { echo "bindgen-cli was built with cargo"; return 1; }
}

doctor_passes_with_debian_13_s_tools() {
    local out
    out=$(in_root 'cd /root/zlab && ./bin/zlab doctor' 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    grep -Eq '^ok +bindgen +0\.71\.1 \(bindgen\)' <<<"$out" &&
        grep -Eq '^ok +s390x gcc +14\.' <<<"$out" && grep -Eq '^ok +rustc +1\.96\.' <<<"$out"
}

hello_passes_on_a_kernel_built_with_gcc_14() {
    local out started=$SECONDS
    out=$(in_root 'cd /root/zlab && ./bin/zlab test hello' 2>&1) || { echo "$out" | tail -n 30; return 1; }
    took+=("zlab test hello $((SECONDS - started)) s")
    grep -F "PASS hello" <<<"$out" || { echo "$out" | tail -n 20; return 1; }
    grep -h "Linux version" "$root"/root/.cache/zlab/runs/*/hello/console.log | grep -F "(Debian 14."
}

second_setup_does_nothing() {
    local out
    out=$(in_root 'cd /root/zlab && ./bin/zlab setup' 2>&1) || { echo "$out"; return 1; }
    grep -F "nothing to do" <<<"$out"
}

# Debian 13's gdb (16.3, installed in the root by its setup) on this host's debug kernel, whose
# build dir and source are mounted in the root at their own paths: stopped while hello loads, the
# kernel's lx-symbols finds hello.ko and gdb names hello.rs's functions. Debian 12's gdb 13.1
# fails lx-symbols ("PC not saved"), so this is where it is tested.
lx_symbols_works_with_debian_13_s_gdb() {
    ./bin/zlab build --config debug >"$scratch/debug-build.log" 2>&1 || { tail -n 20 "$scratch/debug-build.log"; return 1; }
    local build=$home/build/debug dir
    for dir in "$build" "$(readlink -f "$build/source")"; do
        mkdir -p "$root$dir" && mount --bind "$dir" "$root$dir" || return 1
        mounted+=("$root$dir")
    done
    printf '#!/bin/sh\nexec chroot %q /usr/bin/env -i HOME=/root TERM=dumb PATH=/usr/bin:/bin /usr/bin/gdb-multiarch "$@"\n' \
        "$root" >"$scratch/gdb-in-root"
    chmod +x "$scratch/gdb-in-root"
    ZLAB_GDB=$scratch/gdb-in-root debug hello -ex "show version" -ex "break do_init_module" -ex continue \
        -ex lx-symbols -ex "info functions -n hello::" -ex delete -ex detach || return 1
    shows gdb.log "^GNU gdb \(Debian 16\." &&
        shows gdb.log "^loading @0x[0-9a-f]+: .*/hello\.ko$" &&
        shows gdb.log "^File .*/hello\.rs:$" && shows gdb.log "^[0-9]+:.*hello::" &&
        passed_check
}

the_host_is_as_it_was() {
    take_down || return 1
    [ ! -e "$root" ] || { echo "$root is still there"; return 1; }
    [ "$(host_state)" = "$before" ] || { diff <(echo "$before") <(host_state); return 1; }
}

run_test "debootstrap is installed on the host" debootstrap_is_there
before=$(host_state)
run_test "a Debian 13 minbase root from this host's mirror, with the host's CA certificates" a_debian_13_root_from_the_host_mirror
run_test "./bin/zlab setup in it: Debian 13's packages, bindgen 0.71.1 as a package, no cargo install" setup_takes_debian_13_s_own_packages
run_test "zlab doctor in it: every tool ok, bindgen 0.71.1, GCC 14, rustc 1.96" doctor_passes_with_debian_13_s_tools
run_test "zlab test hello in it: PASS on a kernel built with Debian 13's GCC 14" hello_passes_on_a_kernel_built_with_gcc_14
run_test "a second zlab setup in it does nothing and says so" second_setup_does_nothing
run_test "Debian 13's gdb 16.3 on the host's debug kernel: lx-symbols loads hello.ko, gdb names hello.rs's functions" lx_symbols_works_with_debian_13_s_gdb
run_test "the root unmounted and removed: the host's packages and apt sources as they were" the_host_is_as_it_was
printf 'took:'; printf ' %s;' "${took[@]}"; echo
summary
