"""Metrics are an output (issue 13): the model's evaluation on held-out data is never dropped, whatever
shape it ends in; train.py gets an evaluation step that returns the metrics under the notebook's names,
and main() prints them and writes them as JSON (`--metrics-path`) for a pipeline step to read.

Each notebook below is small and shaped like one nb2prod used to lose the evaluation of; each test runs
the generated train.py and its generated tests for real."""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod import api
from tests.build import write_notebook

IMPORTS = ("import joblib\nimport numpy as np\nfrom sklearn.linear_model import LogisticRegression\n"
           "from sklearn.metrics import accuracy_score, f1_score, recall_score, roc_auc_score\n"
           "from sklearn.model_selection import train_test_split")
DATA = ("rng = np.random.default_rng(0)\nX = rng.normal(size=(200, 3))\ny = (X[:, 0] + X[:, 1] > 0).astype(int)\n"
        "X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.25, random_state=0)")
FIT = "clf = LogisticRegression(C=0.5)\nclf.fit(X_train, y_train)"
SAVE = "joblib.dump(clf, 'model.joblib')"


def _convert(tmp_path: Path, cells, **options):
    nb = write_notebook(tmp_path / "nb.ipynb", cells)
    out = tmp_path / "out"
    [result] = api.convert([str(nb)], str(out), **options)
    assert result.error is None, str(result.error)
    return result, out


def _run(folder: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=folder, capture_output=True, text=True, timeout=300)


