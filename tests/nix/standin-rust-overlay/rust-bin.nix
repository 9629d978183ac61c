# STAND-IN for rust-overlay's lib/rust-bin.nix (see flake.nix beside this file).
{pkgs}: let
  known = ["rust-src" "rustfmt" "clippy" "rust-analyzer" "rust-std" "rustc" "cargo" "rust-docs"];
  checkComponents = where: components: let
    unknown = builtins.filter (c: !builtins.elem c known) components;
  in
    if unknown == []
    then true
    else throw "stand-in rust-overlay: ${where} asks for unknown components ${toString unknown}";

  toolchain = pkgs.symlinkJoin {
    name = "rust-standin-host-rustc-web";
    paths = [pkgs.rustc pkgs.cargo];
  };
  withOverride =
    pkgs.lib.makeOverridable ({extensions ? [], ...}:
      assert checkComponents "override" extensions; toolchain) {};
in {
  # lib/rust-bin.nix fromRustupToolchainFile: a rust-toolchain(.toml) file's [toolchain] table.
  fromRustupToolchainFile = file: let
    spec = (builtins.fromTOML (builtins.readFile file)).toolchain;
    channel = spec.channel or (throw "stand-in rust-overlay: ${toString file} has no toolchain.channel");
    dated = builtins.match "(nightly|beta|stable)-[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]+[.][0-9]+[.][0-9]+" channel != null;
  in
    assert dated || throw "stand-in rust-overlay: channel ${channel} is neither dated nor a version";
    assert checkComponents (toString file) (spec.components or []); toolchain;

  # rust-bin.stable.<version>.{minimal,default}
  stable = builtins.listToAttrs (map (version: {
    name = version;
    value = {
      minimal = withOverride;
      default = withOverride;
    };
  }) ["1.96.0" "1.97.1" "latest"]);
}
