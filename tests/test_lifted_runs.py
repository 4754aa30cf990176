"""Lifting-bug classes seen on public notebooks (issue 11, section 4): the smallest notebook of each is
converted and its generated script run for real; it must finish as the notebook does.

(a) a name bound only inside a loop or a branch and read after it (UnboundLocalError once lifted);
(b) a notebook variable named like a function it calls (a helper, a builtin, an import);
(c) names read by a class body or a nested function (undefined in the generated module)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from nb2prod import api
from tests.build import write_notebook

IMPORTS = "import joblib\nimport json\nimport numpy as np\nfrom sklearn.linear_model import LogisticRegression"
DATA = "X = np.arange(40, dtype=float).reshape(-1, 2)\ny = np.arange(20) % 2"
SAVE = "joblib.dump(model, 'model.joblib')"
REQUEST = "raw_data = '{\"data\": [[1, 2], [3, 5]]}'\ndata = np.array(json.loads(raw_data)['data'])"


def _training(*train_cells, setup=(), load=DATA):
    return [IMPORTS, *setup, "## Load data", load, "## Train", *train_cells, "## Save", SAVE]


TRAINING = {
    # (a) the value from before the loop or branch survives when the loop never binds it
    "bound-in-a-branch": _training(
        "for C in [0.1, 1.0]:\n    m = LogisticRegression(C=C).fit(X, y)\n"
        "    if m.score(X, y) > 2.0:\n        model = m\nif model is None:\n"
        "    model = m",
        load=DATA + "\nmodel = None",
    ),
    "bound-in-a-loop": _training(
        "for C in []:\n    model = LogisticRegression(C=C).fit(X, y)\nif model is None:\n"
        "    model = LogisticRegression().fit(X, y)",
        load=DATA + "\nmodel = None",
    ),
    # (b) a variable named like the helper it calls
    "variable-named-like-a-helper": _training(
        "scale = scale(X)\nmodel = LogisticRegression().fit(scale, y)", setup=["def scale(v):\n    return v / 10"]
    ),
    # (b) a variable named like the builtin or the import it reads: UnboundLocalError once in a step
    "variable-named-like-a-builtin": _training(
        "scores = [0.5, 0.7]\nmax = max(scores)\nmodel = LogisticRegression(C=max).fit(X, y)\nprint(max)"
    ),
    "variable-named-like-an-import": _training(
        "model = LogisticRegression().fit(X, y)\naccuracy_score = accuracy_score(y, model.predict(X))",
        "print(accuracy_score)",
        setup=["from sklearn.metrics import accuracy_score"],
    ),
    # (c) a class body and a nested function reading a notebook value defined after them
    "class-reads-a-later-value": _training(
        "Xs = Scaler()(X)\nmodel = LogisticRegression().fit(Xs, y)",
        setup=[
            "class Scaler:\n    def __init__(self):\n        self.k = factor\n\n"
            "    def __call__(self, v):\n        return v * self.k"
        ],
        load=DATA + "\nfactor = float(len(X)) / 20",
    ),
    "nested-function-reads-a-step-value": _training(
        "def fit_one(c):\n    def make():\n        return LogisticRegression(C=c * factor)\n\n"
        "    return make().fit(X, y)\n\n\nmodel = fit_one(1.0)",
        load=DATA + "\nfactor = float(len(X)) / 20",
    ),
}

SCORING = {
    # (b) run() rebinding the global init() sets: the read before the binding must still reach the global
    "run-rebinds-the-model": [
        "import joblib\nimport json\nimport numpy as np",
        "## Load model",
        "model = joblib.load('model.joblib')",
        "## Score",
        REQUEST + "\nmodel = model.predict(data)\nprint(model)",
    ],
    # (c) a class whose methods read the model init() loads
    "class-reads-the-model": [
        "import joblib\nimport json\nimport numpy as np",
        "class Wrapper:\n    def __init__(self):\n        self.m = model\n\n"
        "    def predict(self, d):\n        return self.m.predict(d)",
        "## Load model",
        "model = joblib.load('model.joblib')",
        "## Score",
        REQUEST + "\nprint(Wrapper().predict(data))",
    ],
    "comprehension-and-nested-function-in-run": [
        "import joblib\nimport json\nimport numpy as np",
        "## Load model",
        "model = joblib.load('model.joblib')\nlabels = ['no', 'yes']",
        "## Score",
        REQUEST + "\ndef decide(rows):\n    def one(r):\n        return labels[int(model.predict([r])[0])]\n\n"
        "    return [one(r) for r in rows]\n\n\nprint({i: v for i, v in enumerate(decide(data))})",
    ],
}


def _convert(tmp_path: Path, cells, kind: str) -> Path:
    nb = write_notebook(tmp_path / "nb.ipynb", cells)
    [result] = api.convert([str(nb)], str(tmp_path / "out"), kind=kind, workers=1)
    assert result.error is None, str(result.error)
    return tmp_path / "out"


def _run(script: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, script], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", sorted(TRAINING))
def test_generated_train_py_runs(name, tmp_path):
    out = _convert(tmp_path, TRAINING[name], "training")
    ran = _run("train.py", out)
    assert ran.returncode == 0, ran.stderr
    assert isinstance(joblib.load(out / "model.joblib"), LogisticRegression)


@pytest.mark.parametrize("name", sorted(SCORING))
def test_generated_score_py_runs(name, tmp_path):
    out = _convert(tmp_path, SCORING[name], "scoring")
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 3.0], [4.0, 1.0]])
    joblib.dump(LogisticRegression().fit(X, [0, 1, 0, 1]), out / "model.joblib")
    ran = _run("score.py", out)
    assert ran.returncode == 0, ran.stderr
    assert '"result"' in ran.stdout
