#!/usr/bin/env bash
# The tutorial's first step as a newcomer takes it: a normal user with sudo rights runs
# `sudo ./bin/zlab setup` in their own clone, then `./bin/zlab doctor` as themselves. sudo sets
# HOME to root's, so this proves bindgen-cli and the downloads land in the user's zlab home,
# owned by the user. Needs root (it adds the user and a sudoers entry). Ends with `N passed, N failed`.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"

user=zlab-newcomer
user_home=/home/$user

# A login shell: the user's own environment, nothing of this script's (its CARGO_TARGET_DIR).
as_user() {
    runuser -l "$user" -c "$1"
}

a_sudo_user_exists() {
    command -v sudo >/dev/null || host_packages sudo || return 1
    id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user" || return 1
    echo "$user ALL=(root) NOPASSWD: ALL" >/etc/sudoers.d/zlab-newcomer && chmod 0440 /etc/sudoers.d/zlab-newcomer
    # The user's clone: the tracked files as they are in this work tree.
    rm -rf "$user_home/zlab" && mkdir "$user_home/zlab" &&
        git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$user_home/zlab" &&
        chown -R "$user:$user" "$user_home/zlab"
    # shellcheck disable=SC2016 # $USER and $HOME are the user's, expanded by their login shell
    as_user 'sudo -n true && echo "sudo works for $USER, HOME=$HOME"'
}

# The user's downloads are removed first, so every run shows where setup puts them (bindgen-cli,
# a two-minute build, is kept from an earlier run; the same code installs both).
sudo_setup_sets_the_user_up() {
    local out zhome=$user_home/.cache/zlab
    rm -rf "$zhome/downloads"
    out=$(as_user 'cd ~/zlab && sudo ./bin/zlab setup' 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    grep -q "downloaded and verified" <<<"$out" || return 1
    ls -l "$zhome/downloads" "$zhome/tools/bin/bindgen" || return 1
    # Every pinned .deb: each kernel series and busybox.
    [ "$(find "$zhome/downloads" -name '*.deb' -user "$user" | wc -l)" = "$(pinned_tables "$repo" | wc -l)" ]
}

doctor_passes_as_the_user() {
    as_user 'cd ~/zlab && ./bin/zlab doctor'
}

nothing_in_the_users_home_belongs_to_root() {
    local owned
    owned=$(find "$user_home" -user root | head -n 20)
    echo "${owned:-none}"
    [ -z "$owned" ]
}

run_test "a normal user with sudo rights and a clone" a_sudo_user_exists
run_test "sudo ./bin/zlab setup as that user puts bindgen and the downloads in the user's zlab home" sudo_setup_sets_the_user_up
run_test "./bin/zlab doctor passes as that user" doctor_passes_as_the_user
run_test "nothing in the user's home belongs to root" nothing_in_the_users_home_belongs_to_root
summary
