#!/usr/bin/env bash
# The repository's lints: zlab's own code as the flake's zlab-fmt and zlab-clippy checks see it
# (rustfmt-clean, free of clippy warnings on all targets), its modules free of import cycles
# (tests/lint/module-cycles.py), and every shell script shellcheck-
# clean (Debian's shellcheck, installed when missing). The scripts are found, not listed: every
# file git tracks or would track that ends in .sh, starts with a sh or bash #! line, or names
# its shell in a `# shellcheck shell=` directive. Prints one line per test and ends with
# `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
cargo=$(./bin/find-cargo)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"

# Every shell script of the work tree, tracked or new (not ignored), one path a line.
shell_scripts() {
    local file first shell_line='^#!.*[/ ](ba|da|k)?sh( |$)|^# shellcheck shell='
    git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
        [ -f "$file" ] || continue
        first=
        IFS= read -r -n 256 first <"$file"
        if [[ $file == *.sh || $first =~ $shell_line ]]; then
            echo "$file"
        fi
    done | sort
}

# Found by both rules: this suite by its name, and at least one script by its first line.
scripts_are_found() {
    printf '%s\n' "${scripts[@]}"
    printf '%s\n' "${scripts[@]}" | grep -qx tests/lint.sh || { echo "tests/lint.sh itself was not found"; return 1; }
    printf '%s\n' "${scripts[@]}" | grep -qv '\.sh$' || { echo "no script found by its #! line"; return 1; }
}

# A fresh Debian 12 has no shellcheck: Debian's package, as other suites install theirs.
shellcheck_is_installed() {
    command -v shellcheck >/dev/null || host_packages shellcheck || return 1
    shellcheck --version
}

run_test "zlab is formatted (cargo fmt --check)" "$cargo" fmt --manifest-path zlab/Cargo.toml --check
run_test "zlab has no clippy warnings" "$cargo" clippy --locked --quiet --manifest-path zlab/Cargo.toml --all-targets -- --deny warnings
run_test "zlab's modules import each other without cycles" python3 tests/lint/module-cycles.py --folders zlab/src

mapfile -t scripts < <(shell_scripts)
run_test "the shell scripts are found (${#scripts[@]})" scripts_are_found
failed_before=$failed
run_test "shellcheck is installed (Debian's shellcheck)" shellcheck_is_installed
if [ "$failed" -eq "$failed_before" ]; then
    for script in "${scripts[@]}"; do
        # From the root: `# shellcheck source=` paths are the repository's.
        run_test "shellcheck: $script" shellcheck --external-sources "$script"
    done
else
    echo "not run: shellcheck of the ${#scripts[@]} scripts (no shellcheck)"
fi

summary
