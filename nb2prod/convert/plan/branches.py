"""Names a top-level statement binds only on some paths (in a loop body, one branch of an `if`, a `try`):
the value from before may survive the statement, so it reads that value as well as writing it.

Data flow counts every binding as a definition, which kills the earlier one: slicing then dropped
`best = None` before `for ...: if s > top: best = m`, and the step holding the loop did not take `best`
as a parameter, so a lifted step failed with UnboundLocalError where the notebook kept the old value.
Only names a later statement reads before binding them again are affected.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Dict, FrozenSet, Mapping, Sequence, Set

from nb2prod.analysis.dataflow import Flow
from nb2prod.model import Statement

_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPOUND = _LOOPS + (ast.If, ast.Try, ast.With, ast.AsyncWith)
_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def with_surviving_reads(statements: Sequence[Statement], flows: Mapping[int, Flow]) -> Dict[int, Flow]:
    """New flows where a statement that binds a name only on some paths also reads it, when an earlier
    statement binds the name and a later one reads it before another statement binds it on every path."""
    seen: Set[str] = set()
    partly: Dict[int, FrozenSet[str]] = {}  # statement index → names it may leave as they were
    for s in statements:
        f = flows[s.index]
        if isinstance(s.node, _COMPOUND) or s.node.__class__.__name__ in ("Match", "TryStar"):
            maybe = (f.defs - _sure(s.node)) & seen - f.uses
            if maybe:
                partly[s.index] = maybe
        seen |= f.defs
    out = dict(flows)
    live: Set[str] = set()  # names read later, before any statement binds them for sure
    for s in reversed(statements):
        f = flows[s.index]
        maybe = partly.get(s.index, frozenset())
        read = maybe & live
        if read:
            f = replace(f, uses=f.uses | read, use_sites=f.use_sites + tuple((n, s.line, s.col) for n in sorted(read)))
            out[s.index] = f
        live = (live - (f.defs - maybe)) | f.uses
    return out


def _sure(node: ast.stmt) -> FrozenSet[str]:
    """The names a statement binds on every path that completes it."""
    if isinstance(node, _LOOPS):
        return frozenset()  # a loop may run zero times
    if isinstance(node, ast.If):
        return _block(node.body) & _block(node.orelse)
    if isinstance(node, ast.Try) or node.__class__.__name__ == "TryStar":
        done = _block(node.body + node.orelse)
        for handler in node.handlers:
            done &= _block(handler.body) | ({handler.name} if handler.name else set())
        return done | _block(node.finalbody)
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return _block(node.body) | _bound(node.items)
    if node.__class__.__name__ == "Match":
        return frozenset()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return frozenset({node.name})
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return frozenset((a.asname or a.name).split(".")[0] for a in node.names)
    return _bound([node])


def _block(body: Sequence[ast.stmt]) -> FrozenSet[str]:
    out: Set[str] = set()
    for stmt in body:
        out |= _sure(stmt)
    return frozenset(out)


def _bound(nodes) -> FrozenSet[str]:
    """Names stored by simple statements or `with` items, outside nested scopes."""
    out: Set[str] = set()
    todo = list(nodes)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif not isinstance(node, _SCOPES):
            todo.extend(ast.iter_child_nodes(node))
    return frozenset(out)
