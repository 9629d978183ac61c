# STAND-IN for nixpkgs' stdenv setup (pkgs/stdenv/generic/setup.sh), sourced by every stand-in
# derivation's builder and by `nix develop`: PATH from the inputs, runHook, patchShebangs and the
# phases unpack, configure, build, check, install (fixup does nothing here: the host's binaries
# need no patching). A phase is the variable of its name when set, else the default below.
set -o pipefail

PATH=
for input in $nativeBuildInputs $buildInputs $defaultNativeBuildInputs $initialPath; do
    if [ -d "$input/bin" ]; then
        PATH=${PATH:+$PATH:}$input/bin
    fi
done
export PATH

runHook() {
    local hook=$1
    if [ -n "${!hook:-}" ]; then
        eval "${!hook}"
    fi
}

# Rewrites `#!/usr/bin/env NAME` and `#!/some/path/NAME` to the NAME found on PATH.
patchShebangs() {
    local file first interpreter rest found
    while IFS= read -r -d '' file; do
        IFS= read -r first <"$file" || true
        case $first in
        '#!'*) ;;
        *) continue ;;
        esac
        read -r interpreter rest <<<"${first#\#!}"
        if [ "$(basename "$interpreter")" = env ]; then
            read -r interpreter rest <<<"$rest"
        fi
        found=$(command -v "$(basename "$interpreter")") || continue
        sed -i "1s|.*|#!$found${rest:+ $rest}|" "$file"
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
        cd "${sourceRoot:-.}"
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
