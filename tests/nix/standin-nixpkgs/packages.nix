# STAND-IN for the nixpkgs packages zlab's flake uses, for zlab's Nix suite only. Every package
# is a real derivation built by the host's /bin/sh (host-package.sh): it links the host's Debian
# binaries under the attribute's real name and records the Debian package's version. The
# comment beside each names the nixpkgs file it stands for. ./host.nix, written by the suite,
# says where the tools that are not Debian packages are (bindgen-cli, alejandra's formatter).
{
  lib,
  system,
}: let
  host = import ./host.nix;
  hostPlatform = {
    inherit system;
    isS390x = system == "s390x-linux";
    isx86_64 = system == "x86_64-linux";
    isLinux = true;
  };

  # One package of host binaries. `bins` are names in /usr/bin or NAME=/absolute/target;
  # `globs` adds every file matching a shell pattern; `libDir` adds a `lib` output.
  hostPackage = {
    pname,
    version ? "host",
    debian,
    bins ? [],
    globs ? [],
    libDir ? null,
    passthru ? {},
  }: let
    drv = derivation ({
        name = "${pname}-standin-${version}";
        inherit system debian bins globs;
        builder = "/bin/sh";
        args = ["-e" ./host-package.sh];
        PATH = "/usr/bin:/bin";
        outputs =
          if libDir == null
          then ["out"]
          else ["out" "lib"];
      }
      // (
        if libDir == null
        then {}
        else {inherit libDir;}
      ));
  in
    drv // passthru // {inherit pname version;};

  stdenv = import ./stdenv {inherit system hostPlatform hostPackage;};
  inherit (stdenv) mkDerivation;

  # pkgs/build-support/trivial-builders/default.nix
  runCommand = name: env: buildCommand:
    mkDerivation (env // {inherit name buildCommand;});
  writeShellApplication = {
    name,
    text,
    runtimeInputs ? [],
  }:
    runCommand name {
      inherit text;
      runtimePath = builtins.concatStringsSep ":" (map (p: "${p}/bin") runtimeInputs);
      passAsFile = ["text"];
    } ''
      mkdir -p "$out/bin"
      {
        echo '#!/bin/bash'
        echo 'set -o errexit -o nounset -o pipefail'
        echo "export PATH=\"$runtimePath:\$PATH\""
        cat "$textPath"
      } >"$out/bin/${name}"
      chmod +x "$out/bin/${name}"
      bash -n "$out/bin/${name}"
    '';
  symlinkJoin = {
    name,
    postBuild ? "",
    ...
  } @ args:
    runCommand name (removeAttrs args ["name" "postBuild"]) ''
      mkdir -p "$out"
      # The first path's file wins where two have the same name, as with lndir -silent.
      for p in $paths; do cp -rsn --no-preserve=mode "$p/." "$out/"; done
      ${postBuild}
    '';

  # pkgs/build-support/mkshell/default.nix
  mkShell = {
    name ? "nix-shell",
    packages ? [],
    shellHook ? "",
    ...
  } @ attrs:
    mkDerivation (removeAttrs attrs ["packages"]
      // {
        inherit name shellHook;
        nativeBuildInputs = packages;
        buildCommand = ''
          echo "a shell environment (nix develop), not a package to build" >"$out"
        '';
      });

  # pkgs/build-support/fetchurl/default.nix: a fixed-output derivation. This stand-in cannot
  # download: the suite adds each file to the store first (`nix-store --add-fixed`), and a
  # fixed output already in the store is never built.
  fetchurl = {
    url ? null,
    urls ? [url],
    name ? baseNameOf (builtins.head urls),
    sha256,
  }:
    derivation {
      inherit name system urls;
      builder = "/bin/sh";
      args = ["-c" "echo \"stand-in fetchurl cannot download $urls: tests/nix-flake.sh adds the file to the store first\" >&2; exit 1"];
      outputHashMode = "flat";
      outputHashAlgo = "sha256";
      outputHash = sha256;
    };

  debianTool = pname: debian: bins: hostPackage {inherit pname debian bins;};

  # pkgs/development/compilers/llvm: the host's LLVM (Debian's llvm-N folder) as nixpkgs'
  # default llvmPackages, with bindgen's libclang from the same LLVM.
  llvmPackages = let
    inherit (host) llvmVersion llvmDir llvmMajor;
    part = pname: debian: globs:
      hostPackage {
        inherit pname debian globs;
        version = llvmVersion;
      };
    # clang with libclang in its `lib` output, as nixpkgs builds it.
    clang-unwrapped = hostPackage {
      pname = "clang";
      version = llvmVersion;
      debian = "clang-${llvmMajor} libclang1-${llvmMajor}";
      globs = ["${llvmDir}/bin/clang*"];
      libDir = "${llvmDir}/lib";
    };
  in {
    inherit clang-unwrapped;
    libclang = clang-unwrapped;
    # The cc-wrapper (pkgs/build-support/cc-wrapper) around clang: `.cc` is the compiler.
    clang = clang-unwrapped // {cc = clang-unwrapped;};
    lld = part "lld" "lld-${llvmMajor}" ["${llvmDir}/bin/ld.lld" "${llvmDir}/bin/lld"];
    llvm = part "llvm" "llvm-${llvmMajor}" ["${llvmDir}/bin/llvm-*"];
  };

  # pkgs/development/tools/rust/bindgen/{unwrapped,default}.nix: nixpkgs links bindgen to
  # libclang; the stand-in is the host's bindgen-cli (zlab setup), which loads the libclang
  # LIBCLANG_PATH names.
  rust-bindgen-unwrapped = hostPackage {
    pname = "rust-bindgen-unwrapped";
    version = host.bindgenVersion;
    debian = "libclang1-${host.llvmMajor}";
    bins = ["bindgen=${host.bindgen}"];
    passthru.clang = llvmPackages.clang;
  };

  # The cross compiler (pkgs/build-support/cc-wrapper around gcc, with its bintools). The
  # target prefix is Debian's (`s390x-linux-gnu-`, nixpkgs says `s390x-unknown-linux-gnu-`), so
  # the kernel's banner, which names the compiler, matches the Debian build byte for byte. The
  # wrapper's bin holds the binutils too: in nixpkgs the bintools wrapper it propagates puts
  # them on PATH.
  s390xCc = let
    targetPrefix = "s390x-linux-gnu-";
    part = pname: debian: globs: hostPackage {inherit pname debian globs;};
    gcc = part "s390x-gcc" "gcc-s390x-linux-gnu" ["/usr/bin/${targetPrefix}gcc*" "/usr/bin/${targetPrefix}cpp*"];
    binutils = part "s390x-binutils" "binutils-s390x-linux-gnu" ["/usr/bin/${targetPrefix}*"];
    wrapper = part "s390x-gcc-wrapper" "gcc-s390x-linux-gnu binutils-s390x-linux-gnu" ["/usr/bin/${targetPrefix}*"];
  in
    wrapper
    // {
      inherit targetPrefix;
      cc = gcc;
      bintools = binutils // {bintools = binutils;};
    };
