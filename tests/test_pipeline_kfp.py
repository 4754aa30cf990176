"""`convert --pipeline kfp`: pipeline_kfp.py is clean, compiles to YAML for every training notebook, and
its local run (kfp.local.SubprocessRunner, no cluster) gives the model and the metrics `python train.py`
gives; the gate registers a candidate that beats the production metric and skips one that does not.

A local run costs 4-5 processes that import kfp and scikit-learn. Every training example and the fixed
MLOps notebook run once (`test_every_local_run_...`), in this process: its kfp and scikit-learn are
already imported, so only the components' own processes are paid for; `train.py` runs in this process too
(its main()). One example (LOCAL_EXAMPLE) runs twice, one run per branch of the gate, the first as
`python pipeline_kfp.py --local` (the command line and its own process). Each notebook is converted once per test process (`converted`), into that
process's own temporary folder, so the tests are safe under pytest-xdist.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import List, Tuple

import joblib
import pytest
import yaml

from nb2prod import api
from nb2prod.check import check, declared_projects
from tests.equivalence import (
    MLOPS_TRAINING, assert_same_predictions, describe, imported_script, model_files, patched_notebook,
    pyflakes_messages, rebuild_inputs, run_python, training_examples,
)
from tests.build import write_notebook
from tests.notebooks import EXAMPLES_DIR

LOCAL_EXAMPLE = "iris_pipeline"  # the example run in full: two metrics, a capitalised option (C), a Pipeline model
LOCAL_TIMEOUT = 300


def _notebook(name: str, tmp_path: Path, request) -> Path:
    if name != "mlops":
        return EXAMPLES_DIR / name / "training.ipynb"
    request.getfixturevalue("reference_dir")  # skips, saying why, when ../shared is absent
    return patched_notebook(MLOPS_TRAINING, tmp_path / "nb" / "training.ipynb", "value=reg,", "value=reg_model,")


def _convert(notebook: Path, out: Path) -> Path:
    [result] = api.convert([str(notebook)], str(out), pipelines=("kfp",))
    assert result.error is None, result.error
    assert not [n for n in result.notices if "not written" in n], result.notices
    return out / "pipeline_kfp.py"


def _option_defaults(train_py: Path) -> dict:
    """train.py's argparse options: variable name → default, read from its source."""
    found = {}
    for node in ast.walk(ast.parse(train_py.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument":
            words = {k.arg: k.value for k in node.keywords}
            if "default" not in words:
                continue  # --params FILE: no default, it sets the others
            dest = ast.literal_eval(words["dest"]) if "dest" in words else node.args[0].value[2:].replace("-", "_")
            found[dest] = ast.literal_eval(words["default"])
    return found


def _load(pipeline: Path):
    spec = importlib.util.spec_from_file_location(f"pipeline_kfp_{abs(hash(str(pipeline)))}", pipeline)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _compiled(pipeline: Path) -> dict:
    """Compile as `python pipeline_kfp.py` does (its main()), in this process: a fresh one imports kfp, 2-3 s."""
    _load(pipeline).main([])
    return yaml.safe_load(pipeline.with_suffix(".yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Each notebook converted once per test process: name -> (notebook, pipeline_kfp.py), in a folder of
    this process's own (nothing is shared between xdist workers)."""
    done = {}

    def get(name: str, request) -> Tuple[Path, Path]:
        if name not in done:
            root = tmp_path_factory.mktemp(name)
            notebook = _notebook(name, root, request)
            done[name] = notebook, _convert(notebook, root / "out")
        return done[name]

    return get


@pytest.mark.parametrize("name", training_examples() + ["mlops"])
def test_pipeline_compiles_with_train_py_options_as_parameters(name, converted, request):
    _, pipeline = converted(name, request)
    out = pipeline.parent
    assert pyflakes_messages([pipeline]) == []
    spec = _compiled(pipeline)
    steps = {f"comp-{s}-step" for s in ("data", "train", "evaluate", "register")}
    assert steps <= set(spec["components"]) <= steps | {"comp-condition-1"}
    defaults = _option_defaults(out / "train.py")
    parameters = spec["root"]["inputDefinitions"]["parameters"]
    assert "defaultValue" not in parameters.pop("production_metric")  # the production model's: given per run
    assert parameters.pop("script_dir")["defaultValue"] == str(out.resolve())
    for option, declared in parameters.items():
        assert declared["defaultValue"] == defaults[option], option
    condition = spec["root"]["dag"]["tasks"]["condition-1"]["triggerPolicy"]["condition"]
    assert "pipelinechannel--evaluate-step-Output" in condition and "production_metric" in condition


def test_pipeline_is_only_written_when_asked(tmp_path):
    [result] = api.convert([str(EXAMPLES_DIR / LOCAL_EXAMPLE / "training.ipynb")], str(tmp_path))
    assert result.error is None and not (tmp_path / "pipeline_kfp.py").exists()


def test_check_keeps_the_pipeline_current(tmp_path):
    notebook = tmp_path / "training.ipynb"
    notebook.write_bytes((EXAMPLES_DIR / LOCAL_EXAMPLE / "training.ipynb").read_bytes())
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nb2prod]\nprojects = [{ notebook = "training.ipynb", output = "out", pipelines = ["kfp"] }]\n')
    pipeline = _convert(notebook, tmp_path / "out")
    projects = declared_projects(tmp_path)
    assert check(projects).exit_code == 0
    pipeline.write_text(pipeline.read_text(encoding="utf-8").replace("IMAGE = ", "IMAGE = 'mine' or "))
    [group] = check(projects).groups
    assert [f.path.endswith("pipeline_kfp.py") for f in group.stale] == [True]
    assert "--pipeline kfp --force" in group.command
    [result] = api.convert([str(notebook)], str(tmp_path / "out"), pipelines=("kfp",))
    assert result.error is not None and "pipeline_kfp.py was edited" in str(result.error)


def test_a_missing_kfp_is_one_line_naming_the_extra(tmp_path):
    pipeline = _convert(EXAMPLES_DIR / LOCAL_EXAMPLE / "training.ipynb", tmp_path)
    (tmp_path / "kfp.py").write_text("raise ImportError('no kfp here')\n")  # shadows the installed SDK
    proc = run_python([pipeline.name], cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "pipeline_kfp.py needs the Kubeflow Pipelines SDK: pip install 'nb2prod[kfp]'"


def _local_run(out: Path, production: float) -> Path:
    """Run the pipeline here; the folder of the run's artifacts."""
    before = set((out / "local_outputs").glob("*")) if (out / "local_outputs").exists() else set()
    proc = run_python(["pipeline_kfp.py", "--local", "--production-metric", repr(production)], cwd=out,
                      timeout=LOCAL_TIMEOUT)
    assert proc.returncode == 0, describe(proc)
    [run] = set((out / "local_outputs").glob("*")) - before
    for task in ("data-step", "train-step", "evaluate-step"):
        status = json.loads((run / task / "executor_output.json").read_text(encoding="utf-8"))
        assert status, f"{task} wrote no output"
    return run


def _register_steps(run: Path) -> List[Path]:
    """The folders the register step of a local run wrote: kfp 2.17.3 puts it beside the other steps,
    earlier releases inside the condition's own folder (`condition-1/register-step`)."""
    return [p for p in (run / "register-step", run / "condition-1" / "register-step") if p.exists()]


def _logged_metrics(run: Path) -> dict:
    output = json.loads((run / "evaluate-step" / "executor_output.json").read_text(encoding="utf-8"))
    [metrics] = output["artifacts"].values()  # `metrics`, or `metrics_2` when the notebook has the name
    return metrics["artifacts"][0]["metadata"]


def test_local_run_gives_train_py_model_and_metrics_and_the_gate_takes_both_branches(tmp_path, monkeypatch):
    """The first run as `python pipeline_kfp.py --local` (the command line), the second in this process."""
    out = tmp_path / "out"
    pipeline = _convert(EXAMPLES_DIR / LOCAL_EXAMPLE / "training.ipynb", out)
    proc = run_python(["train.py"], cwd=out)
    assert proc.returncode == 0, describe(proc)
    expected = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    condition = _compiled(pipeline)["root"]["dag"]["tasks"]["condition-1"]["triggerPolicy"]["condition"]
    higher = " > " in condition
    gate = next(iter(expected))  # iris: accuracy, the first metric whose direction its name gives
    margin = 0.05 if higher else -0.05

    better = _local_run(out, expected[gate] - margin)  # the production model is worse: register
    assert _logged_metrics(better) == expected
    [script_model] = [p for p in out.iterdir() if p.suffix in (".joblib", ".pkl")]
    inputs = rebuild_inputs(out / "train.py", api.plan_notebook(str(EXAMPLES_DIR / LOCAL_EXAMPLE / "training.ipynb")))
    assert_same_predictions(joblib.load(script_model), joblib.load(better / "train-step" / "model_file"),
                            inputs["__predict_input__"])
    [register] = _register_steps(better)
    assert (register / "registered").read_bytes() == (better / "train-step" / "model_file").read_bytes()

    worse = _local_run_here(pipeline, expected[gate] + margin, monkeypatch)  # the production model is better
    assert _logged_metrics(worse) == expected
    assert _register_steps(worse) == []


def _train_py_here(out: Path) -> Tuple[dict, Path]:
    """Run train.py's main() with its defaults, in `out` and in this process (as `python train.py` there, without
    a fresh interpreter importing scikit-learn again): its metrics.json and its model file."""
    with imported_script(out / "train.py") as module:
        module.main([])
    [model] = model_files(out).values()
    return json.loads((out / "metrics.json").read_text(encoding="utf-8")), model


def _local_run_here(pipeline: Path, production: float, monkeypatch) -> Path:
    """`python pipeline_kfp.py --local --production-metric X` in this process (its main()), in the pipeline's
    folder; the folder of the run's artifacts."""
    outputs = pipeline.parent / "local_outputs"
    before = set(outputs.glob("*"))
    monkeypatch.chdir(pipeline.parent)
    _load(pipeline).main(["--local", f"--production-metric={production!r}"])
    [run] = set(outputs.glob("*")) - before
    return run


OTHERS = [n for n in training_examples() if n != LOCAL_EXAMPLE] + ["mlops"]


@pytest.mark.parametrize("name", OTHERS)
def test_every_local_run_gives_train_py_model_and_metrics(name, converted, request, monkeypatch):
    """One local run per notebook; the production metric is out of reach, so the register step is skipped
    (one process fewer: both branches of the gate are the LOCAL_EXAMPLE test's)."""
    notebook, pipeline = converted(name, request)
    expected, script_model = _train_py_here(pipeline.parent)
    [gate_line] = [line for line in pipeline.read_text(encoding="utf-8").splitlines() if "dsl.If(" in line]
    unbeatable = 1e300 if re.search(r"dsl\.If\(\w+ > ", gate_line) else -1e300
    run = _local_run_here(pipeline, unbeatable, monkeypatch)
    assert _logged_metrics(run) == expected
    [pipeline_model] = [p for p in (run / "train-step").iterdir() if p.name != "executor_output.json"]
    inputs = rebuild_inputs(pipeline.parent / "train.py", api.plan_notebook(str(notebook)))
    assert_same_predictions(joblib.load(script_model), joblib.load(pipeline_model), inputs["__predict_input__"])
    assert _register_steps(run) == []


HOSTILE_TITLE = 'Churn """ model \\ \'end\''
HOSTILE_KEY = 'acc """ \\\' uracy'
HOSTILE = [
    "# " + HOSTILE_TITLE, "## Load the data",
    "import pickle\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
    "from sklearn.metrics import accuracy_score\nfrom sklearn.model_selection import train_test_split",
    "df = pd.DataFrame({'a': list(range(20)), 'y': [0, 1] * 10})",
    "## Split", "X_train, X_test, y_train, y_test = train_test_split(df[['a']], df['y'], test_size=0.5, random_state=0)",
    "## Train", "C = 0.5\nmodel = LogisticRegression(C=C)\nmodel.fit(X_train, y_train)",
    "## Evaluate", f"scores = {{{HOSTILE_KEY!r}: accuracy_score(y_test, model.predict(X_test))}}\nprint(scores)",
    "## Save", "with open('model.pkl', 'wb') as f:\n    pickle.dump(model, f)",
]


def test_notebook_text_reaches_the_pipeline_escaped_and_pickle_is_the_format(tmp_path):
    notebook = write_notebook(tmp_path / "nb.ipynb", HOSTILE)
    pipeline = _convert(notebook, tmp_path / "out")
    assert pyflakes_messages([pipeline]) == []
    text = pipeline.read_text(encoding="utf-8")
    assert "pickle.dump(model, file)" in text and "joblib" not in text
    spec = _compiled(pipeline)
    assert spec["pipelineInfo"]["description"] == HOSTILE_TITLE
    assert spec["root"]["inputDefinitions"]["parameters"]["C"]["defaultValue"] == 0.5
    assert f"return float(scores[{HOSTILE_KEY!r}])".replace("'", '"') in text.replace("'", '"')
    proc = run_python(["train.py"], cwd=tmp_path / "out")
    assert proc.returncode == 0, describe(proc)
    expected = json.loads((tmp_path / "out" / "metrics.json").read_text(encoding="utf-8"))
    assert _component_values(_load(pipeline), tmp_path) == (expected, expected[HOSTILE_KEY])


def _component_values(module, tmp_path: Path):
    """Run the components' own functions in this process (what their containers run), artifacts as plain
    paths: the metrics they log and the gate value; the pickle branch of the code runs for real."""
    out, logged = str(tmp_path / "out"), {}
    data, model = SimpleNamespace(path=str(tmp_path / "data")), SimpleNamespace(path=str(tmp_path / "model"))
    metrics = SimpleNamespace(log_metric=logged.__setitem__)
    sys.modules.pop("train", None)  # another test's train.py imported in this process is not this one
    try:
        module.data_step.python_func(script_dir=out, dataset=data)
        module.train_step.python_func(script_dir=out, dataset=data, model_file=model, C=0.5)
        value = module.evaluate_step.python_func(script_dir=out, dataset=data, model_file=model, metrics=metrics)
    finally:
        sys.modules.pop("train", None)
        sys.path[:] = [p for p in sys.path if p != out]
    return logged, value


def test_convert_never_imports_kfp(tmp_path):
    code = ("import sys\nfrom nb2prod import api\n"
            f"[r] = api.convert([{str(EXAMPLES_DIR / LOCAL_EXAMPLE / 'training.ipynb')!r}], {str(tmp_path)!r}, "
            "pipelines=('kfp',))\nassert r.error is None, r.error\n"
            "assert not [m for m in sys.modules if m == 'kfp' or m.startswith('kfp.')], 'kfp imported'\n")
    proc = run_python(["-c", code], cwd=tmp_path)
    assert proc.returncode == 0, describe(proc)
    assert (tmp_path / "pipeline_kfp.py").exists()


def test_an_unknown_pipeline_in_pyproject_is_one_line(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nb2prod]\nprojects = [{ notebook = "nb.ipynb", output = "out", pipelines = ["kubeflow"] }]\n')
    proc = run_python(["-m", "nb2prod", "check"], cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "pipelines must be a list of kfp, azureml" in proc.stderr


def test_a_notebook_the_pipeline_cannot_carry_gets_a_notice_not_a_file(tmp_path):
    cells = [c for c in HOSTILE if not c.startswith(("## Evaluate", "scores ="))]
    [result] = api.convert([str(write_notebook(tmp_path / "nb.ipynb", cells))], str(tmp_path / "out"),
                           pipelines=("kfp",))
    assert result.error is None and (tmp_path / "out" / "train.py").exists()
    assert "pipeline_kfp.py not written: no evaluation step reports metrics after training" in result.notices
    assert not (tmp_path / "out" / "pipeline_kfp.py").exists()


TYPED = [
    "# Tune a classifier", "## Load the data",
    "import joblib\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
    "from sklearn.metrics import accuracy_score\nfrom sklearn.model_selection import train_test_split",
    "skip = (0, 1)\ndf = pd.DataFrame({'a': [i % 7 for i in range(40)], 'b': [i % 5 for i in range(40)], "
    "'y': [0, 1] * 20}).drop(index=list(skip))\nprint(type(skip).__name__)",
    "## Split",
    "features = ['a', 'b']\n"
    "X_train, X_test, y_train, y_test = train_test_split(df[features], df['y'], test_size=0.5, random_state=0)",
    "## Train",
    "settings = {'C': [0.5, 2.0], 'solver': 'lbfgs'}\n"
    "model = LogisticRegression(C=settings['C'][0], solver=settings['solver'])\nmodel.fit(X_train, y_train)",
    "## Evaluate", "accuracy = accuracy_score(y_test, model.predict(X_test))\nprint('accuracy', accuracy)",
    "## Save", "joblib.dump(model, 'model.joblib')",
]


def test_list_tuple_and_dict_options_are_typed_parameters_that_reach_the_steps(tmp_path, monkeypatch):
    """nargs lists and tuples are `list` parameters, a JSON dict a `dict` one, with the notebook's values; a
    local run given other values trains the model train.py trains with the same values on its command line."""
    pipeline = _convert(write_notebook(tmp_path / "nb.ipynb", TYPED), tmp_path / "out")
    assert pyflakes_messages([pipeline]) == []
    parameters = _compiled(pipeline)["root"]["inputDefinitions"]["parameters"]
    assert {n: (p["parameterType"], p["defaultValue"]) for n, p in parameters.items() if n in TYPED_VALUES} == {
        "skip": ("LIST", [0, 1]), "features": ("LIST", ["a", "b"]),
        "settings": ("STRUCT", {"C": [0.5, 2.0], "solver": "lbfgs"})}
    out = pipeline.parent
    argv = ["--skip", "2", "3", "5", "--features", "a", "--settings", json.dumps(TYPED_VALUES["settings"])]
    with imported_script(out / "train.py") as module:
        module.main(argv)
    expected = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    monkeypatch.chdir(out)
    module = _load(pipeline)
    module.local.init(runner=module.local.SubprocessRunner(use_venv=False))
    module.pipeline(production_metric=2.0, **TYPED_VALUES)  # accuracy never beats 2: no register step
    [run] = (out / "local_outputs").glob("*")
    assert _logged_metrics(run) == expected
    [pipeline_model] = [p for p in (run / "train-step").iterdir() if p.name != "executor_output.json"]
    script_model, model = joblib.load(out / "model.joblib"), joblib.load(pipeline_model)
    assert (model.C, model.n_features_in_) == (script_model.C, script_model.n_features_in_) == (0.25, 1)
    assert (model.coef_ == script_model.coef_).all()


TYPED_VALUES = {"skip": [2, 3, 5], "features": ["a"], "settings": {"C": [0.25], "solver": "liblinear"}}


@pytest.mark.parametrize("argv, value", [
    (["--local", "--production-metric", "-inf"], float("-inf")),  # "register whatever it scores"
    (["--production-metric", "-1e300", "--local"], -1e300),
    (["--local", "--production-metric", "-0.5"], -0.5),
    (["--local", "--production-metric=-2"], -2.0),
    (["--local", "--production-metric", "0.9"], 0.9),
])
def test_a_negative_production_metric_is_read_as_a_value(argv, value, converted, request, monkeypatch):
    """argparse takes `-inf` or `-1e300` after an option for an option of its own; the generated main() does not."""
    _, pipeline = converted(LOCAL_EXAMPLE, request)
    module = _load(pipeline)
    got = {}
    monkeypatch.setattr(module, "_fix_local_conditions", lambda: None)
    monkeypatch.setattr(module.local, "init", lambda **_: None)
    monkeypatch.setattr(module, "pipeline", lambda **kwargs: got.update(kwargs))
    module.main(argv)
    assert list(got.values()) == [value]
