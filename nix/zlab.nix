# The zlab CLI, built by crane with a stable toolchain, and its clippy, format and test checks.
{
  pkgs,
  crane,
  root,
}: let
  inherit (pkgs) lib;
  craneLib = crane.mkLib pkgs;
  crate = {
    cargoLock = root + "/zlab/Cargo.lock";
    cargoToml = root + "/zlab/Cargo.toml";
    strictDeps = true;
  };
  # The crate alone, for the binary: crane's Cargo sources plus templates/, which
  # src/build/scaffold.rs reads with include_str! (cleanCargoSource keeps only .rs, .toml and
  # Cargo.lock). Its tests also read the pins, the checks and console fixtures, so they get the
  # crate inside the repository's relevant folders.
  src = lib.fileset.toSource {
    root = root + "/zlab";
    fileset = lib.fileset.unions [
      (craneLib.fileset.commonCargoSources (root + "/zlab"))
      (root + "/zlab/templates")
    ];
  };
  testSrc = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.unions [(root + "/zlab") (root + "/kernel") (root + "/checks")];
  };
  inRepository = {
    src = testSrc;
    postUnpack = ''
      cd "$sourceRoot/zlab"
      sourceRoot=.
    '';
  };
  cargoArtifacts = craneLib.buildDepsOnly (crate // {inherit src;});
  zlab = craneLib.buildPackage (crate
    // {
      inherit src cargoArtifacts;
      doCheck = false; # in checks.zlab-tests, which has the repository files the tests read
      meta.mainProgram = "zlab";
    });
in {
  inherit zlab;
  checks = {
    inherit zlab;
    zlab-clippy = craneLib.cargoClippy (crate
      // {
        inherit src cargoArtifacts;
        cargoClippyExtraArgs = "--all-targets -- --deny warnings";
      });
    zlab-fmt = craneLib.cargoFmt {inherit src;};
    # src/host/deb.rs's tests make and read a .deb with dpkg-deb.
    zlab-tests = craneLib.cargoTest (crate
      // inRepository
      // {
        inherit cargoArtifacts;
        nativeBuildInputs = [pkgs.dpkg];
      });
  };
}
