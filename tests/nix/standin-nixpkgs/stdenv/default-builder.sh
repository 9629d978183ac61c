# shellcheck shell=bash disable=SC1091,SC2154 # stdenv: the derivation's attribute
# STAND-IN for nixpkgs' pkgs/stdenv/generic/default-builder.sh.
source "$stdenv/setup"
genericBuild
