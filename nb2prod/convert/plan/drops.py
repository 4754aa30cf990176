"""Exploration drops, closed over data flow: kept code never reads a dropped definition.

Reads the lint findings, the statements' flows and the names magics define; returns the final
drops (statement index → (code, reason)). A dropped data definition that kept code reads comes
back; code drawing on a dropped figure or axes (or on a magic's result, or on a name only IPython
defines, such as `get_ipython`, read at top level or inside a function or class body) is dropped with it
(NB905).
"""

from __future__ import annotations

import ast
from typing import Collection, Dict, FrozenSet, List, Mapping, Optional, Sequence

from nb2prod.analysis.dataflow import Flow
from nb2prod.analysis.scopes import free_names
from nb2prod.analysis.vocab import IPYTHON_NAMES
from nb2prod.analysis.walk import walk
from nb2prod.convert.explore import exploration_drops
from nb2prod.convert.plan.codes import USES_DROPPED
from nb2prod.convert.plan.types import Drops, Source
from nb2prod.model import Notebook, ParsedCell, Statement

SHOWN_RESULT = ("NB103", "NB104")  # in a scoring notebook's score section: run()'s result, not exploration
_FOR_SHOW = {"NB105": "plot"}  # dropped definitions that cannot come back: what they bind is a figure


def exploration(nb: Notebook, cells: Sequence[ParsedCell], src: Source, outputs: Collection[int] = (),
                flows: Optional[Mapping[int, Flow]] = None) -> Drops:
    """What lint flags as exploration or notebook-only syntax (reads src.kind, src.role_of); the model's
    evaluation (`outputs`) is an output whatever shape it ends in (`model.score(X_test, y_test)` shown).
    `flows`: each statement's Flow as lint works it out, when the caller has them (not worked out twice)."""
    return {index: found for index, found in exploration_drops(nb, cells, flows).items()
            if not (src.kind == "scoring" and src.role_of.get(index) == "score" and found[0] in SHOWN_RESULT)
            and not (index in outputs and found[0].startswith("NB1"))}


def close_over(src: Source, drops: Drops, magic_names: Mapping[str, str]) -> Drops:
    """`drops` closed over data flow (reads src.statements, src.flows), until nothing changes."""
    final = _final_definers(src.statements, src.flows)
    closure = _Closure(dict(drops), magic_names, final, {s.index: _ipython_in_bodies(s, final) for s in src.statements})
    changed = True
    while changed:  # a restored definition may read another dropped one: again until stable
        changed = False
        reaching: Dict[str, Statement] = {}
        for s in src.statements:
            if s.index not in closure.dropped:
                changed |= closure.settle(s, src.flows[s.index], reaching)
            reaching.update(dict.fromkeys(src.flows[s.index].defs, s))
    return closure.dropped


_BODIES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _ipython_in_bodies(s: Statement, defined: Mapping[str, object]) -> FrozenSet[str]:
    """IPython-only names a function, class or lambda body in `s` reads without binding them, and that no
    statement of the notebook defines: data flow counts them as builtins there (`def shell(): return
    get_ipython()`), so the body would reach the script. A statement whose text has no `def`, `class` or
    `lambda` has no body to walk (most statements: walking each one was 4 % of a convert)."""
    if "def" not in s.source and "class" not in s.source and "lambda" not in s.source:
        return frozenset()
    found: set = set()
    for sub in walk(s.node):
        if sub.__class__ in _BODIES:
            found |= free_names(sub) & IPYTHON_NAMES
    return frozenset(n for n in found if n not in defined)  # not `found - defined.keys()`: that iterates the keys


def _final_definers(statements: Sequence[Statement], flows: Mapping[int, Flow]) -> Dict[str, List[Statement]]:
    """Every top-level definer of each name, for reads inside function bodies (they run later)."""
    out: Dict[str, List[Statement]] = {}
    for s in statements:
        for name in flows[s.index].defs:
            out.setdefault(name, []).append(s)
    return out


class _Closure:
    """The drops being closed: candidates leave `dropped` when kept code needs them."""

    def __init__(self, dropped: Drops, magic_names: Mapping[str, str], final: Dict[str, List[Statement]],
                 ipython_reads: Mapping[int, FrozenSet[str]]):
        self.dropped = dropped
        self.ipython_reads = ipython_reads  # statement index → IPython-only names its bodies read, undefined
        self.magic_names = magic_names
        self.final = final
        self.origins: Dict[int, str] = {}  # statement dropped here → what it drew on

    def settle(self, s: Statement, f: Flow, reaching: Dict[str, Statement]) -> bool:
        """Restore the dropped definitions `s` reads, or drop `s`; whether a decision changed."""
        needed = [(n, reaching.get(n)) for n in sorted(f.uses)]
        deferred = f.deferred | self.ipython_reads[s.index]
        needed += [(n, self._dropped_only(self.final.get(n, ()))) for n in sorted(deferred)]
        changed = False
        for name, definer in needed:
            if definer is None and name in self.magic_names:
                magic = self.magic_names[name]
                return self._drop(s, f"uses `{name}`, which only the `{magic}` magic defines", "notebook-only line")
            if definer is None and name in IPYTHON_NAMES:  # get_ipython(), Out[3], _: no script has them
                return self._drop(s, f"uses `{name}`, which only IPython defines", "notebook-only line")
            if definer is None or definer.index not in self.dropped:
                continue
            origin = self._shown_origin(definer)
            if origin is None:
                del self.dropped[definer.index]  # data the kept code needs: not a drop after all
                changed = True
                continue
            return self._drop(s, f"uses `{name}` from a dropped {origin} (cell {definer.cell}:{definer.line})", origin)
        return changed

    def _drop(self, s: Statement, reason: str, origin: str) -> bool:
        self.dropped[s.index] = (USES_DROPPED.code, reason)
        self.origins[s.index] = origin
        return True

    def _shown_origin(self, definer: Statement) -> Optional[str]:
        """What a dropped definition was, when it must stay dropped ("plot"); None when it can come back."""
        if definer.index in self.origins:
            return self.origins[definer.index]
        if definer.magic is not None:
            return "notebook-only line"
        return _FOR_SHOW.get(self.dropped[definer.index][0])

    def _dropped_only(self, definers: Sequence[Statement]) -> Optional[Statement]:
        """For a read inside a function body: the last definer when every definer was dropped."""
        if not definers or any(d.index not in self.dropped for d in definers):
            return None
        return definers[-1]
