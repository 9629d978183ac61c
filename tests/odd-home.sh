#!/usr/bin/env bash
# A zlab home whose path holds a `'` and a space: busybox comes out of its .deb there, a check's
# initramfs is made there with the same bytes as in a plain home, a check boots from it, and a
# module build there (which the kernel's build system cannot do) is refused before make runs,
# saying what to do. The kernel is the test kernel already built in the usual home, used as it
# is through ZLAB_KERNEL_BUILD; only the busybox .deb is linked into the scratch homes.
# Prints one line per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
./bin/zlab --version >/dev/null
zlab="$CARGO_TARGET_DIR/debug/zlab"
export ZLAB_PROJECT=$repo
export ZLAB_KERNEL_BUILD=$home/build/test
# The test kernel, built, then held with the lock zlab takes on a build dir (host/lock.rs), so no
# other zlab rebuilds it while these tests use it as it is.
lock_the_built_kernel() {
    local attempt
    for attempt in 1 2 3; do
        env -u ZLAB_KERNEL_BUILD ./bin/zlab -q build --config test >/dev/null || return 1
        exec 9>>"$ZLAB_KERNEL_BUILD/.zlab.lock" && flock 9 || return 1
        [ -e "$ZLAB_KERNEL_BUILD/zlab-variant" ] && return 0
        exec 9>&-
        echo "tests/odd-home.sh: the test kernel changed before it was locked (attempt $attempt)" >&2
    done
    return 1
}
lock_the_built_kernel || echo "tests/odd-home.sh: could not build and lock the test kernel" >&2
# bindgen as `zlab setup` installed it in the usual home (the scratch homes have no tools/).
[ -x "$home/tools/bin/bindgen" ] && export ZLAB_BINDGEN=${ZLAB_BINDGEN:-$home/tools/bin/bindgen}

odd="$scratch/it's a home"
plain=$scratch/plain-home
for dir in "$odd" "$plain"; do
    mkdir -p "$dir/downloads"
    ln "$home/downloads/$(busybox_deb)" "$dir/downloads/" 2>/dev/null || cp "$home/downloads/$(busybox_deb)" "$dir/downloads/"
done

# cpio lists the initramfs; a fresh Debian 12 has none.
initramfs_is_made_with_the_plain_home_s_bytes() {
    local made
    host_packages cpio || { echo "could not install cpio"; return 1; }
    made=$(ZLAB_HOME=$odd "$zlab" initramfs --check kernel-samples) || return 1
    echo "$made"
    [ "$made" = "$(run_dir "$repo" kernel-samples "$odd")/initramfs.cpio" ] || { echo "not in the odd home"; return 1; }
    ls "$odd"/guest/busybox-* || return 1
    cpio -t <"$made" 2>/dev/null | grep -qx "lib/modules/rust_minimal.ko" || { echo "no rust_minimal.ko in it"; return 1; }
    ZLAB_HOME=$plain "$zlab" -q initramfs --check kernel-samples >/dev/null || return 1
    cmp "$made" "$(run_dir "$repo" kernel-samples "$plain")/initramfs.cpio"
}

check_boots_from_the_odd_home() {
    ZLAB_HOME=$odd "$zlab" test boot-smoke || return 1
    grep -q "Run /init as init process" "$(run_dir "$repo" boot-smoke "$odd")/console.log"
}

module_build_is_refused_before_make() {
    local out out_dir
    out_dir="$odd/build/test/zlab-modules/$(project_key "$repo")/hello"
    if out=$(ZLAB_HOME=$odd "$zlab" test hello 2>&1); then echo "$out"; return 1; fi
    echo "$out"
    grep -qF "the kernel's build system cannot build in $out_dir (its path has" <<<"$out" &&
        grep -qF "set ZLAB_HOME to a folder without them" <<<"$out" || return 1
    [ ! -e "$out_dir/zlab-build.log" ] || { echo "make ran"; return 1; }
}

run_test "a home with a ' and a space: busybox and the initramfs made there, bytes as in a plain home" \
    initramfs_is_made_with_the_plain_home_s_bytes
run_test "a home with a ' and a space: zlab test boot-smoke passes" check_boots_from_the_odd_home
run_test "a home with a ' and a space: a module build there is refused before make, with what to do" \
    module_build_is_refused_before_make

summary
