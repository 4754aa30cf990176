"""Issue 3: the generated script, run on its own, produces the model the notebook produces.

For every example notebook (and the real MLOpsPython notebooks, when ../shared is there) the
notebook is executed with nbclient in one folder and converted into another, where
`python train.py` runs as a subprocess; both saved models must give the same predictions on
the same data, train.py must print the metric the notebook printed, score.py must answer what
the scoring notebook showed, the generated tests must pass and the generated code must lint clean.

Each notebook is executed once per session; conversions happen up front, and the subprocesses
that do not need a notebook run (train.py, the generated tests) start in the background.
"""
from __future__ import annotations

import shutil
import subprocess
import sys

import joblib
import numpy as np
import pytest

try:  # tests/ is a package when the rootdir is the repository
    from tests import equivalence as eq
except ImportError:  # pragma: no cover - depends on rootdir/sys.path layout
    import equivalence as eq

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("sklearn")
# one worker runs the whole module under pytest-xdist: the `lab` fixture executes every notebook and
# runs every train.py once, and a second worker running some of these tests would do it all again
pytestmark = pytest.mark.xdist_group("equivalence")

TRAINING = eq.training_examples()
SCORING = eq.scoring_examples()
HAVE_MLOPS = eq.MLOPS_TRAINING.exists() and eq.MLOPS_SCORING.exists()
NO_MLOPS = f"MLOpsPython reference notebooks not found in {eq.MLOPS_DIR} (../shared is absent)"
ALL_PROJECTS = TRAINING + (["mlops"] if HAVE_MLOPS else [])


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("equivalence")
    lab = eq.Lab(root)
    for name in TRAINING:
        lab.add(eq.example_project(root, name))
    mlops = eq.mlops_project(root)
    if mlops is not None:
        lab.add(mlops)
    lab.start()
    yield lab
    lab.close()


def _project(lab, name):
    if name == "mlops" and not HAVE_MLOPS:
        pytest.skip(NO_MLOPS)
    project = lab.projects[name]
    project.require_converted()
    return project


# -- 1. training: same model, same metric ---------------------------------------------------------

@pytest.mark.parametrize("name", ALL_PROJECTS)
def test_train_script_saves_the_notebooks_model(lab, name):
    project = _project(lab, name)
    expected = project.notebook_models()
    actual = project.script_models()
    assert expected, f"the notebook saved no *.pkl/*.joblib in {project.notebook_dir}"
    assert sorted(actual) == sorted(expected), "train.py saved other model files than the notebook"
    plan = project.plans["training"]
    inputs = eq.rebuild_inputs(project.generated_dir / "train.py", plan)
    X = inputs["__predict_input__"]
    assert len(X) > 0
    for file_name in expected:
        eq.assert_same_predictions(joblib.load(expected[file_name]), joblib.load(actual[file_name]), X)


@pytest.mark.parametrize("name", ALL_PROJECTS)
def test_train_script_prints_the_notebooks_metric(lab, name):
    project = _project(lab, name)
    executed = project.executed_training()
    expected = eq.printed_metric_lines(executed, project.plans["training"])
    proc = project.train_run()
    assert proc.returncode == 0, eq.describe(proc)
    eq.assert_lines_printed(expected, proc.stdout)


# -- 2. the real MLOps training notebook ----------------------------------------------------------

@pytest.mark.skipif(not HAVE_MLOPS, reason=NO_MLOPS)
def test_unfixed_mlops_notebook_is_refused_with_one_clear_line(tmp_path):
    before = sorted(p.name for p in eq.MLOPS_DIR.iterdir())
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "nb2prod", "convert", str(eq.MLOPS_TRAINING), "-o", str(out)],
                          check=False, cwd=str(tmp_path), env=eq.clean_env(PYTHONPATH=str(eq.REPO_ROOT)),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, eq.describe(proc)
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    assert len(lines) == 1, eq.describe(proc)
    line = lines[0]
    assert eq.MLOPS_TRAINING.name in line
    assert "cell 15:3" in line, line
    assert "`reg`" in line and "did you mean `reg_model`" in line, line
    assert not out.exists() or not any(out.iterdir()), f"wrote {sorted(out.iterdir())}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "wrote files in the current folder"
    assert sorted(p.name for p in eq.MLOPS_DIR.iterdir()) == before, "wrote beside the notebook"


