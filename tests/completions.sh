#!/usr/bin/env bash
# `zlab completions SHELL`: the bash script, sourced in a fresh bash, completes subcommands and
# options (driven through COMP_WORDS/COMP_CWORD as bash's completion does); the zsh and fish
# scripts are produced and name the subcommands. Ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"

# complete WORD…: the candidates bash's completion function offers for the last word.
complete_words() {
    "$repo/bin/zlab" completions bash >"$scratch/zlab.bash" || return 1
    bash --norc --noprofile -c '
        source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        function=$(complete -p zlab | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
        "$function" zlab "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}"' _ "$scratch/zlab.bash" "$@"
}

subcommands_complete() {
    local offered
    offered=$(complete_words zlab "") || return 1
    echo "$offered"
    for sub in setup doctor fetch build modules initramfs new rust-analyzer boot test completions; do
        grep -qx "$sub" <<<"$offered" || { echo "missing: $sub"; return 1; }
    done
}

test_options_complete() {
    local offered
    offered=$(complete_words zlab test --) || return 1
    echo "$offered"
    grep -qx -- --junit <<<"$offered" && grep -qx -- --json <<<"$offered" && grep -qx -- --repeat <<<"$offered"
}

partial_word_completes() {
    local offered
    offered=$(complete_words zlab te) || return 1
    echo "$offered"
    [ "$offered" = test ]
}

zsh_and_fish_scripts() {
    local zsh fish
    zsh=$("$repo/bin/zlab" completions zsh) && fish=$("$repo/bin/zlab" completions fish) || return 1
    grep -q "^#compdef zlab" <<<"$zsh" && grep -q "'--junit=" <<<"$zsh" &&
        grep -q "complete -c zlab .*-l junit" <<<"$fish"
}

run_test "bash: \`zlab \` offers every subcommand" subcommands_complete
run_test "bash: \`zlab test --\` offers --junit, --json, --repeat" test_options_complete
run_test "bash: \`zlab te\` completes to test" partial_word_completes
run_test "zsh and fish scripts name the options" zsh_and_fish_scripts
summary
