"""Helpers for the execution-based equivalence tests (issue 3).

The question they answer: does the generated script, run on its own, produce the
model the notebook produces? ``Lab`` owns the work folders of one test session:

* ``A``  (``<tmp>/<name>/notebook``): the example's notebooks executed with nbclient;
* ``B``  (``<tmp>/<name>/generated``): the notebooks converted with ``nb2prod.api.convert``;
  ``python train.py`` (then ``python score.py``) run there;
* ``C``  (``<tmp>/<name>/pytest``): a pristine copy of the generated files where the
  generated tests run, so they never see the model ``train.py`` wrote in ``B``.

Each notebook runs once per session. Every subprocess that does not depend on a
notebook execution (``train.py``, the generated tests) is started in the
background as soon as the conversion is done, so it overlaps with the kernels.
"""
from __future__ import annotations

import ast
import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

try:  # tests/ is a package when the rootdir is the repository
    from tests.notebooks import EXAMPLES_DIR, ensure_kernelspec, execute_notebook
except ImportError:  # pragma: no cover - depends on rootdir/sys.path layout
    from notebooks import EXAMPLES_DIR, ensure_kernelspec, execute_notebook

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
MLOPS_DIR = SHARED / "reference" / "mlopspython"
MLOPS_TRAINING = MLOPS_DIR / "Diabetes Ridge Regression Training.ipynb"
MLOPS_SCORING = MLOPS_DIR / "Diabetes Ridge Regression Scoring.ipynb"
MLOPS_MODEL = "sklearn_regression_model.pkl"
# The tutorial's test request; the MLOps scoring notebook scores exactly these two rows.
MLOPS_ROWS = [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]]

MODEL_SUFFIXES = (".pkl", ".joblib")
SCRIPT_TIMEOUT = 180
EVALUATION_ROLES = ("train", "evaluate")

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|\bnan\b|\binf\b")


def training_examples() -> list[str]:
    """Names of the example folders that have a training notebook."""
    return sorted(p.parent.name for p in EXAMPLES_DIR.glob("*/training.ipynb"))


def scoring_examples() -> list[str]:
    """Names of the example folders with both a training and a scoring notebook."""
    return [n for n in training_examples() if (EXAMPLES_DIR / n / "scoring.ipynb").exists()]


# -- subprocesses -------------------------------------------------------------------------------

def clean_env(**extra: str | None) -> dict[str, str]:
    """The test process's environment without the variables that steer score.py's model lookup."""
    env = {k: v for k, v in os.environ.items() if k not in ("AZUREML_MODEL_DIR", "MODEL_PATH")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for key, value in extra.items():
        if value is not None:
            env[key] = value
    return env


def run_python(args, cwd, env=None, timeout=SCRIPT_TIMEOUT) -> subprocess.CompletedProcess:
    """``python ARGS`` with this interpreter, in ``cwd``; never raises on a non-zero exit."""
    return subprocess.run([sys.executable, *map(str, args)], check=False, cwd=str(cwd), env=env or clean_env(),
                          capture_output=True, text=True, timeout=timeout)


def describe(proc: subprocess.CompletedProcess) -> str:
    """A failure message showing how a subprocess ended."""
    return (f"`{' '.join(map(str, proc.args))}` exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}")


# -- notebooks and their outputs ----------------------------------------------------------------

def cell_stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def cell_result_text(cell) -> str:
    """The text/plain of the cell's execute_result (its last expression), or ''."""
    for o in cell.get("outputs", []):
        if o.get("output_type") == "execute_result":
            return o.get("data", {}).get("text/plain", "")
    return ""


def numbers(text: str) -> list[float]:
    """Every number written in ``text`` (dtype annotations such as ``dtype=int64`` ignored)."""
    text = re.sub(r"dtype=\w+", "", text)
    return [float(m) for m in _NUMBER.findall(text)]


def _calls_print(node) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
               for n in ast.walk(node))


