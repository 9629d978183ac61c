#!/usr/bin/env bash
# The flake, run by real Nix: Debian's nix-bin (trixie), unpacked under zlab's home through a
# private apt configuration (the host's apt is untouched; Nix itself needs no root), with a
# store in a scratch folder, no substituters, sandbox off, IFD off. Its inputs are stand-ins
# (tests/nix/standin-*: nixpkgs as the host's Debian tools behind nixpkgs' names, rust-overlay
# as the host's rustc-web, crane as offline cargo builds), or the real rust-overlay, crane and
# nixpkgs lib from the folder ZLAB_NIX_REAL_INPUTS names (whichever of rust-overlay/, crane/
# and nixpkgs-lib/ it holds; README says how far the real rust-overlay and crane get). It
# evaluates every system, then builds for real, as a user for whom the store is read-only
# (nobody, when run as root): zlab, the kernel source, kernel, modules, initramfs
# and every boot check, the shell (`nix develop -c zlab doctor`), `nix fmt`, and the apps.
# Prints one line per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"

work=$(mktemp -d /tmp/zlab-nix.XXXXXX)
chmod 755 "$work"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work" "$scratch"' EXIT
flake=$work/flake
inputs=$work/inputs
real_inputs=${ZLAB_NIX_REAL_INPUTS:-}
system=x86_64-linux

# Runs a command as the Nix user with only the environment Nix needs.
as_nix_user() {
    local env=(env -i HOME="$work/home" PATH="$work/bin:/usr/bin:/bin" NIX_CONF_DIR="$work/etc"
        XDG_CACHE_HOME="$work/home/.cache" XDG_STATE_HOME="$work/home/.local/state"
        XDG_CONFIG_HOME="$work/home/.config" TERM=dumb)
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups "${env[@]}" "$@"
    else
        "${env[@]}" "$@"
    fi
}

overrides() {
    local name
    for name in nixpkgs rust-overlay crane; do
        printf '%s\n' --override-input "$name" "path:$inputs/$name"
    done
    printf '%s\n' --no-write-lock-file
}

# nix SUBCOMMAND… with the inputs overridden (the options go before any `--`).
nix_() {
    local args words=1
    mapfile -t args < <(overrides)
    [ "$1" != flake ] || words=2
    as_nix_user timeout "${limit:-3000}" nix "${@:1:words}" "${args[@]}" "${@:words+1}"
}

# Debian's nix-bin and what it links, unpacked into $work/nix-bin; `nix` runs through the
# unpacked ld.so, so the host's older libraries never meet it.
real_nix() {
    local apt=$home/nix-apt mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    mirror=$(python3 - <<'PY'
import glob, re
for f in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*")):
    try:
        text = open(f).read()
    except OSError:
        continue
    if f.endswith(".sources"):
        for stanza in text.split("\n\n"):
            fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, re.M))
            if "deb" in fields.get("Types", "").split() and "security" not in fields.get("URIs", ""):
                print(fields["URIs"].split()[0]); raise SystemExit
    elif f.endswith(".list"):
        for line in text.splitlines():
            m = re.match(r"deb\s+(\[[^]]*\]\s+)?(\S+)\s+\S+", line)
            if m and "security" not in m.group(2):
                print(m.group(2)); raise SystemExit
