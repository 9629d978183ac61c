# STAND-IN for nixpkgs' `lib.fileset` (lib/fileset/default.nix): `toSource`, `unions`,
# `fileFilter`, `maybeMissing`, and a path used as a file set (everything below it). A file set here is a list
# of (folder, predicate on its files). Unlike the real one, `toSource` may keep empty folders;
# the files it keeps are the same.
{
  hasPrefix,
  hasSuffix,
}: let
  isFileset = x: builtins.isAttrs x && x._type or null == "fileset";
  coerce = x:
    if isFileset x
    then x.elements
    else [
      {
        base = toString x;
        keep = _: true;
      }
    ];
  below = base: path: path == base || hasPrefix "${base}/" path;
  fileInfo = path: type: let
    name = baseNameOf path;
  in {
    inherit name type;
    hasExt = ext: hasSuffix ".${ext}" name;
  };
in {
  unions = sets: {
    _type = "fileset";
    elements = builtins.concatMap coerce sets;
  };

  # A path that may not exist: the empty file set then.
  maybeMissing = path: {
    _type = "fileset";
    elements =
      if builtins.pathExists path
      then coerce path
      else [];
  };

  fileFilter = predicate: path: {
    _type = "fileset";
    elements = [
      {
        base = toString path;
        keep = predicate;
      }
    ];
  };

  toSource = {
    root,
    fileset,
  }: let
    elements = coerce fileset;
    kept = path: type:
      if type == "directory"
      then builtins.any (e: below e.base path || below path e.base) elements
      else builtins.any (e: below e.base path && e.keep (fileInfo path type)) elements;
  in
    builtins.path {
      name = "source";
      path = root;
      filter = path: type: kept (toString path) type;
    };
}
