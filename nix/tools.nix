# The pinned tools and the environment zlab reads (the same variables a Debian host leaves unset
# and zlab then fills from `zlab setup`). One place for both the dev shells and the derivations.
{
  pkgs,
  root,
}: let
  inherit (pkgs) lib;
  pins = builtins.fromTOML (builtins.readFile (root + "/kernel/source.toml"));
  # The flake builds the default series; `zlab --kernel` chooses another on a Debian host.
  kernelPin = pins.kernel.${pins.default-kernel};

  # The pinned nightly (kernel/rust-toolchain.toml) and the kernel's minimum for Rust on s390.
  rust = pkgs.rust-bin.fromRustupToolchainFile (root + "/kernel/rust-toolchain.toml");
  rustFloor = pkgs.rust-bin.stable."1.96.0".minimal.override {extensions = ["rust-src"];};

  # nixpkgs' own bindgen, as the binary cache has it: an override onto another LLVM would be a
  # new derivation, built and tested from source on every fresh machine. It links libclang of
  # nixpkgs' default LLVM; LIBCLANG_PATH names that one (zlab doctor checks it), and the LLVM=1
  # tools below are that same LLVM, since doctor refuses a libclang other than clang's.
  bindgen = pkgs.rust-bindgen;
  bindgenClang = pkgs.rust-bindgen-unwrapped.clang;
  llvm = let
    packages = pkgs.llvmPackages;
  in
    assert lib.assertMsg (packages.clang.version == bindgenClang.version)
    "zlab: nixpkgs' rust-bindgen links libclang ${bindgenClang.version}, but llvmPackages is ${packages.clang.version}; zlab needs them equal";
    assert lib.assertMsg (lib.versionAtLeast packages.clang.version "18.1")
    "zlab: LLVM=1 builds for s390 need clang >= 18.1 (Documentation/kbuild/llvm.rst); nixpkgs' default is ${packages.clang.version}"; packages;

  # `zlab --toolchain llvm`: make LLVM=<this>/bin/ finds clang, ld.lld and llvm-* in one folder;
  # clang is unwrapped (the kernel passes its own --target).
  llvmTools = pkgs.symlinkJoin {
    name = "zlab-llvm-${llvm.llvm.version}";
    paths = [llvm.clang-unwrapped llvm.lld llvm.llvm];
  };

  # On an s390x machine the native compiler builds the kernel; elsewhere the s390x cross one.
  s390Cc =
    if pkgs.stdenv.hostPlatform.isS390x
    then pkgs.stdenv.cc
    else pkgs.pkgsCross.s390x.stdenv.cc;

  # Unwrapped compiler and linker for GCC kernel builds, as nixpkgs' own kernel builder passes
  # them (kernel/common-flags.nix): the wrappers' flags are for userspace programs.
  kernelMakeFlags = builtins.concatStringsSep " " [
    "CC=${s390Cc.cc}/bin/${s390Cc.targetPrefix}gcc"
    "LD=${s390Cc.bintools.bintools}/bin/${s390Cc.targetPrefix}ld"
  ];

  # The same .debs, verified by the same SHA256s, as on the Debian path. Debian's mirrors drop
  # superseded backports and binNMUs; snapshot.debian.org keeps every file, by its SHA1.
  debianDeb = pin:
    pkgs.fetchurl {
      urls = ["mirror://debian/${pin.pool}" "https://snapshot.debian.org/file/${pin.sha1}"];
      # A store path name cannot hold the `~` of a backports version (nor an epoch's `:`).
      name = lib.strings.sanitizeDerivationName (baseNameOf pin.pool);
      inherit (pin) sha256;
    };

  environment = rustc: {
    ZLAB_RUSTC = "${rustc}/bin/rustc";
    ZLAB_RUSTDOC = "${rustc}/bin/rustdoc";
    ZLAB_BINDGEN = "${bindgen}/bin/bindgen";
    LIBCLANG_PATH = "${lib.getLib bindgenClang.cc}/lib";
    ZLAB_CROSS_COMPILE = s390Cc.targetPrefix;
    ZLAB_GCC_MAKE_FLAGS = kernelMakeFlags;
    ZLAB_LLVM = "${llvmTools}/bin/";
    ZLAB_QEMU = "${pkgs.qemu}/bin/qemu-system-s390x";
    ZLAB_KERNEL_DEB = debianDeb kernelPin;
    ZLAB_BUSYBOX_DEB = debianDeb pins.busybox;
  };
in {
  inherit rust rustFloor;
  env = environment rust;
  floorEnv = environment rustFloor;

  # What the kernel build and zlab call besides the variables above.
  buildInputs = [
    s390Cc
    bindgen
    pkgs.qemu
    pkgs.gnumake
    pkgs.flex
    pkgs.bison
    pkgs.bc
    pkgs.perl
    pkgs.python3
    pkgs.elfutils
    pkgs.openssl
    pkgs.dpkg
    pkgs.xz
    pkgs.cpio
    pkgs.kmod
  ];
}
