# shellcheck shell=bash disable=SC2154 # the derivation's attributes: src, nativeBuildInputs, ...
# STAND-IN for nixpkgs' stdenv setup (pkgs/stdenv/generic/setup.sh), sourced by every stand-in
# derivation's builder and by `nix develop`: PATH from the inputs, runHook, patchShebangs and the
# phases unpack, configure, build, check, install (fixup does nothing here: the host's binaries
# need no patching). A phase is the variable of its name when set, else the default below.
set -o pipefail

search=
for input in $nativeBuildInputs $buildInputs $defaultNativeBuildInputs $initialPath; do
    if [ -d "$input/bin" ]; then
        search=${search:+$search:}$input/bin
    fi
done
export PATH=$search

runHook() {
    local hook=$1
    if [ -n "${!hook:-}" ]; then
        eval "${!hook}"
    fi
}

# Rewrites `#!/usr/bin/env [-S] NAME` and `#!/some/path/NAME` to the NAME found on PATH.
patchShebangs() {
    local file first words interpreter found
    while IFS= read -r -d '' file; do
        IFS= read -r first <"$file" || true
        case $first in
        '#!'*) ;;
        *) continue ;;
        esac
        read -r -a words <<<"${first#\#!}"
        [ "${#words[@]}" -gt 0 ] || continue
        if [ "${words[0]##*/}" = env ]; then
            words=("${words[@]:1}")
            while [ "${#words[@]}" -gt 0 ] && [ "${words[0]#-}" != "${words[0]}" ]; do
                words=("${words[@]:1}")
            done
        fi
        [ "${#words[@]}" -gt 0 ] || continue
        interpreter=${words[0]##*/}
        found=$(command -v -- "$interpreter") || continue
        words[0]=$found
        sed -i "1s|.*|#!${words[*]}|" "$file"
    done < <(find "$@" -type f -perm -0100 -print0)
}

unpackPhase() {
    runHook preUnpack
    cp -r --no-preserve=mode "$src" source
    sourceRoot=source
    runHook postUnpack
}

configurePhase() { :; }

buildPhase() {
    runHook preBuild
    # shellcheck disable=SC2086 # flags are words
    make ${makeFlags:-}
    runHook postBuild
}

checkPhase() {
    runHook preCheck
    make check
    runHook postCheck
}

installPhase() {
    runHook preInstall
    make install
    runHook postInstall
}

runPhase() {
    local phase=$1
    if [ "$phase" = unpackPhase ] && [ -n "${dontUnpack:-}" ]; then return; fi
    if [ "$phase" = unpackPhase ] && [ -z "${src:-}" ]; then return; fi
    if [ "$phase" = configurePhase ] && [ -n "${dontConfigure:-}" ]; then return; fi
    if [ "$phase" = buildPhase ] && [ -n "${dontBuild:-}" ]; then return; fi
    if [ "$phase" = checkPhase ] && [ -z "${doCheck:-}" ]; then return; fi
    if [ "$phase" = installPhase ] && [ -n "${dontInstall:-}" ]; then return; fi
    echo "stand-in stdenv: $phase"
    if [ -n "${!phase:-}" ]; then
        eval "${!phase}"
    else
        "$phase"
    fi
    if [ "$phase" = unpackPhase ]; then
        cd "${sourceRoot:-.}" || exit 1
    fi
}

genericBuild() {
    if [ -n "${buildCommand:-}" ]; then
        eval "$buildCommand"
        return
    fi
    local phase
    for phase in ${phases:-unpackPhase configurePhase buildPhase checkPhase installPhase}; do
        runPhase "$phase"
    done
}
