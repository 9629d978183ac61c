# shellcheck shell=bash
# Shared by the test scripts in this folder: `run_test NAME COMMAND…` runs one test, prints
# `ok` or `FAIL` (with the end of its output), and counts it; `summary` prints the closing
# `N passed, N failed` line and fails when anything did. Also sets zlab's $home, a shared
# CARGO_TARGET_DIR, and a $scratch folder removed on exit, and has helpers for the pins and
# scratch zlab homes (they read the repository at $repo).
: "${repo:?tests/lib.sh: the script that sources it sets \$repo, the repository, first}"
home=${ZLAB_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/zlab}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$home/cargo-target}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
passed=0
failed=0

# repo_copy DIR [FOLDER…]: a new project DIR with copies of the repository's zlab.toml and its
# kernel/, checks/ and modules/ (or the folders named), for a test to change; zlab uses it
# through ZLAB_PROJECT.
repo_copy() {
    local dir=$1
    shift
    [ "$#" -gt 0 ] || set -- kernel checks modules
    rm -rf "$dir" && mkdir -p "$dir" && cp -r zlab.toml "$@" "$dir/"
}

# project_key PROJECT: the name zlab gives PROJECT's folders in its home: the project's name and
# the first 12 hex digits of the SHA256 of its real path (zlab/src/host/project.rs).
project_key() {
    local name
    name=$(python3 -c "import tomllib, sys; print(tomllib.load(open(sys.argv[1], 'rb')).get('project', {}).get('name', ''))" "$1/zlab.toml")
    [ -n "$name" ] || name=$(basename "$(realpath "$1")")
    echo "$name-$(printf %s "$(realpath "$1")" | sha256sum | cut -c1-12)"
}

# run_dir PROJECT CHECK [HOME]: the check's run folder (initramfs, console log) in HOME ($home).
run_dir() { echo "${3:-$home}/runs/$(project_key "$1")/$2"; }

# host_packages PACKAGE…: installs those of Debian's packages the host lacks, for a suite's own
# tools (a fresh Debian 12 has no cpio, shellcheck, xmllint, sudo, debootstrap, ...); runs
# apt-get update and tries again when the package lists are stale or missing.
host_packages() {
    local missing=() package
    for package in "$@"; do
        [ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" = installed ] || missing+=("$package")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
}

# until_true SECONDS COMMAND…: runs COMMAND every 0.1 s until it succeeds; fails after SECONDS.
until_true() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# in_own_group COMMAND…: starts COMMAND in the background as a terminal starts a job: in a
# process group of its own, with SIGINT at its default (a script's background commands would
# ignore it without job control, and a test run itself started in the background inherits an
# ignored SIGINT that `set -m` cannot undo). Its pid, the group's id, is in $job. zlab makes no
# process groups of its own, so `pgrep -g "$job"` finds every process the command started and
# no other run's, even once the command itself is gone.
in_own_group() {
    set -m
    env --default-signal=INT "$@" &
    # shellcheck disable=SC2034 # for the script that sources this file
    job=$!
    set +m
}

# pin_field REPO TABLE KEY: one value of REPO/kernel/source.toml; TABLE is busybox, kernel (the
# default series) or kernel/SERIES.
pin_field() {
    python3 - "$@" <<'PY'
import sys, tomllib
repo, table, key = sys.argv[1:]
pins = tomllib.load(open(f"{repo}/kernel/source.toml", "rb"))
if table.startswith("kernel"):
    series = table.partition("/")[2] or pins["default-kernel"]
    print(pins["kernel"][series][key])
else:
    print(pins[table][key])
PY
}
busybox_deb() { basename "$(pin_field "$repo" busybox pool)"; }
# pinned_tables REPO: every pin's TABLE for pin_field, one per line: kernel/SERIES… then busybox.
pinned_tables() {
    python3 -c "import tomllib; p = tomllib.load(open('$1/kernel/source.toml', 'rb')); print(*[f'kernel/{s}' for s in p['kernel']], 'busybox', sep='\n')"
}

# scratch_home NAME: a scratch zlab home whose downloads hold the verified kernel .debs (hard
# links: never modified) and whatever the test puts there for busybox.
scratch_home() {
    local dir=$scratch/home-$1 table kernel_deb
    mkdir -p "$dir/downloads"
    for table in $(pinned_tables "$repo"); do
        [ "$table" = busybox ] && continue
        kernel_deb=$home/downloads/$(basename "$(pin_field "$repo" "$table" pool)")
        ln "$kernel_deb" "$dir/downloads/" 2>/dev/null || cp "$kernel_deb" "$dir/downloads/"
    done
    echo "$dir"
}

nothing_partial_left() {
    local left
    left=$(find "$1/downloads" -name '.partial-*')
    [ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

# Runs one test, quietly unless it fails; says how long it took, to show where a suite's time goes.
run_test() {
    local name=$1 log started=$SECONDS
    shift
    log=$(mktemp)
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $name ($((SECONDS - started)) s)"
    else
        failed=$((failed + 1))
        echo "FAIL $name ($((SECONDS - started)) s)"
        sed 's/^/     | /' "$log" | tail -n 30
    fi
    rm -f "$log"
}

summary() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
