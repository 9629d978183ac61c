#!/usr/bin/env bash
# A newer rustc than the floor on this Debian 12 host: `zlab setup --rust 1.98` unpacks Debian
# experimental's rustc 1.98.1, its rust-src and the Debian 13 libraries it runs on into zlab's
# home, through zlab's private apt configuration, and installs nothing on the host. Then
# `zlab --rust 1.98 test hello rust-doctests` builds and boots a kernel of its own with it, the
# floor's kernel stays up to date, and `--matrix` gains the rustc columns. Each unpack is tried in
# a scratch home (its downloads and bindgen are the shared home's); the kernel is built once, in
# the shared home (about 7 minutes). Prints one line per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
export ZLAB_PROJECT=$repo
./bin/zlab --version >/dev/null
zlab="$CARGO_TARGET_DIR/debug/zlab"
series=1.98
release=$(python3 -c "import tomllib; print(tomllib.load(open('kernel/source.toml', 'rb'))['rust']['$series']['release'])")
# The version as Kconfig writes it (scripts/rustc-version.sh): 1.98.1 is 109801.
rustc_config=$(awk -F. '{ printf "%d%03d%02d", $1, $2, $3 }' <<<"$release")

# scratch_home DIR: a zlab home of its own with the shared home's downloads and bindgen.
scratch_home() {
    mkdir -p "$1/tools" && ln -sfn "$home/downloads" "$1/downloads" && ln -sfn "$home/tools/bin" "$1/tools/bin"
}

# The host's installed packages and apt configuration, as one text to compare.
host_state() {
    dpkg-query -W
    find /etc/apt -type f -print0 | sort -z | xargs -0 sha256sum
}

# identity FILE: size and modification time, as the build stamp sees a tool.
identity() { stat -c '%s %Y' "$1"; }

