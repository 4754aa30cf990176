"""notebook/parse.parse_notebook: every code cell parsed under one warnings filter; lint's form skips broken cells."""

from __future__ import annotations

import warnings

import pytest

from nb2prod.errors import CodeProblem
from nb2prod.lint.engine import lint_notebook, parse_all
from nb2prod.model import Cell, Notebook
from nb2prod.notebook.parse import parse_notebook

ESCAPES = 'pattern = "\\d+"\nprint(pattern)'  # an invalid escape sequence: Python warns while parsing it


def _notebook(*sources: str) -> Notebook:
    cells = [Cell(1, "markdown", "# Title")] + [Cell(i + 2, "code", s) for i, s in enumerate(sources)]
    return Notebook("nb.ipynb", tuple(cells))


def test_broken_cells_are_left_out_and_statements_numbered_over_the_rest():
    nb = _notebook("a = 1\nb = 2", "def broken(:\n    pass", "c = a + b")
    cells = parse_notebook(nb, skip_broken=True)
    assert [pc.cell.index for pc in cells] == [2, 4]
    assert [st.index for pc in cells for st in pc.statements] == [0, 1, 2]
    assert [(st.index, st.source) for pc in parse_all(nb) for st in pc.statements] == [
        (0, "a = 1"), (1, "b = 2"), (2, "c = a + b")]
    assert [f.code for f in lint_notebook(nb)] == ["NB300"]


def test_without_skipping_the_first_syntax_error_names_its_cell():
    with pytest.raises(CodeProblem) as caught:
        parse_notebook(_notebook("a = 1", "def broken(:\n    pass", "also bad ("))
    assert caught.value.location.cell == 3


@pytest.mark.parametrize("skip_broken", [False, True])
def test_parse_warnings_are_silenced_and_the_filters_restored(skip_broken):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        before = list(warnings.filters)
        cells = parse_notebook(_notebook(ESCAPES, ESCAPES), skip_broken=skip_broken)
        after = list(warnings.filters)
        compile(ESCAPES, "<cell>", "exec")  # the same text warns when parsed outside
    assert len(cells) == 2
    assert after == before
    assert [w.category for w in seen] == [DeprecationWarning]
