"""Effects before display (issue 13): a call made for its effect (logging, tracking, a write) is never
exploration; names, attributes, literals and calls known to compute only are."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nb2prod import api
from nb2prod.lint.engine import lint_notebook
from nb2prod.notebook.load import load
from nb2prod.report.convert import explain_lines
from tests.build import write_notebook

SETUP = """import logging
import warnings

import mlflow
import numpy as np
import pandas as pd
import structlog
import wandb
from loguru import logger as loguru_logger
from torch.utils.tensorboard import SummaryWriter

df = pd.read_csv("data.csv")
X = np.zeros((4, 2))
logger = logging.getLogger(__name__)
slog = structlog.get_logger()
run = wandb.init(project="p")
writer = SummaryWriter("runs")
"""
EXPLORATION = ("NB101", "NB102", "NB103", "NB104", "NB105", "NB106")

# (source of the last cell, the code it must get)
FLAGGED = [
    ("df.info()", "NB101"),
    ("df.info(verbose=True)", "NB101"),
    ("df.head()", "NB101"),
    ("df.shape", "NB101"),
    ("len(df)", "NB103"),
    ("X.mean()", "NB103"),
    ("np.mean(X)", "NB103"),
    ("logger", "NB103"),  # the logger itself, shown: a name
    ("logger.name", "NB103"),
    ("[1, 2]", "NB103"),
    ("df.to_json()", "NB103"),  # no path: returns the text to look at
    ("df.add(1)", "NB103"),  # on a DataFrame `add` computes
    ("np.add(X, 2)", "NB103"),  # and as a numpy function
    ("log = pd.read_csv('log.csv')\nlog.info()", "NB101"),  # a frame named `log` is a frame
]
KEPT = [
    'logger.info("loaded %d rows", len(df))',
    "logger.info(len(df))",
    "logger.info()",
    'logger.debug("x")',
    'logger.warning("x")',
    'logger.exception("x")',
    'logger.log(logging.INFO, "x")',
    'logging.info("x")',
    'logging.getLogger("train").info("x")',
    'slog.info("rows", n=len(df))',
    'loguru_logger.info("x")',
    'log.info("x")',  # conventional names, bound where nb2prod cannot see
    'LOGGER.info("x")',
    '_log.error("x")',
    'self_made = object()\nself_made.log = None\napp.logger.info("x")',
    'mlflow.log_metric("mse", 0.5)',
    'mlflow.log_params({"a": 1})',
    'mlflow.set_tag("stage", "dev")',
    "mlflow.start_run()",
    'wandb.log({"mse": 0.5})',
    'run.log({"mse": 0.5})',
    'writer.add_scalar("loss", 0.5, 0)',
    'with mlflow.start_run() as active:\n    run_id = active.info.run_id\n    mlflow.log_metric("mse", 0.5)',
    'warnings.warn("careful")',
    'df.to_json("out.json")',
    'df.to_string("out.txt")',
    'df.to_markdown(buf="out.md")',
    "seen = set()\nseen.add(3)",
    "def helper(x):\n    return x\n\n\nhelper(3)",
    'for k in [1, 2]:\n    value = k * 2\n    logger.info("k=%d value=%d", k, value)',
    'for k in [1, 2]:\n    value = k * 2\n    print(k, value)\n    mlflow.log_metric("value", value, step=k)',
    'for k in [1, 2]:\n    value = k * 2\n    print(k, value)\n    run.log({"value": value})',
]


def _findings(tmp_path, source):
    path = tmp_path / "nb.py"
    path.write_text("# %%\n" + SETUP + "# %%\n" + source + "\n")
    first = len(SETUP.split("\n")) + 2  # the first line of the last cell
    return [f for f in lint_notebook(load(str(path))) if f.location.line >= first]


@pytest.mark.parametrize("source,code", FLAGGED)
def test_only_displayed_is_flagged(tmp_path, source, code):
    codes = {f.code for f in _findings(tmp_path, source)}
    assert code in codes, source


@pytest.mark.parametrize("source", KEPT)
def test_calls_for_their_effect_are_not_exploration(tmp_path, source):
    found = [f"{f.code} {f.message}" for f in _findings(tmp_path, source) if f.code.startswith(EXPLORATION)]
    assert found == [], source


def test_imports_used_by_kept_logging_are_used(tmp_path):
    path = tmp_path / "nb.py"
    path.write_text("# %%\nimport logging\nimport warnings\nlogger = logging.getLogger(__name__)\n"
                    "# %%\nlogger.info('rows %d', 3)\nwarnings.warn('x')\n")
    assert [f.code for f in lint_notebook(load(str(path)))] == []


def test_convert_keeps_the_logging_its_logger_and_import(tmp_path):
    cells = [
        "# Train",
        "import logging\nimport joblib\nimport numpy as np\nfrom sklearn.linear_model import LinearRegression\n"
        "logger = logging.getLogger(__name__)",
        "rng = np.random.default_rng(0)\nX = rng.normal(size=(40, 2))\ny = X @ np.array([1.0, 2.0])\n"
        'logger.info("rows %d", len(X))',
        "model = LinearRegression()\nmodel.fit(X, y)\nmse = float(((model.predict(X) - y) ** 2).mean())\n"
        'logger.info("mse %.3f", mse)\njoblib.dump(model, "model.joblib")',
    ]
    nb = write_notebook(tmp_path / "train_nb.ipynb", cells)
    [result] = api.convert([str(nb)], str(tmp_path / "out"))
    assert result.error is None, str(result.error)
    train = (tmp_path / "out" / "train.py").read_text()
    for line in ("import logging", "logger = logging.getLogger(__name__)", 'logger.info("rows %d", len(X))',
                 'logger.info("mse %.3f", mse)'):
        assert line in train, line
    assert "mse = float(" in train  # the logged metric is computed again: logging reads it
    explained = "\n".join(explain_lines(result.fates))
    assert [line for line in explained.split("\n") if "dropped" in line and "logg" in line] == [], explained


# -- unseen notebooks: logging, tracking and warnings where prints used to be ---------------------

UNSEEN = Path(__file__).parent / "data" / "unseen"
EFFECT_LINE = re.compile(r"\b(logger|logging|mlflow|wandb|warnings)\.|\brun\.(log|finish)\b")


def _scored(path: Path):
    truth = {tuple(map(int, at.split(":"))) for at in json.loads(path.with_suffix(".truth.json").read_text())["exploration"]}
    flagged = {(f.location.cell, f.location.line) for f in lint_notebook(load(str(path))) if f.code.startswith("NB1")}
    return truth, flagged


def _effect_lines(path: Path):
    cells = json.loads(path.read_text())["cells"]
    return {(i, n) for i, cell in enumerate(cells, 1) if cell["cell_type"] == "code"
            for n, line in enumerate("".join(cell["source"]).split("\n"), 1) if EFFECT_LINE.search(line)}


def test_unseen_effect_notebooks_precision_and_recall():
    paths = sorted(UNSEEN.glob("*.ipynb"))
    assert len(paths) >= 4
    hits = flagged_total = truth_total = 0
    for path in paths:
        truth, flagged = _scored(path)
        assert not flagged & _effect_lines(path), f"{path.name}: logging or tracking flagged as exploration"
        hits += len(truth & flagged)
        flagged_total += len(flagged)
        truth_total += len(truth)
    precision, recall = hits / max(flagged_total, 1), hits / max(truth_total, 1)
    print(f"unseen effect notebooks: precision {precision:.3f}, recall {recall:.3f} "
          f"({hits} of {flagged_total} flagged, {truth_total} exploration lines)")
    assert precision >= 0.97
