#!/usr/bin/env bash
# zlab's own code as the flake's zlab-fmt and zlab-clippy checks see it: rustfmt-clean and free
# of clippy warnings (all targets). Prints one line per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
cargo=$(./bin/find-cargo)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"

run_test "zlab is formatted (cargo fmt --check)" "$cargo" fmt --manifest-path zlab/Cargo.toml --check
run_test "zlab has no clippy warnings" "$cargo" clippy --locked --quiet --manifest-path zlab/Cargo.toml --all-targets -- --deny warnings

summary
