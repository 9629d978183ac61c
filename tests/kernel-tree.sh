#!/usr/bin/env bash
# A kernel tree of your own (`zlab --kernel-source DIR`): a path that is no folder or no kernel
# tree, a tree configured in place and a tree without Rust on s390 are each refused before any
# make runs, saying what to do, and so is --kernel beside it; a clean Linux 7.2 tree (a copy of
# the pinned 7.2 source, hard-linked) is built out of tree in a build dir of its own, for a
# project whose test kernel is only base and Rust, passes hello, and a file renamed in it makes
# the next build run make again. Ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
export ZLAB_PROJECT=$repo
# The oldest series zlab pins, the first with Rust on s390: its source is unpacked by its build.
./bin/zlab -q --kernel 7.2 build >/dev/null || { echo "the pinned 7.2 kernel does not build"; exit 1; }
zlab="$CARGO_TARGET_DIR/debug/zlab"
release=$(pin_field "$repo" kernel/7.2 release)
pinned=$(find "$home/src" -maxdepth 1 -name "linux-$release-*" -type d | head -n 1)
[ -d "$pinned" ] || { echo "no unpacked Linux $release in $home/src"; exit 1; }
tree=$scratch/my-linux
# The tree is built for a project with zlab's modules and checks whose `test` kernel is only what
# hello needs, base and Rust (no KUnit, doctests or samples): minutes less than the full one.
project=$scratch/lean
repo_copy "$project" checks modules && mkdir -p "$project/kernel" &&
    printf '[test]\ndescription = "base and Rust: what hello needs"\nfragments = ["base", "rust"]\n' \
        >"$project/kernel/variants.toml" || exit 1

# A tree to change without touching the pinned one: files are hard links, and every change
# below replaces a file (sed -i, mv, touch of a new one) instead of writing into one, but for
# the one file a test appends to, which is a copy of its own from the start.
appended_to=drivers/gpu/drm/drm_drv.c
copy_of_the_pinned_tree() {
    rm -rf "$1" && cp -al "$pinned" "$1" && rm -f "$1/.zlab-unpacked" &&
        cp --remove-destination "$pinned/$appended_to" "$1/$appended_to"
}

# refused WORDS… -- ARGS…: `zlab ARGS…` fails, says every word, and leaves no build dir for it.
refused() {
    local words=() out
    while [ "$1" != -- ]; do words+=("$1"); shift; done
    shift
    if out=$("$zlab" "$@" 2>&1); then echo "zlab $* succeeded"; return 1; fi
    echo "$out"
    local word
    for word in "${words[@]}"; do
        grep -qF -- "$word" <<<"$out" || { echo "does not say: $word"; return 1; }
    done
    ! grep -q "building Linux" <<<"$out" || { echo "make ran"; return 1; }
}

no_folder_is_refused() {
    refused "is not a folder" -- --kernel-source "$scratch/nothing-here" build
}

no_kernel_tree_is_refused() {
    refused "is not a Linux source tree" "top folder of a kernel checkout" -- --kernel-source "$repo/zlab" build
}

configured_in_place_is_refused() {
    copy_of_the_pinned_tree "$scratch/configured" || return 1
    : >"$scratch/configured/.config"
    refused "configured or built in place" "make -C $scratch/configured mrproper" -- --kernel-source "$scratch/configured" build
}

a_pinned_kernel_and_a_tree_are_refused_together() {
    refused "give one of them" -- --kernel 7.2 --kernel-source "$pinned" build
}

no_rust_on_s390_is_refused() {
    copy_of_the_pinned_tree "$scratch/old" || return 1
    sed -i '/select HAVE_RUST/d' "$scratch/old/arch/s390/Kconfig"
    cmp -s "$pinned/arch/s390/Kconfig" "$scratch/old/arch/s390/Kconfig" && { echo "the copy was not changed"; return 1; }
    grep -q "select HAVE_RUST" "$pinned/arch/s390/Kconfig" || { echo "the pinned tree was changed"; return 1; }
    refused "has no Rust support on s390" "7.2 or newer" -- --kernel-source "$scratch/old" doctor
}

# in_project ARGS…: zlab ARGS… for the lean project.
in_project() { ZLAB_PROJECT=$project "$zlab" "$@"; }

