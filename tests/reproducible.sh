#!/usr/bin/env bash
# Reproducibility, here with LLVM (GCC: tests/nix-flake.sh, see the end): `zlab repro` builds
# the kernel, modules/ and an initramfs from nothing in a second pair of folders (other paths, another time) and compares them byte
# for byte with the checks' build (build/test, build/test.llvm: the long-lived incremental build
# `zlab test` boots), which it brings up to date but never rebuilds from nothing. Prints one line
# per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
zlab=./bin/zlab
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"

# checks_build TOOLCHAIN: the checks' build dir for it, the first tree of `zlab repro`.
checks_build() {
    if [ "$1" = gcc ]; then echo "$home/build/test"; else echo "$home/build/test.$1"; fi
}

# reproducible TOOLCHAIN: `zlab repro` passes with it, and compared every file it should.
reproducible() {
    local toolchain=$1 out
    out=$($zlab --toolchain "$toolchain" repro 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    local tree modules samples repro_home=$home/repro
    tree=$(checks_build "$toolchain")
    [ "$toolchain" = gcc ] || repro_home=$home/repro.$toolchain
    modules=$(find modules -name Kbuild | wc -l)
    samples=$(find "$tree/samples" -name '*.ko' | wc -l)
    # bzImage, vmlinux, the initramfs, every in-tree sample and every module of modules/.
    local want=$((3 + samples + modules))
    grep -Eq "^reproducible \(test kernel, $toolchain\): all $want files are the same bytes in the checks' build and a clean build$" <<<"$out" &&
        grep -Eq '^same +[0-9a-f]{16}  arch/s390/boot/bzImage$' <<<"$out" &&
        grep -Eq '^same +[0-9a-f]{16}  initramfs.cpio$' <<<"$out" &&
        ! grep -q DIFFERS <<<"$out" && [ "$samples" -gt 0 ] &&
        # The checks' build stays, with its modules/ builds and initramfs beside it under repro;
        # the clean tree is gone after a pass, and so is an older zlab's own first tree.
        [ -s "$tree/vmlinux" ] && [ -s "$repro_home/checks-build/initramfs.cpio" ] &&
        [ ! -e "$repro_home/second" ] && [ ! -e "$repro_home/first" ]
}

the_banner_does_not_count_builds() {
    # KBUILD_BUILD_VERSION is pinned: every build says #1, however often it was relinked (the
    # checks' build is relinked again and again, by the interrupted and concurrent run tests too).
    local banner
    banner=$(grep -a -o -m1 'Linux version [0-9.]* (zlab@zlab) .* #[0-9]* SMP' "$(checks_build gcc)/vmlinux" | head -1)
    echo "$banner"
    grep -q ' #1 SMP$' <<<"$banner"
}

# With GCC the same comparison runs in tests/nix-flake.sh, against a clean build by Nix (another
# user, source and build paths, time and builder), so CI builds that kernel once, not twice.
# `reproducible gcc` is the same test for a machine without that suite.
run_test "the checks' LLVM build and a clean one in other folders are the same bytes (zlab --toolchain llvm repro)" reproducible llvm
run_test "the kernel banner says #1, not how often it was linked" the_banner_does_not_count_builds
summary
