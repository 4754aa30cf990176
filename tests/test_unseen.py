"""Notebooks nobody tuned nb2prod for: each test is a small notebook shaped like one that broke it."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

from nb2prod import api
from nb2prod.report import convert as convert_report
from nb2prod.verify import saved_paths
from tests.build import write_notebook

IMPORTS = ("import joblib\nimport numpy as np\n"
           "from sklearn.linear_model import LogisticRegression\nfrom sklearn.model_selection import train_test_split")
DATA = ("rng = np.random.default_rng(0)\nX = rng.normal(size=(80, 3))\ny = (X[:, 0] + X[:, 1] > 0).astype(int)")
FIT = "model = LogisticRegression()\nmodel.fit(X, y)"
SAVE = "joblib.dump(model, 'model.joblib')"


def _convert(tmp_path, cells, name="nb.ipynb"):
    nb = write_notebook(tmp_path / name, cells)
    out = tmp_path / "out"
    [result] = api.convert([str(nb)], str(out))
    assert result.error is None, str(result.error)
    return result, out


def _run(folder: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=folder, capture_output=True, text=True, timeout=300)


def _pyflakes_clean(folder: Path) -> None:
    flakes = _run(folder, "-m", "pyflakes", *[str(p) for p in sorted(folder.glob("*.py"))])
    assert flakes.returncode == 0, flakes.stdout


# -- the title: only a heading that opens no section names the script ---------------------------

def test_same_level_headings_are_all_sections_and_none_is_the_title(tmp_path):
    cells = ["# Imports", IMPORTS, "# Data", DATA, "# Training", FIT, "# Persist", SAVE]
    _, out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    assert '"""Train the model of nb.ipynb\n' in text
    assert 'description="Train the model of nb.ipynb"' in text
    assert "Imports" not in text


def test_a_heading_followed_by_another_heading_is_the_title(tmp_path):
    cells = ["# Churn study\nSome prose.", "# Data", IMPORTS + "\n" + DATA, "# Training", FIT + "\n" + SAVE]
    _, out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    assert text.split("\n")[1] == '"""Churn study'
    assert "def load_data():" in text and 'def train_model(X, y, model_path="model.joblib"):' in text


def test_a_lone_heading_above_a_scoring_notebook_is_its_title_not_a_score_section(tmp_path):
    model_path = tmp_path / "clf.pkl"
    from sklearn.linear_model import LogisticRegression
    fitted = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.0]], [0, 1, 0, 1])
    with open(model_path, "wb") as f:
        pickle.dump(fitted, f)
    cells = ["# Inference", "import pickle\nimport numpy as np",
             f"with open({str(model_path)!r}, 'rb') as f:\n    clf = pickle.load(f)",
             "sample = [[0.5, 0.2]]\npred = clf.predict(np.array(sample))\npred"]
    _, out = _convert(tmp_path, cells)
    text = (out / "score.py").read_text()
    init = text.split("def init():")[1].split("\ndef ")[0]
    assert "pickle.load(f)" in init, "the model must load once, in init()"
    assert "pickle.load" not in text.split("def run(")[1]
    _pyflakes_clean(out)
    scored = _run(out, "score.py")
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout) == {"result": fitted.predict([[0.5, 0.2]]).tolist()}


# -- what main() writes, and mocks that leave the model unfitted -------------------------------

GRID = ("from sklearn.model_selection import GridSearchCV\n"
        "search = GridSearchCV(LogisticRegression(), {'C': [0.1, 1.0]}, cv=3)\nsearch.fit(X, y)\n"
        "best = search.best_estimator_\nprint('best C:', best.C)")


def test_grid_search_saved_through_an_open_file_is_tested_and_verifiable(tmp_path):
    """`with open(path, 'wb') as f: pickle.dump(best, f)` writes `path`: main()'s test reads it back;
    and the fit of a search whose `best_estimator_` the step reads is not mocked (it would be unfitted)."""
    cells = ["# Grid", IMPORTS + "\nimport pickle", "## Data", DATA, "## Search", GRID,
             "## Save", "with open('best.pkl', 'wb') as f:\n    pickle.dump(best, f)"]
    result, out = _convert(tmp_path, cells)
    assert saved_paths(api.plan_notebook(str(tmp_path / "nb.ipynb"))) == (["best.pkl"], [])
    tests = (out / "test_train.py").read_text()
    assert "def test_main_writes_best(" in tests and "pickle.loads(path.read_bytes())" in tests
    assert "GridSearchCV.fit" not in tests
    ran = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert ran.returncode == 0, ran.stdout[-2000:]
    assert " passed" in ran.stdout
    _pyflakes_clean(out)


