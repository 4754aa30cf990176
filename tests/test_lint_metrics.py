"""rules/_metrics: what lint reads of analysis/metrics. Leaving out the statements that cannot matter
(`relevant`) gives the same verdicts as analysing every statement, on every notebook we have."""

from __future__ import annotations

from pathlib import Path

import pytest

from nb2prod.analysis.dataflow import flow
from nb2prod.analysis.facts import Facts
from nb2prod.lint.engine import parse_all
from nb2prod.notebook.load import load
from nb2prod.rules._metrics import compute

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = (sorted(ROOT.glob("examples/*/*.ipynb")) + sorted(ROOT.glob("tests/data/unseen*/*.ipynb"))
             + sorted((ROOT.parent / "shared" / "corpus" / "pdsh").glob("*.ipynb")))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_analysing_only_the_relevant_statements_changes_nothing(path):
    cells = parse_all(load(str(path)))
    statements = [st for pc in cells for st in pc.statements]
    nodes = [st.node for st in statements]
    flows = [flow(n) for n in nodes]
    facts = Facts(cells, (), [(None, st, st.node, False) for st in statements])
    assert compute(nodes, flows, [st.source for st in statements], facts.imports.modules) == compute(nodes, flows)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_held_out_shortcut_changes_no_verdict(path, monkeypatch):
    from nb2prod.lint.engine import lint_notebook
    from nb2prod.rules import _metrics

    nb = load(str(path))
    quick = lint_notebook(nb)
    monkeypatch.setattr(_metrics, "SURE", False)
    assert lint_notebook(nb) == quick
