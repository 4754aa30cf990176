"""`convert --with-evaluate`: evaluate.py recomputes the notebook's metric and picks the better model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod import api
from nb2prod.convert.evaluate import direction, find_metric

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture
def generated_modules(monkeypatch):
    """Import the generated train.py/evaluate.py of a tmp folder in-process (fast), and forget them after."""
    yield
    for name in ("train", "evaluate"):
        sys.modules.pop(name, None)


def convert(example: str, outdir: Path, monkeypatch) -> Path:
    results = api.convert([str(EXAMPLES / example / "training.ipynb")], str(outdir), with_evaluate=True)
    assert results[0].error is None, results[0].error
    assert (outdir / "evaluate.py").is_file()
    for name in ("train", "evaluate"):
        sys.modules.pop(name, None)
    monkeypatch.syspath_prepend(str(outdir))
    monkeypatch.chdir(outdir)
    return outdir


def train(folder: Path, *options: str) -> None:
    import train as module

    module.main(list(options))


class Done:
    def __init__(self, returncode, out, err):
        self.returncode, self.stdout, self.stderr = returncode, out, err


def evaluate(capsys, candidate: str, production: str, *flags: str) -> Done:
    import evaluate as module

    capsys.readouterr()
    try:
        code = module.main(["--candidate", candidate, "--production", production, *flags])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out = capsys.readouterr()
    return Done(code, out.out, out.err)


def test_lower_is_better_for_mse(tmp_path, monkeypatch, capsys, generated_modules):
    """Ridge with a tiny alpha beats a huge alpha on the diabetes validation rows (mse: lower wins)."""
    folder = convert("diabetes_ridge", tmp_path, monkeypatch)
    train(folder, "--alpha", "0.001", "--model-name", "good.pkl")
    train(folder, "--alpha", "1000", "--model-name", "bad.pkl")
    better = evaluate(capsys, "good.pkl", "bad.pkl")
    assert better.returncode == 0, better.stderr
    assert better.stdout.splitlines()[0].endswith("(lower is better)")
    assert better.stdout.splitlines()[1] == "the candidate is better"
    worse = evaluate(capsys, "bad.pkl", "good.pkl")
    assert worse.returncode == 1
    assert worse.stdout.splitlines()[1] == "the candidate is not better: keep the production model"
    assert evaluate(capsys, "good.pkl", "good.pkl").returncode == 1  # a tie keeps production
    as_script = subprocess.run([sys.executable, "evaluate.py", "--candidate", "bad.pkl", "--production", "good.pkl"],
                               cwd=folder, capture_output=True, text=True, timeout=120)
    assert as_script.returncode == 1, as_script.stderr
    flipped = evaluate(capsys, "bad.pkl", "good.pkl", "--higher-is-better")
    assert flipped.returncode == 0
    assert flipped.stdout.splitlines()[0].endswith("(higher is better)")


def test_higher_is_better_for_accuracy(tmp_path, monkeypatch, capsys, generated_modules):
    """A well-fitted iris pipeline beats one with a tiny C (accuracy: higher wins)."""
    folder = convert("iris_pipeline", tmp_path, monkeypatch)
    train(folder)
    (folder / "iris_model.joblib").rename(folder / "fitted.joblib")
    train(folder, "--c", "0.0001")
    assert evaluate(capsys, "fitted.joblib", "iris_model.joblib").returncode == 0
    assert evaluate(capsys, "iris_model.joblib", "fitted.joblib").returncode == 1
    assert evaluate(capsys, "iris_model.joblib", "fitted.joblib", "--lower-is-better").returncode == 0


def test_missing_model_file_is_a_usage_error(tmp_path, monkeypatch, capsys, generated_modules):
    convert("diabetes_ridge", tmp_path, monkeypatch)
    done = evaluate(capsys, "nope.pkl", "nope.pkl")
    assert done.returncode == 2
    assert "no such model file: nope.pkl" in done.stderr


@pytest.mark.parametrize("example, metric, higher", [
    ("diabetes_ridge", "mse", False),
    ("iris_pipeline", "accuracy", True),
    ("wine_helpers", "accuracy", True),
    ("numpy_noheadings", "rmse", False),
    ("breast_cancer_proba", "auc", True),
])
def test_metric_of_every_example(example, metric, higher):
    plan = api.plan_notebook(str(EXAMPLES / example / "training.ipynb"))
    train_at = next(i for i, s in enumerate(plan.steps) if s.role == "train")
    found = find_metric(plan.steps[train_at:], plan.estimator[0])
    assert found.name == metric
    assert direction(found.name) is higher
    generated = api.generate([(str(EXAMPLES / example / "training.ipynb"), plan)], str(ROOT), with_evaluate=True)
    compile(generated[0].texts["evaluate.py"], "evaluate.py", "exec")


@pytest.mark.parametrize("name, higher", [
    ("mse", False), ("rmse", False), ("val_loss", False), ("mean_absolute_error", False), ("log_loss", False),
    ("accuracy", True), ("f1", True), ("macro_f1", True), ("r2", True), ("roc_auc", True), ("precision", True),
    ("recall", True), ("score", True), ("throughput", None), ("alpha", None),
])
def test_direction_from_the_metric_name(name, higher):
    assert direction(name) is higher


def test_no_metric_gives_a_notice_and_no_file(tmp_path):
    import json

    nb = json.loads((EXAMPLES / "diabetes_ridge" / "training.ipynb").read_text())
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if "mean_squared_error(" in source and "import" not in source:
            cell["source"] = "preds = model.predict(data['test']['X'])\n"
    path = tmp_path / "training.ipynb"
    path.write_text(json.dumps(nb))
    gen = api.generate([(str(path), api.plan_notebook(str(path)))], str(tmp_path), with_evaluate=True)[0]
    assert "evaluate.py" not in gen.texts
    assert "evaluate.py not written: no validation metric found after the model is fitted" in gen.notices
