# Everything the flake offers on one system, assembled from the files beside this one.
{
  nixpkgs,
  rust-overlay,
  crane,
  system,
  root,
}: let
  pkgs = import nixpkgs {
    inherit system;
    overlays = [rust-overlay.overlays.default];
  };
  tools = import ./tools.nix {inherit pkgs root;};
  zlabCrate = import ./zlab.nix {inherit pkgs crane root;};
  guest = import ./kernel.nix {
    inherit pkgs tools;
    inherit (zlabCrate) zlab;
  };
  # A project's modules, initramfs and boot checks (lib.mkProject); zlab's repository is one.
  project = args: import ./project.nix ({inherit pkgs root guest;} // args);
  zlabProject = project {src = root;};
in {
  inherit project;
  inherit (zlabCrate) zlab;
  inherit (guest) kernel-source kernel kernel-debug;
  inherit (zlabProject) modules initramfs;
  shells = import ./shells.nix {
    inherit pkgs tools;
    inherit (zlabCrate) zlab;
  };
  apps = import ./apps.nix {
    inherit pkgs tools;
    inherit (zlabCrate) zlab;
    inherit (guest) kernel;
    repo = zlabProject.project;
  };
  # `nix fmt`: Nix >= 2.25 passes no arguments, and alejandra with none reads standard input.
  formatter = pkgs.writeShellApplication {
    name = "zlab-fmt";
    runtimeInputs = [pkgs.alejandra];
    text = ''
      if [ "$#" -eq 0 ]; then
        set -- .
      fi
      exec alejandra "$@"
    '';
  };
  checks = zlabCrate.checks // import ./checks.nix {inherit pkgs root guest zlabProject;};
}
