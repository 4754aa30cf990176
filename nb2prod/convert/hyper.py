"""Find the notebook's tunable constants: literals assigned once, later exposed as parameters."""

from __future__ import annotations

import ast
import keyword
import math
from dataclasses import dataclass, replace
from typing import Dict, Iterable, Optional, Tuple

from nb2prod.analysis.dataflow import Flow
from nb2prod.escape import string_literal
from nb2prod.model import Statement

SCALARS = (bool, int, float, str)


@dataclass(frozen=True)
class Hyper:
    """One exposed value: the parameter name, its default, and where it came from."""

    name: str  # parameter name (a variable, or a key of a dict of literals)
    default: object
    source_name: str  # the notebook variable
    key: Optional[str] = None  # set when flattened out of `source_name = {key: value}`
    flag: str = ""  # the command-line option, set once for all hypers by `with_options`

    @property
    def option(self) -> str:
        return self.flag or "--" + option_word(self.name)

    @property
    def literal(self) -> str:
        """The default as Python source; a float too large for a literal (`1e400`) is `float("inf")`
        (repr gives `inf`, which is no name in Python)."""
        if isinstance(self.default, str):
            return string_literal(self.default)
        if isinstance(self.default, float) and not math.isfinite(self.default):
            return f'float("{self.default!r}")'
        return repr(self.default)


def literal_value(stmt: Statement):
    """The literal a statement `name = <literal>` assigns, or a sentinel when it is not one."""
    node = stmt.node
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            value_node = node.value
        else:
            return _NOT
    else:
        value_node = node.value
    try:
        if _is_dict_call(value_node):  # `params = dict(n_estimators=300, max_depth=4)`
            return {kw.arg: ast.literal_eval(kw.value) for kw in value_node.keywords}
        return ast.literal_eval(value_node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT


def _is_dict_call(node: ast.AST) -> bool:
    """`dict(a=1, b="x")`: keyword arguments only, the builtin `dict` by name."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
            and not node.args and all(kw.arg is not None for kw in node.keywords))


_NOT = object()


def assigned_name(stmt: Statement) -> Optional[str]:
    node = stmt.node
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def is_constant(stmt: Statement) -> bool:
    return literal_value(stmt) is not _NOT and assigned_name(stmt) is not None


def find_hypers(
    candidates: Iterable[Statement], flows: Dict[int, Flow], write_counts: Dict[str, int], taken: Iterable[str]
) -> Dict[int, Tuple[Hyper, ...]]:
    """For each statement that defines exposable literals, the Hypers it yields."""
    used_names = set(taken)
    found: Dict[int, Tuple[Hyper, ...]] = {}
    for stmt in candidates:
        name = assigned_name(stmt)
        value = literal_value(stmt)
        if name is None or value is _NOT or write_counts.get(name, 0) != 1:
            continue
        if isinstance(value, SCALARS):
            found[stmt.index] = (Hyper(name, value, name),)
        elif isinstance(value, dict) and value and all(_flattenable(k, v, used_names) for k, v in value.items()):
            found[stmt.index] = tuple(Hyper(k, v, name, key=k) for k, v in value.items())
            used_names.update(value)
    return with_options(found)


RESERVED_OPTIONS = frozenset({"help"})  # argparse's own -h/--help


def option_word(name: str) -> str:
    """`_seed` → `seed`, `n_estimators` → `n-estimators`: lower case, dashes, no leading or trailing ones."""
    return name.lower().strip("_").replace("_", "-") or "value"


def with_options(found: Dict[int, Tuple[Hyper, ...]]) -> Dict[int, Tuple[Hyper, ...]]:
    """Every hyper's option, chosen once for all of them: a name argparse owns or one already given
    (`rate` and `Rate`, `seed` and `_seed`, `help`) is numbered, `--rate-2`, `--help-2`; the dest stays the
    variable name, and the same name always gets the same option."""
    flags: Dict[str, str] = {}
    taken = set(RESERVED_OPTIONS)
    for hypers in found.values():
        for h in hypers:
            if h.name in flags:
                continue
            base = option_word(h.name)
            word, n = base, 2
            while word in taken:
                word, n = f"{base}-{n}", n + 1
            taken.add(word)
            flags[h.name] = "--" + word
    return {i: tuple(replace(h, flag=flags[h.name]) for h in hypers) for i, hypers in found.items()}


def _flattenable(key, value, taken) -> bool:
    return (
        isinstance(key, str)
        and key.isidentifier()
        and not key.startswith("_")
        and key not in taken
        and isinstance(value, SCALARS)
        and not keyword.iskeyword(key)
    )