def evaluation_cells(plan) -> list[int]:
    """1-based indexes of the cells whose kept statements of the train/evaluate steps print
    something: the cells whose printed lines the generated train.py must print too."""
    cells = set()
    for step in plan.steps:
        if step.role in EVALUATION_ROLES:
            cells.update(s.cell for s in step.statements if _calls_print(s.node))
    return sorted(cells)


def printed_metric_lines(executed_nb, plan) -> list[str]:
    lines = []
    for index in evaluation_cells(plan):
        lines += [ln for ln in cell_stdout(executed_nb.cells[index - 1]).splitlines() if ln.strip()]
    return lines


def _skeleton(line: str) -> str:
    return " ".join(_NUMBER.sub("#", line).split())


def assert_lines_printed(expected: list[str], stdout: str, rtol=1e-9, atol=1e-12) -> None:
    """Each expected line appears in ``stdout``, in order: same words, numbers allclose."""
    assert expected, "the notebook's evaluation cells printed nothing to compare with"
    assert any(numbers(line) for line in expected), f"no number in the notebook's printed lines {expected}"
    actual = [ln for ln in stdout.splitlines() if ln.strip()]
    pos = 0
    for line in expected:
        want = numbers(line)
        for j in range(pos, len(actual)):
            got = numbers(actual[j])
            if (_skeleton(actual[j]) == _skeleton(line) and len(got) == len(want)
                    and np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)):
                pos = j + 1
                break
        else:
            raise AssertionError(
                f"the notebook printed {line!r}; train.py printed no matching line after line {pos}:\n"
                + "\n".join(actual))


def scoring_notebook_result(executed_nb) -> list[float]:
    """The scores the scoring notebook showed: the numbers in the output of the last code cell
    with an output (a printed ``{'result': [...]}`` or an array shown as the last expression)."""
    for cell in reversed([c for c in executed_nb.cells if c.cell_type == "code"]):
        text = cell_stdout(cell) + "\n" + cell_result_text(cell)
        if text.strip():
            if "result" in text:
                text = text[text.index("result"):]
            return numbers(text)
    raise AssertionError("the scoring notebook shows no output")


def script_json_result(stdout: str):
    """The JSON object score.py printed last."""
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    assert lines, "score.py printed nothing"
    return json.loads(lines[-1])


def patched_notebook(source: Path, dest: Path, old: str, new: str) -> Path:
    """Copy ``source`` to ``dest`` replacing ``old`` by ``new`` in its code cells (exactly once)."""
    nb = nbformat.read(source, as_version=4)
    hits = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and old in cell.source:
            hits += cell.source.count(old)
            cell.source = cell.source.replace(old, new)
    assert hits == 1, f"expected `{old}` once in {source.name}, found it {hits} times"
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return dest


# -- models -------------------------------------------------------------------------------------

def model_files(folder: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(Path(folder).iterdir()) if p.suffix in MODEL_SUFFIXES}


@contextlib.contextmanager
def imported_script(path: Path, cwd: Path | None = None):
    """Import a generated script as a module under a private name; sys.path, sys.modules and
    the current directory are restored afterwards."""
    path = Path(path)
    name = f"_nb2prod_equivalence_{path.stem}_{abs(hash(str(path)))}"
    old_path, old_cwd = list(sys.path), os.getcwd()
    sys.path.insert(0, str(path.parent))
    try:
        os.chdir(cwd or path.parent)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)
        sys.path[:] = old_path
        os.chdir(old_cwd)


