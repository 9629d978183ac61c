#!/usr/bin/env bash
# Where the pinned .debs come from, each case real: a mirror that has dropped them (a loopback
# web server that answers 404 under the mirror's path) with snapshot.debian.org standing in on
# the same server (`/file/<sha1>`), a snapshot that serves other bytes, both unreachable; and
# .debs given through ZLAB_KERNEL_DEB / ZLAB_BUSYBOX_DEB, beside which zlab writes nothing.
# Each zlab runs with its own ZLAB_HOME: the real downloads are only read.
# Prints one line per test and ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
./bin/zlab --version >/dev/null
zlab="$CARGO_TARGET_DIR/debug/zlab"
export ZLAB_PROJECT=$repo
unset ZLAB_KERNEL_DEB ZLAB_BUSYBOX_DEB ZLAB_DEBIAN_MIRROR ZLAB_SNAPSHOT_URL
# apt reaches the loopback server directly, whatever proxy the host's apt uses.
printf 'Acquire::http::Proxy::127.0.0.1 "DIRECT";\n' >"$scratch/apt.conf"
export APT_CONFIG=$scratch/apt.conf

# real_deb TABLE: the verified .deb of the pin in $home/downloads.
real_deb() {
    local deb
    deb=$home/downloads/$(basename "$(pin_field "$repo" "$1" pool)")
    [ -f "$deb" ] || { echo "$deb is missing: run ./bin/zlab fetch first" >&2; return 1; }
    echo "$deb"
}
sha256_of() { sha256sum <"$1" | cut -d' ' -f1; }

# with_server DIR COMMAND…: runs COMMAND while a web server on 127.0.0.1 (a free port, at most
# 5 minutes) serves DIR; COMMAND finds its URL in $url. Anything not in DIR is a 404, the
# mirror's path included. The server's log is $server_log.
with_server() {
    local dir=$1 server status
    shift
    server_log=$(mktemp -p "$scratch" server-XXXX.log)
    timeout 300 python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$dir" >"$server_log" 2>&1 &
    server=$!
    if until_true 10 grep -q " port " "$server_log"; then
        url=http://127.0.0.1:$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$server_log" | head -n 1)
        "$@"
        status=$?
    else
        echo "the web server did not start:"; cat "$server_log"; status=1
    fi
    kill "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    return "$status"
}

# fetch_from HOME MIRROR SNAPSHOT: `zlab fetch` into HOME; prints its output, fails as it does.
fetch_from() {
    local out status
    out=$(ZLAB_HOME=$1 ZLAB_DEBIAN_MIRROR=$2 ZLAB_SNAPSHOT_URL=$3 timeout 300 "$zlab" fetch 2>&1)
    status=$?
    echo "$out"
    return "$status"
}

says() {
    local out=$1 word
    shift
    for word in "$@"; do grep -qF -- "$word" <<<"$out" || { echo "zlab does not say: $word"; return 1; }; done
}

fetched_from_snapshot() {
    local zhome=$scratch/home-snapshot out table sha1
    out=$(fetch_from "$zhome" "$url/debian" "$url") || { echo "$out"; return 1; }
    echo "$out"
    for table in $(pinned_tables "$repo"); do
        sha1=$(pin_field "$repo" "$table" sha1)
        says "$out" "the mirror cannot give $(pin_field "$repo" "$table" package)" \
            "trying snapshot.debian.org by SHA1: $url/file/$sha1" || return 1
        grep -q "GET /file/$sha1 HTTP/1.1\" 200" "$server_log" || { echo "no GET /file/$sha1"; return 1; }
        [ "$(sha256_of "$zhome/downloads/$(basename "$(pin_field "$repo" "$table" pool)")")" = \
            "$(pin_field "$repo" "$table" sha256)" ] || { echo "$table: wrong bytes in downloads/"; return 1; }
    done
    says "$out" "(from snapshot.debian.org)" || return 1
    grep -q "GET /debian/dists/.* 404" "$server_log" || { echo "the mirror was not asked first"; return 1; }
    nothing_partial_left "$zhome" || return 1
    # The next run finds them all and fetches nothing.
    out=$(fetch_from "$zhome" "$url/debian" "$url") && says "$out" "every pinned download is present and verified"
}
the_mirror_dropped_both() {
    local srv=$scratch/srv-good table
    mkdir -p "$srv/file"
    for table in $(pinned_tables "$repo"); do
        ln -s "$(real_deb "$table")" "$srv/file/$(pin_field "$repo" "$table" sha1)" || return 1
    done
    with_server "$srv" fetched_from_snapshot
}

refused_other_bytes() {
    local zhome out
    zhome=$(scratch_home snapshot-wrong)
    if out=$(fetch_from "$zhome" "$url/debian" "$url"); then echo "$out"; return 1; fi
    echo "$out"
    says "$out" "busybox-static $(pin_field "$repo" busybox version) as downloaded from $url/file/$(pin_field "$repo" busybox sha1)" \
        "does not match its pin busybox-static" "SHA256 $(pin_field "$repo" busybox sha256) expected" || return 1
    [ -z "$(find "$zhome/downloads" -name 'busybox*')" ] || { echo "left in downloads/:"; ls -a "$zhome/downloads"; return 1; }
    nothing_partial_left "$zhome"
}
snapshot_serves_other_bytes() {
    local srv=$scratch/srv-wrong
    mkdir -p "$srv/file"
    head -c 853260 /dev/zero >"$srv/file/$(pin_field "$repo" busybox sha1)"
    with_server "$srv" refused_other_bytes
}

