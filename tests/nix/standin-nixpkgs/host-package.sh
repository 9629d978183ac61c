# shellcheck shell=sh disable=SC2154 # the derivation's attributes: out, name, debian, bins, globs, lib
# STAND-IN builder (run by the host's /bin/sh) of every stand-in package in packages.nix: links
# the host's binaries into $out/bin and records the Debian packages they come from, failing with
# the package to install when one is missing.
mkdir -p "$out/bin" "$out/nix-support"
for package in $debian; do
    dpkg-query -W -f='${Status} ${Package} ${Version}\n' "$package" 2>/dev/null | sed -n 's/^install ok installed //p' | grep . >>"$out/nix-support/debian-packages" || {
        echo "stand-in $name: the Debian package $package is not installed on this host (apt-get install $package)" >&2
        exit 1
    }
done
link() {
    [ -e "$2" ] || { echo "stand-in $name: $2 is not on this host" >&2; exit 1; }
    ln -s "$2" "$out/bin/$1"
}
for spec in $bins; do
    case $spec in
    *=*) link "${spec%%=*}" "${spec#*=}" ;;
    *) link "$spec" "/usr/bin/$spec" ;;
    esac
done
for pattern in $globs; do
    for file in $pattern; do
        link "$(basename "$file")" "$file"
    done
done
if [ -n "${libDir:-}" ]; then
    mkdir -p "$lib"
    ln -s "$libDir" "$lib/lib"
fi
