#!/usr/bin/env bash
# docs/tutorial.md, run as a reader would: its fenced blocks in order, from a fresh `git clone`
# of this repository (the tutorial's own first block, with ZLAB_URL pointing here), sharing the
# normal ZLAB_HOME. One test per block, named by its first line. What each kind of block means
# is in tests/tutorial/blocks.py. Blocks that need Nix are listed as not run, never as passed;
# after a failed block the rest are listed as not run too (they build on it).
# Ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
blocks=$scratch/blocks
state=$scratch/session
guest_timeout=900

if [ -n "$(git status --porcelain)" ]; then
    echo "note: $repo has uncommitted changes; the tutorial runs in a clone of the last commit"
fi
if ! python3 tests/tutorial/blocks.py docs/tutorial.md "$blocks"; then
    failed=1
    summary
    exit 1
fi

# The reader's session: starts in an empty folder with this environment (less ZLAB_PROJECT, which
# would point zlab away from the clone); each block's exports and `cd` carry over to the next.
mkdir -p "$state" "$scratch/reader"
echo "$scratch/reader" >"$state/cwd"
(
    unset ZLAB_PROJECT
    export ZLAB_URL=$repo
    export -p
) >"$state/env"
if [ "$(id -u)" -eq 0 ] && ! command -v sudo >/dev/null; then
    echo "note: running as root without sudo: \`sudo CMD\` runs CMD as it is"
    sudo_shim='sudo() { "$@"; }'
else
    sudo_shim=
fi
cat >"$scratch/prelude.sh" <<EOF
cd "\$(cat "$state/cwd")"
source "$state/env"
$sudo_shim
set -eo pipefail
EOF

# save: this session's environment and folder, for the next block.
# shellcheck disable=SC2016 # expanded by the block's own bash, where $0 is its state file
save='export -p | grep -v "^declare -x \(PWD\|OLDPWD\|SHLVL\|_\)=" >"$0.env" && pwd >"$0.cwd"'

keep_session() {
    mv "$state/next.env" "$state/env" && mv "$state/next.cwd" "$state/cwd"
}

runs() {
    bash -c "source $scratch/prelude.sh; source \"\$1\"; $save" "$state/next" "$1" </dev/null && keep_session
}

fails() {
    if bash -c "source $scratch/prelude.sh; source \"\$1\"" _ "$1" </dev/null; then
        echo "this block is marked \`\`\`sh fails but succeeded"
        return 1
    fi
}

writes() {
    local path=$1 text=$2 dir
    dir=$(cat "$state/cwd")
    [ -d "$(dirname "$dir/$path")" ] || { echo "no folder for $path in $dir"; return 1; }
    cp "$text" "$dir/$path"
}

types_into_guest() {
    local command=$1 lines=$2
    python3 "$repo/tests/tutorial/guest.py" "$lines" "$guest_timeout" \
        bash -c "source $scratch/prelude.sh; source \"\$1\"" _ "$command" </dev/null
}

# watches COMMAND EDIT: COMMAND (a `zlab watch`) started in the session as a job of its own;
# once its first round has passed, the session runs EDIT; the round that starts must pass, and
# Ctrl-C must then end the watch with nothing of it left running.
watches() {
    local command=$1 edit=$2 log=$scratch/watch.log
    in_own_group bash -c "source $scratch/prelude.sh; source \"\$1\"" _ "$command" >"$log" 2>&1 </dev/null
    local passed_round='^zlab watch: round %d: [0-9]+ passed, 0 failed'
    # shellcheck disable=SC2059 # the format is ours
    if until_true "$guest_timeout" grep -qE "$(printf "$passed_round" 1)" "$log" && runs "$edit" &&
        until_true "$guest_timeout" grep -qE "$(printf "$passed_round" 2)" "$log"; then
        cat "$log"
    else
        cat "$log"
        kill -KILL -- "-$job" 2>/dev/null
        return 1
    fi
    kill -INT -- "-$job"
    until_true 20 bash -c "! pgrep -g $job >/dev/null" || { echo "left running:"; pgrep -a -g "$job"; return 1; }
}

not_run=()
broken=
while IFS=$'\x1f' read -r -u 3 id kind arg line name; do
    where="docs/tutorial.md:$line"
    if [ -n "$broken" ] && [ "$kind" != nix ]; then
        [ "$kind" = guest ] || not_run+=("not run (an earlier block failed): $name ($where)")
        continue
    fi
    before=$failed
    case $kind in
    run) run_test "$name" runs "$blocks/$id" ;;
    fails) run_test "$name (fails on purpose)" fails "$blocks/$id" ;;
    file) run_test "$name" writes "$arg" "$blocks/$id" ;;
    nix) not_run+=("not run here (needs Nix): $name ($where)") ;;
    watch)
        IFS=$'\x1f' read -r -u 3 edit_id _ _ _ edit_name
        run_test "$name (then, while it watches: $edit_name)" watches "$blocks/$id" "$blocks/$edit_id"
        ;;
    interactive)
        IFS=$'\x1f' read -r -u 3 guest_id _ _ _ _
        run_test "$name (typing $(paste -sd';' "$blocks/$guest_id" | sed 's/;/; /g'))" \
            types_into_guest "$blocks/$id" "$blocks/$guest_id"
        ;;
    esac
    [ "$failed" -eq "$before" ] || broken=yes
done 3<"$blocks/manifest"

for line in "${not_run[@]}"; do
    echo "$line"
done
summary
