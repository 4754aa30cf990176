"""Which names each statement defines, uses and updates, on plain `ast` (pyflakes-like).

A method call, subscript or attribute assignment on a name counts as a use *and* an update
of that name: `df.dropna(inplace=True)` or `model.fit(X, y)` changes `df`/`model` for every
later statement. Methods known not to mutate their receiver (`predict`, `head`, `copy`, ...)
are only uses. The visitor that walks a statement is `flow_visitor.py`; the lists of names are
`vocab.py`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import FrozenSet, Iterable, List, Optional, Set, Tuple

from nb2prod.analysis.flow_visitor import FlowVisitor
from nb2prod.analysis.vocab import BUILTINS
from nb2prod.frozen import frozen


@frozen
class Flow:
    """Names a statement binds (defs), reads from before it (uses) and changes in place (updates)."""

    defs: FrozenSet[str]
    uses: FrozenSet[str]
    updates: FrozenSet[str]
    use_sites: Tuple[Tuple[str, int, int], ...] = ()  # (name, line, col), first site of each use
    deferred: FrozenSet[str] = frozenset()  # free names read inside function/class bodies
    star_import: bool = False
    guarded: FrozenSet[str] = frozenset()  # uses first read in a `try` body that catches NameError
    deletes: FrozenSet[str] = frozenset()  # names a top-level `del x` unbinds

    @property
    def writes(self) -> FrozenSet[str]:
        return self.defs | self.updates


def flow(node: ast.AST, lazy_annotations: bool = False) -> Flow:
    """The Flow of one top-level statement; with `lazy_annotations` (`from __future__ import
    annotations`), names in annotations are read later, like a function body's (deferred)."""
    v = FlowVisitor(lazy_annotations)
    v.visit(node)
    return Flow(
        defs=frozenset(v.defs),
        uses=frozenset(v.uses),
        updates=frozenset(v.updates),
        use_sites=tuple(v.sites),
        deferred=frozenset(v.deferred),
        star_import=v.star,
        guarded=frozenset(v.guarded),
        deletes=frozenset(t.id for t in node.targets if t.__class__ is ast.Name) if node.__class__ is ast.Delete
        else frozenset(),
    )


def lazy_annotations(nodes: Iterable[ast.AST]) -> bool:
    """Whether top-level statements include `from __future__ import annotations`."""
    return any(isinstance(n, ast.ImportFrom) and n.module == "__future__" and any(a.name == "annotations" for a in n.names)
               for n in nodes)


@dataclass
class Undefined:
    """A name read where nothing defines it (or only a later statement does)."""

    name: str
    statement: int  # index into the statement list
    line: int
    col: int
    later: bool  # defined by a later statement: use before definition
    suggestion: Optional[str] = None
    deleted: bool = False  # read after a top-level `del` of it


def undefined_names(flows: List[Flow], extra: FrozenSet[str] = frozenset()) -> List[Undefined]:
    """Names read before anything binds them, in top-to-bottom order (function bodies: anywhere)."""
    everywhere: Set[str] = set(extra)
    for f in flows:
        everywhere |= f.defs
    if any(f.star_import for f in flows):
        return []
    known: Set[str] = set(BUILTINS) | set(extra)
    deleted: Set[str] = set()
    found: List[Undefined] = []
    for i, f in enumerate(flows):
        for name, line, col in f.use_sites:
            if name in deleted and name not in f.guarded:
                found.append(Undefined(name, i, line, col, False, deleted=True))
            elif name not in known and name not in f.guarded:
                found.append(Undefined(name, i, line, col, name in everywhere, suggest(name, known | everywhere)))
        for name in sorted(f.deferred - everywhere - BUILTINS):
            found.append(Undefined(name, i, 0, 0, False, suggest(name, known | everywhere)))
        if f.deletes:
            deleted |= f.deletes & known
            known -= f.deletes
        if deleted:
            deleted -= f.defs
        known |= f.defs
    return found


def suggest(name: str, candidates: Iterable[str]) -> Optional[str]:
    """The closest defined name: a name that starts with it first, then difflib's nearest."""
    import difflib

    pool = sorted(c for c in candidates if c != name and not c.startswith("__") and c not in BUILTINS)
    prefixed = [c for c in pool if c.startswith(name) or name.startswith(c) and len(c) > 2]
    if prefixed:
        return min(prefixed, key=lambda c: (abs(len(c) - len(name)), c))
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return close[0] if close else None

