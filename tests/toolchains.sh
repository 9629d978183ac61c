#!/usr/bin/env bash
# The two toolchains: doctor holds LLVM=1 to the kernel's documented constraints (clang >= 18.1
# on s390, bindgen's libclang of clang's exact version), an LLVM build really is clang + ld.lld,
# and its guest says so. (clang < 18.1 refused: zlab/tests/cli.rs; `zlab test --matrix` in
# bin/test-all boots every check with both.)
# Prints one line per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
zlab=./bin/zlab
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"

# fake_llvm DIR CLANG_VERSION: LLVM tools that only print versions, for doctor to judge.
fake_llvm() {
    mkdir -p "$1"
    printf '#!/bin/sh\necho "clang version %s"\n' "$2" >"$1/clang"
    for tool in ld.lld llvm-objcopy llvm-ar llvm-nm; do
        printf '#!/bin/sh\necho "%s (fake) %s"\n' "$tool" "$2" >"$1/$tool"
    done
    chmod +x "$1"/*
}

llvm_doctor_checks_clang_lld_and_libclang() {
    local out
    out=$($zlab --toolchain llvm doctor 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    grep -Eq '^ok +clang +1[89]\.|^ok +clang +[2-9][0-9]\.' <<<"$out" &&
        grep -Eq '^ok +ld\.lld ' <<<"$out" &&
        grep -Eq '^ok +libclang = clang +libclang ([0-9.]+), clang \1 ' <<<"$out" &&
        grep -q '^toolchain: llvm, make LLVM=' <<<"$out"
}

# refused_llvm VERSION: doctor --toolchain llvm with fake LLVM tools of VERSION, which must fail;
# prints doctor's output either way.
refused_llvm() {
    local out
    fake_llvm "$scratch/llvm-$1" "$1"
    if out=$(ZLAB_LLVM="$scratch/llvm-$1/" $zlab --toolchain llvm doctor 2>&1); then
        printf '%s\ndoctor accepted these LLVM %s tools\n' "$out" "$1"
        return 1
    fi
    echo "$out"
}

doctor_refuses_a_libclang_that_is_not_clangs_version() {
    local out
    out=$(refused_llvm 19.1.6) || { echo "$out"; return 1; }
    echo "$out"
    grep -Eq '^MISSING libclang = clang +libclang [0-9.]+, clang 19\.1\.6' <<<"$out" &&
        grep -Eq '^ok +clang +19\.1\.6' <<<"$out"
}

gcc_builds_do_not_need_llvm() {
    local out
    fake_llvm "$scratch/llvm17" 17.0.6
    out=$(ZLAB_LLVM="$scratch/llvm17/" $zlab doctor 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    grep -Eq '^absent +clang +17\.0\.6 .*optional: only zlab --toolchain llvm' <<<"$out"
}

llvm_build_is_clang_and_lld_in_its_own_dir() {
    $zlab --toolchain llvm build || return 1
    $zlab build || return 1
    local llvm=$home/build/test.llvm/.config gcc=$home/build/test/.config
    grep -x 'CONFIG_CC_IS_CLANG=y' "$llvm" && grep -x 'CONFIG_LD_IS_LLD=y' "$llvm" &&
        grep -x 'CONFIG_RUST=y' "$llvm" && grep -x 'CONFIG_CC_IS_GCC=y' "$gcc" &&
        grep -x 'CONFIG_LD_IS_BFD=y' "$gcc"
}

llvm_guest_banner_names_clang_and_lld() {
    local json
    json=$($zlab -q --toolchain llvm test hello --json) || { echo "$json"; return 1; }
    local log banner
    log=$(python3 -c 'import json, sys; r = json.load(sys.stdin)["checks"][0]; assert r["toolchain"] == "llvm", r; print(r["console_log"])' <<<"$json") ||
        return 1
    banner=$(grep -m1 'Linux version' "$log")
    echo "$banner"
    grep -q 'clang version 19' <<<"$banner" && grep -q 'LLD 19' <<<"$banner"
}

gcc_only_make_flags_stay_out_of_llvm_builds() {
    # Nix passes its unwrapped GCC this way; an LLVM build must neither use it nor rebuild for it.
    local out
    out=$(ZLAB_GCC_MAKE_FLAGS="CC=/nonexistent/gcc" $zlab --toolchain llvm build 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    grep -q 'kernel up to date' <<<"$out"
}

# The LLVM half refused by doctor (clang 17): the GCC verdict still reaches the table, the JSON
# and the JUnit file, the LLVM check is an error saying why, and the run fails.
# Every pinned kernel × both toolchains; with LLVM refused, each kernel's GCC column stays.
matrix_keeps_gcc_results_when_llvm_cannot_run() {
    fake_llvm "$scratch/llvm17" 17.0.6
    ZLAB_LLVM="$scratch/llvm17/" $zlab test --matrix boot-smoke --json --junit "$scratch/m.xml" >"$scratch/m.json" 2>"$scratch/m.err"
    local status=$?
    cat "$scratch/m.err"
    [ "$status" = 1 ] || { echo "exit $status, not 1"; return 1; }
    grep -Eq '^boot-smoke +pass +FAIL +pass +FAIL$' "$scratch/m.err" && grep -qx '2 passed, 2 failed' "$scratch/m.err" || return 1
    python3 - "$scratch/m.json" "$scratch/m.xml" "$(pin_field "$repo" kernel/7.3 release)" "$(pin_field "$repo" kernel/7.2 release)" <<'PY'
import json, sys, xml.etree.ElementTree as ET
new, old = sys.argv[3:5]
checks = json.load(open(sys.argv[1]))["checks"]
seen = [(c["kernel"], c["toolchain"], c["result"]) for c in checks]
assert seen == [(new, "gcc", "pass"), (new, "llvm", "error"), (old, "gcc", "pass"), (old, "llvm", "error")], seen
why = checks[1]["failures"][0]["message"]
assert why.startswith(f"the column {new} llvm of the matrix did not run: the toolchain is not ready") and "17.0.6" in why, why
suites = {s.get("name"): s for s in ET.parse(sys.argv[2]).getroot()}
assert sorted(suites) == ["boot-smoke", "boot-smoke-7.2", "boot-smoke-7.2.llvm", "boot-smoke.llvm"], sorted(suites)
assert [suites[n].get("errors") for n in ("boot-smoke", "boot-smoke.llvm", "boot-smoke-7.2", "boot-smoke-7.2.llvm")] == ["0", "1", "0", "1"]
assert "17.0.6" in suites["boot-smoke-7.2.llvm"].find("testcase/error").text
PY
}

run_test "doctor --toolchain llvm checks clang, ld.lld and libclang = clang" llvm_doctor_checks_clang_lld_and_libclang
run_test "doctor refuses a libclang of another version than clang" doctor_refuses_a_libclang_that_is_not_clangs_version
run_test "a gcc build does not need LLVM (clang shown as optional)" gcc_builds_do_not_need_llvm
run_test "an LLVM build is clang + ld.lld, in its own build dir" llvm_build_is_clang_and_lld_in_its_own_dir
run_test "the LLVM guest's banner names clang and LLD; --json says llvm" llvm_guest_banner_names_clang_and_lld
run_test "GCC-only make flags (Nix's) stay out of LLVM builds" gcc_only_make_flags_stay_out_of_llvm_builds
run_test "--matrix with LLVM refused: each kernel's GCC result stays in the table, JSON and JUnit" matrix_keeps_gcc_results_when_llvm_cannot_run
summary
