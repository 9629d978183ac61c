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
  # A source tree of the repository's files given, with the build run in its zlab/ folder.
  inRepository = files: {
    src = lib.fileset.toSource {
      inherit root;
      fileset = lib.fileset.unions files;
    };
    postUnpack = ''
      cd "$sourceRoot/zlab"
      sourceRoot=.
    '';
  };
  cargoSources = craneLib.fileset.commonCargoSources (root + "/zlab");
  # The dependencies need only the Cargo sources.
  depsSrc = lib.fileset.toSource {
    root = root + "/zlab";
    fileset = cargoSources;
  };
  # The crate, and what it reads at compile time (cleanCargoSource keeps only .rs, .toml and
  # Cargo.lock): templates/, which src/build/scaffold.rs and new_project.rs include, and the
  # kernel/ files zlab ships, built in by src/inputs/shipped.rs.
  crateSrc = inRepository [
    cargoSources
    (root + "/zlab/templates")
    (root + "/kernel/source.toml")
    (root + "/kernel/variants.toml")
    (root + "/kernel/configs")
  ];
  # The tests also read the checks, zlab.toml and console fixtures.
  testSrc = inRepository [(root + "/zlab") (root + "/kernel") (root + "/checks") (root + "/zlab.toml")];
  cargoArtifacts = craneLib.buildDepsOnly (crate // {src = depsSrc;});
  zlab = craneLib.buildPackage (crate
    // crateSrc
    // {
      inherit cargoArtifacts;
      doCheck = false; # in checks.zlab-tests, which has the repository files the tests read
      meta.mainProgram = "zlab";
    });
in {
  inherit zlab;
  checks = {
    inherit zlab;
    zlab-clippy = craneLib.cargoClippy (crate
      // crateSrc
      // {
        inherit cargoArtifacts;
        cargoClippyExtraArgs = "--all-targets -- --deny warnings";
      });
    zlab-fmt = craneLib.cargoFmt {src = depsSrc;};
    # src/host/deb.rs's tests make and read a .deb with dpkg-deb.
    zlab-tests = craneLib.cargoTest (crate
      // testSrc
      // {
        inherit cargoArtifacts;
        nativeBuildInputs = [pkgs.dpkg];
      });
  };
}
