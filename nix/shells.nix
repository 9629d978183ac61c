# `nix develop`: the pinned nightly and everything zlab needs, with the variables zlab reads;
# `nix develop .#floor`: the same with rustc 1.96.0, the kernel's minimum for Rust on s390.
{
  pkgs,
  tools,
  zlab,
}: let
  welcome = rustName: ''
    cat <<WELCOME
    zlab — Rust kernel modules on IBM Z (s390x), with ${rustName}.
      zlab doctor          every tool and version
      zlab test            build the kernel and modules, boot every check of this project in QEMU
      zlab test NAME       one check; edit modules/NAME/NAME.rs and rerun
      zlab boot            a shell on an emulated IBM Z with every module in /lib/modules
      zlab boot --gdb      the same, halted until gdb attaches (prints the gdb command)
    Build dirs and console logs: ''${ZLAB_HOME:-~/.cache/zlab}
    WELCOME
  '';
  shell = name: rust: env: rustName:
    pkgs.mkShell (env
      // {
        inherit name;
        packages = tools.buildInputs ++ [rust zlab pkgs.gdb];
        # nixpkgs' gdb is built for every target (s390x too), so it stands in for gdb-multiarch
        # in `zlab boot --gdb`. Only the shells get it: no kernel build needs a debugger.
        ZLAB_GDB = "${pkgs.gdb}/bin/gdb";
        shellHook = welcome rustName;
      });
in {
  default = shell "zlab" tools.rust tools.env "the pinned nightly (kernel/rust-toolchain.toml)";
  floor = shell "zlab-floor" tools.rustFloor tools.floorEnv "rustc 1.96.0, the kernel's minimum for s390";
}
