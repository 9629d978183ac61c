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
    # `nix flake init -t <this flake>`: the same files as `zlab new --project DIR`.
    projectTemplate = {
      path = ./zlab/templates/project;
      description = "A project of Rust kernel modules for IBM Z: one module with a KUnit suite, its boot check, CI";
      welcomeText = ''
        # A zlab project: Rust kernel modules for IBM Z

        Next:
        - `nix develop`: zlab, the s390x toolchain and QEMU
        - `zlab test`: build the kernel (once), boot it, run my_module's KUnit suite
        - edit modules/my_module/my_module.rs, then `zlab test` again

        In CI, `nix flake check` boots every check. README.md says the rest.
      '';
    };
  in {
    devShells = perSystem (env: {
      default = env.shells.default;
      floor = env.shells.floor;
    });

    packages = perSystem (env: {
      inherit (env) zlab kernel-source kernel kernel-debug modules initramfs;
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

    # For a project's own flake (`nix flake init -t <this flake>` writes one):
    #   outputs = {zlab, ...}: zlab.lib.mkProject {src = ./.;};
    # gives its dev shell (zlab and every tool), its modules and initramfs, and one boot check
    # per checks/<name>.toml, against this flake's kernel; with `kernelSource = <a kernel tree>`
    # (a flake input with `flake = false`, or a path), against that tree built instead.
    lib.mkProject = {
      src,
      kernelSource ? null,
    }: let
      project = perSystem (env: env.project {inherit src kernelSource;});
    in {
      devShells = perSystem (env: {default = env.shells.default;});
      packages =
        builtins.mapAttrs (_: p: {
          inherit (p) modules initramfs;
          default = p.modules;
        })
        project;
      checks = builtins.mapAttrs (_: p: p.checks) project;
    };

    templates = {
      default = projectTemplate;
      project = projectTemplate;
    };
  };
}
