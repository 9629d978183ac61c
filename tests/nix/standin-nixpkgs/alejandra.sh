#!/bin/bash
# STAND-IN for alejandra's command line (alejandra 3.1.0: `alejandra [--check] PATH…`, folders
# searched for .nix files; no PATH formats standard input to standard output, as the real one
# does), behind alejandra's own formatter built from crates.io (tests/nix-format).
set -euo pipefail
format=$(dirname "$0")/nix-format-check
mode=--write
paths=()
for arg in "$@"; do
    case $arg in
    -c | --check) mode= ;;
    -q | --quiet) ;;
    *) paths+=("$arg") ;;
    esac
done
if [ "${#paths[@]}" -eq 0 ]; then
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    cat >"$scratch/stdin.nix"
    "$format" --write "$scratch/stdin.nix"
    cat "$scratch/stdin.nix"
    exit 0
fi
mapfile -t files < <(find "${paths[@]}" -name '*.nix' -type f | sort)
"$format" ${mode:+"$mode"} "${files[@]}"
