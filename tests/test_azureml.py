"""`convert --pipeline azureml`: the azureml/ files validate with the azure-ai-ml SDK offline, a broken one is
reported, their commands run here as Azure ML would run them, and `check` keeps them current."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from nb2prod import api
from nb2prod.cli import main
from tests.build import write_notebook

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir() and list(p.glob("*.ipynb")))


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Every example converted with --pipeline azureml, each into its own folder."""
    out = {}
    for folder in EXAMPLES:
        target = tmp_path_factory.mktemp(folder.name)
        for nb in folder.glob("*.ipynb"):
            shutil.copyfile(nb, target / nb.name)
        results = api.convert(sorted(str(p) for p in target.glob("*.ipynb")), str(target / "out"),
                              pipelines=["azureml"])
        assert all(r.error is None for r in results), [str(r.error) for r in results]
        out[folder.name] = target / "out"
    return out


@pytest.fixture(scope="module")
def aml():
    return pytest.importorskip("azure.ai.ml", reason="azure-ai-ml is not installed (pip install 'nb2prod[azureml]')")


def _validate(aml, folder: Path) -> list:
    """The SDK's complaints about folder/azureml (empty when every file loads and validates)."""
    problems = []
    for name in ("train", "evaluate", "register"):
        try:
            result = aml.load_component(folder / "azureml" / f"{name}.yml")._validate()
        except Exception as exc:  # noqa: BLE001 - the SDK raises marshmallow and its own errors
            problems.append(f"{name}.yml: {type(exc).__name__}: {str(exc)[:300]}")
            continue
        problems += [f"{name}.yml: {m}" for m in result.error_messages.values()] if not result.passed else []
    try:
        result = aml.load_job(folder / "azureml" / "pipeline.yml")._validate()
        problems += [f"pipeline.yml: {m}" for m in result.error_messages.values()] if not result.passed else []
    except Exception as exc:  # noqa: BLE001
        problems.append(f"pipeline.yml: {type(exc).__name__}: {str(exc)[:300]}")
    return problems


def test_every_example_validates_with_the_sdk(converted, aml):
    for name, folder in converted.items():
        assert _validate(aml, folder) == [], name
        env = aml.load_environment(folder / "azureml" / "environment.yml")
        assert env.image and env.conda_file["dependencies"][-1]["pip"], name
        pins = {line.split("  #")[0] for line in (folder / "requirements.txt").read_text().split("\n")[1:] if line}
        assert set(env.conda_file["dependencies"][-1]["pip"]) == pins, name  # built from requirements.txt


def test_the_scoring_deployment_names_score_py_and_its_environment(converted, aml):
    folder = converted["breast_cancer_proba"]
    deployment = aml.load_online_deployment(folder / "azureml" / "deployment.yml")
    deployment._validate()  # raises on an invalid spec
    assert deployment.code_configuration.scoring_script == "score.py"
    assert (folder / "azureml" / deployment.code_configuration.code / "score.py").is_file()
    conda = yaml.safe_load((folder / "conda.yml").read_text())
    assert deployment.environment.name == conda["name"]
    assert deployment.environment.conda_file == conda
    assert not (converted["iris_pipeline"] / "azureml" / "deployment.yml").exists()  # no scoring notebook


