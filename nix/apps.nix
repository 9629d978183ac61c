# `nix run .#boot` (a shell on the guest) and `nix run .#test [CHECK…]`, on the flake's kernel.
# They carry the flake's own checks and modules (ZLAB_PROJECT), so they work from any folder.
{
  pkgs,
  tools,
  zlab,
  kernel,
  repo,
}: let
  app = name: command: guard:
    pkgs.writeShellApplication {
      inherit name;
      runtimeInputs = tools.buildInputs ++ [zlab];
      text = ''
        ${guard}
        ${pkgs.lib.toShellVars (tools.env // {ZLAB_KERNEL_BUILD = kernel;})}
        export ${builtins.concatStringsSep " " (builtins.attrNames tools.env)} ZLAB_KERNEL_BUILD
        export ZLAB_PROJECT=''${ZLAB_PROJECT:-${repo}}
        exec zlab ${command} "$@"
      '';
    };
  # The prebuilt kernel is the test kernel; gdb needs its debug twin (DWARF, the gdb scripts).
  refuseGdb = ''
    for arg in "$@"; do
      if [ "$arg" = --gdb ]; then
        echo "zlab-boot: --gdb needs the debug kernel, which the flake does not prebuild." >&2
        echo "  Run it from the dev shell instead (builds the debug kernel once, a few minutes):" >&2
        echo "  nix develop <this flake> -c zlab boot --gdb" >&2
        exit 2
      fi
    done
  '';
in {
  boot = app "zlab-boot" "boot" refuseGdb;
  test = app "zlab-test" "test" "";
}