def _trained(out: Path, *args, tests: bool = True) -> subprocess.CompletedProcess:
    """Run train.py (and its generated tests); what it printed."""
    ran = _run(out, "train.py", *args)
    assert ran.returncode == 0, ran.stderr
    if not tests:
        return ran
    tests = _run(out, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_train.py")
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert "def test_evaluation_reports_finite_metrics" in (out / "test_train.py").read_text()
    flakes = _run(out, "-m", "pyflakes", "train.py", "test_train.py")
    assert flakes.returncode == 0, flakes.stdout
    return ran


def _written(path: Path) -> dict:
    values = json.loads(path.read_text(encoding="utf-8"))
    assert all(math.isfinite(v) for v in _leaves(values)), values
    return values


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def test_a_helper_returning_a_dict_shown_bare_is_the_evaluation(tmp_path):
    """The issue's case: `holdout = score_model(...)` then `holdout` as the cell's last expression."""
    helper = ("def score_model(model, X, y):\n    p = model.predict(X)\n"
              "    return {'accuracy': accuracy_score(y, p), 'recall': recall_score(y, p)}")
    cells = ["# Churn", IMPORTS, "## Data", DATA, "## Helpers", helper, "## Train", FIT,
             "## Validate", "holdout = score_model(clf, X_valid, y_valid)\nholdout", "## Save", SAVE]
    result, out = _convert(tmp_path, cells)
    train = (out / "train.py").read_text()
    assert "holdout = score_model(clf, X_valid, y_valid)" in train
    [shown] = [f for f in result.fates if f.text.strip() == "holdout"]  # the bare show: the report does it now
    assert (shown.kept, shown.code) == (False, "NB903")
    assert "    return holdout\n" in train
    assert "def split_data" not in train or "X_valid" in train.split("def split_data")[1].split("def ")[0]
    ran = _trained(out)
    assert _written(out / "metrics.json").keys() == {"accuracy", "recall"}
    assert "accuracy: " in ran.stdout and "recall: " in ran.stdout


def test_a_displayed_dict_of_metrics_is_merged_under_its_keys(tmp_path):
    metrics = ("proba = clf.predict_proba(X_valid)[:, 1]\n"
               "scores = {'auc': roc_auc_score(y_valid, proba), 'f1': f1_score(y_valid, clf.predict(X_valid))}\n"
               "scores")
    _, out = _convert(tmp_path, ["# T", IMPORTS, "## Data", DATA, "## Train", FIT, "## Scores", metrics,
                                 "## Save", SAVE])
    assert "    return scores\n" in (out / "train.py").read_text()
    _trained(out)
    assert list(_written(out / "metrics.json")) == ["auc", "f1"]


@pytest.mark.parametrize("shape, key", [
    ("clf.score(X_valid, y_valid)", "score"),  # a bare expression: Jupyter shows it
    ("display(clf.score(X_valid, y_valid))", "score"),
    ("print(f'Validation accuracy: {accuracy_score(y_valid, clf.predict(X_valid)):.3f}')", "validation_accuracy"),
    ("print('auc', roc_auc_score(y_valid, clf.predict_proba(X_valid)[:, 1]))", "auc"),
    ("print(f1_score(y_valid, clf.predict(X_valid)))", "f1"),
    # shown through arithmetic or a numeric function: named as shown under its label, else by its function
    ("print('Accuracy %:', 100 * accuracy_score(y_valid, clf.predict(X_valid)))", "accuracy"),
    ("print(round(f1_score(y_valid, clf.predict(X_valid)), 3))", "f1"),
    # printed through a template: the text before its placeholder labels it
    ("print('Accuracy on test set: {:.2f}'.format(clf.score(X_valid, y_valid)))", "accuracy_on_test_set"),
    ("print('AUC: {auc:.3f}'.format(auc=roc_auc_score(y_valid, clf.predict_proba(X_valid)[:, 1])))", "auc"),
    ("print('recall = %.3f' % recall_score(y_valid, clf.predict(X_valid)))", "recall"),
    ("print('%s: %.3f' % ('valid', f1_score(y_valid, clf.predict(X_valid))))", "f1"),  # no words before it
    # computed by hand where it is shown (analysis/by_hand): named by its label, else by its shape
    ("print('Test accuracy:', (clf.predict(X_valid) == y_valid).mean())", "test_accuracy"),
    ("(clf.predict(X_valid) == y_valid).mean()", "accuracy"),
    ("print(f'error rate {np.mean(clf.predict(X_valid) != y_valid):.3f}')", "error_rate"),
    ("print(np.sqrt(np.mean((clf.predict_proba(X_valid)[:, 1] - y_valid) ** 2)))", "rmse"),
])
def test_an_inline_metric_gets_a_name_and_is_reported(tmp_path, shape, key):
    cells = ["# T", IMPORTS + "\nfrom IPython.display import display", "## Data", DATA, "## Train", FIT,
             "## Evaluate", shape, "## Save", SAVE]
    result, out = _convert(tmp_path, cells)
    train = (out / "train.py").read_text()
    assert f"    {key} = " in train and f'return {{"{key}": {key}}}' in train
    assert not [f for f in result.fates if not f.kept and "valid" in f.text]  # nothing of the evaluation dropped
    _trained(out, tests=shape.startswith("print(f'"))
    assert list(_written(out / "metrics.json")) == [key]


def test_metric_names_never_take_a_notebook_name(tmp_path):
    """`from sklearn import metrics` and a variable `accuracy` elsewhere: the generated names step aside."""
    cells = ["# T", IMPORTS + "\nfrom sklearn import metrics", "## Data", DATA + "\naccuracy = 'a setting'",
             "## Train", FIT, "## Evaluate", "print('accuracy', metrics.accuracy_score(y_valid, clf.predict(X_valid)))",
             "## Save", SAVE + "\nprint(accuracy)"]
    _, out = _convert(tmp_path, cells)
    train = (out / "train.py").read_text()
    assert "accuracy_2 = metrics.accuracy_score(" in train
    assert "metrics_2 = evaluate_model(" in train
    _trained(out)
    assert list(_written(out / "metrics.json")) == ["accuracy"]


def test_the_metrics_file_goes_beside_the_model_and_has_an_option(tmp_path):
    save = "import os\nos.makedirs('outputs', exist_ok=True)\njoblib.dump(clf, 'outputs/model.joblib')"
    cells = ["# T", IMPORTS, "## Data", DATA, "## Train", FIT, "## Evaluate",
             "acc = accuracy_score(y_valid, clf.predict(X_valid))\nprint('acc', acc)", "## Save", save]
    _, out = _convert(tmp_path, cells)
    assert "default=\"outputs/metrics.json\"" in (out / "train.py").read_text()
    _trained(out, "--metrics-path", "elsewhere/m.json")
    assert list(_written(out / "elsewhere" / "m.json")) == ["acc"]


def test_evaluation_inside_the_training_section_gets_its_own_step(tmp_path):
    """No heading of its own: the predictions and the metric after the fit move to evaluate_model, and the
    training step stops taking the held-out rows."""
    cells = ["# T", IMPORTS, "## Data", DATA, "## Train",
             FIT + "\npred = clf.predict(X_valid)\nacc = accuracy_score(y_valid, pred)\nprint('acc', acc)",
             "## Save", SAVE]
    _, out = _convert(tmp_path, cells)
    train = (out / "train.py").read_text()
    assert "def train_model(X_train, y_train, C=0.5):" in train  # C: the saved estimator's option
    assert "def evaluate_model(clf, X_valid, y_valid):" in train
    _trained(out)


def test_a_sweep_is_not_reported_the_final_fit_is(tmp_path):
    sweep = ("for c in [0.1, 1.0, 10.0]:\n    candidate = LogisticRegression(C=c).fit(X_train, y_train)\n"
             "    print(c, candidate.score(X_valid, y_valid))")
    cells = ["# T", IMPORTS, "## Data", DATA, "## Sweep", sweep, "## Train", FIT, "## Evaluate",
             "acc = accuracy_score(y_valid, clf.predict(X_valid))", "## Save", SAVE]
    _, out = _convert(tmp_path, cells)
    _trained(out)
    assert list(_written(out / "metrics.json")) == ["acc"]


def test_a_notebook_without_evaluation_gets_no_metrics_option(tmp_path):
    _, out = _convert(tmp_path, ["# T", IMPORTS, "## Data", DATA, "## Train", FIT, "## Save", SAVE])
    train = (out / "train.py").read_text()
    assert "--metrics-path" not in train and "evaluate_model" not in train


def test_a_metric_variable_named_like_its_function_is_renamed_and_still_reported(tmp_path):
    """`accuracy_score = accuracy_score(...)`: plan/shadows renames the variable (`accuracy_score_`) so the call
    still reaches the function; the report and an inline metric's binding follow the rename."""
    cells = ["# T", IMPORTS, "## Data", DATA, "## Train", FIT, "## Evaluate",
             "accuracy_score = accuracy_score(y_valid, clf.predict(X_valid))\n"
             "print('f1', f1_score(y_valid, clf.predict(X_valid)))", "## Save", SAVE]
    _, out = _convert(tmp_path, cells)
    assert 'return {"accuracy_score": accuracy_score_, "f1": f1}' in (out / "train.py").read_text()
    _trained(out)
    assert list(_written(out / "metrics.json")) == ["accuracy_score", "f1"]


def test_an_evaluation_sharing_a_with_block_with_the_fit_is_reported_by_the_training_step(tmp_path):
    """`with mlflow.start_run():` (here `warnings.catch_warnings()`) around the fit and the metric: the block
    cannot be split, so train_model() returns the model and the metrics."""
    block = ("import warnings\nwith warnings.catch_warnings():\n    clf = LogisticRegression(C=0.5).fit(X_train, y_train)\n"
             "    r2 = clf.score(X_valid, y_valid)\n    warnings.warn('fitted')")
    _, out = _convert(tmp_path, ["# T", IMPORTS, "## Data", DATA, "## Train", block, "## Save", SAVE])
    train = (out / "train.py").read_text()
    assert 'return clf, {"r2": r2}' in train and "clf, metrics = train_model(" in train
    _trained(out)
    assert list(_written(out / "metrics.json")) == ["r2"]


# A model whose fit returns its training history, as Keras' does (History.history: each metric's value per
# epoch, the validation data's under `val_` keys); defined in the notebook, so the test needs no Keras.
TINY_NET = ("class History:\n    def __init__(self, history):\n        self.history = history\n\n\n"
            "class TinyNet:\n    def fit(self, X, y, validation_data, epochs=3):\n"
            "        X_val, y_val = validation_data\n        self.bias = float(np.mean(y))\n"
            "        losses = [float(np.mean((self.bias - y_val) ** 2)) + 1 / (e + 1) for e in range(epochs)]\n"
            "        return History({'loss': losses, 'val_loss': losses, 'val_accuracy': [0.5 + e / 10 for e in range(epochs)]})\n\n"
            "    def predict(self, X):\n        return np.full(len(X), self.bias)\n\n"
            "    def evaluate(self, X, y, verbose=0):\n"
            "        return [float(np.mean((self.predict(X) - y) ** 2)), float(np.mean((self.predict(X) > 0.5) == y))]")


def test_a_fits_history_of_held_out_metrics_is_the_evaluation(tmp_path):
    """Keras' `history.history["val_loss"][-1]` (printed) and `max(history.history["val_accuracy"])` (bound): the
    validation data's metrics a fit recorded are reported; the training loss and the curve are not."""
    evaluate = ("print('validation loss', history.history['val_loss'][-1])\n"
                "best_acc = max(history.history['val_accuracy'])\nprint(best_acc, history.history['loss'][-1])")
    cells = ["# T", IMPORTS, "## Data", DATA, "## Model", TINY_NET, "## Train",
             "net = TinyNet()\nhistory = net.fit(X_train, y_train, validation_data=(X_valid, y_valid))",
             "## Evaluate", evaluate, "## Save", "joblib.dump(net, 'net.joblib')"]
    result, out = _convert(tmp_path, cells)
    train = (out / "train.py").read_text()
    assert '    validation_loss = history.history["val_loss"][-1]\n' in train
    assert 'return {"validation_loss": validation_loss, "best_acc": best_acc}' in train
    assert not [f for f in result.fates if not f.kept and "history" in f.text]
    ran = _trained(out)
    assert list(_written(out / "metrics.json")) == ["validation_loss", "best_acc"]
    assert "validation_loss: " in ran.stdout


def test_a_searchs_cross_validated_score_is_reported_with_the_test_score(tmp_path):
    """`grid.best_score_` (printed after the fit) is the best candidate's mean over the held-out folds: reported
    beside the test set's score; the chosen parameters are a description of the model (NB107)."""
    search = ("from sklearn.model_selection import GridSearchCV\n"
              "grid = GridSearchCV(LogisticRegression(), {'C': [0.1, 1.0]}, cv=3)\ngrid.fit(X_train, y_train)\n"
              "print(grid.best_params_)\nprint('cv accuracy', grid.best_score_)")
    cells = ["# T", IMPORTS, "## Data", DATA, "## Search", search, "## Evaluate",
             "print('test accuracy', grid.score(X_valid, y_valid))", "## Save", "joblib.dump(grid.best_estimator_, 'm.joblib')"]
    result, out = _convert(tmp_path, cells)
    assert [f.code for f in result.fates if not f.kept and f.code.startswith("NB1")] == ["NB107"]
    ran = _trained(out)
    assert list(_written(out / "metrics.json")) == ["cv_accuracy", "test_accuracy"]
    assert "cv_accuracy: " in ran.stdout


def test_a_metric_shown_through_arithmetic_is_reported_as_the_notebook_showed_it(tmp_path):
    """`print(f"error rate {1 - accuracy_score(...):.3f}")`, `print("RMSE:", np.sqrt(...))`: the value under the
    label is what the notebook printed (the error rate, the root), not the metric call inside it."""
    shown = ("print(f'error rate {1 - accuracy_score(y_valid, clf.predict(X_valid)):.3f}')\n"
             "print('RMSE:', np.sqrt(np.mean((clf.predict_proba(X_valid)[:, 1] - y_valid) ** 2)))\n"
             "print('Root Brier:', np.sqrt(brier_score_loss(y_valid, clf.predict_proba(X_valid)[:, 1])))")
    cells = ["# T", IMPORTS + "\nfrom sklearn.metrics import brier_score_loss", "## Data", DATA, "## Train", FIT,
             "## Evaluate", shown, "## Save", SAVE]
    _, out = _convert(tmp_path, cells)
    train = (out / "train.py").read_text()
    assert "    error_rate = 1 - accuracy_score(" in train and "    root_brier = np.sqrt(brier_score_loss(" in train
    _trained(out)
    written = _written(out / "metrics.json")
    namespace: dict = {}
    exec("\n".join([IMPORTS, "from sklearn.metrics import brier_score_loss", DATA, FIT]), namespace)
    clf, X_valid, y_valid = namespace["clf"], namespace["X_valid"], namespace["y_valid"]
    from sklearn.metrics import accuracy_score, brier_score_loss

    proba = clf.predict_proba(X_valid)[:, 1]
    assert written == pytest.approx({"error_rate": 1 - accuracy_score(y_valid, clf.predict(X_valid)),
                                     "rmse": float(((proba - y_valid) ** 2).mean() ** 0.5),  # computed by hand
                                     "root_brier": brier_score_loss(y_valid, proba) ** 0.5})


def test_the_entries_of_a_keras_evaluation_are_reported_under_their_labels(tmp_path):
    """Keras' own example: `score = model.evaluate(x_test, y_test)` then `print("Test loss:", score[0])` and
    `print("Test accuracy:", score[1])`: the list itself is no number, its entries are the metrics."""
    evaluate = "score = net.evaluate(X_valid, y_valid)\nprint('Test loss:', score[0])\nprint('Test accuracy:', score[1])"
    cells = ["# T", IMPORTS, "## Data", DATA, "## Model", TINY_NET, "## Train",
             "net = TinyNet()\nhistory = net.fit(X_train, y_train, validation_data=(X_valid, y_valid))",
             "## Evaluate", evaluate, "## Save", "joblib.dump(net, 'net.joblib')"]
    _, out = _convert(tmp_path, cells)
    assert '    test_loss = score[0]\n' in (out / "train.py").read_text()
    _trained(out)
    written = _written(out / "metrics.json")
    assert list(written) == ["test_loss", "test_accuracy"] and 0 <= written["test_accuracy"] <= 1


def test_a_section_that_only_evaluates_is_the_evaluation_step_under_its_heading(tmp_path):
    """A section not headed like an evaluation ("Results") builds a frame of actual and predicted values, shows
    its head (dropped, NB101) and prints a metric computed from it: the whole section is evaluate_model(),
    with its heading as docstring; the dropped `df.head()` does not keep the frame behind in a step of its own."""
    shown = ("df = pd.DataFrame({'actual': y_valid, 'predicted': proba})\ndf.head()\n"
             "print(np.sqrt(np.mean((df.actual - df.predicted) ** 2)))")
    fit = FIT + "\nproba = clf.predict_proba(X_valid)[:, 1]"  # predicted where the model is fitted
    cells = ["# T", IMPORTS + "\nimport pandas as pd", "## Data", DATA, "## Train", fit, "## Results", shown,
             "## Save", SAVE]
    result, out = _convert(tmp_path, cells)
    train = (out / "train.py").read_text()
    evaluate = train.split("def evaluate_model(")[1].split("\ndef ")[0]
    assert '"""Results."""' in evaluate and "df = pd.DataFrame(" in evaluate and 'return {"rmse": rmse}' in evaluate
    assert "def prepare_data(" not in train
    assert [f.code for f in result.fates if not f.kept and f.code.startswith("NB1")] == ["NB101"]
    _trained(out)
    assert list(_written(out / "metrics.json")) == ["rmse"]


@pytest.mark.parametrize("template, labels", [
    ("'acc: {:.2f}, f1: {:.2f}'.format(a, b)", [("a", "acc: "), ("b", ", f1: ")]),
    ("'{1} then {0}'.format(a, b)", [("b", ""), ("a", " then ")]),
    ("'auc={auc}'.format(auc=a)", [("a", "auc=")]),
    ("'100%% sure, acc %.1f%%' % a", [("a", "100% sure, acc ")]),
    ("'%s: %5.3f' % (name, a)", [("name", ""), ("a", ": ")]),
    ("'{0[1]}'.format(a)", []),  # an index into an argument: not followed
    ("'%(acc)s' % values", []),  # a mapping
    ("'%d %d' % pair", []),  # one value for two conversions: a tuple made elsewhere
    ("'{'.format(a)", []),  # not a template
])
def test_a_template_labels_each_value_with_the_text_before_its_placeholder(template, labels):
    from nb2prod.convert.plan.evaluation import _templated

    got = _templated(ast.parse(template, mode="eval").body)
    assert [(ast.unparse(value), label) for value, label in got] == labels


def test_a_metric_shown_again_later_is_reported_once_and_no_name_is_left_unread(tmp_path):
    """The same metric shown bare twice (before and after refitting): the later value is the one reported under
    its key, and the earlier display stays as the notebook wrote it, not bound to a name nothing reads."""
    refit = FIT + "\nclf.score(X_valid, y_valid)\nclf = LogisticRegression(C=2.0)\nclf.fit(X_train, y_train)"
    cells = ["# T", IMPORTS, "## Data", DATA, "## Train", refit + "\nclf.score(X_valid, y_valid)", "## Save", SAVE]
    _, out = _convert(tmp_path, cells)
    train = (out / "train.py").read_text()
    assert train.count("clf.score(X_valid, y_valid)") == 2 and "    clf.score(X_valid, y_valid)\n" in train
    _trained(out)  # pyflakes included: no unused name
    namespace: dict = {}
    exec("\n".join([IMPORTS, DATA, FIT, "clf = LogisticRegression(C=2.0)\nclf.fit(X_train, y_train)"]), namespace)
    assert _written(out / "metrics.json") == {"score": namespace["clf"].score(namespace["X_valid"], namespace["y_valid"])}


def test_a_notebook_that_saves_no_model_gets_tests_without_unused_imports(tmp_path):
    """Evaluated but never saved: no test runs main() (nothing to load back), so nothing reads metrics.json
    back and the generated tests import no json; they pass pyflakes and run."""
    cells = ["# T", IMPORTS, "## Data", DATA, "## Train", FIT, "## Evaluate",
             "accuracy_score(y_valid, clf.predict(X_valid))"]  # shown, not printed: no printed values to compare
    _, out = _convert(tmp_path, cells, kind="training")
    assert "test_main_" not in (out / "test_train.py").read_text()
    _trained(out)