# -- scoring: what run() answers, and which training notebook verify pairs it with --------------

def _scoring(model_path: Path, imports: str, predict: str) -> list:
    """A scoring notebook: `imports`, the model loaded with joblib from `model_path`, the `predict` cell."""
    return ["# S", imports, "## Load model", f"model = joblib.load({str(model_path)!r})", "## Predict", predict]


def _scoring_cells(model_path: Path, shown: str):
    return ["# Score", "import json\nimport joblib\nimport numpy as np", "## Load model",
            f"model = joblib.load({str(model_path)!r})", "## Predict",
            "data = [[0.5, 0.2], [-1.0, 0.3]]\nresult = model.predict(np.array(data))\n" + shown]


def test_a_printed_json_dumps_is_answered_as_a_value_not_a_json_string(tmp_path):
    from sklearn.linear_model import LogisticRegression
    fitted = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.0]], [0, 1, 0, 1])
    joblib = __import__("joblib")
    joblib.dump(fitted, tmp_path / "m.joblib")
    cells = _scoring_cells(tmp_path / "m.joblib", "print(json.dumps({'prediction': result.tolist()}))")
    _, out = _convert(tmp_path, cells)
    text = (out / "score.py").read_text()
    assert 'return {"prediction": result.tolist()}' in text  # formatted: double quotes
    scored = _run(out, "score.py")
    assert scored.returncode == 0, scored.stderr
    expected = fitted.predict([[0.5, 0.2], [-1.0, 0.3]]).tolist()
    assert json.loads(scored.stdout) == {"prediction": expected}
    tests = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout[-2000:]


def test_verify_pairs_a_scoring_notebook_with_the_training_sibling_that_saves_its_model(tmp_path):
    from nb2prod.verify import find_companion
    for name, saved in (("a_train.ipynb", "first.joblib"), ("b_train.ipynb", "second.joblib")):
        write_notebook(tmp_path / name, ["# T", IMPORTS, "## Data", DATA, "## Train", FIT,
                                         "## Save", f"joblib.dump(model, {saved!r})"])
    write_notebook(tmp_path / "score.ipynb", _scoring_cells(Path("second.joblib"), "print(result)"))
    assert find_companion(str(tmp_path / "score.ipynb")) == str(tmp_path / "b_train.ipynb")


# -- section roles from headings in other words -------------------------------------------------

def test_a_weak_heading_word_gives_way_to_what_the_code_clearly_does(tmp_path):
    """'Modell speichern' shares only the weak stem 'model' with training: its joblib.dump makes it the
    save step, so train_model returns the model and main() hands it on."""
    cells = ["# Kredit", IMPORTS, "## Daten laden", DATA, "## Modell trainieren", FIT,
             "## Modell speichern", SAVE]
    _, out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    assert "def save_model(model, model_path=\"model.joblib\"):" in text and "    return model\n" in text
    assert "save_model(model, model_path=options.model_path)" in text.split("def main(")[1]


def test_a_weak_heading_keeps_its_role_when_the_code_also_does_that(tmp_path):
    cells = ["# T", IMPORTS, "## Data", DATA, "## Model", FIT + "\n" + SAVE]
    _, out = _convert(tmp_path, cells)
    assert 'def train_model(X, y, model_path="model.joblib"):' in (out / "train.py").read_text()


# -- --explain: every line where it really went ---------------------------------------------------

def test_explain_reports_a_timing_cell_magic_as_dropped_not_as_part_of_the_next_statement(tmp_path):
    cells = ["# T", IMPORTS, "## Data", DATA, "## Train", "%%time\n" + FIT, "%%capture\n!pip install x", SAVE]
    result, out = _convert(tmp_path, cells)
    fates = {f.text: f for f in result.fates}
    assert not fates["%%time"].kept and fates["%%time"].code == "NB202"
    assert not fates["%%capture"].kept and fates["%%capture"].code == "NB202"
    assert fates["!pip install x"].code == "NB203"
    assert fates["model = LogisticRegression()"].kept and "train_model()" in fates["model = LogisticRegression()"].where


