# STAND-IN for nixpkgs' `lib` (lib/default.nix of NixOS/nixpkgs, the same tree as
# nix-community/nixpkgs.lib), for zlab's Nix suite (tests/nix-flake.sh) only: the real lib
# cannot be had in CI. Only the functions that zlab's flake and the other stand-ins call, each
# under its real name with the real arguments and result; the comments name the lib/*.nix file
# the real one lives in. Given real input trees (ZLAB_NIX_REAL_INPUTS), the suite puts the real
# lib in this folder's place.
let
  inherit (builtins) attrNames concatStringsSep filter isAttrs isList listToAttrs match replaceStrings stringLength substring;

  # lib/strings.nix
  hasPrefix = prefix: s: substring 0 (stringLength prefix) s == prefix;
  hasSuffix = suffix: s: let
    n = stringLength s;
    k = stringLength suffix;
  in
    n >= k && substring (n - k) k s == suffix;
  removeSuffix = suffix: s:
    if hasSuffix suffix s
    then substring 0 (stringLength s - stringLength suffix) s
    else s;
  escapeShellArg = arg: let
    s = toString arg;
  in
    if match "[[:alnum:],._+:@%/-]+" s != null
    then s
    else "'${replaceStrings ["'"] ["'\\''"] s}'";
  isStringLike = x: builtins.isString x || builtins.isPath x || x ? outPath || x ? __toString;
  # lib/strings.nix toShellVar: strings and derivations only, which is all zlab passes.
  toShellVar = name: value:
    if isList value || (isAttrs value && !isStringLike value)
    then throw "stand-in lib.toShellVar: lists and attribute sets are not implemented (${name})"
    else "${name}=${escapeShellArg value}";
  # lib/strings.nix sanitizeDerivationName: characters a store path name cannot hold become `-`.
  sanitizeDerivationName = s: let
    parts = builtins.split "[^[:alnum:]+._?=-]+" (builtins.unsafeDiscardStringContext s);
    joined = concatStringsSep "" (map (p:
      if isList p
      then "-"
      else p)
    parts);
    noDots = builtins.head (match "[.]*(.*)" joined);
  in
    if noDots == ""
    then "unknown"
    else noDots;

  # lib/attrsets.nix
  genAttrs = names: f: listToAttrs (map (name: nameValuePair name (f name)) names);
  nameValuePair = name: value: {inherit name value;};
  filterAttrs = pred: set: removeAttrs set (filter (name: !pred name set.${name}) (attrNames set));
  getOutput = output: pkg:
    if pkg.outputSpecified or false
    then pkg
    else pkg.${output} or pkg.out or pkg;

  # lib/customisation.nix (the `override` part only)
  makeOverridable = f: args:
    f args
    // {
      override = changes:
        makeOverridable f (args
          // (
            if builtins.isFunction changes
            then changes args
            else changes
          ));
    };

  # lib/strings.nix
  optionalString = cond: s:
    if cond
    then s
    else "";

  # lib/lists.nix
  optionals = cond: list:
    if cond
    then list
    else [];

  # lib/strings.nix versionAtLeast, lib/asserts.nix assertMsg
  versionAtLeast = a: b: builtins.compareVersions a b >= 0;
  assertMsg = pred: msg: pred || throw msg;
in {
  version = "26.11"; # lib/.version; the real crane refuses a lib older than 26.05
  inherit hasPrefix hasSuffix removeSuffix optionalString optionals escapeShellArg sanitizeDerivationName genAttrs nameValuePair filterAttrs makeOverridable versionAtLeast assertMsg;
  strings = {inherit sanitizeDerivationName;};
  getLib = getOutput "lib";
  getBin = getOutput "bin";
  toShellVars = vars: concatStringsSep "\n" (map (name: toShellVar name vars.${name}) (attrNames vars));
  fileset = import ./fileset.nix {inherit hasPrefix hasSuffix;};
  # lib/systems/flake-systems.nix: the systems with binary caches (no s390x-linux).
  systems.flakeExposed = ["x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin"];
}