def test_a_broken_file_is_reported(converted, aml, tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(converted["diabetes_ridge"], folder)
    train = folder / "azureml" / "train.yml"
    train.write_text(train.read_text().replace("  alpha:\n", "  alfa:\n"))  # the command reads inputs.alpha
    pipeline = folder / "azureml" / "pipeline.yml"
    pipeline.write_text(pipeline.read_text().replace("file:register.yml", "file:registr.yml"))  # no such component
    problems = _validate(aml, folder)
    assert any(p.startswith("train.yml") for p in problems) and any(p.startswith("pipeline.yml") for p in problems)


def test_pipeline_inputs_are_the_scripts_options_with_the_notebooks_values(converted):
    folder = converted["diabetes_ridge"]
    pipeline = yaml.safe_load((folder / "azureml" / "pipeline.yml").read_text())
    assert pipeline["inputs"] == {"alpha": 0.5, "model_name": "sklearn_regression_model.pkl"}
    script = (folder / "train.py").read_text()
    assert all(f'"--{name.replace("_", "-")}"' in script for name in pipeline["inputs"])
    assert list(pipeline["jobs"]) == ["train", "evaluate", "register"]
    assert pipeline["outputs"]["registered_model"]["type"] == "custom_model"
    # the model file's name is an option: evaluate reads it from the same input train writes it under
    assert pipeline["jobs"]["evaluate"]["inputs"]["model_name"] == "${{parent.inputs.model_name}}"
    assert "--candidate \"${{inputs.model}}/${{inputs.model_name}}\"" in _component(folder, "evaluate")["command"]
    assert "cp \"${{inputs.model_name}}\" ${{outputs.model}}/" in _component(folder, "train")["command"]


def _run(command: str, folder: Path, inputs: dict, outputs: dict) -> subprocess.CompletedProcess:
    """A component's command as Azure ML runs it: `${{inputs.x}}`/`${{outputs.x}}` replaced, a `$[[...]]` part
    kept only when its optional input is given, then bash in the code folder."""
    ports = {"inputs": inputs, "outputs": outputs}

    def optional(m):
        refs = re.findall(r"\$\{\{(inputs|outputs)\.(\w+)\}\}", m.group(1))
        return m.group(1) if all(name in ports[kind] for kind, name in refs) else ""
    command = re.sub(r"\$\[\[(.*?)\]\]", optional, command)
    command = re.sub(r"\$\{\{(inputs|outputs)\.(\w+)\}\}", lambda m: str(ports[m.group(1)][m.group(2)]), command)
    return subprocess.run(["bash", "-c", command], cwd=folder, capture_output=True, text=True, timeout=300)


def _component(folder: Path, name: str) -> dict:
    return yaml.safe_load((folder / "azureml" / f"{name}.yml").read_text())


def test_the_steps_run_train_evaluate_register_and_the_gate_holds(converted, tmp_path):
    folder = converted["iris_pipeline"]
    train = _component(folder, "train")
    defaults = {name: spec["default"] for name, spec in train["inputs"].items()}
    out = {}
    for name in ("model", "metrics", "approved", "kept", "registered"):
        out[name] = tmp_path / name
        out[name].mkdir()
    done = _run(train["command"], folder, defaults, {"model": out["model"], "metrics": out["metrics"]})
    assert done.returncode == 0, done.stderr
    [model] = os.listdir(out["model"])
    assert (out["metrics"] / "metrics.json").is_file()
    component = _component(folder, "evaluate")
    evaluate = component["command"]
    given = {name: spec["default"] for name, spec in component["inputs"].items() if "default" in spec}  # as Azure ML
    first = _run(evaluate, folder, {**given, "model": out["model"]}, {"approved": out["approved"]})
    assert first.returncode == 0 and os.listdir(out["approved"]) == [model]  # no production model yet
    tie = _run(evaluate, folder, {**given, "model": out["model"], "production_model": out["model"]},
               {"approved": out["kept"]})
    assert tie.returncode == 1 and os.listdir(out["kept"]) == []  # not better than production: nothing passed on
    assert "the candidate is not better" in tie.stdout
    register = _run(_component(folder, "register")["command"], folder, {"model": out["approved"]},
                    {"model": out["registered"]})
    assert register.returncode == 0 and os.listdir(out["registered"]) == [model]


def test_convert_never_imports_the_sdk():
    """No module of the package imports azure (statically: a subprocess converting would cost seconds)."""
    import ast

    found = []
    for path in sorted((ROOT / "nb2prod").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "azure"]
    assert found == []


def test_a_bad_pipelines_setting_is_one_line(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.nb2prod]\nprojects = [{ notebook = "a.ipynb", output = "o", '
                                             'pipelines = ["airflow"] }]\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "pipelines must be a list of kfp, azureml" in result.output


def test_check_keeps_the_azureml_files_current(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "examples" / "iris_pipeline", tmp_path / "ml", ignore=shutil.ignore_patterns("expected"))
    (tmp_path / "pyproject.toml").write_text('[tool.nb2prod]\nprojects = [{ notebook = "ml/training.ipynb", '
                                             'output = "ml/out", pipelines = ["azureml"] }]\n')
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke
    assert run(main, ["convert", "ml/training.ipynb", "-o", "ml/out", "--pipeline", "azureml"]).exit_code == 0
    assert run(main, ["check"]).exit_code == 0
    pipeline = Path("ml/out/azureml/pipeline.yml")
    pipeline.write_text(pipeline.read_text().replace("max_iter: 200", "max_iter: 300"))
    result = run(main, ["check"])
    assert result.exit_code == 1 and "ml/out/azureml/pipeline.yml" in result.output
    assert "--pipeline azureml --force" in result.output
    result = run(main, ["convert", "ml/training.ipynb", "-o", "ml/out", "--pipeline", "azureml"])
    assert result.exit_code == 1 and "pipeline.yml was edited since nb2prod wrote it" in result.output
    assert "max_iter: 300" in pipeline.read_text()


def test_notebook_text_reaches_the_yaml_as_data(tmp_path):
    """A heading and a file name full of YAML and Azure ML syntax come back as the same strings."""
    title = 'Train: a "model" # {x} ${{inputs.y}} - [z] \u2028 \'q\' \\ &anchor *ref'
    nb = write_notebook(tmp_path / "odd: name #1.ipynb", [
        f"# {title}", "import joblib\nfrom sklearn.linear_model import Ridge",
        "X = [[0.0], [1.0], [2.0]]\ny = [0.0, 1.0, 2.0]\nalpha = 0.5",
        "model = Ridge(alpha=alpha).fit(X, y)", "joblib.dump(model, 'my model.joblib')"])
    [gen] = api.generate([(str(nb), api.plan_notebook(str(nb)))], str(tmp_path / "out"), pipelines=["azureml"])
    pipeline = yaml.safe_load(gen.texts["azureml/pipeline.yml"])
    assert pipeline["display_name"] == gen.context.title and "${{inputs.y}}" in pipeline["display_name"]
    assert pipeline["description"].endswith("from odd: name #1.ipynb")
    assert pipeline["inputs"] == {"X": "[[0.0], [1.0], [2.0]]", "y": "0.0 1.0 2.0",  # train.py's --x (JSON), --y
                                  "alpha": 0.5, "model_path": "my model.joblib"}  # --model-path: an input
    train = yaml.safe_load(gen.texts["azureml/train.yml"])
    assert train["command"].endswith('&& cp "${{inputs.model_path}}" ${{outputs.model}}/')  # one shell word


LISTS = [
    "# Tune a classifier", "## Load the data",
    "import joblib\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
    "from sklearn.metrics import accuracy_score\nfrom sklearn.model_selection import train_test_split",
    "df = pd.DataFrame({'a': [i % 7 for i in range(40)], 'b': [i % 5 for i in range(40)], 'y': [0, 1] * 20})",
    "## Split", "features = ['a', 'b']\n"
    "X_train, X_test, y_train, y_test = train_test_split(df[features], df['y'], test_size=0.5, random_state=0)",
    "## Train",
    "labels = ['not one word', 'x']\nsettings = {'C': [0.5, 2.0], 'solver': 'lbfgs'}\n"
    "model = LogisticRegression(C=settings['C'][0], solver=settings['solver'])\nmodel.fit(X_train, y_train)\n"
    "print(labels)",
    "## Evaluate", "accuracy = accuracy_score(y_test, model.predict(X_test))\nprint('accuracy', accuracy)",
    "## Save", "joblib.dump(model, 'model.joblib')",
]


def test_list_and_dict_options_are_string_inputs_that_train_py_parses(tmp_path, aml):
    """A list of plain words goes in as its words, a dict as its JSON text; the train step's command, run with
    other values, trains with them. A list whose values are not plain words keeps its notebook value."""
    nb = write_notebook(tmp_path / "nb.ipynb", LISTS)
    [result] = api.convert([str(nb)], str(tmp_path / "out"), pipelines=["azureml"])
    assert result.error is None, result.error
    folder = tmp_path / "out"
    assert _validate(aml, folder) == []
    pipeline = yaml.safe_load((folder / "azureml" / "pipeline.yml").read_text())
    assert pipeline["inputs"] == {"features": "a b", "settings": '{"C": [0.5, 2.0], "solver": "lbfgs"}',
                                  "model_path": "model.joblib"}
    assert any(n.startswith("azureml: --labels keep their notebook values") for n in result.notices), result.notices
    train = _component(folder, "train")
    assert {name: spec["type"] for name, spec in train["inputs"].items()} == dict.fromkeys(pipeline["inputs"], "string")
    out = {"model": tmp_path / "model", "metrics": tmp_path / "metrics"}
    for path in out.values():
        path.mkdir()
    given = {"features": "b", "settings": '{"C": [0.25], "solver": "liblinear"}', "model_path": "model.joblib"}
    done = _run(train["command"], folder, given, out)
    assert done.returncode == 0, done.stderr
    import joblib

    model = joblib.load(out["model"] / "model.joblib")
    assert (model.C, model.solver, list(model.feature_names_in_)) == (0.25, "liblinear", ["b"])


ODD = 'my "model" $(touch pwned) `touch pwned` \\ $HOME.joblib'  # a file name: notebook text
QUOTED = [
    "# Greeter", "import joblib\nfrom sklearn.linear_model import LinearRegression",
    "## Train",
    "settings = {'fit_intercept': [True], 'tag': \"it's\"}\nlabel = 'a b'\n"
    "X = [[0.0], [1.0], [2.0]]\ny = [0.0, 1.0, 2.0]\n"
    "model = LinearRegression(fit_intercept=settings['fit_intercept'][0]).fit(X, y)\nprint(settings['tag'], label)",
    "## Save", f"joblib.dump(model, {ODD!r})",
]


def test_a_value_the_commands_quoting_cannot_hold_keeps_its_notebook_value(tmp_path):
    """Azure ML puts an input's value into the command as it is: inside the double quotes of a string input,
    `"`, `$`, a backquote and a backslash would end the word or run a command; inside the single quotes of a
    JSON input, `'` would. Such an option keeps its notebook value (train.py's default), with a notice; the
    command, run as Azure ML runs it, trains with the notebook's values, saves under the notebook's file name
    and runs nothing of it."""
    nb = write_notebook(tmp_path / "nb.ipynb", QUOTED)
    [result] = api.convert([str(nb)], str(tmp_path / "out"), pipelines=["azureml"])
    assert result.error is None, result.error
    folder = tmp_path / "out"
    pipeline = yaml.safe_load((folder / "azureml" / "pipeline.yml").read_text())
    assert "model_path" not in pipeline["inputs"] and "settings" not in pipeline["inputs"], pipeline["inputs"]
    assert pipeline["inputs"]["label"] == "a b"
    [notice] = [n for n in result.notices if "keep their notebook values" in n]
    assert "--model-path" in notice and "--settings" in notice and "--label" not in notice
    train = _component(folder, "train")
    out = {"model": tmp_path / "model", "metrics": tmp_path / "metrics"}
    for path in out.values():
        path.mkdir()
    done = _run(train["command"], folder, pipeline["inputs"], out)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "it's a b"
    assert [p.name for p in out["model"].iterdir()] == [ODD]
    assert not (folder / "pwned").exists()
