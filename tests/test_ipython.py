"""Masking IPython syntax: the cell parses, keeps its line count, and magics read like IPython reads them."""

from __future__ import annotations

import ast

import pytest

from nb2prod.notebook.ipython import mask

CASES = [
    # (cell, masked, [(kind, name, line, keeps_statement)])
    ("%matplotlib inline\nx = 1", "pass\nx = 1", [("line-magic", "matplotlib", 1, False)]),
    ("%time model.fit(X, y)", "model.fit(X, y)", [("line-magic", "time", 1, True)]),
    # brackets left open run the magic on over the next lines, as IPython's transformers do
    ("%timeit np.fromiter((a for a in x),\n            dtype=float)\nz = 1",
     "np.fromiter((a for a in x),\n            dtype=float)\nz = 1", [("line-magic", "timeit", 1, False)]),
    ("a = 1\n%time b = (a +\n  1)\nprint(b)", "a = 1\nb = (a +\n  1)\nprint(b)", [("line-magic", "time", 2, True)]),
    ("!echo (one\n two)\nx = 1", "pass\n\nx = 1", [("shell", "echo", 1, False)]),
    ("%config InlineBackend.figure_format = (\n  'retina')", "pass\n", [("line-magic", "config", 1, False)]),
    # a closed line is one line, whatever follows
    ("%load_ext autoreload\n(1,\n 2)", "pass\n(1,\n 2)", [("line-magic", "load_ext", 1, False)]),
    ("files = !ls\nprint(files)", "files = None\nprint(files)", [("shell-assign", "ls", 1, False)]),
    ("df.describe?", "pass", [("help", "df.describe", 1, False)]),
    # `x = %magic` with no other IPython syntax in the cell
    ("res = %timeit -o sum(range(5))\nprint(res.best)", "res = None\nprint(res.best)",
     [("magic-assign", "timeit", 1, False)]),
    ("out=%sx ls", "out = None", [("magic-assign", "sx", 1, False)]),
    # %time returns the value of what it runs
    ("model = %time fit(X, y)", "model = fit(X, y)", [("magic-assign", "time", 1, True)]),
    ("total = %time sum(\n    xs)\nprint(total)", "total = sum(\n    xs)\nprint(total)",
     [("magic-assign", "time", 1, True)]),
    # IPython's leading_indent: pasted code indented as a whole runs
    ("    x = 1\n    if x:\n        y = 2", "x = 1\nif x:\n    y = 2", []),
    ("\n  %matplotlib inline\nimport math", "\npass\nimport math", [("line-magic", "matplotlib", 2, False)]),
    ("\t\tx = 1\n\t\tprint(x)", "x = 1\nprint(x)", []),
]


@pytest.mark.parametrize("cell, masked, magics", CASES)
def test_mask(cell, masked, magics):
    out, found = mask(cell)
    assert out == masked
    assert out.count("\n") == cell.count("\n")
    ast.parse(out)
    assert [(m.kind, m.name, m.line, m.keeps_statement) for m in found] == magics
