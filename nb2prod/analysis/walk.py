"""Walking plain `ast` fast: the fields of a node type that hold nodes, a breadth-first walk, the root name of an access."""

from __future__ import annotations

import ast
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Tuple

FIELDS: Dict[type, Tuple[str, ...]] = {}  # node type -> child_fields(node type), filled as types are met


def child_fields(kind: type) -> Tuple[str, ...]:
    """A node type's fields that can hold nodes: less `ctx` (a leaf no check looks at) and the `_LEAVES`."""
    fields = FIELDS.get(kind)
    if fields is None:
        leaves = ("ctx", "type_comment") + _LEAVES.get(kind.__name__, ())
        fields = FIELDS[kind] = tuple(name for name in kind._fields if name not in leaves)
    return fields


# Fields that hold an identifier, a number or a constant, never a node, by node type name (in
# Python 3.12 `name` of TypeAlias is a node, so no field name is skipped for every type).
_LEAVES = {
    "Name": ("id",),
    "Attribute": ("attr",),
    "arg": ("arg",),
    "keyword": ("arg",),
    "Constant": ("value", "kind"),
    "ImportFrom": ("module", "level"),
    "alias": ("name", "asname"),
    "FormattedValue": ("conversion",),
    "comprehension": ("is_async",),
    "Global": ("names",),
    "Nonlocal": ("names",),
}


_remembered: Optional[Dict[int, Tuple[ast.AST, List[ast.AST]]]] = None  # id(node) → (node, its walk)


@contextmanager
def remembered() -> Iterator[None]:
    """Within it, walking a node walked before gives the list it gave then (which callers only read): a
    conversion's passes each walk every statement, three times the nodes in all. For one stage at a time
    (convert's plan, its rendering), whose trees nothing changes; lint walks each node once and keeps none."""
    global _remembered
    if _remembered is not None:
        yield
        return
    _remembered = {}
    try:
        yield
    finally:
        _remembered = None


def walk(node: ast.AST) -> List[ast.AST]:
    """What `ast.walk` yields, in the same breadth-first order, less expression contexts; a list, ~2x faster."""
    memo = _remembered
    if memo is not None:
        hit = memo.get(id(node))
        if hit is not None and hit[0] is node:  # the memo holds the node: its id is not reused meanwhile
            return hit[1]
    out = [node]
    append, fields_of, AST = out.append, FIELDS, ast.AST
    for current in out:  # grows while it is read: breadth-first
        fields = fields_of.get(current.__class__)
        for name in child_fields(current.__class__) if fields is None else fields:
            value = getattr(current, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        append(item)
            elif value is not None and isinstance(value, AST):
                append(value)
    if memo is not None:
        memo[id(node)] = (node, out)
    return out


def outermost(expr: ast.AST, wanted: Callable[[ast.AST], bool]) -> List[ast.AST]:
    """The nodes of `expr` that are `wanted` and not inside another wanted one, in walk order (depth first)."""
    found: List[ast.AST] = []

    def visit(node: ast.AST) -> None:
        if wanted(node):
            found.append(node)
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(expr)
    return found


def root_name(node: ast.AST) -> Optional[str]:
    """`df` for `df`, `df.a.b`, `df["x"][0]`, `df.loc[...]`; None when the root is not a name."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def call_name(func: ast.AST) -> str:
    """The final name a call goes by: `joblib.dump` → "dump", `open` → "open", else ""."""
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


# The nodes whose body is a scope of its own: what lint's walk counts as inside a function.
SCOPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})
_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")  # where statements nest (not in expressions)


def statements(node: ast.AST, found: Optional[List[ast.stmt]] = None) -> List[ast.stmt]:
    """The statements under `node` in source order, visiting statement bodies only (no expression walk)."""
    found = [] if found is None else found
    for name in _BODIES:
        for child in getattr(node, name, None) or ():
            if isinstance(child, ast.stmt):
                found.append(child)
            statements(child, found)
    return found
