"""A scoring notebook's asserts on its sample (NB110) leave run() and become assertions in test_score.py
(issue 13): rewritten into the tests' names when they map, dropped with the reason otherwise; the
generated tests pass, and fail once score.py answers wrongly."""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod import api
from tests.build import write_notebook

ROOT = Path(__file__).resolve().parents[1]
SCORING = ROOT / "tests" / "data" / "unseen13" / "scoring_asserts.ipynb"
TRAINING = ["# Train the spam model", "import joblib\nimport numpy as np\nfrom sklearn.linear_model import LogisticRegression",
            "rng = np.random.default_rng(0)\nX = rng.normal(size=(80, 4))\ny = (X[:, 0] > 0).astype(int)\n"
            "model = LogisticRegression().fit(X, y)", "joblib.dump(model, \"spam.joblib\")"]
ANSWER = 'return {"result": result.tolist()}'


def _convert(tmp_path: Path, *notebooks: Path) -> dict:
    results = api.convert([str(p) for p in notebooks], str(tmp_path / "out"))
    assert all(r.error is None for r in results), [r.error for r in results]
    [scoring] = [r for r in results if r.kind == "scoring"]
    return {(f.cell, f.line): f for f in scoring.fates}


def _pytest(folder: Path, *select: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_score.py", *select],
                          cwd=folder, capture_output=True, text=True, timeout=300)


def _tamper(folder: Path, answer: str) -> None:
    script = folder / "score.py"
    text = script.read_text(encoding="utf-8")
    assert text.count(ANSWER) == 1, text
    script.write_text(text.replace(ANSWER, answer), encoding="utf-8")


def test_the_asserts_leave_run_each_with_where_it_went(tmp_path):
    shutil.copy(SCORING, tmp_path / SCORING.name)
    fates = _convert(tmp_path, tmp_path / SCORING.name)
    score = (tmp_path / "out" / "score.py").read_text(encoding="utf-8")
    assert not [n for n in ast.walk(ast.parse(score)) if isinstance(n, ast.Assert)], score
    moved, values, unmapped = fates[(7, 2)], fates[(7, 3)], fates[(6, 3)]
    assert [f.code for f in (moved, values, unmapped)] == ["NB110"] * 3 and not any(
        f.kept for f in (moved, values, unmapped))
    assert moved.where.startswith("moved to test_score.py")
    assert "no trained model" in values.where and "`data`" in unmapped.where
    tests = ast.parse((tmp_path / "out" / "test_score.py").read_text(encoding="utf-8"))
    [check] = [f for f in tests.body if isinstance(f, ast.FunctionDef) and f.name.endswith("as_the_notebook_checked")]
    asserted = [ast.unparse(a.test) for a in ast.walk(check) if isinstance(a, ast.Assert)]
    assert asserted == ['len(np.asarray(answer["result"])) == 2'.replace('"', "'")], asserted


def test_the_moved_check_passes_and_fails_when_run_answers_a_row_too_many(tmp_path):
    shutil.copy(SCORING, tmp_path / SCORING.name)
    _convert(tmp_path, tmp_path / SCORING.name)
    out = tmp_path / "out"
    passed = _pytest(out)
    assert passed.returncode == 0, passed.stdout[-3000:]
    _tamper(out, 'return {"result": result.tolist() + [0]}')
    failed = _pytest(out, "-k", "as_the_notebook_checked")
    assert failed.returncode == 1 and "the notebook's check at cell 7:2" in failed.stdout, failed.stdout[-3000:]


def test_with_the_training_notebook_the_value_checks_run_on_the_trained_model(tmp_path):
    shutil.copy(SCORING, tmp_path / SCORING.name)
    training = write_notebook(tmp_path / "train_spam.ipynb", TRAINING)
    fates = _convert(tmp_path, training, tmp_path / SCORING.name)
    assert fates[(7, 3)].where.startswith("moved to test_score.py") and "trained" in fates[(7, 3)].where
    out = tmp_path / "out"
    passed = _pytest(out, "-k", "trained")
    assert passed.returncode == 0 and "1 passed" in passed.stdout, passed.stdout[-3000:]
    _tamper(out, 'return {"result": [label + 2 for label in result.tolist()]}')  # right length, wrong labels
    failed = _pytest(out, "-k", "trained")
    assert failed.returncode == 1 and "the notebook's check at cell 7:3" in failed.stdout, failed.stdout[-3000:]


SCORING_CELLS = ["# Score", "import json\nimport joblib\nimport numpy as np", "model = joblib.load(\"m.joblib\")",
                 "raw_data = '{\"data\": [[1.0, 2.0]]}'\nrows = json.loads(raw_data)[\"data\"]"]


