{
  description = "zlab: write Linux kernel code in Rust for IBM Z (s390x), build it and boot-test it in QEMU";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    rust-overlay = {
      url = "github:oxalica/rust-overlay";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    crane.url = "github:ipetkov/crane";
  };

  # A binary cache for everyone who uses this flake (Nix asks before trusting it); uncomment with
  # your cache's name and key. README: "When one machine is not enough".
  # nixConfig = {
  #   extra-substituters = ["https://zlab.cachix.org"];
  #   extra-trusted-public-keys = ["zlab.cachix.org-1:<the cache's public key>"];
  # };

  # Pins and wiring only: every build and boot step below is a `zlab` call (nix/*.nix).
  outputs = {
    nixpkgs,
    rust-overlay,
    crane,
    ...
  }: let
    systems = ["x86_64-linux" "aarch64-linux" "s390x-linux"];
    perSystem = f:
      nixpkgs.lib.genAttrs systems (system:
        f (import ./nix/env.nix {
          inherit nixpkgs rust-overlay crane system;
          root = ./.;
        }));
  in {
    devShells = perSystem (env: {
      default = env.shells.default;
      floor = env.shells.floor;
    });

    packages = perSystem (env: {
      inherit (env) zlab kernel-source kernel modules initramfs;
      default = env.zlab;
    });

    checks = perSystem (env: env.checks);

    apps = perSystem (env: {
      boot = {
        type = "app";
        program = "${env.apps.boot}/bin/zlab-boot";
        meta.description = "A shell on an emulated IBM Z guest with the flake's kernel and every module";
      };
      test = {
        type = "app";
        program = "${env.apps.test}/bin/zlab-test";
        meta.description = "Boot-test the checks (all, or the ones named) on the flake's kernel";
      };
    });

    formatter = perSystem (env: env.formatter);
  };
}
