"""`nb2prod verify`: every example is equivalent when run for real; broken scripts and inputs are caught."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from nb2prod import api
from nb2prod.cli import main
from nb2prod.compare import compare_printed, compare_values
from nb2prod.verify import saved_paths
from tests.build import write_notebook
from tests.notebooks import ensure_kernelspec, example_notebooks

ROOT = Path(__file__).resolve().parents[1]
DIABETES = ROOT / "examples" / "diabetes_ridge"


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module", autouse=True)
def kernel():
    ensure_kernelspec()


def last_notebook_of_each_example():
    """Verifying a scoring notebook runs and compares its training sibling too: one run covers the folder."""
    last = {}
    for nb in example_notebooks():
        last[nb.parent] = nb
    return sorted(last.values())


@pytest.mark.parametrize("notebook", last_notebook_of_each_example(), ids=lambda p: p.parent.name)
def test_every_example_is_equivalent(notebook):
    result = run("verify", str(notebook))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1].startswith("equivalent: ")
    assert not any(line.startswith("  DIFF") for line in lines)
    if notebook.name == "scoring.ipynb":
        assert any(line.startswith("  same  training.ipynb: ") for line in lines)
        assert any(line.startswith("  same  run() on the sample") for line in lines)


def generated(notebooks, name: str) -> str:
    plans = [(str(nb), api.plan_notebook(str(nb))) for nb in notebooks]
    return {k: v for gen in api.generate(plans, str(DIABETES)) for k, v in gen.texts.items()}[name]


def test_a_changed_hyperparameter_is_caught(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(generated([DIABETES / "training.ipynb"], "train.py").replace("default=0.5", "default=5.0"))
    result = run("verify", str(DIABETES / "training.ipynb"), "--script", str(script))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "  DIFF  sklearn_regression_model.pkl: predict()" in lines
    assert any(line.startswith("  DIFF  printed `mse ") for line in lines)
    assert "  DIFF  metric mse" in lines  # the value train.py wrote to metrics.json
    assert lines[-1] == "not equivalent: 3 of 3 comparisons differ"


def test_a_changed_scoring_result_is_caught(tmp_path):
    """A scoring notebook alone in its folder, with the model file already there (no training sibling)."""
    import joblib
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    folder = tmp_path / "serve"
    folder.mkdir()
    shutil.copyfile(DIABETES / "scoring.ipynb", folder / "scoring.ipynb")
    joblib.dump(Ridge().fit(*load_diabetes(return_X_y=True)), folder / "sklearn_regression_model.pkl")
    script = tmp_path / "score.py"
    script.write_text(generated([folder / "scoring.ipynb"], "score.py").replace(
        "result = model.predict(data)", "result = model.predict(data) + 1"))
    result = run("verify", str(folder / "scoring.ipynb"), "--script", str(script))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "  DIFF  run() on the sample vs the notebook's {'result': result.tolist()}" in lines
    assert any(line.startswith("  note: no training notebook beside it") for line in lines)


def test_a_script_that_crashes_is_a_difference(tmp_path):
    script = tmp_path / "train.py"
    script.write_text("raise SystemExit('boom')\n")
    result = run("verify", str(DIABETES / "training.ipynb"), "--script", str(script))
    assert result.exit_code == 1
    assert result.output.splitlines()[2:4] == ["  DIFF  train.py runs", "        boom"]


def test_missing_kernel_is_a_clear_error():
    result = run("verify", str(DIABETES / "training.ipynb"), "--kernel", "no-such-kernel")
    assert result.exit_code == 2
    assert "no Jupyter kernel named 'no-such-kernel'; install one with" in result.output


def test_timeout_is_a_clear_error(tmp_path):
    nb = json.loads((DIABETES / "training.ipynb").read_text())
    nb["cells"].insert(3, {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                           "source": "import time\ntime.sleep(30)\n"})
    path = tmp_path / "training.ipynb"
    path.write_text(json.dumps(nb))
    result = run("verify", str(path), "--timeout", "2")
    assert result.exit_code == 2
    assert "a cell ran longer than the 2 s timeout (raise it with --timeout)" in result.output


def test_a_failing_notebook_names_the_cell(tmp_path):
    shutil.copyfile(DIABETES / "training.ipynb", tmp_path / "training.ipynb")
    nb = json.loads((tmp_path / "training.ipynb").read_text())
    nb["cells"].insert(3, {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                           "source": "1 / 0\n"})
    (tmp_path / "training.ipynb").write_text(json.dumps(nb))
    result = run("verify", str(tmp_path / "training.ipynb"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'training.ipynb'}:cell 4: the notebook fails: ZeroDivisionError: division by zero" \
        in result.output



# -- saved files: resolved by convert.artifacts, as for render -----------------------------------

RIDGE = ["# Ridge on the diabetes data",
         "import joblib\nfrom sklearn.datasets import load_diabetes\nfrom sklearn.linear_model import Ridge"]
TRAIN = ["## Load the data", "X, y = load_diabetes(return_X_y=True)",
         "## Train", "model = Ridge(alpha=0.5)\nmodel.fit(X, y)\nprint('mse', ((model.predict(X) - y) ** 2).mean())"]
SAVED_PATHS = [  # (config cell or None, save cell, paths verify compares, notes)
    (None, "joblib.dump(model, 'model.pkl')", ["model.pkl"], 0),
    (None, "joblib.dump(model, 'out/model.joblib')", ["out/model.joblib"], 0),  # the path, not only the name
    ("model_path = 'model.pkl'", "joblib.dump(model, model_path)", ["model.pkl"], 0),
    # a config-dict entry: verify's own resolution knew none and noted "cannot tell which file"
    ("cfg = {'model_path': 'models/m.pkl'}", "joblib.dump(model, cfg['model_path'])", ["models/m.pkl"], 0),
    ("n = 3", "joblib.dump(model, n)", [], 1),
]


@pytest.mark.parametrize("config, save, paths, notes", SAVED_PATHS)
def test_saved_paths_are_the_artifacts_ones(tmp_path, config, save, paths, notes):
    cells = RIDGE + (["## Config", config] if config else []) + TRAIN + ["## Save", save]
    found, noted = saved_paths(api.plan_notebook(str(write_notebook(tmp_path / "training.ipynb", cells))))
    assert (found, len(noted)) == (paths, notes)


def test_a_model_saved_to_a_config_dict_entry_is_compared(tmp_path):
    """`joblib.dump(model, cfg['model_path'])` saves to the entry's default, which train.py's option keeps:
    both sides' model files are compared (verify used to note it could not tell the file, and compared
    only the printed lines)."""
    cells = RIDGE + ["## Config", "cfg = {'model_path': 'model.pkl'}"] + TRAIN + \
        ["## Save", "joblib.dump(model, cfg['model_path'])"]
    result = run("verify", str(write_notebook(tmp_path / "training.ipynb", cells)))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  same  model.pkl: predict() (442 rows of X)" in lines
    assert not any("cannot tell which file" in line for line in lines)

SAME_PRINTED = [
    (["mse 3077.41"], ["mse 3077.41"]),
    (["mse 3077.4100000001"], ["mse 3077.41"]),
    (["(569, 30) 0.62", "{'auc': 0.99, 'accuracy': 0.96}"], ["{'auc': 0.99, 'accuracy': 0.96}"]),
    (["accuracy: 0.911", "macro f1: 0.911"], ["accuracy: 0.911", "macro f1: 0.911"]),
    (["10 0.9", "50 0.95", "accuracy: 1.0"], ["accuracy: 1.0"]),  # dropped exploration prints are ignored
    (["precision    recall  f1-score"], ["precision    recall  f1-score"]),  # no numbers: nothing to compare
]
DIFFERENT_PRINTED = [
    (["mse 3077.41"], ["mse 3100.2"]),
    (["mse 3077.41"], ["rmse 55.47"]),
    (["accuracy: 0.911"], ["accuracy: 0.911", "loss: 0.3"]),
]


@pytest.mark.parametrize("notebook, script", SAME_PRINTED)
def test_printed_metrics_that_agree(notebook, script):
    assert all(c.same for c in compare_printed(notebook, script))


@pytest.mark.parametrize("notebook, script", DIFFERENT_PRINTED)
def test_printed_metrics_that_differ(notebook, script):
    assert not all(c.same for c in compare_printed(notebook, script))


@pytest.mark.parametrize("shown, returned, same", [
    ({"result": [1.5, 2.0]}, {"result": [1.5, 2.0]}, True),
    ([0.25, 0.75], {"result": [0.25, 0.7500000001]}, True),
    ([0.25, 0.75], {"result": [0.25, 0.8]}, False),
    ({"result": [1, 2]}, {"result": [1, 2, 3]}, False),
    ({"label": "cat"}, {"label": "dog"}, False),
])
def test_compare_values(shown, returned, same):
    assert compare_values(shown, returned)[0] is same


def test_notebook_names_like_the_probes_own_are_the_notebooks(tmp_path):
    """The probe evaluates the notebook's expressions in the notebook's namespace: a metrics dict named
    `metrics` and rows named `expression` (the probe's own parameter names) are the notebook's values, not
    the probe's arguments (verify said "the notebook showed 3 values" on the MLOps notebook's `metrics`)."""
    cells = RIDGE + ["## Load the data", "X, y = load_diabetes(return_X_y=True)",
                     "## Split", "from sklearn.model_selection import train_test_split\n"
                     "X_train, expression, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)",
                     "## Train", "model = Ridge(alpha=0.5).fit(X_train, y_train)",
                     "## Evaluate", "from sklearn.metrics import mean_squared_error\n"
                     "metrics = {'mse': mean_squared_error(y_test, model.predict(expression))}\nprint(metrics)",
                     "## Save", "joblib.dump(model, 'model.pkl')"]
    result = run("verify", str(write_notebook(tmp_path / "training.ipynb", cells)))
    lines = result.output.splitlines()
    assert "  same  metric metrics (1 values)" in lines, result.output
    assert "  same  model.pkl: predict() (89 rows of expression)" in lines, result.output
    assert result.exit_code == 0, result.output


def test_the_mlops_training_notebook_is_equivalent(tmp_path):
    """The real MLOps training notebook (its `reg` bug fixed, in a tmp copy): model, metrics and printed
    lines agree with train.py's (issue 13: verify compares the metrics train.py writes)."""
    from tests.equivalence import MLOPS_TRAINING, patched_notebook
    if not MLOPS_TRAINING.exists():
        pytest.fail(f"the reference notebook is missing: {MLOPS_TRAINING}")
    fixed = patched_notebook(MLOPS_TRAINING, tmp_path / "training.ipynb", "value=reg,", "value=reg_model,")
    result = run("verify", str(fixed))
    lines = result.output.splitlines()
    assert "  same  metric metrics (1 values)" in lines, result.output
    assert any(line.startswith("  same  sklearn_regression_model.pkl: predict()") for line in lines), result.output
    assert result.exit_code == 0, result.output
