"""Generated names never collide with the notebook's: step functions, options, test fixtures (issue 11 §3).

Each case converts the smallest notebook that shows the collision, then checks the generated files at
run time: `main(["--help"])` on the imported module, the whole script, and its generated tests."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nb2prod import api
from tests.build import write_notebook

IMPORTS = "import joblib\nimport numpy as np\nfrom sklearn.linear_model import LinearRegression"
DATA = "## Load data\n"  # a heading cell
LOAD = ("rng = np.random.default_rng(1)\nX = rng.normal(size=(40, 2))\n"
        "y = X[:, 0] - X[:, 1] + 0.1 * rng.normal(size=40)")
TRAIN = "model = LinearRegression()\nmodel.fit(X, y)"
SAVE = "joblib.dump(model, 'model.pkl')"


def _convert(tmp_path, cells, **kwargs):
    nb = write_notebook(tmp_path / "nb.ipynb", cells)
    out = tmp_path / "out"
    [result] = api.convert([str(nb)], str(out), **kwargs)
    return result, out


def _import(path: Path):
    spec = importlib.util.spec_from_file_location(f"generated_{path.stem}_{id(path)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _help(path: Path) -> str:
    """What `main(["--help"])` prints; argparse would raise at start-up on a conflicting option."""
    module = _import(path)
    with pytest.raises(SystemExit) as exit_:
        module.main(["--help"])
    assert exit_.value.code == 0
    return ""


def _run(args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def _check_runs(out: Path, script: str = "train.py") -> None:
    """The script runs end to end and its generated tests pass, run from the output folder."""
    ran = _run([script], out)
    assert ran.returncode == 0, ran.stderr
    tests = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)], out)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "skipped" not in tests.stdout, tests.stdout


# -- step names -------------------------------------------------------------------------------

USER_FUNCTIONS = [
    ("def load_data():\n    rng = np.random.default_rng(1)\n    X = rng.normal(size=(40, 2))\n"
     "    return X, X[:, 0] - X[:, 1]", "X, y = load_data()", "load_data_step"),
    ("def train_model(X, y):\n    return LinearRegression().fit(X, y)", None, "train_model_step"),
]


@pytest.mark.parametrize("helper, call, step", USER_FUNCTIONS, ids=["load_data", "train_model"])
def test_a_step_is_renamed_rather_than_the_notebooks_function(tmp_path, helper, call, step):
    load = call or LOAD
    train = "model = train_model(X, y)" if call is None else TRAIN
    cells = [IMPORTS, helper, "## Load data", load, "## Train", train, "## Save", SAVE]
    result, out = _convert(tmp_path, cells)
    assert result.error is None, str(result.error)
    text = (out / "train.py").read_text()
    assert f"def {step}(" in text and text.count(f"def {helper.split('(')[0][4:]}(") == 1
    _help(out / "train.py")
    _check_runs(out)


def test_a_variable_named_like_a_step_renames_the_step(tmp_path):
    cells = [IMPORTS, "## Load data", LOAD + "\nsplit_data = len(X) // 4", "## Split",
             "n_test = split_data\nX_train, y_train = X[n_test:], y[n_test:]",
             "## Train", "model = LinearRegression()\nmodel.fit(X_train, y_train)", "## Save", SAVE]
    result, out = _convert(tmp_path, cells)
    assert result.error is None, str(result.error)
    assert "def split_data_step(" in (out / "train.py").read_text()
    _help(out / "train.py")
    _check_runs(out)


CONTRACT = [
    ("training", "def main():\n    return 1", "`main`", 2),
    ("scoring", "def run(data):\n    return data", "`run`", 2),
    ("scoring", "init = 3", "`init`", 2),
]


@pytest.mark.parametrize("kind, cell, name, cell_number", CONTRACT, ids=["main", "run", "init"])
def test_a_contract_name_bound_by_the_notebook_is_a_code_problem(tmp_path, kind, cell, name, cell_number):
    if kind == "training":
        cells = [IMPORTS, cell, "## Load data", LOAD + "\nmain()", "## Train", TRAIN, "## Save", SAVE]
    else:
        cells = ["import joblib\nimport json", cell, "## Load model", "model = joblib.load('model.pkl')",
                 "## Score", "data = json.loads('[[1, 2]]')\nprint(model.predict(data), " + name[1:-1] + ")"]
    result, out = _convert(tmp_path, cells, kind=kind)
    assert result.error is not None and result.error.exit_code == 1
    message = str(result.error)
    assert len(message.splitlines()) == 1, message
    assert name in message and f"cell {cell_number}:1:1" in message and "rename it in the notebook" in message
    assert not (out / ("train.py" if kind == "training" else "score.py")).exists()


# -- option names -----------------------------------------------------------------------------

OPTIONS = [  # (the notebook's constants, the options train.py must offer)
    ("_seed = 1", ["--seed"]),
    ("alpha = 0.5\nAlpha = 2.0", ["--alpha", "--alpha-2"]),
    ("help = 3", ["--help-2"]),
    ("seed = 1\n_seed = 2\nseed_ = 3", ["--seed", "--seed-2", "--seed-3"]),
]


@pytest.mark.parametrize("constants, flags", OPTIONS, ids=["underscore", "case", "help", "three"])
def test_options_are_unique_and_not_argparse_own(tmp_path, monkeypatch, constants, flags):
    names = [line.split(" = ")[0] for line in constants.splitlines()]
    cells = [IMPORTS, "## Load data", LOAD + "\n" + constants, "## Train",
             "model = LinearRegression()\nmodel.fit(X * " + " * ".join(names) + ", y)", "## Save", SAVE]
    result, out = _convert(tmp_path, cells)
    assert result.error is None, str(result.error)
    text = (out / "train.py").read_text()
    for flag, name in zip(flags, names):
        assert f'"{flag}",' in text
        assert (f'dest="{name}",' in text) == (flag[2:].replace("-", "_") != name)
    _help(out / "train.py")
    module = _import(out / "train.py")
    monkeypatch.chdir(out)
    module.main([flags[0], "7"])  # an option given on the command line reaches the step
    _check_runs(out)


# -- test fixtures stay inside tmp_path ---------------------------------------------------------

def _reading(path: str):
    return [IMPORTS + "\nimport pandas as pd", "## Load data",
            f"frame = pd.read_csv({path!r})\nX, y = frame[['a', 'b']].to_numpy(), frame['y'].to_numpy()",
            "## Train", TRAIN, "## Save", SAVE]


def _write_data(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "x.csv").write_text("a,b,y\n" + "".join(f"{i},{i % 3},{2 * i}\n" for i in range(20)))


def test_a_file_read_from_outside_the_run_folder_is_not_linked_and_the_tests_say_why(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    result, out = _convert(project, _reading("../data/x.csv"))
    assert result.error is None, str(result.error)
    tests = (out / "test_train.py").read_text()
    assert "DATA_FILES" not in tests and "tmp_path / \"../" not in tests
    assert "def test_main_writes" not in tests
    assert "No test runs main() in tmp_path: the notebook reads \"../data/x.csv\"" in tests
    _write_data(project / "data")  # where the script, run from out/, finds ../data/x.csv
    _help(out / "train.py")
    _check_runs(out)


def test_a_file_read_inside_the_run_folder_is_still_linked(tmp_path):
    result, out = _convert(tmp_path, _reading("data/../data/x.csv"))
    assert result.error is None, str(result.error)
    tests = (out / "test_train.py").read_text()
    assert 'DATA_FILES = ["data/../data/x.csv"]' in tests and "def test_main_writes_model" in tests
    _write_data(out / "data")
    _check_runs(out)


# -- score.py's own module-level names ----------------------------------------------------------

SCORING_NAMES = ["import joblib\nimport json\nimport numpy as np",
                 "def _jsonable(v):\n    return [float(x) for x in v]\n\n\ndef _model_file(name):\n    return name\n\n\n"
                 "def parser(text):\n    return text.strip()",
                 "SAMPLE_REQUEST = 2.0",
                 "## Load model", "model = joblib.load(_model_file('model.pkl'))",
                 "## Score", "raw_data = '{\"data\": [[1, 2], [3, 4]]}'\n"
                 "data = np.array(json.loads(parser(raw_data))['data'])\n"
                 "print(_jsonable(model.predict(data * SAMPLE_REQUEST)))"]


def test_score_py_names_its_own_globals_clear_of_the_notebooks(tmp_path):
    """parser, SAMPLE_REQUEST, _model_file and _jsonable of the notebook stay the notebook's: score.py's
    `__main__` block, sample and helpers take parser_2, SAMPLE_REQUEST_2, _model_file_2, _jsonable_2."""
    import joblib
    from sklearn.linear_model import LinearRegression

    result, out = _convert(tmp_path, SCORING_NAMES, kind="scoring")
    assert result.error is None, str(result.error)
    text = (out / "score.py").read_text()
    for name in ("parser", "SAMPLE_REQUEST", "_model_file", "_jsonable"):
        assert f"{name}_2" in text, name
    for kept in ("def _jsonable(v):", "def _model_file(name):", "def parser(text):", "SAMPLE_REQUEST = 2.0"):
        assert kept in text, kept
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
    joblib.dump(LinearRegression().fit(X, X[:, 0] - X[:, 1]), out / "model.pkl")
    ran = _run(["score.py"], out)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["result"] == pytest.approx([-2.0, -2.0])  # the notebook's scale 2.0, its _jsonable
    tests = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)], out)
    assert tests.returncode == 0, tests.stdout + tests.stderr
