#!/usr/bin/env bash
# Reproducibility, with each toolchain: `zlab repro` builds the kernel, modules/ and an initramfs
# from nothing in a second pair of folders (other paths, another time) and compares them byte
# for byte with a clean build of the same pins. Prints one line per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
zlab=./bin/zlab
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"

# reproducible TOOLCHAIN: `zlab repro` passes with it, and compared every file it should.
reproducible() {
    local toolchain=$1 out
    out=$($zlab --toolchain "$toolchain" repro 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    local tree=$home/repro/first/build modules samples
    [ "$toolchain" = gcc ] || tree=$home/repro.$toolchain/first/build
    modules=$(find modules -name Kbuild | wc -l)
    samples=$(find "$tree/samples" -name '*.ko' | wc -l)
    # bzImage, vmlinux, the initramfs, every in-tree sample and every module of modules/.
    local want=$((3 + samples + modules))
    grep -Eq "^reproducible \(test kernel, $toolchain\): all $want files are the same bytes" <<<"$out" &&
        grep -Eq '^same +[0-9a-f]{16}  arch/s390/boot/bzImage$' <<<"$out" &&
        grep -Eq '^same +[0-9a-f]{16}  initramfs.cpio$' <<<"$out" &&
        ! grep -q DIFFERS <<<"$out" && [ "$samples" -gt 0 ]
}

the_banner_does_not_count_builds() {
    # KBUILD_BUILD_VERSION is pinned: every build says #1, however often it was relinked.
    local banner
    banner=$(grep -a -o -m1 'Linux version [0-9.]* (zlab@zlab) .* #[0-9]* SMP' "$home/repro/first/build/vmlinux" | head -1)
    echo "$banner"
    grep -q ' #1 SMP$' <<<"$banner"
}

run_test "two clean GCC builds in other folders are the same bytes (zlab repro)" reproducible gcc
run_test "two clean LLVM builds in other folders are the same bytes (zlab --toolchain llvm repro)" reproducible llvm
run_test "the kernel banner says #1, not how often it was linked" the_banner_does_not_count_builds
summary
