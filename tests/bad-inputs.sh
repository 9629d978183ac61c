#!/usr/bin/env bash
# Bad inputs, each real: a rustc, bindgen and libclang older than the kernel's minimums and a
# missing QEMU (Debian's own old packages, the machine's rustup rustc); a truncated download and
# a pin whose SHA256 does not match; a config fragment with an unknown symbol; a ready-made
# busybox for another machine. zlab must name the problem and stop before doing any work,
# leaving nothing half-written. (Malformed check files, which need no tools: zlab/tests/cli.rs.)
# Prints one line per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
./bin/zlab --version >/dev/null
zlab="$CARGO_TARGET_DIR/debug/zlab"
export ZLAB_PROJECT=$repo

# Debian's bindgen 0.60 and libclang 14: real tools, too old for Rust on s390.
install_old_tools() {
    host_packages bindgen libclang1-14
}

# Any rustc on PATH older than 1.96 (the machine's rustup toolchain).
old_rustc() {
    local candidate
    for candidate in $(type -ap rustc) "$(rustup which rustc 2>/dev/null)"; do
        [ -x "$candidate" ] || continue
        "$candidate" --version | awk '{ split($2, v, "."); exit !(v[1] == 1 && v[2] < 96) }' && { echo "$candidate"; return; }
    done
    return 1
}

# refused_before_work VAR=VALUE… -- WORDS…: `zlab doctor`, `zlab build` and `zlab test` with
# the environment given all fail and print every word; build and test do no work at all.
refused_before_work() {
    local env=() words out
    while [ "$1" != -- ]; do env+=("$1"); shift; done
    shift
    words=("$@")
    local log before=none after=none
    log="$(run_dir "$repo" boot-smoke)/console.log"
    [ -e "$log" ] && before=$(stat -c %Y.%s "$log")
    for command in "doctor" "build --dir $scratch/never-built" "test boot-smoke"; do
        # shellcheck disable=SC2086
        if out=$(env "${env[@]}" "$zlab" $command 2>&1); then
            echo "zlab $command succeeded"; return 1
        fi
        echo "\$ zlab $command"; echo "$out" | grep -v "^ok "
        for word in "${words[@]}"; do
            grep -qF -- "$word" <<<"$out" || { echo "zlab $command does not say: $word"; return 1; }
        done
    done
    [ -e "$log" ] && after=$(stat -c %Y.%s "$log")
    [ ! -e "$scratch/never-built" ] || { echo "zlab build started work"; return 1; }
    [ "$before" = "$after" ] || { echo "zlab test booted"; return 1; }
}

old_rustc_refused() {
    local rustc
    rustc=$(old_rustc) || { echo "no rustc older than 1.96 on this machine to test with"; return 1; }
    refused_before_work "ZLAB_RUSTC=$rustc" "ZLAB_RUSTDOC=$(dirname "$rustc")/rustdoc" -- \
        "rustc" "$("$rustc" --version | awk '{print $2}')" ">= 1.96.0" "rust-src" "zlab setup"
}
old_bindgen_refused() {
    refused_before_work ZLAB_BINDGEN=/usr/bin/bindgen -- "bindgen" "0.60.1" ">= 0.71.1" "zlab setup"
}
old_libclang_refused() {
    refused_before_work LIBCLANG_PATH=/usr/lib/llvm-14/lib -- "libclang" "14.0.6" ">= 17.0.1" "zlab setup"
}
missing_qemu_refused() {
    refused_before_work ZLAB_QEMU=/nonexistent/qemu-system-s390x -- \
        "qemu-system-s390x" "not found (/nonexistent/qemu-system-s390x)" "zlab setup"
}

# A run remembers that the tools passed (zlab/src/setup/ready.rs), for the tools as they were:
# the bindgen behind the same name swapped for Debian's 0.60 after a pass is asked again.
bindgen_swapped_after_a_pass_is_refused() {
    local link=$scratch/swapped/bindgen out
    mkdir -p "$scratch/swapped" && ln -sfn "$home/tools/bin/bindgen" "$link"
    out=$(ZLAB_BINDGEN=$link "$zlab" test boot-smoke 2>&1) || { echo "$out" | tail; return 1; }
    [ -s "$home/tools/doctor-passed" ] || { echo "no pass was remembered"; return 1; }
    ln -sfn /usr/bin/bindgen "$link"
    refused_before_work "ZLAB_BINDGEN=$link" -- "bindgen" "0.60.1" ">= 0.71.1"
}

