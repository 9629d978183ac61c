"""Splits docs/tutorial.md into its fenced blocks for tests/tutorial.sh.

Usage: blocks.py TUTORIAL OUT_DIR. Writes OUT_DIR/NNN (each block's text) and OUT_DIR/manifest,
one line per block: NNN, kind, argument, line number, name (separated by the byte 0x1f, as
fields may be empty). Kinds, from the fence's info string:
  ```sh              run; must succeed          ```sh fails    run; must fail
  ```sh nix          needs Nix; not run here    ```sh guest    typed into the guest of the
  ```sh interactive  a command whose console     block before it, which must be
                     is the guest's shell        ```sh interactive
  ```sh watch        a command that runs        ```sh while-watching  run while the
                     until Ctrl-C (zlab watch)   block before it, which must be ```sh watch, runs
  ```LANG file=PATH  the reader writes this text to PATH
  anything else      shown output; not run
Exits 1 with the line number when an annotation is unknown or out of place.
"""
import os
import re
import sys

SHELLS = {"sh", "bash", "shell"}
KINDS = {"": "run", "fails": "fails", "nix": "nix", "interactive": "interactive", "guest": "guest",
         "watch": "watch", "while-watching": "while-watching"}
# A block of the first kind needs one of the second right after it, and the second the first.
PAIRS = {"interactive": "guest", "watch": "while-watching"}


def parse(path):
    blocks, fence, start, info, body = [], None, 0, "", []
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        if fence is None:
            m = re.match(r"^(```+)\s*(.*?)\s*$", line)
            if m:
                fence, start, info, body = m.group(1), number, m.group(2), []
        elif line.rstrip("\n") == fence:
            blocks.append((start, info, "".join(body)))
            fence = None
        else:
            body.append(line)
    if fence is not None:
        sys.exit(f"{path}:{start}: this fenced block is never closed")
    return blocks


def classify(path, start, info):
    words = info.split()
    lang, rest = (words[0], words[1:]) if words else ("", [])
    files = [w[len("file="):] for w in rest if w.startswith("file=")]
    if files:
        if len(rest) != 1 or not files[0]:
            sys.exit(f"{path}:{start}: write a file block as ```LANG file=PATH, found ```{info}")
        return "file", files[0]
    if lang not in SHELLS:
        return "shown", ""
    kind = KINDS.get(" ".join(rest))
    if kind is None:
        sys.exit(f"{path}:{start}: unknown annotation ```{info}; use one of: "
                 + ", ".join("```sh " + k if k else "```sh" for k in KINDS))
    return kind, ""


def main():
    path, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    rows, previous = [], None
    for index, (start, info, body) in enumerate(parse(path), 1):
        kind, arg = classify(path, start, info)
        for first, second in PAIRS.items():
            if kind == second and previous != first:
                sys.exit(f"{path}:{start}: a ```sh {second} block must follow a ```sh {first} block")
            if previous == first and kind != second:
                sys.exit(f"{path}:{start}: the ```sh {first} block before this needs a ```sh {second} block next")
        previous = kind
        if kind == "shown":
            continue
        if not body.strip():
            sys.exit(f"{path}:{start}: this ```{info} block is empty")
        block_id = f"{index:03d}"
        with open(os.path.join(out, block_id), "w", encoding="utf-8") as f:
            f.write(body)
        name = f"write {arg}" if kind == "file" else next(l for l in body.splitlines() if l.strip()).strip()
        rows.append("\x1f".join([block_id, kind, arg, str(start), name]))
    if previous in PAIRS:
        sys.exit(f"{path}: the last ```sh {previous} block needs a ```sh {PAIRS[previous]} block after it")
    with open(os.path.join(out, "manifest"), "w", encoding="utf-8") as f:
        f.write("".join(row + "\n" for row in rows))


main()
