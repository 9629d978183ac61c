# STAND-IN for crane's library (see flake.nix beside this file). Each function names the crane
# file it mirrors. Crates come as crane fetches them, one fixed-output `fetchurl` per Cargo.lock
# entry named `cargo-src-NAME-VERSION` with the lock's checksum (lib/downloadCargoPackage.nix);
# the suite adds those files to the store from cargo's own cache, since the stand-in fetchurl
# cannot download.
{pkgs}: let
  inherit (pkgs) lib;

  # lib/filterCargoSources.nix: folders, *.rs, *.toml, Cargo.lock and .cargo/config, nothing else.
  filterCargoSources = path: type: let
    base = baseNameOf path;
  in
    type
    == "directory"
    || lib.hasSuffix ".rs" base
    || lib.hasSuffix ".toml" base
    || base == "Cargo.lock"
    || (baseNameOf (dirOf path) == ".cargo" && base == "config");

  # nixpkgs' lib.cleanSource (lib/sources.nix), which cleanCargoSource applies first.
  cleanSourceFilter = path: type: let
    base = baseNameOf path;
  in
    !(type == "directory" && builtins.elem base [".git" ".direnv" "target"])
    && !(type == "symlink" && lib.hasPrefix "result" base)
    && !lib.hasSuffix "~" base;

  # lib/cleanCargoSource.nix
  cleanCargoSource = src:
    builtins.path {
      name = "source";
      path = src;
      filter = path: type: cleanSourceFilter path type && filterCargoSources path type;
    };

  # lib/fileset/*.nix
  fileset = rec {
    cargoTomlAndLock = lib.fileset.fileFilter (file: builtins.elem file.name ["Cargo.toml" "Cargo.lock"]);
    rust = lib.fileset.fileFilter (file: file.hasExt "rs");
    toml = lib.fileset.fileFilter (file: file.hasExt "toml");
    commonCargoSources = path: lib.fileset.unions [(cargoTomlAndLock path) (rust path) (toml path)];
  };

  # lib/vendorCargoDeps.nix with lib/downloadCargoPackage.nix: every registry crate of the lock,
  # unpacked, and the cargo configuration that points cargo at them.
  vendorCargoDeps = {cargoLock, ...}: let
    packages = (builtins.fromTOML (builtins.readFile cargoLock)).package;
    registry = builtins.filter (p: lib.hasPrefix "registry+" (p.source or "")) packages;
    tarball = p:
      pkgs.fetchurl {
        name = "cargo-src-${p.name}-${p.version}";
        url = "crate:${p.name}/${p.version}";
        sha256 = p.checksum;
      };
    unpack = p: ''
      mkdir "$out/${p.name}-${p.version}"
      tar -xzf ${tarball p} -C "$out/${p.name}-${p.version}" --strip-components=1 --no-same-owner
      echo '{"files":{},"package":"${p.checksum}"}' >"$out/${p.name}-${p.version}/.cargo-checksum.json"
    '';
  in
    pkgs.runCommand "vendor-cargo-deps" {} ''
      mkdir -p "$out"
      ${builtins.concatStringsSep "" (map unpack registry)}
      cat >"$out/config.toml" <<CONFIG
      [source.crates-io]
      replace-with = "vendored-sources"
      [source.vendored-sources]
      directory = "$out"
      CONFIG
    '';

  crateInfo = cargoToml: (builtins.fromTOML (builtins.readFile cargoToml)).package;

  # lib/mkCargoDerivation.nix: cargo offline against the vendored crates, on top of the
  # target folder of `cargoArtifacts` when given.
  mkCargoDerivation = {
    cargoToml,
    cargoLock,
    buildPhaseCargoCommand,
    installPhaseCommand ? "mkdir -p $out",
    checkPhaseCargoCommand ? "",
    cargoArtifacts ? null,
    pnameSuffix ? "",
    ...
  } @ args: let
    crate = crateInfo cargoToml;
    vendor = vendorCargoDeps {inherit cargoLock;};
  in
    pkgs.stdenv.mkDerivation (removeAttrs args ["cargoToml" "cargoLock" "cargoClippyExtraArgs" "strictDeps"]
      // {
        pname = "${crate.name}${pnameSuffix}";
        inherit (crate) version;
        nativeBuildInputs = [pkgs.cargo pkgs.rustc] ++ args.nativeBuildInputs or [];
        configurePhase = ''
          export CARGO_HOME="$TMPDIR/cargo-home" CARGO_TARGET_DIR="$PWD/target"
          mkdir -p "$CARGO_HOME"
          cp ${vendor}/config.toml "$CARGO_HOME/config.toml"
          ${lib.optionalString (cargoArtifacts != null) ''
            mkdir -p target
            cp -r --no-preserve=mode --preserve=timestamps ${cargoArtifacts}/target/. target/
          ''}
        '';
        buildPhase = ''
          runHook preBuild
          ${buildPhaseCargoCommand}
          runHook postBuild
        '';
        checkPhase = ''
          runHook preCheck
          ${checkPhaseCargoCommand}
          runHook postCheck
        '';
        installPhase = ''
          runHook preInstall
          ${installPhaseCommand}
          runHook postInstall
        '';
      });

  cargo = "cargo --offline --locked";
in {
  inherit cleanCargoSource filterCargoSources fileset vendorCargoDeps mkCargoDerivation;

  # lib/buildDepsOnly.nix (with lib/mkDummySrc.nix): the dependencies built against a copy of
  # the crate whose .rs files are empty, bin targets an empty main.
  buildDepsOnly = args:
    mkCargoDerivation (args
      // {
        pnameSuffix = "-deps";
        doCheck = false;
        postUnpack = ''
          find "$sourceRoot" -name '*.rs' | while read -r file; do
            case $file in
            */main.rs) echo 'fn main() {}' >"$file" ;;
            *) : >"$file" ;;
            esac
          done
        '';
        buildPhaseCargoCommand = "${cargo} build --release";
        installPhaseCommand = ''
          mkdir -p "$out"
          cp -r --preserve=timestamps target "$out/"
        '';
      });

  # lib/buildPackage.nix: `cargo build --release`, the binaries to $out/bin, tests when doCheck.
  buildPackage = args:
    mkCargoDerivation ({doCheck = true;}
      // args
      // {
        buildPhaseCargoCommand = "${cargo} build --release";
        checkPhaseCargoCommand = "${cargo} test --release";
        installPhaseCommand = ''
          mkdir -p "$out/bin"
          find target/release -maxdepth 1 -type f -executable -exec cp {} "$out/bin/" \;
        '';
      });

  # lib/cargoClippy.nix
  cargoClippy = {cargoClippyExtraArgs ? "--all-targets", ...} @ args:
    mkCargoDerivation (args
      // {
        pnameSuffix = "-clippy";
        buildPhaseCargoCommand = "${cargo} clippy --release ${cargoClippyExtraArgs}";
      });

  # lib/cargoFmt.nix
  cargoFmt = {src, ...}:
    pkgs.runCommand "cargo-fmt" {
      inherit src;
      nativeBuildInputs = [pkgs.cargo pkgs.rustc];
    } ''
      cd "$src" && cargo fmt --check && touch "$out"
    '';

  # lib/cargoTest.nix
  cargoTest = args:
    mkCargoDerivation (args
      // {
        pnameSuffix = "-test";
        doCheck = false;
        buildPhaseCargoCommand = "${cargo} test --release";
      });
}
