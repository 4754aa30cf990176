"""`--kind scoring` on a notebook that does not load a model and predict is unusable input in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nb2prod.cli import main
from tests.build import write_notebook

ROOT = Path(__file__).resolve().parents[1]
TRAINING = sorted(ROOT.glob("examples/*/training.ipynb"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("notebook", TRAINING, ids=lambda p: p.parent.name)
def test_kind_scoring_on_a_training_notebook_is_one_line_exit_2(notebook, tmp_path):
    result = run("convert", notebook, "-o", tmp_path / "out", "--kind", "scoring")
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert f"{notebook}: this notebook does not load a model and predict: nothing loads a model" in line
    assert line.endswith("it fits one: use --kind training (or auto)")
    assert not (tmp_path / "out").exists()


def test_kind_scoring_names_a_missing_predict(tmp_path):
    nb = write_notebook(tmp_path / "load_only.ipynb", ["import joblib", "## Load model", 'model = joblib.load("m.pkl")'])
    result = run("convert", nb, "-o", tmp_path / "out", "--kind", "scoring")
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.endswith(f"{nb}: this notebook does not load a model and predict: nothing predicts "
                         "(decision_function(), predict(), predict_proba(), transform())")


def test_kind_scoring_still_converts_a_notebook_that_loads_and_predicts(tmp_path):
    nb = write_notebook(tmp_path / "score.ipynb", [
        "import joblib\nimport numpy as np", "## Load model", 'model = joblib.load("m.pkl")',
        "## Score", "print(model.predict(np.ones((1, 2))))"])
    result = run("convert", nb, "-o", tmp_path / "out", "--kind", "scoring")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "score.py").is_file()
