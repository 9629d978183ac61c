#!/usr/bin/env bash
# zlab in a project of one's own, in a folder outside the zlab clone: `zlab new --project` makes
# one whose check passes untouched; `zlab test` there runs its checks (one passing, one failing:
# exit codes 0 and 1); two projects with a module of the same name share one zlab home without
# seeing each other's builds; a bad zlab.toml is named with file and line; zlab installed with
# `cargo install` works there as bin/zlab does; and nothing is written into the clone.
# Ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
unset ZLAB_PROJECT
zlab=$repo/bin/zlab
projects=$scratch/projects
mkdir -p "$projects"
# Anything in the clone newer than this was written by these tests.
marker=$scratch/before-the-tests
touch "$marker"

new_project_is_made() {
    (cd "$projects" && "$zlab" new --project first) || return 1
    local file
    for file in zlab.toml README.md .gitignore .github/workflows/zlab.yml modules/my_module/my_module.rs \
        modules/my_module/Kbuild checks/my_module.toml; do
        [ -f "$projects/first/$file" ] || { echo "no $file"; return 1; }
    done
}

its_check_passes_untouched() {
    local out
    out=$(cd "$projects/first/modules" && "$zlab" test 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    grep -q "my_module_tests 3/3" <<<"$out" && grep -q "^1 passed, 0 failed" <<<"$out"
}

# A second module whose KUnit suite fails: `zlab test` exits 1 and names it, the first still passes.
a_failing_check_fails_the_run() {
    (cd "$projects/first" && "$zlab" new second) || return 1
    sed -i 's/assert_eq!(digit_sum(0), 0);/assert_eq!(digit_sum(0), 1);/' "$projects/first/modules/second/second.rs"
    local out status
    out=$(cd "$projects/first" && "$zlab" test 2>&1)
    status=$?
    echo "$out"
    [ "$status" -eq 1 ] || { echo "exit status $status, not 1"; return 1; }
    grep -q "PASS.*my_module" <<<"$out" && grep -q "FAIL.*second" <<<"$out" && grep -q "^1 passed, 1 failed" <<<"$out" ||
        return 1
    (cd "$projects/first" && "$zlab" -q test my_module)
}

# Two projects, each with its own my_module printing its own line, one home: each run boots its
# own project's module, whatever ran before.
same_module_name_in_two_projects() {
    (cd "$projects" && "$zlab" -q new --project other) || return 1
    sed -i 's/loaded ({}-endian)/loaded in other ({}-endian)/' "$projects/other/modules/my_module/my_module.rs"
    sed -i 's/my_module: loaded (big-endian)/my_module: loaded in other (big-endian)/' "$projects/other/checks/my_module.toml"
    local project
    for project in first other first other; do
        (cd "$projects/$project" && "$zlab" -q test my_module) || { echo "$project's my_module failed"; return 1; }
    done
    for project in first other; do
        ls "$home/build/test/zlab-modules/$(project_key "$projects/$project")/my_module/my_module.ko" || return 1
    done
}

bad_manifest_is_named_with_its_line() {
    local bad=$projects/bad out
    (cd "$projects" && "$zlab" -q new --project bad) || return 1
    # shellcheck disable=SC2016 # the backquotes are zlab's, to be found as they are
    for case in 'nmae = "x"|unknown field `nmae`' 'name = 3|invalid type'; do
        printf '[project]\n%s\n' "${case%%|*}" >"$bad/zlab.toml"
        if out=$(cd "$bad/modules" && "$zlab" test 2>&1); then echo "$out"; return 1; fi
        echo "$out"
        grep -qF "$bad/zlab.toml" <<<"$out" && grep -q "line 2" <<<"$out" && grep -qF "${case#*|}" <<<"$out" || return 1
    done
}

outside_any_project_is_refused() {
    local out
    mkdir -p "$scratch/nowhere"
    if out=$(cd "$scratch/nowhere" && "$zlab" test 2>&1); then echo "$out"; return 1; fi
    echo "$out"
    grep -q "no zlab.toml in $scratch/nowhere or any folder above it" <<<"$out" && grep -q "zlab new --project" <<<"$out"
}

installed_zlab_works_in_the_project() {
    "$(./bin/find-cargo)" install --quiet --locked --debug --path "$repo/zlab" --root "$scratch/installed" || return 1
    (cd "$projects/first" && env -u ZLAB_LAUNCHER PATH="$scratch/installed/bin:$PATH" zlab test my_module)
}

nothing_was_written_into_the_clone() {
    local written
    written=$(find "$repo" -newer "$marker" -not -path "$repo/.git/*" -not -path "$repo/.git")
    [ -z "$written" ] || { echo "written into the clone: $written"; return 1; }
}

run_test "zlab new --project makes a project outside the clone" new_project_is_made
run_test "its check passes untouched (zlab test from a folder inside it)" its_check_passes_untouched
run_test "a failing check: exit 1, named, the passing one still passes" a_failing_check_fails_the_run
run_test "two projects with a module of one name, one zlab home: each boots its own" same_module_name_in_two_projects
run_test "a zlab.toml with an unknown key or a wrong type: named with file and line" bad_manifest_is_named_with_its_line
run_test "no zlab.toml above the current folder: refused, saying how to make one" outside_any_project_is_refused
run_test "zlab installed with cargo install works in the project" installed_zlab_works_in_the_project
run_test "nothing was written into the zlab clone" nothing_was_written_into_the_clone
summary
