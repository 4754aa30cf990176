"""artifacts(): the facts render needs, resolved once from a plan; and the template contexts' documentation."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from nb2prod import api
from nb2prod.convert import contexts
from nb2prod.convert.artifacts import ScoringArtifacts, TrainingArtifacts, artifacts
from nb2prod.convert.lift import Function
from tests.build import write_notebook

TRAIN_HEAD = ["## Load the data", "import joblib\nimport pickle\nimport numpy as np\nimport pandas as pd\n"
              "from sklearn.linear_model import LinearRegression",
              "df = pd.read_csv('data.csv')\nX, y = df[['a', 'b']], df['y']"]
FIT = "model = LinearRegression()\nmodel.fit(X, y)"
SAVE = "joblib.dump(model, 'model.pkl')"


def _facts(tmp_path, cells, kind="auto"):
    nb = write_notebook(tmp_path / "nb.ipynb", cells)
    return artifacts(api.plan_notebook(str(nb), kind))


def _saves(facts):
    return [(s.call, s.path, s.option.option if s.option else None, s.plain) for s in facts.saved]


# -- saved files: each save target resolved to a path once --------------------------------------

SAVES = [  # the model's literal path is the --model-path option (plan/call_options); plain data keeps its name
    ("joblib.dump(model, 'model.pkl')", [("joblib.dump", "model.pkl", "--model-path", False)]),
    ("joblib.dump(model, 'out/model.joblib')", [("joblib.dump", "out/model.joblib", "--model-path", False)]),
    ("model_path = 'model.pkl'\njoblib.dump(model, model_path)",
     [("joblib.dump", "model.pkl", "--model-path", False)]),
    ("with open('model.pkl', 'wb') as f:\n    pickle.dump(model, f)",
     [("pickle.dump", "model.pkl", "--model-path", False)]),
    ("joblib.dump(model, 'model.pkl')\njoblib.dump(['a', 'b'], 'columns.pkl')",
     [("joblib.dump", "model.pkl", "--model-path", False), ("joblib.dump", "columns.pkl", None, True)]),
]

NOT_RESOLVED = [  # a save nb2prod cannot name a file for: listed with path None, never guessed
    "import os\njoblib.dump(model, os.path.join('out', 'model.pkl'))",
]

NO_SAVES = [
    "print(model.score(X, y))",
    "model.predict(X)",
]


@pytest.mark.parametrize("save, expected", SAVES)
def test_saved_files_resolve_to_paths(tmp_path, save, expected):
    facts = _facts(tmp_path, TRAIN_HEAD + ['## Train', FIT, '## Save', save])
    assert isinstance(facts, TrainingArtifacts)
    assert _saves(facts) == expected
    assert [s.name for s in facts.saved] == [Path(e[1]).name for e in expected]


@pytest.mark.parametrize("save", NOT_RESOLVED)
def test_saved_files_left_unresolved(tmp_path, save):
    facts = _facts(tmp_path, TRAIN_HEAD + ['## Train', FIT, '## Save', save])
    assert all(s.path is None and s.name is None for s in facts.saved)


@pytest.mark.parametrize("cell", NO_SAVES)
def test_no_saved_files(tmp_path, cell):
    assert _facts(tmp_path, TRAIN_HEAD + ['## Train', FIT, cell], kind='training').saved == ()


# -- files the notebook reads ---------------------------------------------------------------

READS = [
    ("df = pd.read_csv('data.csv')", ("data.csv",)),
    ("df = pd.read_csv('data/train.csv')", ("data/train.csv",)),
    ("df = pd.DataFrame(np.loadtxt('values.txt'), columns=['a', 'b', 'y'])", ("values.txt",)),
    ("with open('table.csv') as fh:\n    df = pd.read_csv(fh)", ("table.csv",)),
]

NO_READS = [
    "df = pd.read_csv('/srv/data/train.csv')",  # absolute: not the notebook's folder
    "df = pd.DataFrame({'a': [1.0, 2.0], 'b': [3.0, 4.0], 'y': [1.0, 2.0]})",
]


def _reading(read):
    return [TRAIN_HEAD[0], TRAIN_HEAD[1], read + "\nX, y = df[['a', 'b']], df['y']", "## Train", FIT, "## Save", SAVE]


@pytest.mark.parametrize("read, expected", READS)
def test_read_files(tmp_path, read, expected):
    assert _facts(tmp_path, _reading(read)).read_files == expected


@pytest.mark.parametrize("read", NO_READS)
def test_no_read_files(tmp_path, read):
    assert _facts(tmp_path, _reading(read)).read_files == ()


# -- the estimator and what the training step does with it --------------------------------------

ESTIMATORS = [
    (FIT, ("model", "LinearRegression", True, True)),
    ("model = LinearRegression()\nfor _ in range(2):\n    model.fit(X, y)",
     ("model", "LinearRegression", True, False)),
]


@pytest.mark.parametrize("cell, expected", ESTIMATORS)
def test_estimator(tmp_path, cell, expected):
    est = _facts(tmp_path, TRAIN_HEAD + ['## Train', cell, '## Save', SAVE]).estimator
    assert (est.variable, est.cls, est.is_class, est.fits_once) == expected
    assert "fit" in est.methods


def test_no_estimator_without_a_fit(tmp_path):
    facts = _facts(tmp_path, TRAIN_HEAD + ["print(X.mean())\njoblib.dump(X, 'x.pkl')"], kind="training")
    assert facts.estimator is None


# -- scoring: the model file and the request shape -----------------------------------------

SCORE_HEAD = "import json\nimport joblib\nimport numpy as np"
REQUEST = "raw_data = '{\"data\": [[1.0, 2.0], [3.0, 4.0]]}'\ndata = np.array(json.loads(raw_data)['data'])"
PREDICT = "predictions = model.predict(data)\npredictions"

ROWS = "raw_data = '[[1.0, 2.0], [3.0, 4.0]]'\ndata = np.array(json.loads(raw_data))"
BUNDLE = "bundle = joblib.load('bundle.pkl')\nmodel = bundle['model']\nscaler = bundle['scaler']"

SCORING = [  # (load cell, request cell, predict cell) -> (model file, library, model global, bundle keys, rows key)
    ("model = joblib.load('model.pkl')", REQUEST, PREDICT, ("model.pkl", "joblib", "model", (), "data")),
    ("model = joblib.load('out/model.joblib')", REQUEST, PREDICT, ("model.joblib", "joblib", "model", (), "data")),
    (BUNDLE, REQUEST, "predictions = model.predict(scaler.transform(data))\npredictions",
     ("bundle.pkl", "joblib", "model", ("model", "scaler"), "data")),
    ("model = joblib.load('model.pkl')", ROWS, PREDICT, ("model.pkl", "joblib", "model", (), None)),
]


@pytest.mark.parametrize("load, request_cell, predict, expected", SCORING)
def test_scoring_artifacts(tmp_path, load, request_cell, predict, expected):
    facts = _facts(tmp_path, [SCORE_HEAD, load, request_cell, predict], kind="scoring")
    assert isinstance(facts, ScoringArtifacts)
    assert (facts.model_file, facts.library, facts.model_global, facts.bundle_keys, facts.rows_key) == expected
    assert facts.sample is not None


def test_scoring_without_a_model_file(tmp_path):
    # a model from a registry, not a file (--kind scoring needs a notebook that loads a model and predicts)
    cells = [SCORE_HEAD + "\nfrom mlflow.pyfunc import load_model", 'model = load_model("models:/churn/1")', REQUEST,
             PREDICT]
    facts = _facts(tmp_path, cells, kind="scoring")
    assert facts.model_file is None and facts.library is None and facts.bundle_keys == ()


# -- the template contexts are documented, field by field ----------------------------------

README = Path(__file__).resolve().parent.parent / "templates" / "README.md"
DOCUMENTED = contexts.CONTEXTS + (Function,)


def _section(text: str, title: str) -> str:
    match = re.search(rf"^#+ {re.escape(title)}\b.*?$(.*?)(?=^#+ |\Z)", text, re.M | re.S)
    assert match, f"templates/README.md has no section for {title}"
    return match.group(1)


@pytest.mark.parametrize("cls", DOCUMENTED, ids=lambda c: c.__name__)
def test_every_context_field_is_documented(cls):
    section = _section(README.read_text(encoding="utf-8"), cls.__name__)
    documented = re.findall(r"^\| `(\w+)` \|", section, re.M)
    assert documented == [f.name for f in dataclasses.fields(cls)]


def test_evaluate_context_names_the_keys_evaluate_builds(tmp_path):
    from nb2prod.convert import evaluate

    cells = TRAIN_HEAD + [FIT, "from sklearn.metrics import mean_squared_error\n"
                          "mse = mean_squared_error(y, model.predict(X))\nprint(mse)",
                          "joblib.dump(model, 'model.pkl')"]
    nb = write_notebook(tmp_path / "nb.ipynb", cells)
    context, why = evaluate.build_context(api.plan_notebook(str(nb)), "nb.ipynb")
    assert context is not None, why
    assert list(context) == [f.name for f in dataclasses.fields(contexts.EvaluateContext)]
    contexts.EvaluateContext(**context)


def test_contexts_are_frozen():
    assert all(cls.__dataclass_params__.frozen for cls in contexts.CONTEXTS)
