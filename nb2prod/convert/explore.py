"""Which statements are exploration or notebook-only syntax, by the lint rules' own detectors."""

from __future__ import annotations

import ast
from typing import Dict, Mapping, Optional, Sequence, Tuple

from nb2prod.analysis.dataflow import Flow
from nb2prod.analysis.walk import walk
from nb2prod.lint.engine import lint_parsed
from nb2prod.model import Notebook, ParsedCell, Statement

MAGIC_CODES = {
    "line-magic": ("NB201", "IPython line magic has no production equivalent"),
    "magic-assign": ("NB201", "IPython line magic has no production equivalent"),
    "cell-magic": ("NB202", "IPython cell magic is not Python"),
    "shell": ("NB203", "shell escape: move installs to requirements, commands to the pipeline"),
    "shell-assign": ("NB203", "shell escape: move installs to requirements, commands to the pipeline"),
    "help": ("NB204", "help syntax is for interactive use"),
}
DROPPED_FAMILIES = ("NB1", "NB2", "NB4")


def exploration_drops(nb: Notebook, cells: Sequence[ParsedCell],
                      flows: Optional[Mapping[int, Flow]] = None) -> Dict[int, Tuple[str, str]]:
    """Statement index → (rule code, reason) for every statement the conversion leaves out."""
    drops: Dict[int, Tuple[str, str]] = {}
    for pc in cells:
        for s in pc.statements:
            if s.magic is not None and not s.magic.keeps_statement:
                drops[s.index] = MAGIC_CODES[s.magic.kind]
    # `a; b` share a line: the column tells them apart (a finding's column is 1-based). A percent
    # script's findings name the file's line, not the cell's (as lint reports them).
    placed = [((None, s.line + pc.cell.offset) if nb.is_script else (s.cell, s.line), s)
              for pc in cells for s in pc.statements]
    by_place = {(*where, s.col + 1): s for where, s in placed}
    by_line = dict(placed)
    by_cell = {pc.cell.index: pc.statements for pc in cells}
    for finding in _findings(nb, cells, flows):
        if not finding.code.startswith(DROPPED_FAMILIES):
            continue
        where = finding.location
        stmt = by_place.get((where.cell, where.line, where.col)) or by_line.get((where.cell, where.line))
        if (not finding.fixable and finding.code != SAMPLE_ASSERT
                and not (finding.code == PLOT and stmt and not _saved_plot(stmt, by_cell[stmt.cell]))):
            continue
        if stmt is not None and stmt.index not in drops:
            drops[stmt.index] = (finding.code, finding.message)
    return drops


PLOT = "NB105"  # lint keeps plots unfixable when anything calls savefig; conversion keeps only those it saves
SAMPLE_ASSERT = "NB110"  # lint --fix leaves a check of the sample to the user; conversion moves it into test_score.py


def _saved_plot(stmt: Statement, cell: Sequence[Statement]) -> bool:
    """A plot call draws part of a saved figure when it saves it, or a `savefig` follows in its cell with
    no `show()` or `close()` between (the inline backend closes a cell's figures when the cell ends);
    a `show()` itself never does."""
    if _calls_any(stmt, ("savefig",)):
        return True
    if _calls_any(stmt, FIGURE_ENDS):
        return False
    for later in (s for s in cell if s.index > stmt.index):
        if _calls_any(later, ("savefig",)):
            return True
        if _calls_any(later, FIGURE_ENDS):
            return False
    return False


FIGURE_ENDS = ("show", "close")


def _calls_any(stmt: Statement, names: Sequence[str]) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in names
               for n in walk(stmt.node))


def _findings(nb: Notebook, cells: Sequence[ParsedCell], flows: Optional[Mapping[int, Flow]] = None):
    known = None if flows is None else [flows[s.index] for pc in cells for s in pc.statements]
    return lint_parsed(nb, tuple(cells), flows=known)
