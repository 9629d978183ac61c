# The s390 Rust kernel: each derivation is one zlab call with the pinned tools, so Nix runs
# exactly what the Debian path runs. These steps read no project: what they build is the kernel
# zlab ships (built into zlab itself), so an edit to a module never rebuilds a kernel.
{
  pkgs,
  tools,
  zlab,
}: let
  inherit (pkgs) lib;
  zlabStep = name: attrs: script:
    pkgs.stdenv.mkDerivation ({
        inherit name;
        dontUnpack = true;
        nativeBuildInputs = tools.buildInputs ++ [zlab];
        # Kernel code is built with the kernel's own flags, not nixpkgs' hardening.
        hardeningDisable = ["all"];
        buildPhase = ''
          runHook preBuild
          export ZLAB_HOME="$TMPDIR/zlab"
          # The cores Nix gives this build (`--cores`), not every CPU: `nix flake check` builds
          # kernels and boot checks side by side.
          export ZLAB_JOBS="$NIX_BUILD_CORES"
          ${script}
          runHook postBuild
        '';
        dontInstall = true;
        # Kernel images and modules stay exactly as the kernel build made them.
        dontFixup = true;
      }
      // tools.env
      // attrs);

  kernel-source = zlabStep "linux-source-s390-zlab" {} ''
    zlab source --into "$out"
    patchShebangs "$out/scripts" "$out/tools"
  '';

  # The kernel of a variant of kernel/variants.toml: `test`, which every check boots unless it
  # names another, and `debug` (lockdep, kmemleak, DWARF). Built only if something asks for it.
  nameSuffix = variant: lib.optionalString (variant != "test") "-${variant}";
  kernelOf = variant:
    zlabStep "linux-s390-rust-zlab${nameSuffix variant}" {ZLAB_KERNEL_SOURCE = kernel-source;} ''
      zlab build --config ${lib.escapeShellArg variant} --dir "$out"
    '';
  kernel = kernelOf "test";
  kernel-debug = kernelOf "debug";

  # The same kernel with rustc 1.96.0, the kernel's minimum for Rust on s390: keeps the floor
  # honest while the shells move to newer nightlies.
  kernel-floor = zlabStep "linux-s390-rust-zlab-floor" (tools.floorEnv // {ZLAB_KERNEL_SOURCE = kernel-source;}) ''
    zlab build --config test --dir "$out"
  '';

  # What a step needs to use the prebuilt kernel of a variant.
  prebuilt = variant: {ZLAB_KERNEL_BUILD = kernelOf variant;};

  # A kernel tree of a project's own instead of the pinned source (lib.mkProject's
  # kernelSource: a flake input or a path): copied with its scripts' interpreters pointed into
  # the store, as the pinned source is, then built by the same zlab call (`--kernel-source`:
  # refused unless it is a clean tree with Rust on s390, 7.2 or newer). The variables are what
  # a project's steps get instead of `prebuilt`.
  ownKernel = tree: let
    source = zlabStep "linux-source-own-zlab" {} ''
      cp -r ${tree} "$out"
      chmod -R u+w "$out"
      patchShebangs "$out/scripts" "$out/tools"
    '';
  in
    variant: {
      ZLAB_KERNEL_SOURCE = source;
      ZLAB_KERNEL_BUILD = zlabStep "linux-s390-rust-own-zlab${nameSuffix variant}" {ZLAB_KERNEL_SOURCE = source;} ''
        zlab build --config ${lib.escapeShellArg variant} --dir "$out"
      '';
    };
in {
  inherit kernel-source kernel kernel-debug kernel-floor zlabStep prebuilt ownKernel;
}
