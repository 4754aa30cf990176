"""`nb2prod verify --pipeline kfp`: the generated pipeline's local run is compared with the notebook too.

Each verify run here executes the notebook, train.py and the pipeline's 4 component processes (about
15 s of CPU): one example runs as generated (agrees), once with the pipeline tampered (differs); the
other tests stop before anything runs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nb2prod import verify as verifying
from nb2prod.cli import main
from tests.build import write_notebook
from tests.notebooks import EXAMPLES_DIR, ensure_kernelspec

IRIS = EXAMPLES_DIR / "iris_pipeline" / "training.ipynb"  # two metrics, a Pipeline model, a C option
MODEL = "iris_model.joblib"


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def kernel():
    ensure_kernelspec()


def test_the_pipeline_run_agrees_with_the_notebook(kernel):
    result = run("verify", str(IRIS), "--pipeline", "kfp")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for method in ("predict", "predict_proba"):
        assert any(line.startswith(f"  same  pipeline_kfp.py's {MODEL}: {method}() (") for line in lines), lines
    assert any(line.startswith("  same  pipeline_kfp.py: metric accuracy (") for line in lines), lines
    assert any(line.startswith("  same  pipeline_kfp.py: metric f1 (") for line in lines), lines
    assert any(line.startswith(f"  same  {MODEL}: predict() (") for line in lines), lines  # train.py's, as before
    assert lines[-1].startswith("equivalent: ")


def test_a_pipeline_that_trains_another_model_is_caught(kernel, monkeypatch):
    """The pipeline's C default changed: its model and metrics differ, train.py's still agree."""
    generate = verifying.generate

    def tampered(*args, **kwargs):
        generated = generate(*args, **kwargs)
        for gen in generated:
            if "pipeline_kfp.py" in gen.texts:
                text, hits = re.subn(r"(\n    C: float = )[0-9.]+,", r"\g<1>0.0001,", gen.texts["pipeline_kfp.py"])
                assert hits == 1
                gen.texts["pipeline_kfp.py"] = text
        return generated

    monkeypatch.setattr(verifying, "generate", tampered)
    result = run("verify", str(IRIS), "--pipeline", "kfp")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert f"  DIFF  pipeline_kfp.py's {MODEL}: predict()" in lines
    assert "  DIFF  pipeline_kfp.py: metric accuracy" in lines
    assert any(line.startswith(f"  same  {MODEL}: predict() (") for line in lines), lines
    assert lines[-1].startswith("not equivalent: ")


def test_a_missing_kfp_is_one_line_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "kfp", None)  # import kfp fails, find_spec says None
    result = CliRunner().invoke(main, ["verify", str(IRIS), "--pipeline", "kfp"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"nb2prod: {IRIS}: verify --pipeline kfp needs the Kubeflow Pipelines SDK: pip install 'nb2prod[kfp]'"]


def test_a_notebook_the_pipeline_cannot_carry_is_one_line(tmp_path: Path):
    """No evaluation step: convert writes train.py but no pipeline, so there is nothing to run (exit 2)."""
    notebook = write_notebook(tmp_path / "nb.ipynb", [
        "## Load", "import joblib\nfrom sklearn.linear_model import LinearRegression\nX, y = [[0], [1], [2]], [0, 1, 2]",
        "## Train", "model = LinearRegression()\nmodel.fit(X, y)",
        "## Save", "joblib.dump(model, 'model.joblib')",
    ])
    result = CliRunner().invoke(main, ["verify", str(notebook), "--pipeline", "kfp"])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"nb2prod: {notebook}: verify --pipeline kfp: pipeline_kfp.py not written: no evaluation step reports metrics "
        "after training"]
