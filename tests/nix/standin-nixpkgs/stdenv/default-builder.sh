# STAND-IN for nixpkgs' pkgs/stdenv/generic/default-builder.sh.
source "$stdenv/setup"
genericBuild
