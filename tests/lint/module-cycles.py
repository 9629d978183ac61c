#!/usr/bin/env python3
"""Import cycles between zlab's modules: every `crate::a::b` and `super::x` path (and grouped
`crate::{a, b}` imports) outside `#[cfg(test)]`, resolved to the longest module it names.
Prints each cycle and exits 1 when there is one; `--folders` also prints which stage folder
uses which. Usage: module-cycles.py [--folders] SRC_DIR"""
import collections
import os
import re
import sys


def modules(src):
    found = {}
    for folder, _, names in os.walk(src):
        for name in names:
            if not name.endswith(".rs") or name == "main.rs":
                continue
            path = os.path.join(folder, name)
            parts = os.path.relpath(path, src)[:-3].split(os.sep)
            if parts[-1] == "mod":
                parts = parts[:-1]
            if parts != ["lib"]:
                found["::".join(parts)] = path
    return found


def uses(found):
    graph = collections.defaultdict(set)
    for module, path in found.items():
        with open(path, encoding="utf-8") as f:
            text = f.read().split("#[cfg(test)]")[0]
        parent = module.split("::")[:-1]
        paths = [r.split("::") for r in re.findall(r"crate::((?:\w+::)*\w+)", text)]
        paths += [parent + r.split("::") for r in re.findall(r"super::((?:\w+::)*\w+)", text)]
        for group in re.findall(r"crate::\{([^}]*)\}", text):
            paths += [[word.strip().split("::")[0]] for word in group.split(",") if word.strip()]
        for used in paths:
            for length in range(len(used), 0, -1):
                name = "::".join(used[:length])
                if name in found:
                    if name != module and not module.startswith(name + "::"):
                        graph[module].add(name)
                    break
    return graph


def cycles(graph, nodes):
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def main():
    args = [a for a in sys.argv[1:] if a != "--folders"]
    found = modules(args[0])
    graph = uses(found)
    if "--folders" in sys.argv:
        folders = collections.defaultdict(set)
        for module, used in graph.items():
            for other in used:
                a, b = module.split("::")[0], other.split("::")[0]
                if a != b:
                    folders[a].add(b)
        for folder in sorted(folders):
            print(f"{folder} -> {' '.join(sorted(folders[folder]))}")
    loops = cycles(graph, found)
    for loop in loops:
        print("import cycle: " + " <-> ".join(loop))
    print(f"{len(found)} modules, {len(loops)} import cycle(s)")
    return 1 if loops else 0


if __name__ == "__main__":
    sys.exit(main())
