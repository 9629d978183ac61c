# STAND-IN for nixpkgs (the flake github:NixOS/nixpkgs), for zlab's Nix suite
# (tests/nix-flake.sh) only: nixpkgs cannot be had here, so the package set is a small one of
# real derivations built from the host's Debian tools. It mirrors the interface zlab's flake
# uses: `lib`, `legacyPackages.<system>` (nixpkgs' flake.nix) and `import nixpkgs {system;
# overlays;}` (pkgs/top-level/default.nix).
{
  description = "STAND-IN for nixpkgs: the host's Debian tools behind nixpkgs' attribute names";

  outputs = _: let
    lib = import ./lib;
  in {
    inherit lib;
    legacyPackages = lib.genAttrs ["x86_64-linux" "aarch64-linux" "s390x-linux"] (system: import ./. {inherit system;});
  };
}