# ZLAB_BUSYBOX (a busybox given ready-made, as Nix does) must be an s390x ELF: the pinned one
# passes, the host's own shell is refused.
busybox_for_another_machine_refused() {
    local unpacked=$scratch/busybox-deb out
    dpkg-deb -x "$home/downloads/$(busybox_deb)" "$unpacked" || return 1
    out=$(ZLAB_BUSYBOX=$unpacked/bin/busybox "$zlab" doctor 2>&1)
    echo "$out" | grep busybox
    grep -qE "^ok +busybox \(s390x\) +s390x program \($unpacked/bin/busybox\)" <<<"$out" || return 1
    refused_before_work ZLAB_BUSYBOX=/bin/bash -- "busybox (s390x)" "not an s390x program (/bin/bash)" \
        "a static s390x busybox"
}

truncated_download_is_deleted_and_fetched_again() {
    local zhome deb out
    zhome=$(scratch_home truncated)
    deb="$zhome/downloads/$(busybox_deb)"
    head -c 300000 "$home/downloads/$(busybox_deb)" >"$deb"
    out=$(ZLAB_HOME=$zhome "$zlab" doctor 2>&1)
    echo "$out" | grep busybox
    grep -q "does not match its pin busybox-static" <<<"$out" && grep -q "was deleted" <<<"$out" || return 1
    [ ! -e "$deb" ] || { echo "the truncated file is still there"; return 1; }
    ZLAB_HOME=$zhome "$zlab" fetch || return 1
    [ "$(sha256sum <"$deb" | cut -d' ' -f1)" = "$(pin_field "$repo" busybox sha256)" ] && nothing_partial_left "$zhome"
}

wrong_pin_is_refused_and_leaves_nothing() {
    local zhome copy=$scratch/wrong-pin out
    zhome=$(scratch_home wrong-pin)
    repo_copy "$copy" kernel
    sed -i "s/$(pin_field "$repo" busybox sha256)/$(printf 'a%.0s' {1..64})/" "$copy/kernel/source.toml"
    if out=$(ZLAB_PROJECT=$copy ZLAB_HOME=$zhome "$zlab" fetch 2>&1); then echo "$out"; return 1; fi
    echo "$out"
    grep -q "does not match its pin busybox-static" <<<"$out" && grep -q "was deleted" <<<"$out" || return 1
    [ ! -e "$zhome/downloads/$(busybox_deb)" ] && nothing_partial_left "$zhome" || return 1
    # The next run, with the right pin, starts clean.
    ZLAB_HOME=$zhome "$zlab" fetch && [ -e "$zhome/downloads/$(busybox_deb)" ]
}

unknown_config_symbol_is_named() {
    local copy=$scratch/typo out
    repo_copy "$copy"
    echo "CONFIG_ZLAB_NO_SUCH_SYMBOL=y" >"$copy/kernel/configs/typo.config"
    printf '\n[typo]\ndescription = "a fragment with a typo"\nfragments = ["base", "rust", "typo"]\n' \
        >>"$copy/kernel/variants.toml"
    if out=$(ZLAB_PROJECT=$copy "$zlab" build --config typo --dir "$scratch/typo-build" 2>&1); then return 1; fi
    echo "$out"
    grep -q "CONFIG_ZLAB_NO_SUCH_SYMBOL" <<<"$out" && grep -q "no Kconfig file of this kernel defines" <<<"$out" &&
        [ ! -e "$scratch/typo-build/vmlinux" ]
}

run_test "old tools to test with are installed (Debian's bindgen 0.60, libclang 14)" install_old_tools
run_test "rustc older than 1.96, without rust-src: refused before any work" old_rustc_refused
run_test "bindgen older than 0.71.1: refused before any work" old_bindgen_refused
run_test "libclang older than 17.0.1: refused before any work" old_libclang_refused
run_test "QEMU missing: refused before any work" missing_qemu_refused
run_test "bindgen swapped for 0.60 after a passing run: asked again, refused" bindgen_swapped_after_a_pass_is_refused
run_test "ZLAB_BUSYBOX for another machine: refused before any work" busybox_for_another_machine_refused
run_test "a truncated download: named, deleted, fetched again" truncated_download_is_deleted_and_fetched_again
run_test "a download that fails its pin: refused, nothing left, next run clean" wrong_pin_is_refused_and_leaves_nothing
run_test "a fragment with an unknown symbol: the symbol and why" unknown_config_symbol_is_named
summary
