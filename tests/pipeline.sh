#!/usr/bin/env bash
# End-to-end behaviour of the zlab commands on this host (after `zlab setup`), each a real run:
# no stand-ins. Prints one line per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
zlab=./bin/zlab
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"

setup_is_idempotent() {
    local out
    out=$($zlab setup 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    grep -q "nothing to do" <<<"$out"
}

doctor_passes() {
    $zlab doctor
}

# In a repository copy: the checkout's modules/ is never touched.
initramfs_is_reproducible() {
    local copy="$scratch/initramfs" cpio again first second
    repo_copy "$copy"
    cpio=$(ZLAB_PROJECT=$copy $zlab initramfs --check hello) || { echo "the first zlab initramfs failed"; return 1; }
    first=$(sha256sum <"$cpio") || return 1
    touch "$copy/modules/hello/hello.rs" # a rebuilt module must give the same bytes too
    again=$(ZLAB_PROJECT=$copy $zlab initramfs --check hello) || { echo "the second zlab initramfs failed"; return 1; }
    [ "$again" = "$cpio" ] || { echo "the second zlab initramfs wrote $again, the first $cpio"; return 1; }
    second=$(sha256sum <"$cpio") || return 1
    echo "$first / $second"
    [ "$first" = "$second" ]
}

# A repository copy whose variant turns EXPOLINE back on: Kconfig then drops RUST, and zlab
# must stop before building and say why.
expoline_dropping_rust_is_named() {
    local copy="$scratch/repo" out
    repo_copy "$copy"
    echo "CONFIG_EXPOLINE=y" >"$copy/kernel/configs/expoline.config"
    printf '\n[expoline]\ndescription = "Rust with EXPOLINE on: must be refused"\nfragments = ["base", "rust", "expoline"]\n' \
        >>"$copy/kernel/variants.toml"
    if out=$(ZLAB_PROJECT=$copy $zlab build --config expoline 2>&1); then
        echo "zlab build succeeded with EXPOLINE=y"
        return 1
    fi
    echo "$out"
    grep -q "CONFIG_RUST" <<<"$out" && grep -q "EXPOLINE off" <<<"$out"
}

# `zlab new` in a repository copy: the scaffold passes its own check untouched; a second `new`
# with the same name and bad names are refused, leaving nothing behind.
new_module_passes_its_check() {
    local copy="$scratch/new" out before after name
    repo_copy "$copy"
    ZLAB_PROJECT=$copy $zlab new my_first || return 1
    ZLAB_PROJECT=$copy $zlab test my_first | tee "$scratch/new.out" || return 1
    grep -q "my_first_tests 3/3" "$scratch/new.out" || return 1
    before=$(find "$copy" | sort | sha256sum)
    for name in my_first 2fast Has-Caps fn; do
        if out=$(ZLAB_PROJECT=$copy $zlab new "$name" 2>&1); then echo "zlab new $name succeeded"; return 1; fi
        echo "$out"
    done
    after=$(find "$copy" | sort | sha256sum)
    [ "$before" = "$after" ] || { echo "a refused zlab new changed the repository"; return 1; }
}

# rust-project.json, read back independently of zlab: the kernel crates, every module folder
# (a brand-new one too) as a crate depending on `kernel`, every root file and dependency real.
rust_analyzer_lists_kernel_crates_and_modules() {
    local copy="$scratch/ra"
    repo_copy "$copy"
    ZLAB_PROJECT=$copy $zlab new ra_probe >/dev/null || return 1
    ZLAB_PROJECT=$copy $zlab rust-analyzer || return 1
    python3 - "$copy" <<'PY'
import json, os, sys
repo = sys.argv[1]
crates = json.load(open(os.path.join(repo, "rust-project.json")))["crates"]
names = [c["display_name"] for c in crates]
for c in crates:
    assert os.path.isfile(c["root_module"]), c["root_module"]
    for d in c["deps"]:
        assert d["crate"] < len(crates) and crates[d["crate"]]["display_name"] == d["name"], (c["display_name"], d)
for name in ["core", "alloc", "kernel", "bindings", "macros", "pin_init", "ffi"]:
    assert name in names, f"no {name} crate in {names}"
for module in sorted(os.listdir(os.path.join(repo, "modules"))):
    folder = os.path.join(repo, "modules", module) + "/"
    mine = [c for c in crates if c["root_module"].startswith(folder)]
    assert len(mine) == 1, f"modules/{module}: {len(mine)} crates"
    assert "kernel" in [d["name"] for d in mine[0]["deps"]], mine[0]["display_name"]
    print(f"modules/{module}: crate {mine[0]['display_name']}")
print(f"{len(crates)} crates")
PY
}

# The bench measures and reports every phase, resumed and booted in full side by side, and every
# check with -j 1, -j 1 --boot and the default (no speed is asserted here: numbers belong to the
# bench's report, not to a test), and leaves docs/ alone without --write.
bench_reports_every_phase() {
    local out before
    before=$(git status --porcelain docs)
    out=$($zlab bench --runs 1 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    for line in "resumed     --boot" "kernel " "modules " "initramfs " "boot_to_init " "steps " "shutdown " "total " \
        "guest's share " "guest: boot to init" "KUnit run" "QEMU start to exit" "every check (" "-j 1 " \
        "-j 1 --boot " "booted / resumed: " " / -j 1:"; do
        grep -qF -- "$line" <<<"$out" || { echo "no \`$line\` in the bench's report"; return 1; }
    done
    [ "$(git status --porcelain docs)" = "$before" ] || { echo "zlab bench changed docs/ without --write"; return 1; }
}

# docs/benchmarks.md and .svg are what this zlab renders from docs/benchmarks.json: a change to
# the report's wording cannot leave them stale.
bench_docs_are_rendered_from_their_numbers() {
    local before after
    before=$(sha256sum docs/benchmarks.*)
    $zlab bench --render || return 1
    after=$(sha256sum docs/benchmarks.*)
    [ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after"); git diff --stat docs; return 1; }
}

run_test "setup is idempotent" setup_is_idempotent
run_test "doctor passes" doctor_passes
run_test "initramfs is reproducible" initramfs_is_reproducible
run_test "EXPOLINE dropping RUST is named" expoline_dropping_rust_is_named
run_test "zlab new makes a module that passes its check; bad and taken names are refused" new_module_passes_its_check
run_test "zlab bench --runs 1 reports every phase of the loop and the doctest boot" bench_reports_every_phase
run_test "docs/benchmarks.md and .svg are zlab bench --render of docs/benchmarks.json" bench_docs_are_rendered_from_their_numbers
run_test "rust-analyzer: rust-project.json lists the kernel crates and every module" rust_analyzer_lists_kernel_crates_and_modules
rm -rf "${ZLAB_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/zlab}/build/expoline"

summary