own_tree_builds_apart_and_passes() {
    copy_of_the_pinned_tree "$tree" || return 1
    local out
    out=$(in_project --kernel-source "$tree" doctor 2>&1) || { echo "$out"; return 1; }
    grep -F "Linux $release (a pinned release, $tree)" <<<"$out" || { echo "$out"; return 1; }
    out=$(in_project --kernel-source "$tree" build 2>&1) || { echo "$out" | tail -n 20; return 1; }
    grep -F "building Linux $release" <<<"$out" || { echo "$out"; return 1; }
    grep -qF "$home/build/tree-my-linux-" <<<"$out" || { echo "not in a build dir of its own: $out"; return 1; }
    out=$(in_project --kernel-source "$tree" test hello 2>&1) || { echo "$out"; return 1; }
    grep -F "PASS hello" <<<"$out" || { echo "$out"; return 1; }
    grep -qF "Linux version $release " "$(run_dir "$project" hello)/console.log" || { echo "not $release"; return 1; }
    out=$(in_project --kernel-source "$tree" build 2>&1) || { echo "$out"; return 1; }
    grep -q "kernel up to date" <<<"$out" || { echo "the second build was not up to date: $out"; return 1; }
    # The pinned 7.2 kernel's build is untouched by all this: still up to date.
    out=$("$zlab" --kernel 7.2 build 2>&1) || { echo "$out"; return 1; }
    grep -qF "kernel up to date (no input changed since its last build): $home/build/test-7.2/" <<<"$out" ||
        { echo "the pinned kernel is no longer up to date: $out"; return 1; }
}

# build_in_tree WHAT: `zlab build` of the tree; passes when make ran ("kernel ready"), or with
# WHAT=current when the build was up to date without it.
build_in_tree() {
    local out
    out=$(in_project --kernel-source "$tree" build 2>&1) || { echo "$out"; return 1; }
    echo "$out" | grep -E "kernel (up to date|ready)|because"
    case $1 in
        current) grep -q "kernel up to date" <<<"$out" ;;
        *) ! grep -q "kernel up to date" <<<"$out" && grep -q "kernel ready" <<<"$out" ;;
    esac
}

added_renamed_or_deleted_file_makes_the_build_run_again() {
    [ -d "$tree" ] || { echo "no tree from the test before"; return 1; }
    echo "a note" >"$tree/kernel/zlab-note.txt"
    build_in_tree again || { echo "a file added to kernel/ went unnoticed"; return 1; }
    mv "$tree/kernel/zlab-note.txt" "$tree/kernel/zlab-note-moved.txt"
    build_in_tree again || { echo "a file renamed in kernel/ went unnoticed"; return 1; }
    rm "$tree/kernel/zlab-note-moved.txt"
    build_in_tree again || { echo "a file deleted from kernel/ went unnoticed"; return 1; }
    build_in_tree current || { echo "nothing changed, yet make ran"; return 1; }
}

what_the_build_does_not_use_leaves_it_current() {
    [ -d "$tree" ] || { echo "no tree from the test before"; return 1; }
    mv "$tree/Documentation/process/howto.rst" "$tree/Documentation/process/howto-moved.rst" || return 1
    echo "/* edited */" >>"$tree/$appended_to"
    build_in_tree current
}

# edit_copy FILE LINE: FILE with LINE added, as a file of its own (the tree's files are hard
# links to the pinned tree's, which an append in place would change too).
edit_copy() { { cat "$1" && echo "$2"; } >"$1.new" && mv "$1.new" "$1"; }

# A rebuilt kernel whose bytes differ: its guest is saved again, the old save removed.
a_rebuilt_kernel_is_saved_again() {
    [ -d "$tree" ] || { echo "no tree from the test before"; return 1; }
    local saved before after out
    saved=$(echo "$home"/build/tree-my-linux-*/"$(project_key "$project")"/test/zlab-snapshots)
    before=$(ls "$saved")
    edit_copy "$tree/init/main.c" 'static const char zlab_rebuilt[] __used = "rebuilt";'
    out=$(in_project --kernel-source "$tree" test hello 2>&1) || { echo "$out"; return 1; }
    grep -E "kernel ready|saving it|saved the booted guest|resumed|PASS" <<<"$out"
    after=$(ls "$saved")
    echo "saved guests before: $before; after: $after"
    grep -q "kernel ready" <<<"$out" && grep -q "booting the test kernel once and saving it" <<<"$out" &&
        grep -q "resumed from the saved boot" <<<"$out" && grep -q "PASS hello" <<<"$out" &&
        [ -n "$before" ] && [ "$(wc -w <<<"$after")" -eq 1 ] && [ "$before" != "$after" ]
}

run_test "--kernel-source naming no folder: refused" no_folder_is_refused
run_test "--kernel-source naming a folder that is no kernel tree: refused" no_kernel_tree_is_refused
run_test "a tree configured in place: refused before make, with mrproper" configured_in_place_is_refused
run_test "a tree without Rust on s390: refused (7.2 or newer)" no_rust_on_s390_is_refused
run_test "--kernel with --kernel-source: refused, one of them" a_pinned_kernel_and_a_tree_are_refused_together
run_test "a clean 7.2 tree of your own: built out of tree in its own build dir, hello passes on it" own_tree_builds_apart_and_passes
run_test "a file added, renamed or deleted where that build reads: the next build runs make" added_renamed_or_deleted_file_makes_the_build_run_again
run_test "Documentation/ and a driver it does not build changed: still up to date, no make" what_the_build_does_not_use_leaves_it_current
run_test "a change that rebuilds the kernel: its guest is saved again, the old save removed, hello resumes and passes" a_rebuilt_kernel_is_saved_again
summary
