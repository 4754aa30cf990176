"""Deterministic mutations of notebooks' code cells for the fuzz test (tests/test_fuzz.py).

Each mutation takes a cell's source and a seeded `random.Random` and returns new source: the same
seed always gives the same notebook, so a failing case is reproduced by its seed alone.
"""

from __future__ import annotations

import copy
import json
import random
import re
from pathlib import Path
from typing import Callable, Dict, List, Tuple

IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
KEYWORDS = frozenset("""False None True and as assert async await break class continue def del elif else
except finally for from global if import in is lambda nonlocal not or pass raise return try while with
yield print""".split())


def _lines(source: str) -> List[str]:
    return source.split("\n")


def delete_line(source: str, rng: random.Random) -> str:
    lines = _lines(source)
    del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def duplicate_line(source: str, rng: random.Random) -> str:
    lines = _lines(source)
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return "\n".join(lines)


def swap_lines(source: str, rng: random.Random) -> str:
    lines = _lines(source)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def insert_magic(source: str, rng: random.Random) -> str:
    lines = _lines(source)
    choice = rng.choice(["%time ", "%%capture out\n", "!ls\n", "%matplotlib inline\n", "x = !ls\n",
                         "%timeit -n1 ", "len?\n", "%%time\n"])
    if choice.startswith("%%"):
        return choice + source
    i = rng.randrange(len(lines))
    indent = re.match(r"\s*", lines[i]).group(0)
    if choice.endswith("\n"):
        lines.insert(i, indent + choice.rstrip("\n"))
    else:
        lines[i] = indent + choice + lines[i].lstrip()
    return "\n".join(lines)


def rename(source: str, rng: random.Random) -> str:
    """Rename one identifier everywhere in the cell (consistent) or at one occurrence (inconsistent)."""
    names = sorted({m.group(0) for m in IDENT.finditer(source)} - KEYWORDS)
    if not names:
        return source
    old = rng.choice(names)
    new = rng.choice([old + "_2", "renamed", "_", "x", "df", "print", "len", "self", "__name__", "in_"])
    if new in KEYWORDS:
        new = "renamed"
    pattern = re.compile(rf"\b{re.escape(old)}\b")
    if rng.random() < 0.5:
        return pattern.sub(new, source)
    hits = list(pattern.finditer(source))
    hit = rng.choice(hits)
    return source[:hit.start()] + new + source[hit.end():]


def nest_in_function(source: str, rng: random.Random) -> str:
    body = "\n".join("    " + line if line.strip() else line for line in _lines(source))
    name = rng.choice(["f", "helper", "main"])
    call = rng.choice(["", f"\n{name}()", f"\nresult = {name}()"])
    return f"def {name}():\n{body or '    pass'}\n    pass{call}"


def wrap_in_comprehension(source: str, rng: random.Random) -> str:
    """Turn one line that is a bare expression or a simple assignment into a list comprehension."""
    lines = _lines(source)
    candidates = [i for i, line in enumerate(lines) if line.strip() and not line[0].isspace()
                  and not line.rstrip().endswith((":", "\\", ",", "(", "[", "{"))]
    if not candidates:
        return source
    i = rng.choice(candidates)
    line = lines[i]
    target, eq, value = line.partition(" = ")
    if eq and IDENT.fullmatch(target.strip()):
        lines[i] = f"{target} = [{value} for _i in range(2)]"
    else:
        lines[i] = f"[{line} for _i in range(2)]"
    return "\n".join(lines)


def insert_semicolon_statement(source: str, rng: random.Random) -> str:
    lines = _lines(source)
    i = rng.randrange(len(lines))
    extra = rng.choice(["pass", "y = 1", "print(1)", "import os", "del y", "x = x"])
    if rng.random() < 0.5:
        lines[i] = lines[i] + "; " + extra
    else:
        indent = re.match(r"\s*", lines[i]).group(0)
        lines.insert(i, f"{indent}{extra}; {extra}")
    return "\n".join(lines)


MUTATIONS: Tuple[Callable[[str, random.Random], str], ...] = (
    delete_line, duplicate_line, swap_lines, insert_magic, rename, nest_in_function,
    wrap_in_comprehension, insert_semicolon_statement,
)


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def mutate_notebook(data: dict, rng: random.Random, count: int = 0) -> Tuple[dict, List[str]]:
    """A copy of notebook `data` with 1-3 mutations (or `count`) applied to random code cells; and their names."""
    out = copy.deepcopy(data)
    cells = [c for c in out.get("cells", []) if c.get("cell_type") == "code" and _source(c).strip()]
    done: List[str] = []
    if not cells:
        return out, done
    for _ in range(count or rng.randint(1, 3)):
        cell = rng.choice(cells)
        mutation = rng.choice(MUTATIONS)
        cell["source"] = mutation(_source(cell), rng)
        done.append(f"{mutation.__name__}@{cell.get('id', '?')}")
    return out, done


def sources(folders: List[Path]) -> List[Path]:
    """The notebooks under `folders` (absent folders skipped), sorted so seeds pick the same files."""
    found: List[Path] = []
    for folder in folders:
        if folder.is_dir():
            found.extend(p for p in sorted(folder.rglob("*.ipynb")) if "expected" not in p.parts)
    return found


def case(notebooks: List[Path], seed: int, cache: Dict[Path, dict]) -> Tuple[Path, dict, List[str]]:
    """Mutation case number `seed`: (the source notebook, the mutated JSON, the mutations applied)."""
    rng = random.Random(seed)
    path = notebooks[rng.randrange(len(notebooks))]
    if path not in cache:
        cache[path] = json.loads(path.read_text(encoding="utf-8"))
    data, done = mutate_notebook(cache[path], rng)
    return path, data, done
