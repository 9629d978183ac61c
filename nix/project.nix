# A zlab project's outputs on one system (the flake's lib.mkProject, and zlab's own repository,
# which is a project too): its modules built against the flake's kernel, the guest initramfs
# with all of them, and one boot check per checks/<name>.toml (a new file is a new check, with
# no edit here). Each is a zlab call.
{
  pkgs,
  root,
  guest,
  src,
  kernelSource ? null,
}: let
  inherit (pkgs) lib;
  inherit (guest) zlabStep;
  exists = file: builtins.pathExists (src + "/${file}");

  # Only what zlab reads, so that an edit to the README rebuilds nothing.
  project = lib.fileset.toSource {
    root = src;
    fileset = lib.fileset.unions (map (file: lib.fileset.maybeMissing (src + "/${file}")) ["zlab.toml" "modules" "checks" "kernel"]);
  };

  # A project's kernel/ files that are not zlab's as shipped (zlab's own are). The flake builds
  # only the kernel zlab ships, so such a project is refused here, not booted on the wrong kernel.
  ownConfigs = lib.optionals (exists "kernel/configs") (map (name: "kernel/configs/${name}") (builtins.attrNames (builtins.readDir (src + "/kernel/configs"))));
  differs = file: exists file && (!builtins.pathExists (root + "/${file}") || builtins.readFile (src + "/${file}") != builtins.readFile (root + "/${file}"));
  ownKernelFiles = builtins.filter differs (["kernel/source.toml" "kernel/variants.toml"] ++ ownConfigs);
  # The kernel of a variant: zlab's own (or the project's kernelSource tree) built as it.
  kernelOf = variant:
    if ownKernelFiles != []
    then throw "zlab.lib.mkProject: ${builtins.concatStringsSep ", " ownKernelFiles} differ from what zlab ships, and the flake builds only zlab's kernel; run such a project with zlab in the dev shell (`nix develop`, then `zlab test`)"
    else if kernelSource == null
    then guest.prebuilt variant
    else guest.ownKernel kernelSource variant;

  onKernel = variant: {ZLAB_PROJECT = project;} // kernelOf variant;
  inProject = onKernel "test";

  checkFiles = lib.optionals (exists "checks") (builtins.attrNames (lib.filterAttrs (name: type: type == "regular" && lib.hasSuffix ".toml" name) (builtins.readDir (src + "/checks"))));
  bootCheck = file: let
    name = lib.removeSuffix ".toml" file;
    # A check boots the kernel its file names (`variant`, default test), built for it.
    variant = (builtins.fromTOML (builtins.readFile (src + "/checks/${file}"))).variant or "test";
  in
    lib.nameValuePair "boot-${name}" (zlabStep "zlab-check-${name}" (onKernel variant) ''
      zlab test ${lib.escapeShellArg name} | tee "$TMPDIR/verdict"
      mkdir -p "$out"
      # The run folder is runs/<project key>/<check>; this build has one project.
      cp "$TMPDIR/verdict" "$ZLAB_HOME"/runs/*/${lib.escapeShellArg name}/console.log "$out/"
    '');
in
  assert lib.assertMsg (builtins.isPath src) "zlab.lib.mkProject: give src as a path (src = ./.;)"; {
    inherit project;
    initramfs = zlabStep "zlab-initramfs" inProject ''
      mkdir -p "$out"
      cp "$(zlab initramfs)" "$out/initramfs.cpio"
    '';
    modules = zlabStep "zlab-modules" inProject ''
      zlab modules
      mkdir -p "$out/lib/modules"
      # build/test/zlab-modules/<project key>/<module>/, under build/tree-<key>/ for a tree of its own.
      find "$ZLAB_HOME/build" -path '*/zlab-modules/*' -name '*.ko' -exec cp -t "$out/lib/modules/" {} +
    '';
    checks = builtins.listToAttrs (map bootCheck checkFiles);
  }
