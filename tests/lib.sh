# Shared by the test scripts in this folder: `run_test NAME COMMAND…` runs one test, prints
# `ok` or `FAIL` (with the end of its output), and counts it; `summary` prints the closing
# `N passed, N failed` line and fails when anything did. Also sets zlab's $home, a shared
# CARGO_TARGET_DIR, and a $scratch folder removed on exit.
home=${ZLAB_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/zlab}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$home/cargo-target}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
passed=0
failed=0

# repo_copy DIR [FOLDER…]: a new DIR with copies of the repository's kernel/, checks/ and
# modules/ (or the folders named), for a test to change; zlab uses it through ZLAB_REPO.
repo_copy() {
    local dir=$1
    shift
    [ "$#" -gt 0 ] || set -- kernel checks modules
    rm -rf "$dir" && mkdir -p "$dir" && cp -r "$@" "$dir/"
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

run_test() {
    local name=$1 log
    shift
    log=$(mktemp)
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        sed 's/^/     | /' "$log" | tail -n 30
    fi
    rm -f "$log"
}

summary() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
