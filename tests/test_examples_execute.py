"""Every example notebook executes top to bottom and leaves a usable model.

Training notebooks must save their model (joblib, relative path) into the
working directory; the model must load and predict finite values. Scoring
notebooks run after their folder's training notebook in the same directory.
"""
from __future__ import annotations

import json

import joblib
import numpy as np
import pytest

try:  # tests/ is not a package today; keep working if it becomes one
    from tests.notebooks import (
        EXAMPLES_DIR,
        error_outputs,
        example_notebooks,
        execute_notebook,
    )
except ImportError:  # pragma: no cover - depends on rootdir/sys.path layout
    from notebooks import (
        EXAMPLES_DIR,
        error_outputs,
        example_notebooks,
        execute_notebook,
    )

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("sklearn")
# one worker runs the whole module under pytest-xdist: `run_example` executes each notebook once per module
# (a scoring notebook needs its training run), and tests split over two workers would execute them twice
pytestmark = pytest.mark.xdist_group("examples_execute")

# Model file each example folder's training notebook writes.
MODEL_FILES = {
    "diabetes_ridge": "sklearn_regression_model.pkl",
    "iris_pipeline": "iris_model.joblib",
    "wine_helpers": "wine_model.pkl",
    "numpy_noheadings": "linear_model.joblib",
    "breast_cancer_proba": "cancer_model.pkl",
}

NOTEBOOKS = example_notebooks()


def _id(path):
    return f"{path.parent.name}/{path.name}"


def _sample_input(model, n_rows=5):
    """Random input matching the fitted model's expected features."""
    rng = np.random.default_rng(0)
    n_features = model.n_features_in_
    X = rng.uniform(0.1, 1.0, size=(n_rows, n_features))
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        import pandas as pd

        return pd.DataFrame(X, columns=list(names))
    return X


def _text_outputs(nb):
    chunks = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                chunks.append(output.get("text", ""))
            elif "data" in output:
                chunks.append(output["data"].get("text/plain", ""))
    return "\n".join(chunks)


def test_examples_found():
    assert NOTEBOOKS, f"no notebooks under {EXAMPLES_DIR}"
    folders = {p.parent.name for p in NOTEBOOKS}
    assert folders == set(MODEL_FILES), "update MODEL_FILES when adding/removing examples"
    for folder in folders:
        assert (EXAMPLES_DIR / folder / "README.md").is_file(), folder


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_is_stored_clean(path):
    """Stored without outputs, python3 kernel, every cell has a stable id."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert nb["metadata"]["language_info"]["name"] == "python"
    for cell in nb["cells"]:
        assert cell.get("id"), "cell without id"
        if cell["cell_type"] == "code":
            assert cell["outputs"] == []
            assert cell["execution_count"] is None


@pytest.fixture(scope="module")
def run_example(tmp_path_factory):
    """Execute a notebook in its folder's shared temporary workdir.

    Each training notebook runs at most once per session; a scoring notebook
    reuses the workdir where its folder's training notebook already ran
    (running it first if needed). Returns (executed notebook, workdir).
    """
    workdirs = {}
    executed = {}

    def run(path):
        folder = path.parent.name
        if folder not in workdirs:
            workdirs[folder] = tmp_path_factory.mktemp(folder)
        if path not in executed:
            training = path.parent / "training.ipynb"
            if path != training and training.exists():
                run(training)
            executed[path] = execute_notebook(path, workdirs[folder])
        return executed[path], workdirs[folder]

    return run


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_executes(path, run_example):
    nb, workdir = run_example(path)
    assert error_outputs(nb) == []

    model_file = workdir / MODEL_FILES[path.parent.name]
    assert model_file.is_file(), f"{model_file.name} was not written in the working directory"
    model = joblib.load(model_file)
    preds = np.asarray(model.predict(_sample_input(model)), dtype=float)
    assert preds.shape == (5,)
    assert np.isfinite(preds).all()
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(_sample_input(model))
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)

    if path.name == "scoring.ipynb":
        text = _text_outputs(nb)
        if path.parent.name == "diabetes_ridge":
            assert "Test result:" in text and "'result': [" in text
        if path.parent.name == "breast_cancer_proba":
            last = nb.cells[-1]
            results = [o for o in last.outputs if o.get("output_type") == "execute_result"]
            assert results and "array(" in results[0]["data"]["text/plain"]