PY
    )
    [ -n "$mirror" ] || { echo "no Debian mirror in /etc/apt"; return 1; }
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d" "$apt/preferences.d"
    echo "deb [arch=amd64 signed-by=$keyring] ${mirror%/} trixie main" >"$apt/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/sources.list.d"
        -o "Dir::Etc::PreferencesParts=$apt/preferences.d" -o "Dir::State::Lists=$apt/lists"
        -o "Dir::Cache=$apt/cache" -o Dir::State::status=/dev/null -o APT::Sandbox::User=root
        -o APT::Architectures::=amd64 -q)
    if ! ls "$apt"/cache/archives/nix-bin_*.deb >/dev/null 2>&1; then
        apt-get "${opts[@]}" update >/dev/null &&
            apt-get "${opts[@]}" -y --no-install-recommends --download-only install nix-bin >/dev/null || return 1
    fi
    local deb prefix=$work/nix-bin
    for deb in "$apt"/cache/archives/*.deb; do
        dpkg-deb -x "$deb" "$prefix" || return 1
    done
    mkdir -p "$work/bin" "$work/etc" "$work/home"
    cat >"$work/bin/nix" <<EOF
#!/bin/sh
exec $prefix/usr/lib64/ld-linux-x86-64.so.2 --library-path $prefix/usr/lib/x86_64-linux-gnu --argv0 "\$(basename "\$0")" $prefix/usr/bin/nix --option build-hook '' "\$@"
EOF
    chmod 755 "$work/bin/nix"
    ln -s nix "$work/bin/nix-store"
    # Single-user Nix in a scratch store: no daemon, no build users, nothing from outside. (The
# wrapper turns the build hook off: nix.conf cannot, and the default one would be ld.so.)
    cat >"$work/etc/nix.conf" <<EOF
experimental-features = nix-command flakes
store = local?store=$work/nix/store&state=$work/nix/var/nix&log=$work/nix/var/log/nix
sandbox = false
substituters =
flake-registry =
build-users-group =
builders =
allow-import-from-derivation = false
max-jobs = 1
cores = $(nproc)
EOF
    [ "$(id -u)" != 0 ] || chown -R nobody:nogroup "$work"
    as_nix_user nix --version | tee "$scratch/nix-version"
    grep -Eq '^nix \(Nix\) 2\.(2[6-9]|[3-9][0-9])' "$scratch/nix-version"
}

# The flake as a user's checkout has it (tracked and new files, not ignored ones), the inputs,
# and ./host.nix: where the stand-in packages find the tools that are not Debian packages.
inputs_ready() {
    # cpio is one of the flake's build inputs; zlab setup does not need it on the host.
    host_packages cpio || return 1
    mkdir -p "$flake" "$inputs" "$work/host" || return 1
    git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$flake" || return 1
    cp -r tests/nix/standin-nixpkgs "$inputs/nixpkgs"
    # Each real tree found in $real_inputs takes its stand-in's place.
    local tree
    for tree in rust-overlay crane; do
        if [ -n "$real_inputs" ] && [ -d "$real_inputs/$tree" ]; then
            echo "real $tree from $real_inputs/$tree"
            cp -r "$real_inputs/$tree" "$inputs/$tree" || return 1
        else
            cp -r "tests/nix/standin-$tree" "$inputs/$tree"
        fi
    done
    if [ -n "$real_inputs" ] && [ -d "$real_inputs/nixpkgs-lib" ]; then
        echo "real nixpkgs lib from $real_inputs/nixpkgs-lib"
        rm -rf "$inputs/nixpkgs/lib" && cp -r "$real_inputs/nixpkgs-lib/lib" "$inputs/nixpkgs/lib" || return 1
    fi
    local bindgen=$home/tools/bin/bindgen llvm=/usr/lib/llvm-19 formatter=$CARGO_TARGET_DIR/release/nix-format-check
    "$(./bin/find-cargo)" build --quiet --locked --release --manifest-path tests/nix-format/Cargo.toml || return 1
    cp "$bindgen" "$formatter" "$work/host/" || return 1
    cat >"$inputs/nixpkgs/host.nix" <<EOF
# Written by tests/nix-flake.sh: the host's tools that are not Debian packages, and its LLVM.
{
  bindgen = "$work/host/bindgen";
  bindgenVersion = "$("$bindgen" --version | awk '{print $2}')";
  nixFormat = "$work/host/nix-format-check";
  llvmDir = "$llvm";
  llvmVersion = "$("$llvm/bin/llvm-config" --version)";
  llvmMajor = "$("$llvm/bin/llvm-config" --version | cut -d. -f1)";
}
EOF
    [ "$(id -u)" != 0 ] || chown -R nobody:nogroup "$flake" "$inputs" "$work/host"
    cat "$inputs/nixpkgs/host.nix"
}

flake_show() {
    nix_ flake show --all-systems "path:$flake"
}

flake_check_evaluates() {
    nix_ flake check --no-build --all-systems "path:$flake"
}

# The files the stand-in fetchurl cannot download, added to the store under the names and
# SHA256s the flake's fetchurl calls give them, so those fixed outputs count as built: every
# crate of zlab/Cargo.lock from cargo's own cache (crane's `cargo-src-NAME-VERSION`), and the
# pinned .debs from zlab's downloads.
preloaded() {
    local cargo files=() name version crate
    cargo=$(./bin/find-cargo)
    "$cargo" fetch --quiet --locked --manifest-path zlab/Cargo.toml || return 1
    mkdir -p "$work/preload"
    while read -r name version; do
        crate=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "$name-$version.crate" | head -n 1)
        [ -n "$crate" ] || { echo "no $name-$version.crate in cargo's cache"; return 1; }
        cp "$crate" "$work/preload/cargo-src-$name-$version"
        files+=("$work/preload/cargo-src-$name-$version")
    done < <(python3 -c '
import tomllib
for p in tomllib.load(open("zlab/Cargo.lock", "rb"))["package"]:
    if p.get("source", "").startswith("registry+"):
        print(p["name"], p["version"])')
    local deb
    for deb in "$home"/downloads/*.deb; do
        name=$(basename "$deb" | sed 's/[^[:alnum:]+._?=-]\+/-/g')
        cp "$deb" "$work/preload/$name"
        files+=("$work/preload/$name")
    done
    [ "$(id -u)" != 0 ] || chown -R nobody:nogroup "$work/preload"
    as_nix_user nix-store --add-fixed sha256 "${files[@]}" | wc -l
}

# nix build ATTR…, logs in $scratch/build.log (its end shown on failure).
build() {
    nix_ build --no-link --print-out-paths --print-build-logs --keep-going "${@/#/path:$flake#}" >"$scratch/out" 2>"$scratch/build.log"
    local status=$?
    tail -n 40 "$scratch/build.log"
    cat "$scratch/out"
    return $status
}

built_zlab_runs() {
    build packages.$system.zlab || return 1
    "$(head -n 1 "$scratch/out")/bin/zlab" --version
}

store_paths_are_read_only() {
    local out
    out=$(nix_ eval --raw "path:$flake#packages.$system.kernel-source") || return 1
    echo "$out"
    ls -ld "$out" "$out/Makefile"
    ! as_nix_user sh -c "echo >>'$out/Makefile'" 2>/dev/null && ! as_nix_user sh -c ": >'$out/new-file'" 2>/dev/null
}

boot_check() {
    local name=$1 out
    build "checks.$system.boot-$name" || return 1
    out=$(head -n 1 "$scratch/out")
    cat "$out/verdict"
    grep -q "^PASS $name " "$out/verdict" && grep -q "^1 passed, 0 failed$" "$out/verdict"
}

# What Nix built with the host's tools and what the Debian path builds from the same pins are
# the same bytes: bzImage, vmlinux, every in-tree .ko, every module of modules/ and the
# initramfs. The two builds differ in user, paths, time and builder, so this is also the GCC
# reproducibility check (zlab repro does the same for LLVM).
same_bytes_as_debian() {
    local debian=$home/build/test nix_kernel nix_modules nix_initramfs debian_initramfs
    ./bin/zlab -q build --config test >/dev/null && ./bin/zlab -q modules >/dev/null || return 1
    debian_initramfs=$(./bin/zlab initramfs) || return 1
    nix_kernel=$(nix_ eval --raw "path:$flake#packages.$system.kernel") &&
        nix_modules=$(nix_ eval --raw "path:$flake#packages.$system.modules") &&
        nix_initramfs=$(nix_ eval --raw "path:$flake#packages.$system.initramfs") || return 1
    local pairs=() file compared=0 differ=0
    for file in arch/s390/boot/bzImage vmlinux; do
        pairs+=("$nix_kernel/$file" "$debian/$file")
    done
    while IFS= read -r file; do
        pairs+=("$nix_kernel/$file" "$debian/$file")
    done < <(cd "$nix_kernel" && find . -name '*.ko' -not -path './zlab-modules/*' | sort)
    for file in "$nix_modules"/lib/modules/*.ko; do
        pairs+=("$file" "$debian/zlab-modules/$(project_key "$repo")/$(basename "$file" .ko)/$(basename "$file")")
    done
    pairs+=("$nix_initramfs/initramfs.cpio" "$debian_initramfs")
    while [ "${#pairs[@]}" -gt 0 ]; do
        compared=$((compared + 1))
        if cmp -s "${pairs[0]}" "${pairs[1]}"; then
            echo "same     ${pairs[1]#"$debian"/}"
        else
            differ=$((differ + 1))
            echo "DIFFERS  ${pairs[0]} ${pairs[1]}"
        fi
        pairs=("${pairs[@]:2}")
    done
    echo "$compared files compared, $differ differ" | tee "$work/same-bytes"
    [ "$differ" -eq 0 ] && [ "$compared" -gt 5 ]
}

develop_doctor() {
    local out
    # In the checkout, where a user types it.
    out=$(cd "$flake" && nix_ develop "path:$flake" -c zlab doctor 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    grep -q 'zlab — Rust kernel modules on IBM Z' <<<"$out"
}

# `nix fmt` with no arguments formats the repository (Nix >= 2.25 passes none) and never reads
# standard input, which stays open here as a terminal's would.
fmt_formats_the_repository() {
    local copy=$work/fmt-flake stdin holder status=0
    cp -r "$flake" "$copy" && printf '{ a=1; }\n' >"$copy/nix/unformatted.nix" || return 1
    [ "$(id -u)" != 0 ] || chown -R nobody:nogroup "$copy"
    # Standard input that stays open for two minutes stands for a terminal: the old formatter
    # (alejandra with no arguments) would read it to the end and hit the 100 s limit. It is held
    # open by a process of its own, not a pipe, which the shell would wait for even after nix fmt.
    exec {stdin}< <(exec sleep 120)
    holder=$!
    (cd "$copy" && limit=100 nix_ fmt) <&"$stdin" || status=$?
    exec {stdin}<&-
    kill "$holder" 2>/dev/null
    if [ "$status" -ne 0 ]; then
        echo "nix fmt failed or waited on standard input (status $status)"
        return 1
    fi
    cat "$copy/nix/unformatted.nix"
    [ "$(cat "$copy/nix/unformatted.nix")" = "{a = 1;}" ]
}

app_test_outside_a_checkout() {
    local out
    out=$(cd "$work/home" && nix_ run "path:$flake#test" -- hello 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    grep -q "^1 passed, 0 failed$" <<<"$out"
}

# A module author's own flake, made from this flake's template: its one input, zlab, is this
# flake, whose own inputs are the same stand-ins (or real trees) as above.
project=$work/my-modules
nix_project() {
    local args=(--override-input zlab "path:$flake") name words=1
    for name in nixpkgs rust-overlay crane; do
        args+=(--override-input "zlab/$name" "path:$inputs/$name")
    done
    [ "$1" != flake ] || words=2
    as_nix_user timeout "${limit:-3000}" nix "${@:1:words}" "${args[@]}" --no-write-lock-file "${@:words+1}"
}

template_makes_the_project() {
    as_nix_user mkdir -p "$project" || return 1
    (cd "$project" && as_nix_user nix flake init -t "path:$flake") || return 1
    diff -r zlab/templates/project "$project" && echo "the same files as zlab/templates/project (zlab new --project)"
}

template_project_evaluates() {
    nix_project flake check --no-build --all-systems "path:$project" || return 1
    nix_project eval --json "path:$project#checks.$system" --apply builtins.attrNames | tee "$scratch/project-checks"
    [ "$(cat "$scratch/project-checks")" = '["boot-my_module"]' ]
}

template_project_check_passes() {
    nix_project build --no-link --print-out-paths --print-build-logs "path:$project#checks.$system.boot-my_module" \
        >"$scratch/out" 2>"$scratch/build.log"
    local status=$? out
    tail -n 20 "$scratch/build.log"
    [ "$status" -eq 0 ] || return 1
    out=$(head -n 1 "$scratch/out")
    cat "$out/verdict"
    grep -q "^PASS my_module " "$out/verdict" && grep -q "my_module_tests 3/3" "$out/verdict"
}

# The flake builds only the kernel zlab ships: a project with a fragment of its own is refused
# with what to do instead, never booted on a kernel without it.
own_kernel_files_are_refused() {
    local copy=$work/own-fragment out
    cp -r "$project" "$copy" && mkdir -p "$copy/kernel/configs" && echo "CONFIG_ZLAB_MINE=y" >"$copy/kernel/configs/mine.config" ||
        return 1
    [ "$(id -u)" != 0 ] || chown -R nobody:nogroup "$copy"
    if out=$(nix_project eval --raw "path:$copy#checks.$system.boot-my_module.drvPath" 2>&1); then echo "$out"; return 1; fi
    echo "$out"
    grep -q "kernel/configs/mine.config differ from what zlab ships" <<<"$out" && grep -q "nix develop" <<<"$out"
}

# evaluated COPY ATTR APPLY: `nix eval --json` of the project copy COPY's ATTR through APPLY, as
# the Nix user (who is given the copy first); what Nix said goes to stderr when it fails.
evaluated() {
    [ "$(id -u)" != 0 ] || chown -R nobody:nogroup "$1"
    nix_project eval --json "path:$1#$2" --apply "$3" 2>"$scratch/eval.log" || { cat "$scratch/eval.log" >&2; return 1; }
}

# lib.mkProject {kernelSource = …}: the project's steps get that tree (copied into the store) and
# a kernel built from it, never the flake's own kernel. Evaluated only: building it is the flake
# kernel's own `zlab build`, from another tree, which this suite already builds and boots once.
own_kernel_tree_is_built_instead() {
    local copy=$work/own-tree out
    cp -r "$project" "$copy" && mkdir -p "$copy/my-linux" && echo "VERSION = 7" >"$copy/my-linux/Makefile" &&
        sed -i 's|mkProject {src = ./.;}|mkProject {src = ./.; kernelSource = ./my-linux;}|' "$copy/flake.nix" || return 1
    grep -q "kernelSource = ./my-linux;}" "$copy/flake.nix" || { echo "flake.nix was not edited:"; cat "$copy/flake.nix"; return 1; }
    out=$(evaluated "$copy" "checks.$system.boot-my_module" 'c: [c.ZLAB_KERNEL_BUILD.name c.ZLAB_KERNEL_SOURCE.name]') ||
        return 1
    echo "own tree: $out"
    [ "$out" = '["linux-s390-rust-own-zlab","linux-source-own-zlab"]' ] || return 1
    out=$(nix_project eval --raw "path:$project#checks.$system.boot-my_module.ZLAB_KERNEL_BUILD.name" 2>"$scratch/eval.log") ||
        { cat "$scratch/eval.log"; return 1; }
    echo "without: $out"
    [ "$out" = linux-s390-rust-zlab ]
}

# A check that names another variant of kernel/variants.toml boots that kernel, built by the
# flake (the `debug` kernel: lockdep and kmemleak).
# Evaluated only: its build is the same `zlab build` with another --config.
a_check_gets_its_variant() {
    local copy=$work/debug-check out
    cp -r "$project" "$copy" && sed 's/^description = .*/&\nvariant = "debug"/' "$copy/checks/my_module.toml" >"$copy/checks/my_module_debug.toml" ||
        return 1
    grep -q '^variant = "debug"$' "$copy/checks/my_module_debug.toml" || { echo "the check was not made"; return 1; }
    out=$(evaluated "$copy" "checks.$system" 'cs: builtins.mapAttrs (_: c: c.ZLAB_KERNEL_BUILD.name) cs') || return 1
    echo "$out"
    [ "$out" = '{"boot-my_module":"linux-s390-rust-zlab","boot-my_module_debug":"linux-s390-rust-zlab-debug"}' ] || return 1
    out=$(nix_ eval --raw "path:$flake#packages.$system.kernel-debug.name") || return 1
    echo "package: $out"
    [ "$out" = linux-s390-rust-zlab-debug ]
}

