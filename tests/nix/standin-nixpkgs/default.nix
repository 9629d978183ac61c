# STAND-IN for nixpkgs' package set (pkgs/top-level/default.nix: `import nixpkgs {system;
# overlays;}`), for zlab's Nix suite only. Overlays compose as in nixpkgs (final: prev: ...).
{
  system,
  overlays ? [],
}: let
  lib = import ./lib;
  base = _final: import ./packages.nix {inherit lib system;};
  extend = f: overlay: final: let
    prev = f final;
  in
    prev // overlay final prev;
  composed = builtins.foldl' extend base overlays;
  pkgs = composed pkgs;
in
  pkgs