def test_step_docstrings_read_as_sentences_whatever_the_heading_case(tmp_path):
    cells = ["# T", IMPORTS, "### reading the data:", DATA, "### does it learn?", FIT, "### export", SAVE]
    _, out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    assert '"""Reading the data."""' in text and '"""Does it learn?"""' in text and '"""Export."""' in text


# -- exploration vs. results -------------------------------------------------------------------

def test_a_loop_printing_computed_metrics_is_kept_with_what_it_reports(tmp_path):
    cells = ["# T", IMPORTS + "\nfrom sklearn.metrics import accuracy_score, f1_score", "## Data", DATA,
             "## Train", FIT, "## Metrics",
             "pred = model.predict(X)\nmetrics = {'acc': accuracy_score(y, pred), 'f1': f1_score(y, pred)}\n"
             "for k, v in metrics.items():\n    print(f'{k}: {v:.4f}')", "## Save", SAVE]
    result, out = _convert(tmp_path, cells)
    assert all(f.kept for f in result.fates if "metrics" in f.text or "print" in f.text)
    ran = _run(out, "train.py")
    assert ran.returncode == 0, ran.stderr
    # the notebook's own loop, then main()'s report of the same metrics
    assert [line.split(":")[0] for line in ran.stdout.splitlines()] == ["acc", "f1", "acc", "f1"]
    assert json.loads((out / "metrics.json").read_text()).keys() == {"acc", "f1"}


def _stub_model(path: Path):
    from sklearn.linear_model import LogisticRegression
    fitted = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.0]], [0, 1, 0, 1])
    __import__("joblib").dump(fitted, path)
    return fitted


def test_a_model_file_named_by_a_constant_resolves_like_a_literal_one(tmp_path):
    _stub_model(tmp_path / "m.joblib")
    cells = ["# S", f"import joblib\nimport numpy as np\nMODEL_FILE = {str(tmp_path / 'm.joblib')!r}",
             "## Load model", "model = joblib.load(MODEL_FILE)",
             "## Score", "x = np.array([[1.0, 2.0]])\nprint(model.predict(x))"]
    _, out = _convert(tmp_path, cells)
    text = (out / "score.py").read_text()
    assert "model = joblib.load(_model_file(MODEL_FILE))" in text
    assert "def test_init_reads_the_azure_model_dir" in (out / "test_score.py").read_text()
    tests = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and "4 passed" in tests.stdout, tests.stdout[-2000:]
    _pyflakes_clean(out)


def test_score_py_imports_os_only_when_something_uses_it(tmp_path):
    _stub_model(tmp_path / "m.dat")
    cells = ["# S", "import joblib\nimport numpy as np", "## Load model",
             f"model = joblib.load({str(tmp_path / 'm.dat')!r})",
             "## Score", "x = np.array([[1.0, 2.0]])\nprint(model.predict(x))"]
    _, out = _convert(tmp_path, cells)
    assert "import os" not in (out / "score.py").read_text()
    _pyflakes_clean(out)
    assert _run(out, "score.py").returncode == 0


def test_a_setup_heading_is_setup_not_a_prepare_step(tmp_path):
    from nb2prod.convert.sections import classify_heading
    assert [classify_heading(t, "training") for t in ("Setup", "Imports", "Libraries", "Import the data")] == \
        ["setup", "setup", "setup", "load"]
    cells = ["# T", "## Setup", IMPORTS + "\nnp.random.seed(0)", "## Data", DATA, "## Train", FIT, "## Save", SAVE]
    _, out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    assert "def prepare_data" not in text
    assert "def load_data():\n    \"\"\"Data.\"\"\"\n    np.random.seed(0)\n" in text


def test_a_guarded_import_stays_with_the_imports_not_threaded_through_steps(tmp_path):
    cells = ["# T", "try:\n    import joblib\nexcept ImportError:\n    joblib = None\n" + IMPORTS.split("\n", 1)[1]
             + "\nimport numpy as np", "## Data", DATA, "## Train", FIT, "## Save", SAVE]
    result, out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    assert "\ntry:\n    import joblib\nexcept ImportError:\n    joblib = None\n" in text
    assert "def save_model(model, model_path=\"model.joblib\"):" in text and "joblib, " not in text
    ran = _run(out, "train.py")
    assert ran.returncode == 0, ran.stderr
    _pyflakes_clean(out)


