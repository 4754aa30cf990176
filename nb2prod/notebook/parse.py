"""Parse code cells with the standard library `ast`, after masking IPython syntax."""

from __future__ import annotations

import ast
import functools
import sys
import warnings
from typing import Dict, List, Tuple

from nb2prod.errors import CodeProblem
from nb2prod.notebook.ipython import mask
from nb2prod.model import Cell, Location, Magic, Notebook, ParsedCell, Statement


# CPython's own parser takes about 3,000 nested nodes (a sum of 2,993 terms, an elif chain as long);
# nb2prod's walkers (dataflow, lint, libcst) spend a few Python frames per level, so they need more
# than the default limit of 1,000. From 3.11 Python calls do not use the C stack, so a high limit is
# safe; before that each frame does, and the limit stays within a default 8 MB thread stack.
# Cells are still parsed at the caller's limit, so nb2prod refuses exactly what CPython would.
DEEP_RECURSION = 40_000 if sys.version_info >= (3, 11) else 12_000
_caller_limit: List[int] = []  # the limit deep_enough raised, while it runs
_OWN_FRAMES = 200  # what the caller's stack and nb2prod's own calls use up before a cell is parsed


def deep_enough(func):
    """Run `func` with a recursion limit that lets nb2prod walk any tree CPython itself can compile."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        before = sys.getrecursionlimit()
        if before >= DEEP_RECURSION:
            return func(*args, **kwargs)
        sys.setrecursionlimit(DEEP_RECURSION)
        _caller_limit.append(before)
        try:
            return func(*args, **kwargs)
        finally:
            _caller_limit.pop()
            sys.setrecursionlimit(before)

    return wrapper


def _parse_as_cpython(python: str) -> ast.Module:
    """`ast.parse` at the limit CPython would compile the cell with, not the raised one."""
    if not _caller_limit:
        return ast.parse(python)
    sys.setrecursionlimit(_caller_limit[-1] + _OWN_FRAMES)
    try:
        return ast.parse(python)
    finally:
        sys.setrecursionlimit(DEEP_RECURSION)


def parse_notebook(nb: Notebook, skip_broken: bool = False) -> Tuple[ParsedCell, ...]:
    """Every code cell parsed; the first syntax error raises CodeProblem with cell and line, or with
    `skip_broken` that cell is left out (lint reports it) and statements are numbered over the rest."""
    parsed: List[ParsedCell] = []
    counter = 0
    with warnings.catch_warnings():  # once for the notebook, not per cell: it copies the filter list
        warnings.simplefilter("ignore")  # invalid escape sequences and the like
        for cell in nb.code_cells:
            try:
                pc = _parse_cell(nb.path, cell, counter)
            except CodeProblem:
                if skip_broken:
                    continue
                raise
            counter += len(pc.statements)
            parsed.append(pc)
    return tuple(parsed)


def parse_cell(path: str, cell: Cell, first_index: int = 0) -> ParsedCell:
    """Mask magics, parse, and cut the cell into top-level Statements."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences and the like
        return _parse_cell(path, cell, first_index)


def _parse_cell(path: str, cell: Cell, first_index: int) -> ParsedCell:
    python, magics = mask(cell.source)
    try:
        tree = _parse_as_cpython(python)
    except SyntaxError as exc:
        line = (exc.lineno or 1) + cell.offset
        col = exc.offset if exc.offset else None
        msg = exc.msg if exc.msg else "invalid syntax"
        raise CodeProblem(f"syntax error: {msg}", _where(path, cell, line, col)) from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise CodeProblem(f"cannot parse cell: {_reason(exc)}", _where(path, cell, cell.offset + 1, None)) from None
    by_line: Dict[int, Magic] = {m.line: m for m in magics}
    lines = python.split("\n")
    statements = []
    for i, node in enumerate(tree.body):
        end = getattr(node, "end_lineno", node.lineno) or node.lineno
        source = _segment(lines, node.lineno, end)
        statements.append(
            Statement(
                cell=cell.index,
                index=first_index + i,
                line=node.lineno,
                end_line=end,
                col=node.col_offset,
                node=node,
                source=source,
                magic=by_line.get(node.lineno),
            )
        )
    return ParsedCell(cell=cell, python=python, statements=tuple(statements), magics=magics, tree=tree)


_NO_REASON = {MemoryError: "Python source too complex to parse (the parser's stack overflowed)",
              RecursionError: "Python source too complex to parse (nested too deeply)"}


def _reason(exc: Exception) -> str:
    """The parser's own words; CPython raises MemoryError with none for `x = ---…1` and the like."""
    return str(exc) or _NO_REASON.get(type(exc), type(exc).__name__)


def _where(path: str, cell: Cell, line: int, col) -> Location:
    if cell.offset or path.endswith(".py"):
        return Location(path, None, line, col)
    return Location(path, cell.index, line, col)


def _segment(lines: List[str], start: int, end: int) -> str:
    return "\n".join(lines[start - 1 : end])
