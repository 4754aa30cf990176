"""The import block: the notebook's imports hoisted, pruned against the final code, bound once and sorted."""

from __future__ import annotations

import ast
import re
import sys
from typing import Dict, List, Sequence, Set, Tuple, Union

from nb2prod.analysis.scopes import module_globals
from nb2prod.model import Statement


def hoisted_imports(imports: Sequence[Statement], body: Union[str, Sequence[str]], extra: Sequence[str]) -> List[str]:
    """The import lines the code needs, from the notebook's import statements and the `extra` lines; `body` is
    the code, or its top-level pieces (the module code and each function) in order."""
    pieces = [body] if isinstance(body, str) else list(body)
    body_code = "\n".join(pieces)
    bound = {a.asname or a.name.split(".")[0] for s in imports for a in s.node.names if a.name != "*"}
    used = _loaded_names(pieces, bound) | _names_of(extra)
    lines = [line for text in list(extra) + [ast.unparse(s.node) for s in imports] for line in _pruned(text, used)]
    return sort_imports(one_binding_each(_spelled_out(lines, body_code)))


def _spelled_out(lines: List[str], body_code: str) -> List[str]:
    """A lone `from m import *` becomes `from m import a, b`: the names the code reads that nothing else
    defines (readers and linters can see where they come from); none → the line goes. With several
    star imports the origin of a name is unknown, and they stay."""
    stars = [line for line in lines if line.startswith("from ") and line.endswith(" import *")]
    if len(stars) != 1:
        return lines

    defined, reads = module_globals(body_code)
    read = {name for name, _ in reads}
    for line in lines:
        if line is not stars[0]:
            node = ast.parse(line).body[0]
            defined |= {a.asname or a.name.split(".")[0] for a in node.names}
    names = sorted(read - defined)
    spelled = [stars[0][: -len("*")] + ", ".join(names)] if names else []
    return [x for line in lines for x in (spelled if line is stars[0] else [line])]


def one_binding_each(lines: Sequence[str]) -> List[str]:
    """Imports the notebook repeated across cells, bound once: `from matplotlib import pyplot as plt`
    after `import matplotlib.pyplot as plt` goes, and `from m import ...` lines of one module merge.
    A name bound to two different things stays as the notebook had it."""
    bound: Dict[str, str] = {}
    out: List[object] = []  # an import line, or the alias list of a module's merged from-import
    merged: Dict[Tuple[str, int], List[ast.alias]] = {}
    for line in lines:
        node = ast.parse(line).body[0]
        fresh = _fresh_aliases(node, bound)
        if not fresh:
            continue
        if isinstance(node, ast.Import):
            out.append(line)
            continue
        key = (node.module or "", node.level)
        if key not in merged:
            merged[key] = []
            out.append(key)
        merged[key].extend(a for a in fresh if all(ast.dump(a) != ast.dump(b) for b in merged[key]))
    return [item if isinstance(item, str) else
            ast.unparse(ast.ImportFrom(module=item[0] or None, names=merged[item], level=item[1])) for item in out]


def _fresh_aliases(node: ast.stmt, bound: Dict[str, str]) -> List[ast.alias]:
    """The import's names not already bound to the same thing (noting the new bindings in `bound`)."""
    fresh = []
    for a in node.names:
        if isinstance(node, ast.Import):
            name, target = a.asname or a.name.split(".")[0], a.name if a.asname else a.name.split(".")[0]
        else:
            name, target = a.asname or a.name, f"{'.' * node.level}{node.module or ''}.{a.name}"
        if a.name == "*" or bound.get(name) != target or (isinstance(node, ast.Import) and not a.asname
                                                          and "." in a.name):
            bound.setdefault(name, target)
            fresh.append(a)
    return fresh


def sort_imports(lines: Sequence[str]) -> List[str]:
    """Deduplicated, grouped (__future__, standard library, others) and sorted the way isort does."""
    seen, std, other, future = set(), [], [], []
    for line in lines:
        if line in seen:
            continue
        seen.add(line)
        module = line.split()[1].split(".")[0]
        bucket = future if module == "__future__" else std if module in _STDLIB else other
        bucket.append(line)
    groups = [sorted(g, key=_isort_key) for g in (future, std, other) if g]
    return [line for i, g in enumerate(groups) for line in ([""] if i else []) + g]


def _isort_key(line: str):
    """isort's default order: `import x` lines first, then `from x import y`, each by module name."""
    return (line.startswith("from "), line.split()[1].lower(), line)


_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"os", "sys", "json", "argparse", "pickle"}


def _names_of(extra: Sequence[str]) -> set:
    names = set()
    for text in extra:
        for node in ast.parse(text).body:
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
    return names


def _pruned(text: str, used: set) -> List[str]:
    """The parts of one import line that `used` needs; a `__future__` import changes how the whole
    module compiles (lazy annotations), so it is never pruned."""
    node = ast.parse(text).body[0]
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        return [text]
    keep = [a for a in node.names if a.name == "*" or (a.asname or a.name.split(".")[0]) in used]
    if not keep:
        return []
    if isinstance(node, ast.Import):
        return [ast.unparse(ast.Import(names=[a])) for a in keep]
    return [ast.unparse(ast.ImportFrom(module=node.module, names=keep, level=node.level))]


def _loaded_names(pieces: Sequence[str], wanted: Set[str]) -> Set[str]:
    """Which of the `wanted` names some piece of code reads as a global: a function's own variable of the same
    name (`data = pd.read_csv(...)` beside `from pandas_datareader import data`) is not the import. Only the pieces whose
    text holds a name still unconfirmed, as a word, are parsed (or holding any non-ASCII text, which Python
    may normalise into a name): parsing the whole body for its names was a sixth of rendering a script.
    A piece that does not parse alone (it cannot be one piece of a module) sends all of them to one parse."""
    found: Set[str] = set()
    todo = set(wanted)
    try:
        for piece in pieces:
            if not todo:
                break
            if not piece.isascii() or re.search(r"\b(?:%s)\b" % "|".join(map(re.escape, sorted(todo))), piece):
                names = _names_in(piece)
                found |= names & todo
                todo -= names
    except SyntaxError:
        return _names_in("\n".join(pieces)) & set(wanted)
    return found


def _names_in(code: str) -> Set[str]:
    """Every global name the code reads (the compiler's symbol tables: module level, or free in a function)."""
    return {name for name, _ in module_globals(code)[1]}