def test_a_model_pickled_to_an_inline_open_is_known_to_be_saved(tmp_path):
    cells = ["# T", IMPORTS + "\nimport pickle", "## Data", DATA, "## Train", FIT,
             "## Save", "pickle.dump(model, open('m.pkl', 'wb'))"]
    _convert(tmp_path, cells)
    assert saved_paths(api.plan_notebook(str(tmp_path / "nb.ipynb"))) == (["m.pkl"], [])


def test_records_given_as_a_list_of_dicts_become_the_request_data(tmp_path):
    fitted = _stub_model(tmp_path / "m.joblib")
    cells = _scoring(tmp_path / "m.joblib", "import joblib\nimport pandas as pd",
                     "records = [{'a': 0.5, 'b': 0.2}, {'a': -1.0, 'b': 0.3}]\nframe = pd.DataFrame.from_records(records)\n"
                     "proba = model.predict_proba(frame.values)[:, 1]\nproba")
    _, out = _convert(tmp_path, cells)
    text = (out / "score.py").read_text()
    assert 'records = json.loads(raw_data)["data"]' in text
    other = json.dumps({"data": [{"a": 1.0, "b": 0.0}]})
    scored = _run(out, "score.py", "--data", other)
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["result"] == fitted.predict_proba([[1.0, 0.0]])[:, 1].tolist()
    tests = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and "4 passed" in tests.stdout, tests.stdout[-2000:]


def test_a_scoring_notebook_without_a_literal_sample_still_gets_clean_init_tests(tmp_path):
    _stub_model(tmp_path / "m.joblib")
    (tmp_path / "new.csv").write_text("a,b\n0.5,0.2\n")
    cells = _scoring(tmp_path / "m.joblib", "import joblib\nimport pandas as pd",
                     f"frame = pd.read_csv({str(tmp_path / 'new.csv')!r})\nprint(model.predict(frame.values))")
    _, out = _convert(tmp_path, cells)
    _pyflakes_clean(out)
    tests = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and "2 passed" in tests.stdout, tests.stdout[-2000:]


# -- generated training tests that check the model the step returns ------------------------------

def test_a_model_built_by_a_factory_is_tested_fitted_on_what_the_notebook_scores(tmp_path):
    """make_pipeline(...) has no class to isinstance-check, and the notebook only calls .score(X, y):
    the test still predicts with the returned model on that X (an unfitted one would raise)."""
    cells = ["# T", IMPORTS + "\nfrom sklearn.pipeline import make_pipeline\nfrom sklearn.preprocessing import StandardScaler",
             "## Data", DATA, "## Train",
             "pipe = make_pipeline(StandardScaler(), LogisticRegression())\npipe.fit(X, y)\nprint('acc', pipe.score(X, y))",
             "## Save", "joblib.dump(pipe, 'pipe.joblib')"]
    _, out = _convert(tmp_path, cells)
    tests = (out / "test_train.py").read_text()
    assert "def test_train_model_returns_a_fitted_model():" in tests
    assert "predictions = pipe.predict(X)" in tests
    ran = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert ran.returncode == 0 and "2 passed" in ran.stdout, ran.stdout[-2000:]


def test_code_that_makes_the_data_is_the_load_step_when_nothing_is_read(tmp_path):
    cells = [IMPORTS, DATA + "\nX = X * 2", FIT, SAVE]  # no headings, no file read: the data is made here
    _, out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    assert "def load_data():" in text and "def prepare_data" not in text
    cells = ["# T", IMPORTS, "## Daten", DATA, "## Modell", FIT, "## Export", SAVE]
    _, out = _convert(tmp_path, cells)
    assert "def load_data():" in (out / "train.py").read_text()


def test_a_lone_star_import_is_spelled_out_and_a_saved_column_list_is_not_asked_to_predict(tmp_path):
    cells = ["# T", IMPORTS + "\nfrom sklearn.metrics import *", "## Data", DATA, "## Train",
             FIT + "\nprint('f1', f1_score(y, model.predict(X)))",
             "## Save", SAVE + "\ncols = ['a', 'b', 'c']\njoblib.dump(cols, 'cols.joblib')"]
    _, out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    assert "from sklearn.metrics import f1_score\n" in text and "import *" not in text
    tests = (out / "test_train.py").read_text()
    cols_test = tests.split("def test_main_writes_cols(")[1].split("\ndef ")[0]
    assert "predict" not in cols_test and "assert joblib.load(path) is not None" in cols_test
    ran = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert ran.returncode == 0, ran.stdout[-2000:]
    _pyflakes_clean(out)


