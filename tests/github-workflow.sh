#!/usr/bin/env bash
# The example GitHub Actions workflows, checked without GitHub: each is valid against the
# workflow schema (action-validator from crates.io). zlab's own (.github/workflows/ci.yml) has
# the two jobs the README promises: `nix` runs `nix flake check` after a Nix installer, `debian`
# runs ./bin/test-all in a Debian 12 container. A new project's runs `zlab setup` and `zlab test`. Ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
tools="$home/tools"
ACTION_VALIDATOR_VERSION=0.9.0
workflow=.github/workflows/ci.yml

install_validator() {
    if [ "$("$tools/bin/action-validator" --version 2>/dev/null)" != "action-validator $ACTION_VALIDATOR_VERSION" ]; then
        "$(./bin/find-cargo)" install --quiet --locked action-validator --version "$ACTION_VALIDATOR_VERSION" --root "$tools"
    fi
}

# The workflow a project made by `zlab new --project` (or the flake's template) comes with.
project_workflow=zlab/templates/project/.github/workflows/zlab.yml

valid_workflow() {
    "$tools/bin/action-validator" "$1"
}

# job NAME: the lines of jobs.NAME, each trimmed (the file's jobs are the 2-space keys under
# `jobs:`). Enough for our own file; the schema check above covers the YAML as a whole.
job() {
    awk -v name="$1" '
        /^jobs:/ { in_jobs = 1; next }
        in_jobs && /^[^ #]/ { in_jobs = 0 }
        in_jobs && /^  [A-Za-z0-9_-]+:/ { current = substr($1, 1, length($1) - 1); next }
        in_jobs && current == name { sub(/^ +/, ""); print }' "$workflow"
}

# has JOB LINE…: each LINE is one of the job's lines, exactly.
has() {
    local name=$1 lines want
    shift
    lines=$(job "$name")
    [ -n "$lines" ] || { echo "no job $name in $workflow"; return 1; }
    for want in "$@"; do
        grep -qxF -- "$want" <<<"$lines" || { echo "job $name has no line: $want"; return 1; }
    done
}

nix_job() {
    has nix "runs-on: ubuntu-latest" "- uses: cachix/install-nix-action@v31" "- uses: cachix/cachix-action@v16" "- run: nix flake check --print-build-logs --keep-going"
}

debian_job() {
    has debian "runs-on: ubuntu-latest" "container: debian:12" "run: ./bin/test-all" || return 1
    local git checkout
    git=$(job debian | grep -n -- 'apt-get install .* git' | head -n 1 | cut -d: -f1)
    checkout=$(job debian | grep -n -- 'uses: actions/checkout@' | head -n 1 | cut -d: -f1)
    if [ -z "$git" ] || [ -z "$checkout" ] || [ "$git" -gt "$checkout" ]; then
        echo "job debian must install git before actions/checkout (else the checkout has no .git)"
        return 1
    fi
}

run_test "action-validator $ACTION_VALIDATOR_VERSION is installed" install_validator
# job and has read the file $workflow names; this job's is the project's.
project_job() {
    local workflow=$project_workflow
    has test "runs-on: ubuntu-latest" "container: debian:12" "- uses: actions/checkout@v5" \
        "run: \$RUNNER_TEMP/zlab/bin/zlab setup" "run: \$RUNNER_TEMP/zlab/bin/zlab test --junit zlab-results.xml"
}

run_test "$workflow is a valid workflow (action-validator)" valid_workflow "$workflow"
run_test "job nix: a Nix installer, then nix flake check" nix_job
run_test "job debian: ./bin/test-all in debian:12, git before the checkout" debian_job
run_test "$project_workflow is a valid workflow (action-validator)" valid_workflow "$project_workflow"
run_test "a project's job test: zlab setup, then zlab test with JUnit, in debian:12" project_job

summary
