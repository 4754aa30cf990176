"""Find the notebook's tunable constants: literals assigned once, later exposed as parameters."""

from __future__ import annotations

import ast
import keyword
import math
from dataclasses import replace
from types import MappingProxyType
from typing import Dict, Iterable, Mapping, Optional, Tuple

from nb2prod.analysis.dataflow import Flow
from nb2prod.escape import string_literal
from nb2prod.frozen import frozen
from nb2prod.model import Statement

SCALARS = (bool, int, float, str)


@frozen
class Hyper:
    """One exposed value: the parameter name, its default, and where it came from."""

    name: str  # parameter name (a variable, or a key of a dict of literals)
    default: object
    source_name: str  # the notebook variable
    key: Optional[str] = None  # set when flattened out of `source_name = {key: value}`
    flag: str = ""  # the command-line option, set once for all hypers by `with_options`
    at: int = -1  # a literal argument of a call (plan/call_options): the statement holding the call
    call: str = ""  # the call as written, "GradientBoostingClassifier"; "" for any call (the model's path)
    arg: str = ""  # its keyword argument, "n_estimators"; "" for the string argument equal to `default`
    help: str = ""  # the option's help text when "notebook value of ..." does not say it

    @property
    def option(self) -> str:
        return self.flag or "--" + option_word(self.name)

    @property
    def literal(self) -> str:
        """The default as Python source (see `source`)."""
        return source(self.default)

    @property
    def kind(self) -> Tuple[str, str]:
        """(type, nargs) of the option: see `option_kind`."""
        return option_kind(self.default) or ("str", "")


def source(value) -> str:
    """A literal value as Python source, strings through `string_literal`; a float too large for a
    literal (`1e400`) is `float("inf")` (repr gives `inf`, which is no name in Python)."""
    if isinstance(value, str):
        return string_literal(value)
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value!r}")'
    if isinstance(value, list):
        return "[" + ", ".join(source(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(source(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{source(k)}: {source(v)}" for k, v in value.items()) + "}"
    return repr(value)


def option_kind(value) -> Optional[Tuple[str, str]]:
    """How a command-line option holds `value`: (type, nargs). A scalar is its type (`int`, ""); a
    non-empty list or tuple of one scalar type (bools aside) is `nargs="+"` of that type; other lists,
    tuples and dicts (with string keys) that JSON holds unchanged are `json` (read with json.loads); None for anything else."""
    if isinstance(value, SCALARS):
        return type(value).__name__, ""
    if isinstance(value, (list, tuple)) and value:
        kinds = {type(v) for v in value}
        if len(kinds) == 1 and kinds <= {int, float, str}:
            return kinds.pop().__name__, "+"
    if isinstance(value, dict) and not all(isinstance(k, str) for k in value):
        return None  # `{0: 1.0, 1: 5.0}` (a class weighting): JSON would give its keys back as strings
    if isinstance(value, (list, tuple, dict)) and all(_json_exact(v) for v in _items(value)):
        return "json", ""
    return None


def _items(value) -> list:
    return list(value.values()) if isinstance(value, dict) else list(value)


def _json_exact(value) -> bool:
    """JSON gives back exactly this value (nested inside a list or dict: no tuples, finite floats, str keys)."""
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_json_exact(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_exact(v) for k, v in value.items())
    return False


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
    dict_call = _is_dict_call(value_node)  # `params = dict(n_estimators=300, max_depth=4)`
    if not dict_call and not isinstance(value_node, _LITERAL_ROOTS) and not _is_set_call(value_node):
        return _NOT  # what ast.literal_eval refuses at the top, without raising: most statements are calls
    try:
        if dict_call:
            return {kw.arg: ast.literal_eval(kw.value) for kw in value_node.keywords}
        return ast.literal_eval(value_node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT


def _is_dict_call(node: ast.AST) -> bool:
    """`dict(a=1, b="x")`: keyword arguments only, the builtin `dict` by name."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
            and not node.args and all(kw.arg is not None for kw in node.keywords))


# The node types ast.literal_eval may accept at the top of a value (besides `set()`): any other raises
# ValueError, which costs a traceback object per statement asked about.
_LITERAL_ROOTS = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp)


def _is_set_call(node: ast.AST) -> bool:
    """`set()`, the one call ast.literal_eval accepts."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "set"
            and not node.args and not node.keywords)


_NOT = object()


def assigned_name(stmt: Statement) -> Optional[str]:
    node = stmt.node
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def is_constant(stmt: Statement) -> bool:
    return assigned_name(stmt) is not None and literal_value(stmt) is not _NOT


def find_hypers(
    candidates: Iterable[Statement], flows: Dict[int, Flow], write_counts: Dict[str, int], taken: Iterable[str],
    values: Mapping[int, object] = MappingProxyType({}),
) -> Dict[int, Tuple[Hyper, ...]]:
    """For each statement that defines exposable literals, the Hypers it yields (`values`: a statement's
    value given elsewhere, papermill's injected parameters)."""
    used_names = set(taken)
    found: Dict[int, Tuple[Hyper, ...]] = {}
    for stmt in candidates:
        name = assigned_name(stmt)
        written = literal_value(stmt)
        value = values.get(stmt.index, written)
        if name is None or value is _NOT or write_counts.get(name, 0) != 1:
            continue
        same_keys = isinstance(written, dict) and set(written) == set(value)  # lift renames the written dict's values
        if isinstance(value, SCALARS):
            found[stmt.index] = (Hyper(name, value, name),)
        elif (isinstance(value, dict) and value and same_keys
              and all(_flattenable(k, v, used_names) for k, v in value.items())):
            found[stmt.index] = tuple(Hyper(k, v, name, key=k) for k, v in value.items())
            used_names.update(value)
        elif option_kind(value) is not None:  # `features = ["a", "b"]`, `grid = {"C": [0.1, 1.0]}`
            found[stmt.index] = (Hyper(name, value, name),)
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