def test_several_star_imports_stay_and_do_not_stop_the_conversion(tmp_path):
    cells = ["# T", IMPORTS + "\nfrom sklearn.metrics import *\nfrom sklearn.preprocessing import *", "## Data", DATA,
             "## Train", "X = StandardScaler().fit_transform(X)\n" + FIT + "\nprint('f1', f1_score(y, model.predict(X)))",
             "## Save", SAVE]
    _, out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    assert "from sklearn.metrics import *" in text and "from sklearn.preprocessing import *" in text
    ran = _run(out, "train.py")
    assert ran.returncode == 0, ran.stderr


# -- generated tests that run main() in an empty folder ---------------------------------------------

def _points_csv(folder: Path, name: str = "points.csv") -> Path:
    import numpy as np
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(60, 2))
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["a,b,label"] + [f"{a:.4f},{b:.4f},{int(a + b > 0)}" for a, b in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


READ = "df = pd.read_csv('data/points.csv')\nX = df[['a', 'b']].values\ny = df['label'].values"


def test_main_writes_test_links_in_the_relative_files_the_notebook_reads(tmp_path):
    """main() runs in tmp_path for its test: the CSV the notebook reads by a relative path comes along."""
    cells = ["# T", IMPORTS + "\nimport pandas as pd", "## Data", READ, "## Train", FIT, "## Save", SAVE]
    result, out = _convert(tmp_path, cells)
    assert api.plan_notebook(str(tmp_path / "nb.ipynb")).read_files == ("data/points.csv",)
    tests = (out / "test_train.py").read_text()
    assert 'DATA_FILES = ["data/points.csv"]' in tests
    _points_csv(out / "data")
    ran = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert ran.returncode == 0, ran.stdout[-2000:]
    _pyflakes_clean(out)


def test_paths_built_from_a_folder_constant_are_linked_in_too(tmp_path):
    """`DATA_DIR = Path("data")` then `pd.read_csv(DATA_DIR / "points.csv")` (or os.path.join, or
    Path(a, b)): the file is still known, so main()'s test does not fail with FileNotFoundError."""
    reads = ("DATA_DIR / 'points.csv'", "os.path.join(DATA_DIR, 'points.csv')", "Path(DATA_DIR, 'points.csv')")
    for i, expr in enumerate(reads):
        folder = tmp_path / str(i)
        folder.mkdir()
        cells = ["# T", IMPORTS + "\nimport os\nimport pandas as pd\nfrom pathlib import Path\nDATA_DIR = Path('data')",
                 "## Data", READ.replace("'data/points.csv'", expr), "## Train", FIT, "## Save", SAVE]
        _, out = _convert(folder, cells)
        assert 'DATA_FILES = ["data/points.csv"]' in (out / "test_train.py").read_text(), expr
    _points_csv(out / "data")
    ran = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert ran.returncode == 0, ran.stdout[-2000:]


def test_a_dict_call_of_literals_becomes_options_like_a_dict_literal(tmp_path):
    """`params = dict(C=0.5, max_iter=200)` is as tunable as `params = {"C": 0.5, "max_iter": 200}`."""
    cells = ["# T", IMPORTS, "## Data", DATA, "## Train",
             "params = dict(C=0.5, max_iter=200)\nmodel = LogisticRegression(**params)\nmodel.fit(X, y)",
             "## Save", SAVE]
    _, out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    assert "def train_model(X, y, C=0.5, max_iter=200):" in text
    assert "params = dict(C=C, max_iter=max_iter)" in text
    _pyflakes_clean(out)
    ran = _run(out, "train.py", "--c", "2.0", "--max-iter", "50")
    assert ran.returncode == 0, ran.stderr
    assert __import__("joblib").load(out / "model.joblib").get_params()["max_iter"] == 50


def test_a_notebook_variable_named_train_does_not_rebind_the_script_in_its_tests(tmp_path):
    cells = ["# T", IMPORTS + "\nimport pandas as pd", "## Data", "df = pd.read_csv('points.csv')",
             "## Split", "train, test = train_test_split(df, random_state=0)",
             "## Train", "model = LogisticRegression()\nmodel.fit(train[['a', 'b']], train['label'])\n"
             "print('acc', model.score(test[['a', 'b']], test['label']))", "## Save", SAVE]
    _, out = _convert(tmp_path, cells)
    tests = (out / "test_train.py").read_text()
    assert "import train as train_script\n" in tests and "train, test = train_script.split_data(df)" in tests
    _points_csv(out)
    ran = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert ran.returncode == 0 and "4 passed" in ran.stdout, ran.stdout[-2000:]  # main, fitted, mocked, metrics
    assert "def test_evaluation_reports_finite_metrics" in tests
    _pyflakes_clean(out)


def test_a_train_step_returning_a_scaler_and_a_model_is_unpacked_and_its_keyed_save_path_tested(tmp_path):
    """`scaler, clf = train_model(...)` in the test too; `joblib.dump(..., config['model_path'])` is tested
    through the option --model-path."""
    cells = ["# T", IMPORTS + "\nimport pandas as pd\nfrom sklearn.preprocessing import StandardScaler",
             "config = {'data_path': 'points.csv', 'C': 0.5, 'model_path': 'bundle.joblib'}",
             "## Data", "df = pd.read_csv(config['data_path'])\nX = df[['a', 'b']]\ny = df['label']",
             "## Train", "scaler = StandardScaler().fit(X)\nclf = LogisticRegression(C=config['C'])\n"
             "clf.fit(scaler.transform(X), y)",
             "## Save", "joblib.dump({'scaler': scaler, 'model': clf}, config['model_path'])"]
    _, out = _convert(tmp_path, cells)
    tests = (out / "test_train.py").read_text()
    assert "scaler, clf = train.train_model(" in tests
    assert 'train.main(["--model-path", str(tmp_path / "bundle.joblib")])' in tests
    _points_csv(out)
    ran = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert ran.returncode == 0 and "3 passed" in ran.stdout, ran.stdout[-2000:]


def test_cross_validation_before_the_final_fit_runs_before_the_mock_is_in_place(tmp_path):
    """The mocked-fit test patches the class only around the train step: an earlier step that fits and
    predicts with the same class (a cross-validation loop) runs for real."""
    cells = ["# T", IMPORTS + "\nfrom sklearn.model_selection import KFold", "## Data", DATA,
             "## Cross-validate", "scores = []\nfor tr, te in KFold(3).split(X):\n    m = LogisticRegression()\n"
             "    m.fit(X[tr], y[tr])\n    scores.append((m.predict(X[te]) == y[te]).mean())\nprint('cv', sum(scores) / 3)",
             "## Final model", FIT + "\nprint('acc', (model.predict(X) == y).mean())", "## Save", SAVE]
    _, out = _convert(tmp_path, cells)
    mocked = (out / "test_train.py").read_text().split("def test_train_model_fits_logistic_regression(")[1]
    assert mocked.index("evaluate_model(") < mocked.index("mocker.patch(")
    ran = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    # the printed `(model.predict(X) == y).mean()` is a metric computed by hand: evaluate_model_2 reports it and
    # gets its test; the one comparing it with the notebook's printed value skips (saved without outputs)
    assert ran.returncode == 0 and "4 passed, 1 skipped" in ran.stdout, ran.stdout[-2000:]


# -- scoring: requests whose rows are not under "data", or not a list of lists --------------------

def test_a_json_sample_with_its_own_key_is_documented_and_tested_under_that_key(tmp_path):
    fitted = _stub_model(tmp_path / "m.joblib")
    cells = _scoring(tmp_path / "m.joblib", "import json\nimport joblib\nimport numpy as np",
                     "request = '{\"rows\": [[0.5, 0.2], [1.0, 0.0], [0.0, 1.0]]}'\n"
                     "x = np.array(json.loads(request)['rows'])\nprint(model.predict(x))")
    _, out = _convert(tmp_path, cells)
    assert 'Score a JSON request `{"rows": [[...], ...]}`' in (out / "score.py").read_text()
    assert "SAMPLE_REQUEST)[\"rows\"]" in (out / "test_score.py").read_text()
    tests = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and "4 passed" in tests.stdout, tests.stdout[-2000:]
    scored = _run(out, "score.py")
    assert json.loads(scored.stdout) == {"result": fitted.predict([[0.5, 0.2], [1.0, 0.0], [0.0, 1.0]]).tolist()}


def test_run_docstring_shows_a_sample_of_columns_as_columns(tmp_path):
    _stub_model(tmp_path / "m.joblib")
    cells = _scoring(tmp_path / "m.joblib", "import joblib\nimport pandas as pd",
                     "sample = {'a': [0.5, 1.0], 'b': [0.2, 0.0]}\nprint(model.predict(pd.DataFrame(sample).values))")
    _, out = _convert(tmp_path, cells)
    assert 'Score a JSON request `{"data": {"a": [...], ...}}`' in (out / "score.py").read_text()


def test_init_that_takes_a_scaler_and_a_model_out_of_a_bundle_is_tested_with_a_bundle(tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    X, y = [[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.0]], [0, 1, 0, 1]
    scaler = StandardScaler().fit(X)
    __import__("joblib").dump({"scaler": scaler, "model": LogisticRegression().fit(scaler.transform(X), y)},
                              tmp_path / "bundle.pkl")
    cells = ["# S", "import json\nimport joblib\nimport numpy as np", "## Load model",
             f"bundle = joblib.load({str(tmp_path / 'bundle.pkl')!r})\nscaler = bundle['scaler']\nclf = bundle['model']",
             "## Predict", "rows = [[0.5, 0.2], [1.0, 0.0]]\nprint(clf.predict(scaler.transform(np.array(rows))))"]
    _, out = _convert(tmp_path, cells)
    tests = (out / "test_score.py").read_text()
    assert 'joblib.dump({"scaler": StubModel(), "model": StubModel()}, path)' in tests
    ran = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert ran.returncode == 0 and "4 passed" in ran.stdout, ran.stdout[-2000:]


# -- plots: a saved figure keeps its own drawing, not every plot of the notebook -------------------

def test_a_savefig_keeps_only_the_plots_of_its_own_figure(tmp_path):
    """Lint leaves every plot unfixable once anything calls savefig; the conversion drops the plots
    shown in other cells (and every `show()`) and keeps what draws the saved figure."""
    cells = ["# T", IMPORTS + "\nimport matplotlib.pyplot as plt\nimport seaborn as sns", "## Data",
             DATA + "\nsns.histplot(X[:, 0])\nplt.title('first feature')\nplt.show()",
             "## Train", FIT + "\nfig, ax = plt.subplots()\nax.scatter(X[:, 0], model.predict(X))\n"
             "plt.savefig('fit.png')\nplt.show()", "## Save", SAVE]
    result, out = _convert(tmp_path, cells)
    fates = {f.text: f for f in result.fates}
    assert [fates[t].code for t in ("sns.histplot(X[:, 0])", "plt.title('first feature')")] == ["NB105", "NB105"]
    assert not any(f.kept for f in result.fates if f.text == "plt.show()")
    assert all(fates[t].kept for t in ("fig, ax = plt.subplots()", "ax.scatter(X[:, 0], model.predict(X))",
                                       "plt.savefig('fit.png')"))
    text = (out / "train.py").read_text()
    assert "import seaborn" not in text and "plt.show" not in text
    _pyflakes_clean(out)


def test_a_hand_written_training_loop_with_backward_is_a_training_notebook(tmp_path):
    """No `.fit(...)`: `loss.backward()` and `torch.save(...)` make it training (torch need not be installed)."""
    cells = ["# Net", "import torch\nfrom torch import nn", "## Data", "X = torch.randn(64, 3)\ny = X.sum(1)",
             "## Train", "EPOCHS = 5\nnet = nn.Linear(3, 1)\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
             "for epoch in range(EPOCHS):\n    opt.zero_grad()\n    loss = ((net(X).squeeze(-1) - y) ** 2).mean()\n"
             "    loss.backward()\n    opt.step()\nprint('loss', loss.item())",
             "## Save", "torch.save(net.state_dict(), 'net.pt')"]
    result, out = _convert(tmp_path, cells)
    assert result.kind == "training"
    text = (out / "train.py").read_text()
    assert "def train_model(X, y, EPOCHS=5):" in text and 'def save_model(net, model_path="net.pt"):' in text


# -- settings before the first heading -----------------------------------------------------------

def test_upper_case_settings_from_the_environment_or_paths_stay_module_constants(tmp_path):
    """`OUT_DIR = Path(os.environ.get(...))` before the first heading is a module constant: load_data()
    neither builds nor returns it, and `OUT_DIR.mkdir()` does not make it a value later steps receive."""
    cells = ["# T", IMPORTS + "\nimport os\nfrom pathlib import Path\nimport pandas as pd",
             "DATA_FILE = os.environ.get('DATA_FILE', 'points.csv')\nOUT_DIR = Path(os.getenv('OUT_DIR', 'models'))\n"
             "OUT_DIR.mkdir(exist_ok=True)",
             "## Data", "df = pd.read_csv(DATA_FILE)\nX = df[['a', 'b']].values\ny = df['label'].values",
             "## Train", FIT, "## Save", "joblib.dump(model, OUT_DIR / 'model.joblib')"]
    _, out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    assert '\nDATA_FILE = os.environ.get("DATA_FILE", "points.csv")\nOUT_DIR = Path(os.getenv("OUT_DIR", "models"))\n' in text
    assert "def load_data():\n    \"\"\"Data.\"\"\"\n    OUT_DIR.mkdir(exist_ok=True)\n" in text
    assert "def save_model(model):" in text and "return OUT_DIR" not in text
    _points_csv(out)
    ran = _run(out, "train.py")
    assert ran.returncode == 0, ran.stderr
    assert (out / "models" / "model.joblib").exists()
    _pyflakes_clean(out)


def test_a_sub_heading_that_names_no_step_belongs_to_the_step_above_it(tmp_path):
    """'### Hyperparameters' under '## Training' holds only a settings dict: it is part of training,
    not a prepare_data() step that returns the dict."""
    cells = ["# T", IMPORTS, "## Data", DATA, "## Training", "### Hyperparameters",
             "params = {'C': 0.3, 'max_iter': 200, 'random_state': len(X)}",
             "### Fit", "model = LogisticRegression(**params)\nmodel.fit(X, y)", "## Save", SAVE]
    _, out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    assert "def prepare_data" not in text
    assert "def train_model(X, y):\n    \"\"\"Hyperparameters; Fit.\"\"\"\n    params = {" in text


def test_a_dataframe_of_predictions_is_answered_one_record_per_row(tmp_path):
    fitted = _stub_model(tmp_path / "m.joblib")
    cells = _scoring(tmp_path / "m.joblib", "import joblib\nimport pandas as pd",
                     "batch = pd.DataFrame([{'a': 0.5, 'b': 0.2}, {'a': 1.0, 'b': 0.0}])\n"
                     "out = pd.DataFrame({'prediction': model.predict(batch.values)})\ndisplay(out)")
    _, out = _convert(tmp_path, cells)
    scored = _run(out, "score.py")
    expected = fitted.predict([[0.5, 0.2], [1.0, 0.0]]).tolist()
    assert json.loads(scored.stdout) == {"result": [{"prediction": p} for p in expected]}
    tests = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and "4 passed" in tests.stdout, tests.stdout[-2000:]


def test_headings_in_german_spanish_and_french_name_their_steps():
    from nb2prod.convert.sections import classify_heading
    table = {"Aufteilen in Trainings- und Testdaten": "split", "Daten einlesen": "load", "Bewertung": "evaluate",
             "División en entrenamiento y prueba": "split", "Cargar datos": "load", "Guardar modelo": "save",
             "Chargement des données": "load", "Entraînement du modèle": "train", "Évaluation": "evaluate",
             "Sauvegarde": "save", "Daten vorbereiten": "prepare"}
    assert {h: classify_heading(h, "training") for h in table} == table


# -- names only the notebook's machinery defines ------------------------------------------------

def test_a_read_of_what_capture_recorded_is_dropped_with_its_reason_and_the_rest_converts(tmp_path):
    """`%%capture log` then `print(log.stdout)`: a script has no `log`; that line goes (NB905), not the notebook."""
    cells = [IMPORTS, "# Data", DATA, "# Training", "%%capture fitlog\n" + FIT, "print(fitlog.stdout)", "# Save", SAVE]
    result, out = _convert(tmp_path, cells)
    text = (out / "train.py").read_text()
    assert "fitlog" not in text and "model.fit(X, y)" in text
    explained = "\n".join(convert_report.lines([result], explain=True))
    assert "dropped NB905: uses `fitlog`, which only the `%%capture` magic defines" in explained
    _pyflakes_clean(out)


def test_a_name_bound_through_globals_is_refused_with_what_to_do(tmp_path):
    cells = [IMPORTS, "# Data", DATA, "# Training",
             "for c in [1, 10]:\n    globals()[f'model_{c}'] = LogisticRegression(C=c).fit(X, y)",
             "model = model_10", "# Save", SAVE]
    nb = write_notebook(tmp_path / "nb.ipynb", cells)
    [result] = api.convert([str(nb)], str(tmp_path / "out"))
    assert result.error is not None and result.error.exit_code == 1
    assert "`model_10` is bound only through globals(), vars() or exec()" in str(result.error)
    assert "did you mean" not in str(result.error)
