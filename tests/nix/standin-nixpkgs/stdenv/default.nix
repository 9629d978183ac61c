# STAND-IN for nixpkgs' stdenv (pkgs/stdenv/generic/default.nix and make-derivation.nix):
# `mkDerivation` runs the phases of ./setup.sh under the host's bash, with the tools of nixpkgs'
# initialPath (coreutils, findutils, diffutils, sed, grep, awk, tar, gzip, bzip2, xz, make,
# bash, patch) and `cc` as the host's Debian packages; `cc` is the host's gcc.
{
  system,
  hostPlatform,
  hostPackage,
}: let
  initialPath = hostPackage {
    pname = "stdenv-initial-path";
    debian = "coreutils findutils diffutils sed grep mawk tar gzip bzip2 xz-utils make bash patch";
    globs = map (p: "/usr/bin/${p}") [
      "basename"
      "cat"
      "chmod"
      "cmp"
      "cp"
      "cut"
      "date"
      "diff"
      "dirname"
      "du"
      "echo"
      "env"
      "expr"
      "false"
      "find"
      "grep"
      "head"
      "id"
      "install"
      "ln"
      "ls"
      "mkdir"
      "mktemp"
      "mv"
      "nproc"
      "od"
      "printf"
      "readlink"
      "realpath"
      "rm"
      "rmdir"
      "sed"
      "seq"
      "sha256sum"
      "sleep"
      "sort"
      "stat"
      "tail"
      "tee"
      "test"
      "touch"
      "tr"
      "true"
      "uname"
      "uniq"
      "wc"
      "xargs"
      "yes"
      "awk"
      "mawk"
      "tar"
      "gzip"
      "bzip2"
      "xz"
      "make"
      "bash"
      "patch"
    ];
    bins = ["sh=/bin/sh"];
  };
  # The cc-wrapper (pkgs/build-support/cc-wrapper) of the host's own gcc: `.cc` the compiler,
  # `.bintools.bintools` the binutils, no target prefix.
  cc = let
    gcc = hostPackage {
      pname = "gcc-wrapper";
      debian = "gcc binutils";
      bins = ["cc=/usr/bin/gcc" "gcc" "ld" "ar" "as" "nm" "objcopy" "strip"];
    };
  in
    gcc
    // {
      cc = gcc;
      bintools.bintools = gcc;
      targetPrefix = "";
    };
  stdenv = derivation {
    name = "stdenv-standin";
    inherit system;
    builder = "/bin/sh";
    args = ["-c" "/bin/mkdir $out && /bin/cp ${./setup.sh} $out/setup"];
  };
  # What builtins.derivation cannot take: nested sets and functions.
  # `env` is flattened into the environment, as make-derivation.nix does.
  drvAttrs = attrs: removeAttrs attrs ["meta" "passthru" "shellHook" "override" "overrideAttrs" "env"] // attrs.env or {};
in {
  inherit cc hostPlatform;
  buildPlatform = hostPlatform;
  shell = "/bin/bash";

  mkDerivation = {
    name ? "${attrs.pname}-${attrs.version}",
    passthru ? {},
    meta ? {},
    ...
  } @ attrs: let
    drv = derivation (drvAttrs attrs
      // {
        inherit name system;
        # As nixpkgs' mkDerivation: `outputs` always set (nix develop's get-env.sh reads it).
        outputs = attrs.outputs or ["out"];
        builder = "/bin/bash";
        args = ["-e" ./default-builder.sh];
        inherit stdenv initialPath;
        defaultNativeBuildInputs = [cc];
        # mkShell's shellHook reaches `nix develop` through the environment, as in nixpkgs.
        shellHook = attrs.shellHook or "";
      });
  in
    drv // passthru // {inherit meta;};
}
