# Nix checks beyond zlab's own: the formatting of the Nix files, the kernel (with the nightly and
# with rustc 1.96.0, the floor), the modules, and one boot test per checks/<name>.toml (a new
# file is a new check, with no edit here).
{
  pkgs,
  root,
  guest,
}: let
  inherit (pkgs) lib;
  inherit (guest) zlabStep prebuilt kernel kernel-floor modules;
  isCheckFile = name: type: type == "regular" && lib.hasSuffix ".toml" name;
  checkFiles = lib.filterAttrs isCheckFile (builtins.readDir (root + "/checks"));
  checkNames = map (lib.removeSuffix ".toml") (builtins.attrNames checkFiles);
  bootCheck = name:
    lib.nameValuePair "boot-${name}" (zlabStep "zlab-check-${name}" prebuilt ''
      zlab test ${lib.escapeShellArg name} | tee "$TMPDIR/verdict"
      mkdir -p "$out"
      # The run folder is runs/<project key>/<check>; this build has one project.
      cp "$TMPDIR/verdict" "$ZLAB_HOME"/runs/*/${lib.escapeShellArg name}/console.log "$out/"
    '');
in
  {
    inherit kernel kernel-floor modules;
    nix-format = pkgs.runCommand "zlab-nix-format" {nativeBuildInputs = [pkgs.alejandra];} ''
      alejandra --check ${root + "/flake.nix"} ${root + "/nix"}
      touch "$out"
    '';
  }
  // builtins.listToAttrs (map bootCheck checkNames)