@pytest.mark.parametrize("cells, condition, why", [
    # the answer shown as a name: run() answers {"result": _jsonable(name)}
    (["preds = model.predict(np.array(rows))", "assert preds.shape == (1,)", "preds"],
     "np.asarray(answer['result']).shape == (1,)", "moved"),
    # the notebook's own dict: its values are the answer's keys
    (["preds = model.predict(np.array(rows))\nassert len(preds) == len(json.loads(raw_data)['data'])\n"
      "print(json.dumps({'labels': preds.tolist()}))"],
     "len(np.asarray(answer['labels'])) == len(json.loads(score.SAMPLE_REQUEST)['data'])", "moved"),
    # a module the tests do not import under that name, and a notebook name: not the tests' to give
    (["import numpy\npreds = model.predict(numpy.array(rows))", "assert numpy.all(preds >= 0)", "preds"],
     None, "`numpy`"),
    (["preds = model.predict(np.array(rows))", "assert len(rows) == 1", "preds"], None, "`rows`"),
    # whether there is an answer, like its length, holds for any model's: the stub-model test takes it
    (["preds = model.predict(np.array(rows))", "assert preds is not None", "preds"],
     "np.asarray(answer['result']) is not None", "moved"),
    (["preds = model.predict(np.array(rows))", "assert preds is not None and preds[0] >= 0", "preds"],
     "np.asarray(answer['result']) is not None and np.asarray(answer['result'])[0] >= 0", "trained"),
    # a comprehension's own names are the condition's; a notebook name spelled like the tests' `answer` is not it
    (["preds = model.predict(np.array(rows))", "assert all(p >= 0 for p in preds)", "preds"],
     "all(p >= 0 for p in np.asarray(answer['result']))", "trained"),
    (["preds = model.predict(np.array(rows))\nanswer = 1\nassert len(preds) == answer\npreds"], None, "`answer`"),
    # notebook text in a string: written as a literal, whatever it holds
    (["preds = model.predict(np.array(rows))", "assert len(preds) == 1 or '\"\"\"\\u2028\\n' == 'x'", "preds"],
     "len(np.asarray(answer['result'])) == 1 or '\"\"\"\\u2028\\n' == 'x'", "moved"),
])
def test_a_check_is_rewritten_into_the_tests_names_only_when_they_map(tmp_path, cells, condition, why):
    path = write_notebook(tmp_path / "score_it.ipynb", SCORING_CELLS + cells)
    fates = _convert(tmp_path, path)
    [fate] = [f for f in fates.values() if f.text.startswith("assert")]
    assert fate.code == "NB110" and not fate.kept
    assert (why in fate.where) if why != "moved" else fate.where.startswith("moved to test_score.py"), fate.where
    if why == "trained":  # it reads the answer's values: not a stub-model check, and no trained model here
        assert "no trained model" in fate.where and fate.where.startswith("dropped"), fate.where
    text = (tmp_path / "out" / "test_score.py").read_text(encoding="utf-8")
    tests = ast.parse(text)
    found = [ast.unparse(a.test) for f in tests.body if isinstance(f, ast.FunctionDef)
             and f.name.endswith("as_the_notebook_checked") for a in ast.walk(f) if isinstance(a, ast.Assert)]
    expected = [ast.unparse(ast.parse(condition, mode="eval").body)] if condition and why != "trained" else []
    assert found == expected, found
    if expected:
        _run_in_process(tmp_path / "out", "test_run_answers_the_sample_as_the_notebook_checked")


def _run_in_process(folder: Path, test: str) -> None:
    """Run one generated test function here (a pytest process per case would cost a second of start-up)."""
    sys.path.insert(0, str(folder))
    try:
        tests = importlib.import_module("test_score")
        with pytest.MonkeyPatch.context() as monkeypatch:
            getattr(tests, test)(monkeypatch)
    finally:
        sys.path.remove(str(folder))
        for name in ("score", "test_score"):
            sys.modules.pop(name, None)


def test_without_a_sample_request_a_check_is_only_dropped_and_says_why(tmp_path):
    path = write_notebook(tmp_path / "score_rand.ipynb", [
        "# Score", "import joblib\nimport numpy as np", "model = joblib.load(\"m.joblib\")",
        "rows = np.random.default_rng(0).normal(size=(2, 3))\npreds = model.predict(rows)\nassert len(preds) == 2\npreds"])
    fates = _convert(tmp_path, path)
    assert fates[(4, 3)].code == "NB110" and "no sample request" in fates[(4, 3)].where, fates[(4, 3)]
    assert "as_the_notebook_checked" not in (tmp_path / "out" / "test_score.py").read_text(encoding="utf-8")