unpacked_into_the_home_and_the_host_unchanged() {
    local own=$scratch/home before out again
    scratch_home "$own" || return 1
    before=$(host_state)
    out=$(ZLAB_HOME=$own $zlab setup --user-only --rust $series 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    grep -q "unpacked rustc $release (Debian experimental) in $own/tools/rust-$release" <<<"$out" || return 1
    "$own/tools/rust-$release/bin/rustc" --version | tee /dev/stderr | grep -q "^rustc $release " || return 1
    [ "$(host_state)" = "$before" ] || { echo "the host's packages or apt configuration changed"; return 1; }
    again=$(ZLAB_HOME=$own $zlab setup --user-only --rust $series 2>&1) || { echo "$again"; return 1; }
    grep -q "nothing to do .*rustc $release are in place" <<<"$again" || { echo "$again"; return 1; }
    # Unpacked again from the same pins, the scripts are the same files to the build stamp.
    local was
    was=$(identity "$own/tools/rust-$release/bin/rustc")
    rm "$own/tools/rust-$release/zlab-unpacked-from"
    ZLAB_HOME=$own $zlab -q setup --user-only --rust $series >/dev/null || return 1
    [ "$(identity "$own/tools/rust-$release/bin/rustc")" = "$was" ] || { echo "the rustc script changed: $was"; return 1; }
    rm -rf "$own"
}

group_gone() { ! pgrep -g "$job" >/dev/null; }

# Killed while unpacking: nothing where the release goes; the next run finishes and cleans up.
an_interrupted_unpack_leaves_nothing_half_written() {
    local own=$scratch/killed
    scratch_home "$own" || return 1
    # In a process group of its own, so that the kill takes dpkg-deb with it.
    ZLAB_HOME=$own in_own_group "$zlab" setup --user-only --rust $series >"$scratch/killed.log" 2>&1
    until_true 120 compgen -G "$own/tools/.rust-partial-*/root/usr" >/dev/null ||
        { kill -- -"$job"; echo "no unpack seen"; return 1; }
    kill -9 -- -"$job"
    wait "$job" 2>/dev/null
    until_true 10 group_gone || { echo "processes of the killed run are left"; return 1; }
    [ ! -e "$own/tools/rust-$release" ] || { echo "a half-unpacked rust-$release is in place"; return 1; }
    ZLAB_HOME=$own $zlab -q setup --user-only --rust $series >/dev/null || return 1
    "$own/tools/rust-$release/bin/rustc" --version | grep -q "^rustc $release " || return 1
    if compgen -G "$own/tools/.rust-partial-*" >/dev/null; then echo "the killed run's folder is still there"; return 1; fi
    rm -rf "$own"
}

doctor_names_the_newer_rustc() {
    $zlab -q setup --user-only --rust $series || return 1
    local out
    out=$($zlab --rust $series doctor 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    grep -q "^rustc: Debian's $release from experimental, unpacked by zlab (--rust $series)" <<<"$out" &&
        grep -Eq "^ok +rustc +$release \($home/tools/rust-$release/bin/rustc\)" <<<"$out" &&
        grep -Eq "^ok +rust-src +$release \($home/tools/rust-$release/root/" <<<"$out" || return 1
    out=$($zlab doctor 2>&1) || { echo "$out"; return 1; }
    grep -qF "rustc: the host's (\`zlab --rust 1.97|1.98\`" <<<"$out" || { echo "$out"; return 1; }
}

# refused WORD… -- ARGS…: zlab ARGS fails, says every WORD and builds nothing.
refused() {
    local words=() out word
    while [ "$1" != -- ]; do words+=("$1"); shift; done
    shift
    if out=$($zlab "$@" 2>&1); then echo "zlab $* succeeded"; return 1; fi
    echo "$out"
    for word in "${words[@]}"; do grep -qF -- "$word" <<<"$out" || { echo "does not say: $word"; return 1; }; done
    ! grep -q "building Linux" <<<"$out" || { echo "make ran"; return 1; }
}

wrong_choices_are_refused_before_any_work() {
    refused "no rustc 1.99 is pinned" "it pins 1.97, 1.98" -- --rust 1.99 test hello || return 1
    ZLAB_RUSTC=/usr/bin/rustc refused "ZLAB_RUSTC (--rustc) names a rustc of your own" -- --rust $series test hello || return 1
    IN_NIX_SHELL=impure refused "under Nix the flake's kernel/rust-toolchain.toml chooses rustc" -- --rust $series doctor || return 1
    # A pinned release not unpacked in this home: doctor says what unpacks it.
    local own=$scratch/unset
    scratch_home "$own" || return 1
    ZLAB_HOME=$own refused "rust-1.97.1/bin/rustc" "Fix with \`zlab setup --rust 1.97\`" -- --rust 1.97 test hello || return 1
    [ ! -e "$own/build" ] || { echo "a build dir was made: $(ls "$own/build")"; return 1; }
}

# Its first build starts from a copy of the floor's (build/test, from the matrix): removed first,
# so that every run makes that first build.
hello_and_rust_doctests_pass_with_the_newer_rustc() {
    local build=$home/build/test-rust$series
    rm -rf "$build"
    $zlab --rust $series test hello rust-doctests --json >"$scratch/newer.json" 2>"$scratch/newer.err" ||
        { cat "$scratch/newer.json" "$scratch/newer.err"; return 1; }
    cat "$scratch/newer.err"
    grep -qF "starting from a copy of $home/build/test (" "$scratch/newer.err" || { echo "not started from build/test"; return 1; }
    # Every Rust object rebuilt by the newer rustc, the C objects kept: a handful of C files
    # (rust/exports.o, the doctests' KUnit glue, the export table) against about 540 from nothing.
    local c rust
    c=$(grep -c '^  CC ' "$build/zlab-build.log")
    rust=$(grep -c '^  RUSTC' "$build/zlab-build.log")
    echo "the first $series build: $rust Rust and $c C objects compiled"
    [ "$c" -le 10 ] && [ "$rust" -ge 15 ] || return 1
    ! cmp -s "$build/rust/kernel.o" "$home/build/test/rust/kernel.o" || { echo "rust/kernel.o is the floor's"; return 1; }
    python3 - "$series" "$scratch/newer.json" <<'PY' || return 1
import json, sys
checks = json.load(open(sys.argv[2]))["checks"]
seen = [(c["name"], c["result"], c["rust"]) for c in checks]
assert seen == [("hello", "pass", sys.argv[1]), ("rust-doctests", "pass", sys.argv[1])], seen
assert all(c["console_log"].endswith(f"-rust{sys.argv[1]}/console.log") for c in checks), checks
print(checks[1]["ktap"]["counts"])
PY
    grep -x "CONFIG_RUSTC_VERSION=$rustc_config" "$home/build/test-rust$series/.config" || return 1
    grep -x "CONFIG_RUSTC_VERSION=109600" "$home/build/test/.config"
}

switching_rustc_rebuilds_neither_kernel() {
    local out
    out=$($zlab test hello 2>&1) || { echo "$out"; return 1; }
    grep -q "kernel up to date.*build/test/" <<<"$out" || { echo "$out"; return 1; }
    out=$($zlab --rust $series test hello 2>&1) || { echo "$out"; return 1; }
    grep -q "kernel up to date.*build/test-rust$series/" <<<"$out" || { echo "$out"; return 1; }
}

# --matrix with --rust: the host's rustc and 1.98 columns. LLVM is refused (clang 17 stand-ins)
# so that no LLVM kernel is built here; tests/toolchains.sh covers that.
the_matrix_gains_the_rustc_columns() {
    mkdir -p "$scratch/llvm17"
    printf '#!/bin/sh\necho "clang version 17.0.6"\n' >"$scratch/llvm17/clang"
    for tool in ld.lld llvm-objcopy llvm-ar llvm-nm; do printf '#!/bin/sh\necho "%s 17.0.6"\n' "$tool" >"$scratch/llvm17/$tool"; done
    chmod +x "$scratch/llvm17"/*
    local out kernel
    kernel=$(pin_field "$repo" kernel release)
    # One kernel series (the default, named), so that the matrix is its toolchains × rustc.
    out=$(ZLAB_LLVM="$scratch/llvm17/" $zlab --rust $series --kernel "${kernel%.*}" test --matrix hello 2>&1)
    local status=$?
    echo "$out"
    [ "$status" = 1 ] || { echo "exit $status, not 1 (the LLVM columns are refused)"; return 1; }
    grep -Eq "^check +$kernel gcc +$kernel llvm +$kernel gcc rust$series +$kernel llvm rust$series$" <<<"$out" &&
        grep -Eq '^hello +pass +FAIL +pass +FAIL$' <<<"$out" && grep -qx '2 passed, 2 failed' <<<"$out"
}

run_test "zlab setup --rust $series unpacks rustc $release into zlab's home; the host's packages and apt stay as they were" unpacked_into_the_home_and_the_host_unchanged
run_test "an unpack killed halfway leaves nothing in place; the next run finishes it" an_interrupted_unpack_leaves_nothing_half_written
run_test "doctor names the rustc --rust chose, and the releases it can choose" doctor_names_the_newer_rustc
run_test "an unpinned --rust, --rust with ZLAB_RUSTC or under Nix, and a release not unpacked: refused before any work" wrong_choices_are_refused_before_any_work
run_test "zlab --rust $series test hello rust-doctests: pass with rustc $release, in a build dir of its own that starts as a copy of the floor's (only Rust rebuilt)" hello_and_rust_doctests_pass_with_the_newer_rustc
run_test "switching between the host's rustc and $series rebuilds neither kernel" switching_rustc_rebuilds_neither_kernel
run_test "zlab --rust $series test --matrix: columns for the host's rustc and for $series" the_matrix_gains_the_rustc_columns
summary