def rebuild_inputs(train_py: Path, plan) -> dict:
    """Run the generated script's steps that come before the train step, wiring each step's
    returns to the later steps' parameters by name (as the generated ``main()`` does).
    Returns the namespace of every value they produced, plus ``__predict_input__``: the
    notebook's ``predict`` argument evaluated there (``plan.predict_input``)."""
    names = [s.role for s in plan.steps]
    assert "train" in names, f"the plan has no train step: {[(s.name, s.role) for s in plan.steps]}"
    namespace: dict = {}
    with imported_script(train_py) as module:
        for step in plan.steps[:names.index("train")]:
            func = getattr(module, step.name)
            missing = [p for p in step.params if p not in namespace]
            assert not missing, f"{step.name}() needs {missing}, which no earlier step returned"
            value = func(*[namespace[p] for p in step.params])
            if len(step.returns) == 1:
                namespace[step.returns[0]] = value
            elif step.returns:
                namespace.update(zip(step.returns, value))
        train = plan.steps[names.index("train")]
        if plan.predict_input:
            namespace["__predict_input__"] = eval(plan.predict_input, vars(module), dict(namespace))
        else:  # fall back on the train step's 2-D inputs
            matrices = [namespace[p] for p in train.params if getattr(namespace.get(p), "ndim", 0) == 2]
            assert matrices, f"no predict input in the plan and no 2-D input of {train.name}()"
            namespace["__predict_input__"] = matrices[0]
    return namespace


def assert_same_predictions(expected_model, actual_model, X, rtol=1e-9, atol=1e-12) -> None:
    np.testing.assert_allclose(np.asarray(actual_model.predict(X)), np.asarray(expected_model.predict(X)),
                               rtol=rtol, atol=atol, err_msg="predict() differs")
    if hasattr(expected_model, "predict_proba"):
        assert hasattr(actual_model, "predict_proba"), "the script's model has no predict_proba"
        np.testing.assert_allclose(actual_model.predict_proba(X), expected_model.predict_proba(X),
                                   rtol=rtol, atol=atol, err_msg="predict_proba() differs")


# -- code quality -------------------------------------------------------------------------------

def pyflakes_messages(paths) -> list[str]:
    from io import StringIO

    from pyflakes.api import checkPath
    from pyflakes.reporter import Reporter

    out, err = StringIO(), StringIO()
    reporter = Reporter(out, err)
    for path in paths:
        checkPath(str(path), reporter)
    return [ln for ln in (out.getvalue() + err.getvalue()).splitlines() if ln.strip()]


# -- the session's work folders -----------------------------------------------------------------

class Job:
    """A subprocess started in the background; ``result()`` waits for it."""

    def __init__(self, pool, args, cwd, env=None):
        self._future = pool.submit(run_python, args, cwd, env)

    def result(self) -> subprocess.CompletedProcess:
        return self._future.result()


@dataclass
class Project:
    """One notebook set (an example folder, or the MLOps pair): its folders and lazy results."""

    name: str
    root: Path
    training: Path
    scoring: Path | None = None
    sources: list[Path] = field(default_factory=list)  # what to convert, training first
    convert_error: str | None = None
    plans: dict = field(default_factory=dict)  # "training"/"scoring" -> Plan
    train_job: Job | None = None
    pytest_job: Future | None = None
    _cache: dict = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def notebook_dir(self) -> Path:  # A
        return self.root / "notebook"

    @property
    def generated_dir(self) -> Path:  # B
        return self.root / "generated"

    @property
    def pytest_dir(self) -> Path:  # C
        return self.root / "pytest"

    def generated_files(self) -> list[Path]:
        return sorted(p for p in self.generated_dir.glob("*.py"))

    def require_converted(self) -> None:
        if self.convert_error:
            raise AssertionError(f"converting {self.name} failed: {self.convert_error}")

    def _once(self, key, make):
        with self._lock:
            if key not in self._cache:
                try:
                    self._cache[key] = ("ok", make())
                except Exception as exc:  # noqa: BLE001 - remembered: every test needing it fails alike
                    self._cache[key] = ("error", exc)
        state, value = self._cache[key]
        if state == "error":
            raise value
        return value

    def executed_training(self):
        """The training notebook executed in A (once)."""
        return self._once("training", lambda: execute_notebook(self.training, self.notebook_dir))

    def executed_scoring(self):
        """The scoring notebook executed in A after the training notebook (once)."""
        def run():
            self.executed_training()
            return execute_notebook(self.scoring, self.notebook_dir)
        return self._once("scoring", run)

    def notebook_models(self) -> dict[str, Path]:
        return self._once("notebook_models", lambda: (self.executed_training(), model_files(self.notebook_dir))[1])

    def train_run(self) -> subprocess.CompletedProcess:
        self.require_converted()
        return self.train_job.result()

    def script_models(self) -> dict[str, Path]:
        proc = self.train_run()
        assert proc.returncode == 0, describe(proc)
        return model_files(self.generated_dir)

    def score_run(self) -> subprocess.CompletedProcess:
        def run():
            self.script_models()
            return run_python(["score.py"], self.generated_dir)
        self.require_converted()
        return self._once("score", run)


