"""Where kept code lives besides the steps: imports, module-level helpers, settings and constants,
the hyperparameters exposed as options, and the notebook globals helper functions read.

Every function reads a Source (statements, flows, roles, kind, imported names) and plain lists;
functions that change data flow return new flows and never edit the ones they were given.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import replace
from typing import Dict, FrozenSet, List, Mapping, Sequence, Set, Tuple

from nb2prod.analysis.walk import walk
from nb2prod.analysis.dataflow import Flow
from nb2prod.analysis.vocab import BUILTINS
from nb2prod.convert.hyper import Hyper, assigned_name, find_hypers, is_constant
from nb2prod.convert.plan.codes import BECOMES_PARAMETER
from nb2prod.convert.plan.types import Drops, Source
from nb2prod.frozen import frozen
from nb2prod.model import Rewrite, Statement

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_IMPORTS = (ast.Import, ast.ImportFrom)
Hypers = Dict[int, Tuple[Hyper, ...]]  # statement index → the options it becomes


def is_import_like(node: ast.AST) -> bool:
    """An import, or a guarded one: `try: import x` with handlers that import, pass or set a constant."""
    if isinstance(node, _IMPORTS):
        return True
    if not isinstance(node, ast.Try) or node.orelse or node.finalbody:
        return False
    handled = [st for h in node.handlers for st in h.body]
    return all(isinstance(st, _IMPORTS) for st in node.body) and all(
        isinstance(st, (ast.Import, ast.ImportFrom, ast.Pass))
        or (isinstance(st, ast.Assign) and isinstance(st.value, ast.Constant)) for st in handled)


# -- a call reads what the function it calls reads ----------------------------------------------

def free_names(src: Source, defs: Sequence[Statement]) -> Dict[str, Tuple[str, ...]]:
    """What each function's or class's body reads from outside it (imports and builtins aside): calling the
    function, or the class (`Wrapper()` runs `__init__`), reads it; a name defined twice reads what either
    definition reads (a call cannot tell which one it reaches)."""
    out: Dict[str, Set[str]] = {}
    for s in defs:
        free = src.flows[s.index].deferred - src.imported - BUILTINS
        if free:
            out.setdefault(s.node.name, set()).update(free)
    return {name: tuple(sorted(free)) for name, free in out.items()}


def with_callee_reads(flows: Mapping[int, Flow], callees: Mapping[str, Tuple[str, ...]],
                      callers: Sequence[Statement]) -> Dict[int, Flow]:
    """New flows where each caller of a function in `callees` also reads the globals that function reads."""
    out = dict(flows)
    if not callees:
        return out
    for s in callers:
        called = {n.func.id for n in walk(s.node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        extra = frozenset(g for h in called & set(callees) for g in callees[h])
        if extra:
            f = out[s.index]
            sites = f.use_sites + tuple((g, s.line, s.col) for g in sorted(extra - f.uses))
            out[s.index] = replace(f, uses=f.uses | extra, use_sites=sites)
    return out


# -- module level ----------------------------------------------------------------------------------

@frozen
class Counts:
    """How often each name is bound and written, over all statements (one count, read by every question)."""

    defs: Counter
    writes: Counter

    @classmethod
    def of(cls, flows: Mapping[int, Flow]) -> "Counts":
        return cls(Counter(n for f in flows.values() for n in f.defs),
                   Counter(n for f in flows.values() for n in f.writes))


def is_setting(s: Statement, src: Source, counts: Counts) -> bool:
    """An UPPER_CASE name set once before the first heading from imports and literals alone
    (`DATA_DIR = Path("data")`, `N = int(os.environ.get("N", "30"))`): a module constant, not data
    the first step returns to the others."""
    name = assigned_name(s)
    if name is None or not name.isupper() or src.role_of.get(s.index) != "setup" or not src.kind == "training":
        return False
    if counts.defs[name] != 1:
        return False
    return not (src.flows[s.index].uses - BUILTINS - src.imported)


def import_time_names(src: Source, counts: Counts) -> FrozenSet[str]:
    """Names bound when the generated module is imported: imports, helpers, single constants, settings."""
    return frozenset(
        n for t in src.statements for n in src.flows[t.index].defs
        if isinstance(t.node, _IMPORTS + _DEFS) or is_import_like(t.node)
        or (is_constant(t) and counts.writes[n] == 1) or is_setting(t, src, counts))


def fixed_module(alive: Sequence[Statement], src: Source, counts: Counts) -> List[Statement]:
    """What lives at module level whatever the options: helpers and classes ready at import time,
    guarded imports, settings, and the constants of the setup section."""
    import_time = import_time_names(src, counts)
    out = []
    for s in alive:
        if isinstance(s.node, _DEFS):
            # a def runs its defaults, decorators and bases where it stands (`def f(m=model)` stays put);
            # a name bound twice stays in its step: at module level the last definition would answer every call
            placed = src.flows[s.index].uses - BUILTINS <= import_time and counts.defs[s.node.name] == 1
            if isinstance(s.node, ast.ClassDef):  # no call site can pass a class body's globals: they must be there
                placed = placed and src.flows[s.index].deferred - BUILTINS - src.imported <= import_time
        else:
            placed = (isinstance(s.node, ast.Try) and is_import_like(s.node) or s.index not in src.parameters
                      and (is_setting(s, src, counts) or is_constant(s) and src.role_of.get(s.index) == "setup"))
        if placed:
            out.append(s)
    return out


def module_statements(alive: Sequence[Statement], fixed: Sequence[Statement], hypers: Hypers, src: Source,
                      counts: Counts) -> List[Statement]:
    """The module level once the options are out: the fixed part, and in a training script every
    other constant set once."""
    fixed_ids = {s.index for s in fixed}
    return [s for s in alive if s.index not in hypers and (s.index in fixed_ids or (
        src.kind == "training" and is_constant(s) and counts.writes[assigned_name(s)] == 1))]


def settings_stay_put(flows: Mapping[int, Flow], settings: Set[str]) -> Dict[int, Flow]:
    """`MODEL_DIR.mkdir()` uses a module setting; it does not make a new one for later steps."""
    return {index: replace(f, updates=f.updates - settings) if f.updates & settings else f
            for index, f in flows.items()}


def helper_globals(module: Sequence[Statement], src: Source) -> Dict[str, Tuple[str, ...]]:
    """The notebook globals each module-level function reads (the call sites pass them)."""
    module_names = {n for s in module for n in src.flows[s.index].defs}
    module_names |= {n for s in src.statements if is_import_like(s.node) for n in src.flows[s.index].defs}
    out = {}
    for s in module:
        if isinstance(s.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            needed = sorted(src.flows[s.index].deferred - module_names - BUILTINS)
            if needed:
                out[s.node.name] = tuple(needed)
    return out


# -- hyperparameters ------------------------------------------------------------------------------

def hypers(alive: Sequence[Statement], module: Sequence[Statement], src: Source, counts: Counts) -> Hypers:
    """Literals the steps read and the module level does not: they become options."""
    in_module = {s.index for s in module}
    module_uses = {n for s in module for n in src.flows[s.index].deferred | src.flows[s.index].uses}
    step_uses = {n for s in alive if s.index not in in_module for n in src.flows[s.index].uses}
    taken = {n for f in src.flows.values() for n in f.defs | f.uses}
    candidates = [s for s in alive if assigned_name(s) in step_uses and assigned_name(s) not in module_uses]
    return find_hypers(candidates, src.flows, counts.writes, taken, src.values)


def hyper_decisions(found: Hypers, statements: Sequence[Statement]) -> Tuple[Drops, Dict[int, Rewrite]]:
    """A scalar option's assignment goes (NB902); a dict of options stays and lift rewrites it."""
    drops: Drops = {}
    rewrites: Dict[int, Rewrite] = {}
    for idx, hs in found.items():
        if hs[0].at >= 0:
            rewrites[idx] = Rewrite.HYPER_ARGS
        elif hs[0].key:
            rewrites[idx] = Rewrite.HYPER_DICT
        else:
            drops[idx] = (BECOMES_PARAMETER.code, f"`{hs[0].name}` becomes a parameter and the option {hs[0].option}")
    return drops, rewrites
