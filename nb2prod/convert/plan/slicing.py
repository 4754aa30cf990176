"""Slice backwards from the outputs: what no saved file, reported metric or returned value needs goes.

Reads the kept statements, their flows, the returned statement and the rewrites decided so far;
returns the drops (NB901), the calls kept for their effect only (VALUE_ONLY) and notices about them.
"""

from __future__ import annotations

import ast
from typing import Collection, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from nb2prod.analysis.walk import walk
from nb2prod.analysis.dataflow import Flow
from nb2prod.convert.plan.codes import NO_EFFECT, REPLACED
from nb2prod.convert.plan.types import Drops
from nb2prod.frozen import frozen
from nb2prod.model import Rewrite, Statement


@frozen
class Sliced:
    drops: Drops
    rewrites: Dict[int, Rewrite]
    notices: Tuple[str, ...]


def slice_outputs(alive: Sequence[Statement], flows: Mapping[int, Flow], returned: Optional[Statement],
                  rewritten: Mapping[int, Rewrite], outputs: Collection[int] = ()) -> Sliced:
    """Walk back from the last statement, keeping sinks, the model's evaluation (`outputs`: statement
    indexes) and whatever writes a name still needed."""
    live: Set[str] = set()
    drops: Drops = {}
    rewrites: Dict[int, Rewrite] = {}
    notices: List[str] = []
    for s in reversed(alive):
        f = flows[s.index]
        if isinstance(s.node, (ast.Import, ast.ImportFrom)):
            continue
        if not (s is returned or s.index in outputs or is_sink(s.node) or (f.writes & live)):
            drops[s.index] = NO_EFFECT.drop
            continue
        if s is not returned and s.index not in rewritten and s.index not in outputs and names_unread(s.node, live):
            rewrites[s.index] = Rewrite.VALUE_ONLY  # `history = model.fit(...)`: keep the call only
            notices.append(f"cell {s.cell}:{s.line}: kept `{ast.unparse(s.node.value)}` for its effect; "
                           f"nothing reads `{ast.unparse(s.node.targets[0])}`")
        live = (live - f.defs) | f.uses | f.deferred
    return Sliced(_reported_shows(alive, flows, drops, outputs), rewrites, tuple(notices))


def _reported_shows(alive: Sequence[Statement], flows: Mapping[int, Flow], drops: Drops,
                    outputs: Collection[int]) -> Drops:
    """A dropped `holdout` (or `display(holdout)`) showing what the evaluation bound: main()'s metric
    report shows it now (NB903), it is not a statement with no effect."""
    shown = {n for s in alive if s.index in outputs for n in flows[s.index].defs}
    if not shown:
        return drops
    out = dict(drops)
    for s in alive:
        if out.get(s.index, ("",))[0] == NO_EFFECT.code and isinstance(s.node, ast.Expr):
            value = s.node.value
            if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "display"
                    and len(value.args) == 1 and not value.keywords):
                value = value.args[0]
            if isinstance(value, ast.Name) and value.id in shown:
                out[s.index] = (REPLACED.code, f"main() reports `{value.id}` with the other metrics (--metrics-path)")
    return out


def is_sink(node: ast.AST) -> bool:
    """Statements whose effect is outside the names they bind: calls for their side effects."""
    if isinstance(node, ast.Expr):
        return isinstance(node.value, (ast.Call, ast.Await, ast.Yield))
    if isinstance(node, (ast.For, ast.While, ast.With, ast.If, ast.Try, ast.AsyncFor, ast.AsyncWith)):
        return any(isinstance(sub, ast.Expr) and isinstance(sub.value, ast.Call) for sub in walk(node)) or any(
            isinstance(sub, (ast.Raise, ast.Assert)) for sub in walk(node))
    return isinstance(node, (ast.Raise, ast.Assert, ast.Global, ast.Nonlocal))


def names_unread(node: ast.stmt, live: Set[str]) -> bool:
    """A plain `name = call(...)` (or `a, b = ...`) whose names nothing after it reads."""
    if not isinstance(node, ast.Assign) or len(node.targets) != 1 or not isinstance(node.value, ast.Call):
        return False
    target = node.targets[0]
    names = target.elts if isinstance(target, ast.Tuple) else [target]
    return all(isinstance(n, ast.Name) for n in names) and not {n.id for n in names} & live