both_unreachable() {
    local zhome out port gone sha1
    zhome=$(scratch_home unreachable)
    # A port nothing listens on.
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    gone=http://127.0.0.1:$port
    sha1=$(pin_field "$repo" busybox sha1)
    if out=$(fetch_from "$zhome" "$gone/debian" "$gone"); then echo "$out"; return 1; fi
    echo "$out"
    says "$out" "could be downloaded neither from the mirror nor from snapshot.debian.org" \
        "mirror ($gone/debian/$(pin_field "$repo" busybox pool))" "snapshot.debian.org ($gone/file/$sha1)" \
        "Connection refused" "point ZLAB_BUSYBOX_DEB at it" || return 1
    [ -z "$(find "$zhome/downloads" -name 'busybox*')" ] && nothing_partial_left "$zhome"
}

given_debs_get_nothing_beside_them() {
    local given=$scratch/given-ok zhome out
    # The other kernel series are in the home (ZLAB_KERNEL_DEB stands for the default one only).
    zhome=$(scratch_home given)
    mkdir -p "$given"
    ln "$(real_deb kernel)" "$given/kernel.deb" || cp "$(real_deb kernel)" "$given/kernel.deb" || return 1
    cp "$(real_deb busybox)" "$given/busybox.deb" || return 1
    out=$(ZLAB_HOME=$zhome ZLAB_KERNEL_DEB=$given/kernel.deb ZLAB_BUSYBOX_DEB=$given/busybox.deb "$zlab" fetch 2>&1) ||
        { echo "$out"; return 1; }
    echo "$out"
    says "$out" "every pinned download is present and verified" || return 1
    # doctor verifies them too (its verdict on the tools does not matter here).
    ZLAB_HOME=$zhome ZLAB_KERNEL_DEB=$given/kernel.deb ZLAB_BUSYBOX_DEB=$given/busybox.deb "$zlab" doctor 2>&1 |
        grep -E "busybox|linux-source"
    [ "$(find "$given" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" = "busybox.deb kernel.deb " ] ||
        { echo "beside them:"; ls -A "$given"; return 1; }
}

given_deb_that_fails_is_left_alone() {
    local given=$scratch/given-wrong zhome out
    zhome=$(scratch_home given-wrong)
    mkdir -p "$given"
    echo "not busybox" >"$given/busybox.deb"
    if out=$(ZLAB_HOME=$zhome ZLAB_BUSYBOX_DEB=$given/busybox.deb "$zlab" fetch 2>&1); then echo "$out"; return 1; fi
    echo "$out"
    says "$out" "$given/busybox.deb (from ZLAB_BUSYBOX_DEB) does not match its pin busybox-static" \
        "left the file alone" || return 1
    [ "$(cat "$given/busybox.deb")" = "not busybox" ] || { echo "the given file was changed"; return 1; }
    [ "$(ls -A "$given")" = busybox.deb ] || { echo "beside it:"; ls -A "$given"; return 1; }
    [ -z "$(find "$zhome/downloads" -name 'busybox*')" ] || { echo "zlab downloaded busybox anyway"; return 1; }
}

# ZLAB_KERNEL_DEB stands for the kernel the run builds: with --kernel 7.2 the default series'
# .deb is checked against the 7.2 pin, refused by name and left alone.
given_kernel_deb_is_for_the_chosen_series() {
    local given=$scratch/given-series zhome out
    zhome=$(scratch_home given-series)
    mkdir -p "$given"
    ln "$(real_deb kernel)" "$given/kernel.deb" || cp "$(real_deb kernel)" "$given/kernel.deb" || return 1
    if out=$(ZLAB_HOME=$zhome ZLAB_KERNEL_DEB=$given/kernel.deb "$zlab" --kernel 7.2 fetch 2>&1); then echo "$out"; return 1; fi
    echo "$out"
    says "$out" "$given/kernel.deb (from ZLAB_KERNEL_DEB) does not match its pin $(pin_field "$repo" kernel/7.2 package)" \
        "left the file alone" || return 1
    [ "$(sha256_of "$given/kernel.deb")" = "$(pin_field "$repo" kernel sha256)" ] || { echo "the given file changed"; return 1; }
    [ "$(ls -A "$given")" = kernel.deb ] || { echo "beside it:"; ls -A "$given"; return 1; }
}

run_test "the mirror has dropped every .deb: fetched from snapshot.debian.org by SHA1, verified" the_mirror_dropped_both
run_test "snapshot.debian.org serves other bytes: the SHA256 error, nothing left in downloads/" \
    snapshot_serves_other_bytes
run_test "mirror and snapshot.debian.org unreachable: the error names both and what to do" both_unreachable
run_test "a .deb given through ZLAB_KERNEL_DEB/ZLAB_BUSYBOX_DEB: verified, nothing written beside it" \
    given_debs_get_nothing_beside_them
run_test "a .deb given through ZLAB_BUSYBOX_DEB that fails its pin: named, left alone, not replaced" \
    given_deb_that_fails_is_left_alone
run_test "ZLAB_KERNEL_DEB with --kernel 7.2: checked against the 7.2 pin, refused, left alone" \
    given_kernel_deb_is_for_the_chosen_series

summary