in {
  inherit lib stdenv runCommand writeShellApplication symlinkJoin mkShell fetchurl llvmPackages rust-bindgen-unwrapped;
  pkgsCross.s390x.stdenv.cc = s390xCc;

  rust-bindgen = symlinkJoin {
    name = "rust-bindgen-${host.bindgenVersion}";
    paths = [rust-bindgen-unwrapped];
  };

  # pkgs/by-name/<xx>/<name>/package.nix, one each
  gnumake = debianTool "gnumake" "make" ["make"];
  flex = debianTool "flex" "flex" ["flex"];
  bison = debianTool "bison" "bison" ["bison"];
  bc = debianTool "bc" "bc" ["bc"];
  perl = debianTool "perl" "perl-base" ["perl"];
  python3 = debianTool "python3" "python3-minimal" ["python3"];
  elfutils = debianTool "elfutils" "libelf-dev" [];
  openssl = debianTool "openssl" "openssl libssl-dev" ["openssl"];
  dpkg = debianTool "dpkg" "dpkg" ["dpkg" "dpkg-deb"];
  xz = debianTool "xz" "xz-utils" ["xz" "unxz" "xzcat"];
  cpio = debianTool "cpio" "cpio" ["cpio"];
  kmod = debianTool "kmod" "kmod" ["kmod" "depmod=/usr/sbin/depmod" "modinfo=/usr/sbin/modinfo"];
  qemu = debianTool "qemu" "qemu-system-s390x" ["qemu-system-s390x"];
  # nixpkgs' gdb is built for every target; Debian's gdb-multiarch is that one.
  gdb = debianTool "gdb" "gdb-multiarch" ["gdb=/usr/bin/gdb-multiarch"];
  bashInteractive = debianTool "bash-interactive" "bash" ["bash"];
  # The Rust toolchain nixpkgs builds (pkgs/development/compilers/rust): crane's default.
  cargo = debianTool "cargo" "cargo-web" ["cargo"];
  rustc = debianTool "rustc" "rustc-web rust-web-src" ["rustc" "rustdoc"];
  # pkgs/by-name/al/alejandra: its formatter (tests/nix-format) behind alejandra's command line.
  alejandra = hostPackage {
    pname = "alejandra";
    version = "3.1.0";
    debian = "bash";
    bins = ["alejandra=${./alejandra.sh}" "nix-format-check=${host.nixFormat}"];
  };
}
