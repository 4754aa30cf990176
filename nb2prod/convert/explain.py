"""Account for every code line of the notebook: where it went, or why it was dropped."""

from __future__ import annotations

import ast
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple, Union

from nb2prod.escape import split_lines
from nb2prod.convert.lift import Lifted
from nb2prod.convert.plan import Plan
from nb2prod.convert.plan.codes import COMMENT_ONLY, NO_EFFECT
from nb2prod.frozen import frozen


@frozen
class LineFate:
    cell: int
    line: int
    text: str
    kept: bool
    where: str  # "train.py:12 in train_model()" or the drop reason
    code: str = ""


def account(plan: Plan, lifted: Lifted, script: str, text: str,
            moved: Union[None, Dict[int, int], Callable[[], Dict[int, int]]] = None) -> "Fates":
    """One LineFate per non-blank line of every code cell. `text` is the script as rendered, where the lifted
    code's anchors are found; `moved` says where its statements' lines went when it was formatted, or is
    a function giving that: it is called only when a kept line's position is first asked for (--explain)."""
    imported = _imported_names(lifted.imports)
    fates: List[Union[LineFate, _Kept]] = []
    for pc in plan.cells:
        source_lines = pc.cell.source.split("\n")
        owner = _owners(pc, len(source_lines))
        magic_lines = {m.line: m for m in pc.magics if m.kind == "cell-magic" and m.keeps_statement}
        for number, raw in enumerate(source_lines, 1):
            if not raw.strip():
                continue
            if number in magic_lines:  # masked to a blank line: no statement of its own to report it
                reason = f"cell magic `%%{magic_lines[number].name}` only matters in the notebook; the lines below it stand on their own"
                fates.append(LineFate(pc.cell.index, number, raw, False, reason, "NB202"))
                continue
            stmt = owner.get(number)
            if stmt is None:
                fates.append(LineFate(pc.cell.index, number, raw, False, COMMENT_ONLY.summary, COMMENT_ONLY.code))
                continue
            fates.append(_fate(plan, lifted, stmt, pc.cell.index, number, raw, script, imported))
    return Fates(tuple(fates), script, text, moved)


class _Kept(NamedTuple):
    """A kept line whose place in the script is looked up when it is first asked for."""

    cell: int
    line: int
    text: str
    where: str  # the function, or "<module>"
    anchor: str


class Fates(Sequence):
    """The LineFates of one notebook, in order. Which lines were dropped, and why, is known at once; where
    a kept line went (`train.py:12`) is worked out on first use, as it needs the formatted script's
    statements matched with the rendered one's: a parse of the whole script that only --explain (and
    any caller reading the kept lines) needs."""

    def __init__(self, items: Tuple[Union[LineFate, "_Kept"], ...], script: str, text: str,
                 moved: Union[None, Dict[int, int], Callable[[], Dict[int, int]]]):
        self._items, self._script, self._text, self._moved = items, script, text, moved
        self._placed: Optional[Tuple[LineFate, ...]] = None
        self.dropped = tuple(f for f in items if isinstance(f, LineFate) and not f.kept)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index):
        return self._all()[index]

    def __iter__(self):
        return iter(self._all())

    def __eq__(self, other) -> bool:
        return tuple(self) == tuple(other) if isinstance(other, (Fates, tuple)) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Fates({self._all()!r})"

    def __reduce__(self):  # to and from worker processes, still unplaced (`moved` is then a partial)
        if self._placed is not None:
            return (Fates, (self._placed, self._script, "", None))
        return (Fates, (self._items, self._script, self._text, self._moved))

    def _all(self) -> Tuple[LineFate, ...]:
        if self._placed is None:
            moved = self._moved() if callable(self._moved) else self._moved
            out_lines = split_lines(self._text)
            where = _mover(moved or {})
            lookup = (_positions(out_lines, where), _def_lines(out_lines, where))
            self._placed = tuple(f if isinstance(f, LineFate) else _placed(f, self._script, lookup)
                                 for f in self._items)
        return self._placed


def _placed(kept: _Kept, script: str, lookup) -> LineFate:
    line = _find(*lookup, kept.where, kept.anchor)
    place = f"{script}:{line}" if line else script
    inside = "module level" if kept.where == "<module>" else f"{kept.where}()"
    return LineFate(kept.cell, kept.line, kept.text, True, f"{place} in {inside}")


def _owners(pc, count: int) -> Dict[int, object]:
    """Each line's statement: its own span, comments before it, and trailing lines to the last one."""
    owner: Dict[int, object] = {}
    stmts = list(pc.statements)
    for i, s in enumerate(stmts):
        start = stmts[i - 1].end_line + 1 if i else 1
        for n in range(start, s.end_line + 1):
            owner.setdefault(n, s)
    if stmts:
        for n in range(stmts[-1].end_line + 1, count + 1):
            owner[n] = stmts[-1]
    return owner


def _fate(plan, lifted, stmt, cell, number, raw, script, imported) -> Union[LineFate, _Kept]:
    decision = plan.decisions.get(stmt.index)
    if decision is None or not decision.kept:
        code, reason = (decision.code, decision.reason) if decision else NO_EFFECT.drop
        return LineFate(cell, number, raw, False, reason, code)
    if decision.where == "<imports>":
        names = {a.asname or a.name.split(".")[0] for a in stmt.node.names}
        if names & imported or any(a.name == "*" for a in stmt.node.names):
            return LineFate(cell, number, raw, True, f"{script}: imports at the top")
        return LineFate(cell, number, raw, False, "import not used by the production code", "NB402")
    where, anchor = lifted.anchors.get(stmt.index, (decision.where, ""))
    return _Kept(cell, number, raw, where, anchor)


def _mover(moved: Dict[int, int]) -> Callable[[int], int]:
    """Index in the rendered script → index in the formatted one: that of the statement starting there, or
    of the last one before it (non-decreasing, so the positions stay sorted for bisection)."""
    starts = sorted(moved)
    if not starts:
        return lambda i: i

    def where(i: int) -> int:
        k = bisect_right(starts, i + 1) - 1
        return moved[starts[k]] - 1 if k >= 0 else i

    return where


def _def_lines(lines: List[str], where: Callable[[int], int]) -> Dict[str, int]:
    """Index of the first `def name(` line of each function: looked up once, not per statement."""
    found: Dict[str, int] = {}
    for i, line in enumerate(lines):
        if line.startswith("def ") and "(" in line:
            found.setdefault(line[4:line.index("(")], where(i))
    return found


def _positions(lines: List[str], where: Callable[[int], int]) -> Dict[str, List[int]]:
    """Each stripped output line → the indexes where it occurs, ascending (in the formatted script)."""
    found: Dict[str, List[int]] = {}
    for i, line in enumerate(lines):
        found.setdefault(line.strip(), []).append(where(i))
    return found


def _find(positions: Dict[str, List[int]], defs: Dict[str, int], function: str, anchor: str) -> Optional[int]:
    """The first output line at or after the function's `def` that is the anchor (a bisection, not a scan)."""
    start = 0
    if function != "<module>":
        start = defs.get(function, 0)
    found = positions.get(anchor) if anchor else None
    if found:
        k = bisect_left(found, start)
        if k < len(found):
            return found[k] + 1
    return start + 1 if start else None


def _imported_names(imports) -> set:
    names = set()
    for text in imports:
        for node in ast.parse(text).body:
            names |= {a.asname or a.name.split(".")[0] for a in node.names}
    return names
