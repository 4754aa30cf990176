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


SCRIPT = """# %%
import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split

# %%
df = pd.read_csv("data.csv")
X_train, X_test, y_train, y_test = train_test_split(df.drop(columns="target"), df["target"], random_state=0)

# %%
model = Ridge().fit(X_train, y_train)
joblib.dump(model, "model.joblib")

# %%
{block}

# %%
rmse
"""
BLOCKS = [  # a metric computed by hand inside a block that runs once: a with, an if, a try
    'with np.errstate(all="ignore"):\n    rmse = float(np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2)))',
    "if len(X_test):\n    preds = model.predict(X_test)\n    rmse = float(np.sqrt(np.mean((preds - y_test) ** 2)))",
    "try:\n    rmse = float(np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2)))\nexcept ValueError:\n    rmse = 0.0",
]


@pytest.mark.parametrize("block", BLOCKS, ids=["with", "if", "try"])
def test_a_metric_computed_in_a_block_is_the_evaluation(tmp_path, block):
    """Lint does not call showing it exploration, the relevant statements include the block, and convert
    reports it from evaluate_model()."""
    _is_the_evaluation(tmp_path, SCRIPT.format(block=block), "rmse")


def _is_the_evaluation(tmp_path, text: str, key: str) -> None:
    """The percent script `text`: no lint finding, the relevant-statement analysis equal to the full one and
    finding an evaluation, and train.py's evaluate_model() returning `key`."""
    from nb2prod import api
    from nb2prod.lint.engine import lint_notebook

    script = tmp_path / "notebook.py"
    script.write_text(text, encoding="utf-8")
    nb = load(str(script))
    assert [f.code for f in lint_notebook(nb)] == []
    cells = parse_all(nb)
    statements = [st for pc in cells for st in pc.statements]
    nodes, flows = [st.node for st in statements], [flow(st.node) for st in statements]
    facts = Facts(cells, (), [(None, st, st.node, False) for st in statements])
    found = compute(nodes, flows, [st.source for st in statements], facts.imports.modules)
    assert found == compute(nodes, flows) and found.evaluations
    [result] = api.convert([str(script)], str(tmp_path / "out"))
    assert result.error is None
    train = (tmp_path / "out" / "train.py").read_text(encoding="utf-8")
    assert f'return {{"{key}": {key}}}' in train and "metrics = evaluate_model(" in train


SHOWN = [  # a metric computed by hand where it is shown: printed, in an f-string, bare
    'preds = model.predict(X_test)\nprint("Test RMSE:", np.sqrt(np.mean((preds - y_test) ** 2)))',
    'print(f"MSE {np.mean((y_test - model.predict(X_test)) ** 2):.2f}")',
    "np.abs(model.predict(X_test) - y_test).mean()",
]


@pytest.mark.parametrize("shown, key", zip(SHOWN, ["test_rmse", "mse", "mae"]), ids=["print", "f-string", "bare"])
def test_a_metric_computed_by_hand_where_it_is_shown_is_the_evaluation(tmp_path, shown, key):
    """Lint does not call it exploration (NB103, NB102), the relevant-statement analysis finds it as the
    full one does, and convert names it and reports it from evaluate_model()."""
    _is_the_evaluation(tmp_path, SCRIPT.split("# %%\n{block}")[0] + "# %%\n" + shown + "\n", key)
