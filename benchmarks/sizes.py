"""Sizes of nb2prod's modules, classes and functions against the layout targets of issue 12.

    python benchmarks/sizes.py               # the figures, then one line per violation
    python benchmarks/sizes.py --top 10      # also the ten longest functions

Targets: no module over 400 lines, no class over 150, the 90th percentile of function lengths
under 25. Exits 1 when a target fails. A violation line reads `module PATH LINES`,
`class PATH:NAME LINES` or `functions p90 LINES`; a function's length runs from its `def` (or
first decorator) to its last line, nested functions and methods counted on their own.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import sys
from pathlib import Path
from typing import List, NamedTuple, Tuple

ROOT = Path(__file__).resolve().parent.parent
MODULE_MAX, CLASS_MAX, FUNCTION_P90 = 400, 150, 25


class Sizes(NamedTuple):
    modules: List[Tuple[str, int]]
    classes: List[Tuple[str, int]]
    functions: List[Tuple[str, int]]


def measure(package: Path = ROOT / "nb2prod") -> Sizes:
    modules, classes, functions = [], [], []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).as_posix()
        text = path.read_text(encoding="utf-8")
        modules.append((rel, len(text.splitlines())))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                entry = (f"{rel}:{node.name}", node.end_lineno - start + 1)
                (classes if isinstance(node, ast.ClassDef) else functions).append(entry)
    return Sizes(modules, classes, functions)


def percentile(values: List[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0


def violations(sizes: Sizes) -> List[str]:
    out = [f"module {path} {n}" for path, n in sizes.modules if n > MODULE_MAX]
    out += [f"class {where} {n}" for where, n in sizes.classes if n > CLASS_MAX]
    p90 = percentile([n for _, n in sizes.functions], 0.9)
    if p90 >= FUNCTION_P90:
        out.append(f"functions p90 {p90}")
    return out


def report(sizes: Sizes, top: int = 0) -> List[str]:
    lines = [n for _, n in sizes.modules]
    longest = max(sizes.modules, key=lambda m: m[1])
    biggest = max(sizes.classes, key=lambda c: c[1])
    lengths = [n for _, n in sizes.functions]
    out = [
        f"modules    {len(lines)}: max {longest[1]} ({longest[0]}), median {statistics.median(lines):g}"
        f"  [target: none over {MODULE_MAX}]",
        f"classes    {len(sizes.classes)}: max {biggest[1]} ({biggest[0]})  [target: none over {CLASS_MAX}]",
        f"functions  {len(lengths)}: median {statistics.median(lengths):g}, p90 {percentile(lengths, 0.9)}"
        f"  [target: p90 under {FUNCTION_P90}]",
    ]
    for where, n in sorted(sizes.functions, key=lambda f: -f[1])[:top]:
        out.append(f"  {n:4d}  {where}")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=0, help="also list the N longest functions")
    parser.add_argument("--violations", action="store_true", help="print only the violation lines")
    args = parser.parse_args(argv)
    sizes = measure()
    found = violations(sizes)
    print("\n".join((found if args.violations else report(sizes, args.top) + found)))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
