{
  description = "Rust kernel modules for IBM Z (s390x), boot-tested in QEMU with zlab";

  # Where you get zlab from. `nix flake update zlab` moves to its newest kernel and tools.
  inputs.zlab.url = "github:YOUR-ORG/zlab";

  # `nix develop`: zlab, the Rust toolchain, the s390x cross compiler and QEMU.
  # `nix flake check`: builds modules/ and boots every checks/<name>.toml.
  # Against a kernel tree of your own instead of zlab's pinned one (a clean Linux 7.2 or newer):
  # add `inputs.linux = {url = "git+https://…"; flake = false;};` and `kernelSource = linux;`.
  outputs = {zlab, ...}: zlab.lib.mkProject {src = ./.;};
}