class Lab:
    """Every project of the session, converted up front, with background jobs started."""

    def __init__(self, root: Path, workers: int = 2):
        self.root = Path(root)
        self.pool = ThreadPoolExecutor(max_workers=workers)
        self.projects: dict[str, Project] = {}

    def add(self, project: Project) -> Project:
        self.projects[project.name] = project
        return project

    def start(self) -> None:
        """Convert every project, then queue train.py runs first and the generated tests after."""
        ensure_kernelspec()
        for project in self.projects.values():
            self._convert(project)
        for project in self.projects.values():
            if not project.convert_error:
                project.train_job = Job(self.pool, ["train.py"], project.generated_dir)
        for project in self.projects.values():
            if not project.convert_error:
                project.pytest_job = self.pool.submit(self._generated_tests, project)

    @staticmethod
    def _generated_tests(project: Project) -> subprocess.CompletedProcess:
        """Run the generated tests once the converted notebook copy holds the outputs of a real run, as a
        notebook saved after running does: the regression test reads them from it."""
        assert project.training.is_relative_to(project.root), "only a copy of the notebook may be rewritten"
        nbformat.write(project.executed_training(), project.training)
        return run_python(["-m", "pytest", "-q", "-p", "no:cacheprovider"], project.pytest_dir)

    def _convert(self, project: Project) -> None:
        from nb2prod import api

        try:
            for path in project.sources:
                plan = api.plan_notebook(str(path))
                project.plans[plan.kind] = plan
            results = api.convert([str(p) for p in project.sources], outdir=str(project.generated_dir))
            errors = [f"{r.notebook}: {r.error}" for r in results if r.error is not None]
            if errors:
                project.convert_error = "; ".join(errors)
                return
            shutil.copytree(project.generated_dir, project.pytest_dir)
        except Exception as exc:  # noqa: BLE001 - reported by every test of the project
            project.convert_error = f"{type(exc).__name__}: {exc}"

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def example_project(lab_root: Path, name: str) -> Project:
    """An example folder's notebooks, copied (the generated tests read the training copy's outputs)."""
    folder, src = EXAMPLES_DIR / name, lab_root / name / "src"
    src.mkdir(parents=True, exist_ok=True)
    sources = [Path(shutil.copy(folder / n, src)) for n in ("training.ipynb", "scoring.ipynb") if (folder / n).exists()]
    scoring = src / "scoring.ipynb"
    return Project(name, lab_root / name, sources[0], scoring if scoring.exists() else None, sources)


def mlops_project(lab_root: Path) -> Project | None:
    """The real MLOps training notebook with its bug fixed (`reg` -> `reg_model`), in a tmp copy,
    converted together with the real (unchanged) scoring notebook."""
    if not (MLOPS_TRAINING.exists() and MLOPS_SCORING.exists()):
        return None
    root = lab_root / "mlops"
    fixed = patched_notebook(MLOPS_TRAINING, root / "src" / MLOPS_TRAINING.name, "value=reg,", "value=reg_model,")
    return Project("mlops", root, fixed, None, [fixed, MLOPS_SCORING])