app_boot_gdb_refuses() {
    local out
    out=$(cd "$work/home" && nix_ run "path:$flake#boot" -- --gdb 2>&1) && { echo "$out"; return 1; }
    echo "$out"
    grep -q "nix develop" <<<"$out"
}

run_test "real Nix from Debian's nix-bin (trixie), unpacked in a scratch prefix" real_nix
run_test "the flake, the stand-in inputs and host.nix are ready" inputs_ready
run_test "nix flake show --all-systems" flake_show
run_test "nix flake check --no-build --all-systems (no IFD)" flake_check_evaluates
run_test "nix flake init -t: a project of one's own, the files of zlab new --project" template_makes_the_project
run_test "the template project's flake (zlab.lib.mkProject) evaluates: one boot check" template_project_evaluates
run_test "a project with kernel files of its own: refused by the flake, saying what to do" own_kernel_files_are_refused
run_test "lib.mkProject with kernelSource: the checks get a kernel built from that tree (evaluated)" own_kernel_tree_is_built_instead
run_test "a check naming the debug variant gets the flake's debug kernel, also a package (evaluated)" a_check_gets_its_variant
if [ -d "$real_inputs/rust-overlay" ] || [ -d "$real_inputs/crane" ]; then
    echo "not run with a real rust-overlay or crane: the builds (they download toolchains and crates)"
    summary
    exit
fi
run_test "crates and pinned .debs are in the store as the fetchurl calls name them" preloaded
run_test "nix build .#zlab, and the binary runs" built_zlab_runs
run_test "nix build .#kernel-source .#kernel .#modules .#initramfs" build packages.$system.kernel-source packages.$system.kernel packages.$system.modules packages.$system.initramfs
run_test "store paths are read-only to the Nix user" store_paths_are_read_only
for check in checks/*.toml; do
    name=$(basename "$check" .toml)
    run_test "nix build .#checks.$system.boot-$name passes" boot_check "$name"
done
run_test "kernel, modules and initramfs from Nix are byte for byte the Debian build's" same_bytes_as_debian
[ ! -s "$work/same-bytes" ] || echo "     ($(cat "$work/same-bytes"))"
run_test "nix develop -c zlab doctor" develop_doctor
run_test "nix fmt with no arguments formats the repository" fmt_formats_the_repository
run_test "nix run .#test -- hello, outside a checkout" app_test_outside_a_checkout
run_test "nix run .#boot -- --gdb refuses with what to do instead" app_boot_gdb_refuses
run_test "nix build of the template project's boot check passes" template_project_check_passes
summary
