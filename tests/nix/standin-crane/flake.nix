# STAND-IN for crane (github:ipetkov/crane), for zlab's Nix suite only: the real crane's
# builds need nixpkgs. It mirrors the part of crane's interface zlab's flake uses (lib/default.nix
# and the files named in ./lib.nix): `mkLib pkgs` with cleanCargoSource, fileset.*,
# vendorCargoDeps, buildDepsOnly, buildPackage, cargoClippy, cargoFmt and cargoTest.
{
  description = "STAND-IN for crane: cargo builds of a crate from its Cargo.lock, offline";

  outputs = _: {
    mkLib = pkgs: import ./lib.nix {inherit pkgs;};
  };
}
