"""Options the way notebooks mark them: list, tuple and dict literals, papermill parameters cells,
the saved estimator's keyword arguments, --model-path and --params FILE."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod import api
from tests.build import write_notebook

IMPORTS = "import joblib\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression"
DATA = "df = pd.DataFrame({'a': [1, 2, 3, 4, 5, 6], 'b': [2, 1, 2, 1, 2, 1], 'y': [0, 1, 0, 1, 0, 1]})"


def _training_cells(train: str) -> list:
    """A small training notebook's cells around its `## Train` code: imports, a data frame, a save."""
    return [IMPORTS, "## Load data", DATA, "## Train", train, "## Save", "joblib.dump(model, 'model.joblib')"]


def _convert(tmp_path: Path, cells, name="nb.ipynb") -> Path:
    nb = write_notebook(tmp_path / name, cells)
    out = tmp_path / "out"
    [result] = api.convert([str(nb)], str(out))
    assert result.error is None, str(result.error)
    return out


def _script(out: Path):
    """The generated train.py, imported under a name of its own."""
    spec = importlib.util.spec_from_file_location(f"train_{abs(hash(str(out)))}", out / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _help(out: Path) -> str:
    done = subprocess.run([sys.executable, "train.py", "--help"], cwd=out, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _help_of(helped: str, flag: str) -> str:
    """The help text argparse prints for one option."""
    options = helped.split("\noptions:\n", 1)[1]
    return options.split(f"\n  {flag} ", 1)[1].split("\n  -", 1)[0]


def test_lists_tuples_and_dicts_become_typed_options_with_the_same_values(tmp_path, monkeypatch, capsys):
    cells = _training_cells("features = ['a', 'b']\nsizes = (1, 2)\ngrid = {'C': [0.1, 1.0], 'name': 'x'}\n"
                        "model = LogisticRegression()\nmodel.fit(df[features], df['y'])\n"
                        "print(type(sizes).__name__, sizes, grid, features)")
    out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    assert 'nargs="+"' in text and "type=json.loads" in text
    monkeypatch.chdir(out)
    train = _script(out)
    train.main([])
    assert capsys.readouterr().out.splitlines()[-1] == "tuple (1, 2) {'C': [0.1, 1.0], 'name': 'x'} ['a', 'b']"
    train.main(["--features", "a", "--sizes", "3", "4", "5", "--grid", '{"C": [2]}'])
    assert capsys.readouterr().out.splitlines()[-1] == "tuple (3, 4, 5) {'C': [2]} ['a']"
    with pytest.raises(SystemExit):
        train.main(["--sizes", "x"])  # the element type is int


def _papermill_notebook(path: Path, injected: str, tags=("injected-parameters",)) -> Path:
    """A notebook as papermill leaves it: a `parameters` cell, then the injected values."""
    nbformat = pytest.importorskip("nbformat")
    C = nbformat.v4.new_code_cell
    md = nbformat.v4.new_markdown_cell
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [C(IMPORTS.replace("linear_model import LogisticRegression", "tree import DecisionTreeClassifier")),
                C("max_depth = 3\nfeatures = ['a', 'b']\nmodel_file = 'model.joblib'", metadata={"tags": ["parameters"]}),
                C(injected, metadata={"tags": list(tags)}),
                md("## Load data"), C(DATA),
                md("## Train"), C("model = DecisionTreeClassifier(max_depth=max_depth)\nmodel.fit(df[features], df['y'])\n"
                                  "print('depth', model.max_depth, features)"),
                md("## Save"), C("joblib.dump(model, model_file)")]
    nbformat.write(nb, str(path))
    return path


def test_papermill_parameters_become_options_with_the_injected_defaults(tmp_path, monkeypatch, capsys):
    nb = _papermill_notebook(tmp_path / "run.ipynb", "# Parameters\nmax_depth = 1\nfeatures = ['b']\n")
    out = tmp_path / "out"
    [result] = api.convert([str(nb)], str(out))
    assert result.error is None, str(result.error)
    text = (out / "train.py").read_text()
    assert "max_depth = " not in text and "features = " not in text  # no step assigns a parameter
    assert "return max_depth" not in text and "return features" not in text
    monkeypatch.chdir(out)
    train = _script(out)
    train.main([])
    assert capsys.readouterr().out.splitlines()[-1] == "depth 1 ['b']"  # the injected values, not 3 and a, b
    train.main(["--max-depth", "2", "--features", "a", "b", "--model-file", "m2.joblib"])
    assert capsys.readouterr().out.splitlines()[-1] == "depth 2 ['a', 'b']"
    assert (out / "m2.joblib").is_file()
    fates = {f.text: f for f in result.fates}
    assert fates["max_depth = 1"].code == "NB902" and fates["max_depth = 3"].code == "NB902"


def test_a_parameters_comment_cell_is_a_parameters_cell(tmp_path):
    nb = _papermill_notebook(tmp_path / "run.ipynb", "# parameters\nmax_depth = 2", tags=())
    out = tmp_path / "out"
    [result] = api.convert([str(nb)], str(out))
    assert result.error is None, str(result.error)
    text = (out / "train.py").read_text()
    assert "default=2," in text and "max_depth = " not in text
    assert '"--features",' in text  # a setup-section list of the parameters cell is an option too


def test_saved_estimators_keyword_arguments_and_model_path_are_options(tmp_path, monkeypatch):
    cells = [IMPORTS.replace("linear_model import LogisticRegression", "ensemble import GradientBoostingClassifier"),
             "## Load data", DATA, "## Train",
             "n_estimators = 2  # the notebook's own variable: the constructor's option must not take its name\n"
             "model = GradientBoostingClassifier(n_estimators=60, learning_rate=0.15)\n"
             "model.fit(df[['a', 'b']].head(n_estimators * 3), df['y'].head(n_estimators * 3))",
             "## Save", "joblib.dump(model, 'models/gb.joblib')"]
    out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    flat = "".join(text.split())  # whatever the formatter's line breaks
    assert "GradientBoostingClassifier(n_estimators=n_estimators_2,learning_rate=learning_rate" in flat
    monkeypatch.chdir(out)
    train = _script(out)
    train.main(["--n-estimators-2", "5", "--learning-rate", "0.5", "--model-path", "tmp/x.joblib"])
    import joblib

    model = joblib.load(out / "tmp" / "x.joblib")
    assert (model.n_estimators, model.learning_rate) == (5, 0.5)
    train.main([])
    model = joblib.load(out / "models" / "gb.joblib")
    assert (model.n_estimators, model.learning_rate) == (60, 0.15)
    assert len(model.train_score_) == 60
    helped = _help(out)
    for flag, default in (("--n-estimators", "2"), ("--n-estimators-2", "60"), ("--learning-rate", "0.15"),
                          ("--model-path", "models/gb.joblib")):
        assert default in _help_of(helped, flag), (flag, helped)


def test_a_pipelines_last_step_gives_the_options_and_a_named_path_option_answers_to_model_path(tmp_path,
                                                                                                 monkeypatch):
    cells = [IMPORTS + "\nfrom sklearn.pipeline import make_pipeline\nfrom sklearn.preprocessing import StandardScaler",
             "## Load data", DATA + "\nmodel_file = 'clf.joblib'", "## Train",
             "clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=30))\n"
             "clf.fit(df[['a', 'b']], df['y'])",
             "## Save", "joblib.dump(clf, model_file)"]
    out = _convert(tmp_path, cells)
    monkeypatch.chdir(out)
    train = _script(out)
    train.main(["--c", "2.5", "--model-path", "sub/m.joblib"])  # --model-path stands for --model-file
    import joblib

    assert joblib.load(out / "sub" / "m.joblib")[-1].C == 2.5


def test_params_file_sets_options_flags_win_and_unknown_keys_stop_the_script(tmp_path, monkeypatch, capsys):
    cells = _training_cells("features = ['a', 'b']\nmodel = LogisticRegression(C=0.5, max_iter=40)\nmodel.fit(df[features], df['y'])\n"
                        "print(features, model.C, model.max_iter)")
    out = _convert(tmp_path, cells)
    monkeypatch.chdir(out)
    train = _script(out)
    params = out / "parameters.json"
    params.write_text(json.dumps({"training": {"features": ["b"], "c": 2.0}, "max-iter": 7,
                                  "registration": {"tags": ["acc"]}}))  # another step's section
    train.main(["--params", str(params), "--max-iter", "9"])  # the flag wins over the file
    assert capsys.readouterr().out.splitlines()[-1] == "['b'] 2.0 9"
    pytest.importorskip("yaml")
    (out / "p.yaml").write_text("model_path: sub/m.joblib\nmax_iter: 11\n")
    train.main(["--params", "p.yaml"])
    assert capsys.readouterr().out.splitlines()[-1] == "['a', 'b'] 0.5 11" and (out / "sub" / "m.joblib").is_file()
    (out / "bad.yaml").write_text("a: [\n")
    with pytest.raises(SystemExit) as stopped:
        train.main(["--params", "bad.yaml"])
    last = capsys.readouterr().err.strip().split("\n")[-1]  # after the usage lines, the error on one line
    assert stopped.value.code == 2 and "error: bad.yaml: " in last and "expected" in last
    params.write_text(json.dumps({"training": {"n_estimator": 3}}))
    with pytest.raises(SystemExit) as stopped:
        train.main(["--params", str(params)])
    assert stopped.value.code == 2
    assert "parameters.json: no option is called n_estimator" in capsys.readouterr().err


def test_help_shows_every_option_with_its_notebook_default(tmp_path):
    cells = [IMPORTS + "\nfrom sklearn.metrics import accuracy_score", "## Load data", DATA, "## Train",
             "sizes = (3, 4)\nmodel = LogisticRegression(C=0.25)\nmodel.fit(df[['a', 'b']], df['y'])\nprint(sizes)",
             "## Evaluate", "print('accuracy', accuracy_score(df['y'], model.predict(df[['a', 'b']])))",
             "## Save", "joblib.dump(model, 'out/lr.joblib')"]
    out = _convert(tmp_path, cells)
    helped = _help(out)
    expected = {"--sizes": "(3, 4)", "--c": "0.25", "--model-path": "out/lr.joblib", "--metrics-path": "out/metrics.json"}
    for flag, default in expected.items():
        assert default in _help_of(helped, flag), (flag, helped)
    assert "--params FILE" in helped


def test_an_injected_value_reaches_a_parameter_that_stays_module_code(tmp_path, monkeypatch, capsys):
    """A helper defined at module level reads `max_depth`: it cannot be an option, so the module
    constant it reads takes papermill's injected value."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(str(_papermill_notebook(tmp_path / "run.ipynb", "max_depth = 1\n")), as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("def depth():\n    return max_depth"))
    nb.cells[-3].source = nb.cells[-3].source.replace("max_depth=max_depth", "max_depth=depth()")
    nbformat.write(nb, str(tmp_path / "run.ipynb"))
    out = tmp_path / "out"
    [result] = api.convert([str(tmp_path / "run.ipynb")], str(out))
    assert result.error is None, str(result.error)
    monkeypatch.chdir(out)
    _script(out).main([])
    assert capsys.readouterr().out.splitlines()[-1] == "depth 1 ['a', 'b']"


def test_a_dict_with_other_than_string_keys_stays_code(tmp_path, monkeypatch, capsys):
    """`class_weight = {0: 1.0, 1: 5.0}`: JSON gives keys back as strings ({"0": 1.0}), which the estimator
    would not match to its classes, so the dict is no option; a dict with string keys still is."""
    cells = _training_cells("weights = {0: 1.0, 1: 5.0}\nlabels = {'pos': 'yes'}\n"
                        "model = LogisticRegression(class_weight=weights)\nmodel.fit(df[['a', 'b']], df['y'])\n"
                        "print(model.class_weight, labels)")
    out = _convert(tmp_path, cells)
    helped = _help(out)
    assert "--weights" not in helped and "--pos" in helped  # a config dict: one option per key
    monkeypatch.chdir(out)
    _script(out).main([])
    assert capsys.readouterr().out.splitlines()[-1] == "{0: 1.0, 1: 5.0} {'pos': 'yes'}"


# What a constant's value is: ast.literal_eval's answer, found without raising for the values it refuses at
# the top (calls, names, attributes), which are most statements. Each row: the assignment, literal or not.
LITERAL_SHAPES = [
    ("x = 1", True), ("x = -1", True), ("x = +1.5", True), ("x = 1 + 2j", True), ("x = 1 - 2j", True),
    ("x = (1, 'a')", True), ("x = [1, [2]]", True), ("x = {1, 2}", True), ("x = {'a': (1,)}", True),
    ("x = set()", True), ("x = None", True), ("x = ...", True), ("x = 'a' 'b'", True), ("x = b'x'", True),
    ("x: int = 3", True), ("x = dict(a=1, b='c')", True),
    ("x = f()", False), ("x = set([1])", False), ("x = a.b", False), ("x = a[1]", False), ("x = not 1", False),
    ("x = ~1", False), ("x = 1 * 2", False), ("x = lambda: 1", False), ("x = [i for i in y]", False),
    ("x = f'{y}'", False), ("x = dict(a=f())", False), ("x = [1, y]", False), ("x: int", False), ("x, y = 1, 2", False),
]


@pytest.mark.parametrize("code, literal", LITERAL_SHAPES)
def test_a_constants_value_is_what_literal_eval_gives(code, literal):
    import ast

    from nb2prod.convert import hyper

    class Stmt:  # a Statement's one field literal_value reads
        node = ast.parse(code).body[0]

    value = hyper.literal_value(Stmt)
    assert (value is not hyper._NOT) == literal
    if literal:
        node = Stmt.node.value
        expected = ({k.arg: ast.literal_eval(k.value) for k in node.keywords} if hyper._is_dict_call(node)
                    else ast.literal_eval(node))
        assert value == expected and type(value) is type(expected)
