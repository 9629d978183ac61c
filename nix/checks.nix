# Nix checks beyond zlab's own: the formatting of the Nix files, the kernel (with the nightly and
# with rustc 1.96.0, the floor), and zlab's repository as a project: its modules and one boot
# test per checks/<name>.toml (nix/project.nix).
{
  pkgs,
  root,
  guest,
  zlabProject,
}:
{
  inherit (guest) kernel kernel-floor;
  inherit (zlabProject) modules;
  nix-format = pkgs.runCommand "zlab-nix-format" {nativeBuildInputs = [pkgs.alejandra];} ''
    alejandra --check ${root + "/flake.nix"} ${root + "/nix"} ${root + "/zlab/templates/project/flake.nix"}
    touch "$out"
  '';
}
// zlabProject.checks
