# `nix run .#boot` (a shell on the guest) and `nix run .#test [CHECK…]`, on the flake's kernel.
{
  pkgs,
  tools,
  zlab,
  kernel,
}: let
  app = name: command:
    pkgs.writeShellApplication {
      inherit name;
      runtimeInputs = tools.buildInputs ++ [zlab];
      text = ''
        ${pkgs.lib.toShellVars (tools.env // {ZLAB_KERNEL_BUILD = kernel;})}
        export ${builtins.concatStringsSep " " (builtins.attrNames tools.env)} ZLAB_KERNEL_BUILD
        exec zlab ${command} "$@"
      '';
    };
in {
  boot = app "zlab-boot" "boot";
  test = app "zlab-test" "test";
}
