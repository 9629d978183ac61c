#!/usr/bin/env bash
# The Nix layer, checked without a Nix store or network (nothing can be built with Nix here):
# every .nix file parses and is formatted as alejandra formats it, has no dead code, flake.lock
# pins every input of flake.nix in the shape Nix writes, and each pin lives in one file only.
# Prints one line per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
tools="$home/tools"
DEADNIX_VERSION=1.3.1
nix_files=(flake.nix nix/*.nix zlab/templates/project/flake.nix)
# The Nix suite's stand-ins (tests/nix-flake.sh) are Nix code of this repository too.
mapfile -t -O "${#nix_files[@]}" nix_files < <(find tests/nix -name '*.nix' | sort)

# Tools: Debian's nix-bin (2.8: enough to parse and evaluate plain expressions), deadnix from
# crates.io, and tests/nix-format (alejandra 3.1.0's own formatter, which crates.io has only
# as a library).
install_tools() {
    command -v nix-instantiate >/dev/null || host_packages nix-bin || return 1
    local cargo
    cargo=$(./bin/find-cargo)
    if [ "$("$tools/bin/deadnix" --version 2>/dev/null)" != "deadnix $DEADNIX_VERSION" ]; then
        "$cargo" install --quiet --locked deadnix --version "$DEADNIX_VERSION" --root "$tools"
    fi
    "$cargo" build --quiet --locked --release --manifest-path tests/nix-format/Cargo.toml
}

parses() {
    local f
    for f in "${nix_files[@]}"; do
        nix-instantiate --parse "$f" >/dev/null || return 1
    done
}

formatted() {
    "$CARGO_TARGET_DIR/release/nix-format-check" "${nix_files[@]}"
}

no_dead_code() {
    "$tools/bin/deadnix" --fail "${nix_files[@]}"
}

# flake.nix's inputs, evaluated by Nix itself (the file is a plain attribute set), against the
# lock: every input has a node; github nodes have a 40-hex rev, an SRI narHash and lastModified;
# follows in flake.nix are follows in the lock.
lock_matches_inputs() {
    nix-instantiate --eval --strict --json -E '(import ./flake.nix).inputs' >"$scratch/inputs.json" &&
        python3 - "$scratch/inputs.json" flake.lock <<'PY'
import json, re, sys
inputs = json.load(open(sys.argv[1]))
lock = json.load(open(sys.argv[2]))
problems = []
if lock.get("version") != 7:
    problems.append(f"lock version {lock.get('version')}, expected 7")
nodes = lock["nodes"]
root = nodes[lock["root"]]["inputs"]
if sorted(root) != sorted(inputs):
    problems.append(f"flake.nix inputs {sorted(inputs)} but lock root has {sorted(root)}")
for name, spec in inputs.items():
    node = nodes.get(root.get(name, ""), {})
    locked, original = node.get("locked", {}), node.get("original", {})
    url = spec["url"] if isinstance(spec, dict) else spec
    m = re.fullmatch(r"github:([^/]+)/([^/]+)(?:/(.+))?", url)
    if not m:
        problems.append(f"{name}: only github: inputs are checked, found {url}")
        continue
    owner, repo, ref = m.groups()
    if locked.get("type") != "github" or original.get("type") != "github":
        problems.append(f"{name}: lock node is not a github node")
    if (original.get("owner"), original.get("repo"), original.get("ref")) != (owner, repo, ref):
        problems.append(f"{name}: original {original} does not match {url}")
    if (locked.get("owner"), locked.get("repo")) != (owner, repo):
        problems.append(f"{name}: locked {locked.get('owner')}/{locked.get('repo')} is not {owner}/{repo}")
    if not re.fullmatch(r"[0-9a-f]{40}", locked.get("rev", "")):
        problems.append(f"{name}: rev {locked.get('rev')!r} is not 40 hex digits")
    if not re.fullmatch(r"sha256-[A-Za-z0-9+/]{43}=", locked.get("narHash", "")):
        problems.append(f"{name}: narHash {locked.get('narHash')!r} is not an SRI sha256")
    if not isinstance(locked.get("lastModified"), int):
        problems.append(f"{name}: lastModified missing")
    follows = {k: v["follows"] for k, v in (spec.get("inputs", {}) if isinstance(spec, dict) else {}).items()}
    for sub, target in follows.items():
        if node.get("inputs", {}).get(sub) != target.split("/"):
            problems.append(f"{name}: inputs.{sub}.follows = {target} is not in the lock")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
}

# The pinned strings of kernel/source.toml and kernel/rust-toolchain.toml (Debian versions,
# hashes, pool paths, the nightly) appear in no other tracked file.
pins_live_in_one_place() {
    local pins found=0 pin
    pins=$(python3 - <<'PY'
import tomllib
src = tomllib.load(open("kernel/source.toml", "rb"))
for table in [*src["kernel"].values(), src["busybox"]]:
    for key in ("version", "sha256", "sha1", "pool"):
        print(table[key])
    print(table["version"].split(":", 1)[-1])
print(tomllib.load(open("kernel/rust-toolchain.toml", "rb"))["toolchain"]["channel"])
PY
    ) || return 1
    while IFS= read -r pin; do
        if git ls-files -z | grep -zv '^kernel/\(source\|rust-toolchain\)\.toml$' | xargs -0 grep -lF -- "$pin"; then
            echo "^ these files repeat the pin $pin"
            found=1
        fi
    done <<<"$pins"
    [ "$found" -eq 0 ]
}

run_test "Nix tools are installed" install_tools
run_test "every .nix file parses" parses
run_test "every .nix file is formatted (alejandra 3.1.0)" formatted
run_test "no dead Nix code (deadnix)" no_dead_code
run_test "flake.lock pins every flake input" lock_matches_inputs
run_test "each pin lives in one file" pins_live_in_one_place

summary