# -- 3. scoring: score.py answers what the notebook showed ---------------------------------------

@pytest.mark.parametrize("name", SCORING)
def test_score_script_answers_what_the_notebook_showed(lab, name):
    project = _project(lab, name)
    expected = eq.scoring_notebook_result(project.executed_scoring())
    proc = project.score_run()
    assert proc.returncode == 0, eq.describe(proc)
    answer = eq.script_json_result(proc.stdout)
    actual = np.ravel(np.asarray(answer["result"], dtype=float))
    assert len(actual) == len(expected), f"score.py: {answer}; notebook: {expected}"
    # the notebook may show an array repr (8 decimals); score.py prints full-precision JSON
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-7)


def _mlops_expected(project):
    """What the fixed notebook's own model predicts for the scoring notebook's two test rows."""
    model = joblib.load(project.notebook_models()[eq.MLOPS_MODEL])
    return model.predict(np.array(eq.MLOPS_ROWS))


@pytest.mark.skipif(not HAVE_MLOPS, reason=NO_MLOPS)
def test_mlops_score_script_runs_without_azureml_with_model_path(lab, tmp_path):
    project = _project(lab, "mlops")
    text = (project.generated_dir / "score.py").read_text()
    azureml = [line.strip() for line in text.splitlines() if "azureml" in line]  # only the optional 400 answer
    assert azureml == ["from azureml.contrib.services.aml_response import AMLResponse"]
    model = project.script_models()[eq.MLOPS_MODEL]
    proc = eq.run_python([project.generated_dir / "score.py", "--model-path", model], tmp_path)
    assert proc.returncode == 0, eq.describe(proc)
    answer = eq.script_json_result(proc.stdout)
    assert len(answer["result"]) == 2, answer
    np.testing.assert_allclose(answer["result"], _mlops_expected(project), rtol=1e-9)


@pytest.mark.skipif(not HAVE_MLOPS, reason=NO_MLOPS)
def test_mlops_score_script_reads_azureml_model_dir(lab, tmp_path):
    project = _project(lab, "mlops")
    model_dir = tmp_path / "azureml-models" / "sklearn_regression_model" / "1"
    model_dir.mkdir(parents=True)
    shutil.copy(project.script_models()[eq.MLOPS_MODEL], model_dir / eq.MLOPS_MODEL)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    proc = eq.run_python([project.generated_dir / "score.py"], cwd, env=eq.clean_env(AZUREML_MODEL_DIR=str(model_dir)))
    assert proc.returncode == 0, eq.describe(proc)
    answer = eq.script_json_result(proc.stdout)
    assert len(answer["result"]) == 2, answer
    np.testing.assert_allclose(answer["result"], _mlops_expected(project), rtol=1e-9)


# -- 4. the generated tests pass -----------------------------------------------------------------

@pytest.mark.parametrize("name", ALL_PROJECTS)
def test_generated_tests_pass(lab, name):
    project = _project(lab, name)
    proc = project.pytest_job.result()
    assert proc.returncode == 0, eq.describe(proc)
    assert "passed" in proc.stdout, eq.describe(proc)
    assert "skipped" not in proc.stdout, eq.describe(proc)


# -- 5. the generated code lints clean -----------------------------------------------------------

@pytest.mark.parametrize("name", ALL_PROJECTS)
def test_generated_code_is_pyflakes_clean(lab, name):
    project = _project(lab, name)
    files = project.generated_files()
    assert {"train.py", "test_train.py"} <= {p.name for p in files}
    assert eq.pyflakes_messages(files) == []


@pytest.mark.parametrize("name", ALL_PROJECTS)
def test_generated_code_is_ruff_clean(lab, name):
    project = _project(lab, name)
    files = [p.name for p in project.generated_files()]
    # run in the output folder, as a user would: train/score are first-party imports there
    # ruff is a dependency (convert formats with it): `python -m ruff` finds it where pip put it, PATH or not
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", *files],
                          check=False, cwd=str(project.generated_dir), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, eq.describe(proc)
