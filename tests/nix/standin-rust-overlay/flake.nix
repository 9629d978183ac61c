# STAND-IN for rust-overlay (github:oxalica/rust-overlay), for zlab's Nix suite only: its
# toolchains are downloads this workplace cannot make. It mirrors what zlab's flake uses of
# the real overlay (default.nix, lib/rust-bin.nix): `overlays.default` adding `rust-bin` with
# `fromRustupToolchainFile` and `stable.<version>.minimal.override {extensions}`. Every request
# is answered with the host's one Rust, Debian's rustc-web with rust-web-src, after checking that
# the request is one the real overlay would answer (a dated nightly or a stable version, with
# known components); the result is one derivation whatever was asked, so the flake's `kernel`
# and `kernel-floor` are one build here.
{
  description = "STAND-IN for rust-overlay: the host's rustc-web behind rust-bin's interface";

  # As in the real flake; zlab's flake makes it follow its own nixpkgs.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";

  outputs = _: {
    overlays.default = final: _prev: {
      rust-bin = import ./rust-bin.nix {pkgs = final;};
    };
  };
}
