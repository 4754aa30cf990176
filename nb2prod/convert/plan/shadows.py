"""A notebook variable named like what it reads from the module level (`max = max(scores)`, an import
`accuracy_score = accuracy_score(y, p)`): inside a generated step the binding makes the name local, and
the read before it fails with UnboundLocalError, where the notebook rebound a global.

From that assignment on, the notebook's variable gets a name of its own (`max_`): its targets there and
every name in the step statements after it, so the read keeps reaching the builtin, import or helper.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import replace
from typing import Collection, Dict, List, Mapping, Sequence, Set, Tuple

from nb2prod.analysis.walk import walk
from nb2prod.analysis.dataflow import Flow
from nb2prod.convert.plan.types import Rename, Step

_BUILTINS = frozenset(dir(builtins))


def shadowed(
    steps: Sequence[Step], flows: Mapping[int, Flow], outer: Collection[str], taken: Collection[str]
) -> Dict[int, Rename]:
    """The renames that keep each step's reads of module-level names working (statement index → Rename);
    `outer`: names the module level binds, `taken`: every name of the notebook."""
    outer = frozenset(outer) | _BUILTINS
    first: List[Tuple[int, str]] = []  # (statement index, name) of each assignment that shadows
    for step in steps:
        bound = set(step.params) | {h.name for h in step.hypers} | set(step.globals_)
        read: Set[str] = set()
        for s in step.statements:
            f = flows[s.index]
            read |= f.uses - bound
            for name in sorted(f.defs & read & outer - bound):
                if _assigns(s.node, name):
                    first.append((s.index, name))
            bound |= f.writes
    renames: Dict[int, Dict[str, str]] = {}
    targets: Dict[int, Dict[str, str]] = {}
    used = set(taken)
    later = sorted(s.index for step in steps for s in step.statements)
    for index, name in sorted(first):
        new = name + "_"
        while new in used:
            new += "_"
        used.add(new)
        targets.setdefault(index, {})[name] = new
        for i in later:
            if i > index:
                renames.setdefault(i, {}).setdefault(name, new)
    out = {}
    for i in sorted(set(renames) | set(targets)):
        out[i] = Rename(tuple(sorted(renames.get(i, {}).items())), tuple(sorted(targets.get(i, {}).items())))
    return out


def renamed_flows(flows: Mapping[int, Flow], renames: Mapping[int, Rename]) -> Dict[int, Flow]:
    """The flows as the renamed statements read and write."""
    out = dict(flows)
    for index, rename in renames.items():
        f = flows[index]
        every, targets = dict(rename.names), dict(rename.targets)

        def names(group, table=every):
            return frozenset(table.get(n, n) for n in group)

        f = replace(
            f,
            defs=names(f.defs),
            uses=names(f.uses),
            updates=names(f.updates),
            deferred=names(f.deferred),
            guarded=names(f.guarded),
            deletes=names(f.deletes),
            use_sites=tuple((every.get(n, n), line, col) for n, line, col in f.use_sites),
        )
        if targets:
            f = replace(f, defs=frozenset(targets.get(n, n) for n in f.defs))
        out[index] = f
    return out


def _assigns(node: ast.stmt, name: str) -> bool:
    """`node` is `name = ...` (or a tuple of names), `name` read only on the right-hand side."""
    if not isinstance(node, ast.Assign):
        return False
    stores = [n for t in node.targets for n in walk(t) if isinstance(n, ast.Name)]
    return any(n.id == name and isinstance(n.ctx, ast.Store) for n in stores) and not any(
        n.id == name and not isinstance(n.ctx, ast.Store) for n in stores
    )
