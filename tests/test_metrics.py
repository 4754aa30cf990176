"""analysis/metrics: which calls are metrics, on which side of the split, and which statements are the
model's evaluation (pyupgrade-style tables: sources that must be found, sources that must not)."""

from __future__ import annotations

import ast

import pytest

from nb2prod.analysis.dataflow import flow
from nb2prod.analysis.metrics import (HELD_OUT, TRAINING, UNKNOWN, evaluation_positions, find_metrics, name_side,
                                      training_only_positions)

SPLIT = "from sklearn.model_selection import train_test_split\nX_train, X_test, y_train, y_test = train_test_split(X, y)\n"


def metrics_of(source: str):
    nodes = ast.parse(source).body
    return find_metrics(nodes, [flow(n) for n in nodes])


@pytest.mark.parametrize("name, side", [
    ("X_test", HELD_OUT), ("y_val", HELD_OUT), ("valid_df", HELD_OUT), ("ytest", HELD_OUT), ("Xtest", HELD_OUT),
    ("holdout", HELD_OUT), ("X_valid", HELD_OUT), ("testX", HELD_OUT), ("dev_set", HELD_OUT),
    ("X_train", TRAINING), ("ytrain", TRAINING), ("train_df", TRAINING), ("trainX", TRAINING),
    ("X", None), ("device", None), ("features", None), ("attest", None), ("contest", None),
])
def test_name_side(name, side):
    assert name_side(name) == side


# (source, the last metric's function, its side)
FOUND = [
    (SPLIT + "from sklearn.metrics import accuracy_score\np = m.predict(X_test)\naccuracy_score(y_test, p)",
     "accuracy_score", HELD_OUT),
    (SPLIT + "import sklearn.metrics as skm\nskm.f1_score(y_train, m.predict(X_train))", "f1_score", TRAINING),
    ("a, b, c, d = train_test_split(X, y)\nm.fit(a, c)\nm.score(b, d)", "score", HELD_OUT),
    ("a, b, c, d = train_test_split(X, y)\nm.fit(a, c)\nm.score(a, c)", "score", TRAINING),
    ("data = {'train': {'X': a}, 'test': {'X': b}}\nmse = mean_squared_error(data['test']['y'], p)",
     "mean_squared_error", HELD_OUT),
    ("mse = mean_squared_error(data['train']['y'], p)", "mean_squared_error", TRAINING),
    ("scores = cross_val_score(model, X, y, cv=5)", "cross_val_score", HELD_OUT),
    ("history = model.evaluate(X_val, y_val)", "evaluate", HELD_OUT),
    ("def evaluate(m, X, y):\n    return {'auc': roc_auc_score(y, m.predict(X))}\nholdout = evaluate(clf, X_valid, y_valid)",
     "evaluate", HELD_OUT),
    ("print(f'accuracy {accuracy_score(y, pred):.3f}')", "accuracy_score", UNKNOWN),
    ("scaled = scaler.transform(X_test)\npred = m.predict(scaled)\nr2_score(y_test, pred)", "r2_score", HELD_OUT),
    ("X_s = scaler.fit_transform(X_train)\nlog_loss(y_train, m.predict_proba(X_s))", "log_loss", TRAINING),
    ("residuals = y - model.predict(X)\nrmse = float(np.sqrt(np.mean(residuals ** 2)))", "rmse", UNKNOWN),
    ("val_acc = (model.predict(X_val) == y_val).mean()", "val_acc", HELD_OUT),
    # computed by hand inside a block that runs once (`with torch.no_grad():`), from predictions made in it
    ("with torch.no_grad():\n    val_loss = float(((model.predict(X_val) - y_val) ** 2).mean())", "val_loss", HELD_OUT),
    ("with np.errstate(all='ignore'):\n    preds = model.predict(X_test)\n    rmse = np.sqrt(np.mean((preds - y_test) ** 2))",
     "rmse", HELD_OUT),
    ("if X_test is not None:\n    mae = np.mean(np.abs(model.predict(X_test) - y_test))\nelse:\n    mae = None", "mae",
     HELD_OUT),
    ("try:\n    with timer():\n        acc = (model.predict(X_val) == y_val).mean()\nexcept ValueError:\n    acc = 0.0",
     "acc", HELD_OUT),
    # a fit's history (Keras): one epoch's value of a held-out metric, or the best epoch's
    ("history = model.fit(X, y, validation_data=(Xv, yv))\nprint(history.history['val_loss'][-1])", "val_loss",
     HELD_OUT),
    ("h = model.fit(X, y, validation_split=0.2)\nbest = max(h.history['val_accuracy'])", "val_accuracy", HELD_OUT),
    # one entry of Keras' evaluate: its list (the loss, then each compiled metric) or its dict
    ("score = model.evaluate(X_test, y_test, verbose=0)\nprint('Test accuracy:', score[1])", "score_1", HELD_OUT),
    ("results = model.evaluate(X_val, y_val, return_dict=True)\nacc = results['accuracy']", "accuracy", HELD_OUT),
    # a search's cross-validated score: the best candidate's mean over its held-out folds
    ("grid = GridSearchCV(SVC(), {'C': [1, 10]}, cv=3).fit(X, y)\nprint('cv', grid.best_score_)", "best_score_",
     HELD_OUT),
    ("model = XGBRegressor(early_stopping_rounds=5).fit(X, y, eval_set=[(X_val, y_val)])\nprint(model.best_score)",
     "best_score", HELD_OUT),
    # computed by hand where it is shown, known by its shape (analysis/by_hand); named after it
    ("preds = clf.predict(X_test)\nprint('Test accuracy:', (preds == y_test).mean())", "accuracy", HELD_OUT),
    ("preds = clf.predict(X_test)\n(preds == y_test).mean()", "accuracy", HELD_OUT),
    ("p = clf.predict(X_val)\nprint(f'acc {np.mean(p == y_val):.3f}')", "accuracy", HELD_OUT),
    ("p = clf.predict(X_test)\nprint('error rate', (p != y_test).mean())", "error_rate", HELD_OUT),
    ("p = reg.predict(X_test)\nprint('MSE', np.mean((y_test - p) ** 2))", "mse", HELD_OUT),
    ("p = reg.predict(X_test)\nprint('RMSE', np.sqrt(((y_test - p) ** 2).mean()))", "rmse", HELD_OUT),
    ("p = reg.predict(X_val)\nnp.abs(y_val - p).mean()", "mae", HELD_OUT),
    ("p = clf.predict(X_test)\nprint(sum(p == y_test) / len(y_test))", "accuracy", HELD_OUT),
    ("print(np.sum((reg.predict(X_test) - y_test) ** 2) / y_test.shape[0])", "mse", HELD_OUT),
    ("p = clf.predict(X_train)\nprint('train acc', (p == y_train).mean())", "accuracy", TRAINING),
    ("p = clf.predict(X_test)\nresult = (p == y_test).mean()", "result", HELD_OUT),  # any name: its shape says
    # predictions stored into a frame's column: the frame holds them
    ("results = pd.DataFrame({'label': y_test})\nresults['pred'] = clf.predict(X_test)\n"
     "print((results.pred == results.label).mean())", "accuracy", HELD_OUT),
    ("df = X_val.copy()\ndf['pred'] = reg.predict(X_val)\nval_loss = ((df.pred - df.y) ** 2).mean()", "val_loss", HELD_OUT),
]
NOT_FOUND = [
    "kde.evaluate(grid)",  # a density's evaluate, no data of the split
    "numexpr.evaluate('x > 1')",
    "from sklearn.metrics import pairwise_distances\npairwise_distances(X)",
    "m.score(X)",  # one argument: not a model's score
    "scorer = make_scorer(f1_score)",
    "def helper(x):\n    return accuracy_score(x, x)",  # a definition is not an evaluation; its calls are
    "score = 3\nprint(score)",
    "loss = compute(x)",  # spelled like a metric, but no prediction reaches it
    "with open(path) as f:\n    loss = json.load(f)['loss']",  # read back, in a block: no prediction reaches it
    "with torch.no_grad():\n    def rmse(a, b):\n        return model.predict(a) - b",  # a definition in a block
    "acc = [m.predict(X)]",  # a container, not a number
    "history = model.fit(X, y)\nprint(history.history['loss'][-1])",  # the training rows' loss
    "history = model.fit(X, y)\nplt.plot(history.history['val_loss'])",  # every epoch's: a curve, no number
    "history = model.fit(X, y)\nprint(history.history['val_loss'][-3:])",
    "history = load_history()\nprint(history.history['val_loss'][-1])",  # not what a fit returned
    "history = model.fit(X, y)\nhistory = {}\nprint(history.history['val_loss'][-1])",  # rebound since
    "density = kde.evaluate(grid)\nprint(density[0])",  # no evaluation: no entry of one
    # by-hand shapes of no model's predictions: data compared with data
    "print((df['a'] == df['b']).mean())",
    "print(np.mean((x - x.mean()) ** 2))",
    "share = (labels == 1).mean()",
    "p = clf.predict(X_test)\nprint((p - y_test).mean())",  # the mean residual: a bias, no known metric
    "p = clf.predict(X_test)\nprint((p == y_test).sum())",  # a count of hits, not a rate
]


@pytest.mark.parametrize("source, name, side", FOUND)
def test_metric_found(source, name, side):
    found = metrics_of(source)
    assert found, source
    assert (found[-1].name, found[-1].side) == (name, side)


@pytest.mark.parametrize("source", NOT_FOUND)
def test_not_a_metric(source):
    assert metrics_of(source) == []


def test_a_sweep_is_not_the_evaluation_the_final_fit_is():
    source = SPLIT + ("for c in [0.1, 1, 10]:\n    cand = LogisticRegression(C=c).fit(X_train, y_train)\n"
                      "    print(c, cand.score(X_test, y_test))\n"
                      "model = LogisticRegression(C=1).fit(X_train, y_train)\n"
                      "acc = accuracy_score(y_test, model.predict(X_test))\n")
    found = metrics_of(source)
    assert [m.in_sweep for m in found] == [True, False]
    assert evaluation_positions(found) == {found[1].position}


def test_a_fold_loop_is_evaluation():
    source = ("for tr, va in KFold(5).split(X):\n    m.fit(X[tr], y[tr])\n"
              "    scores.append(accuracy_score(y[va], m.predict(X[va])))\n")
    (metric,) = metrics_of(source)
    assert not metric.in_sweep and metric.position in evaluation_positions([metric])


def test_training_metrics_are_diagnostics_unless_they_are_the_only_ones():
    both = metrics_of(SPLIT + "a = accuracy_score(y_train, m.predict(X_train))\nb = accuracy_score(y_test, m.predict(X_test))")
    assert training_only_positions(both) == {2} and evaluation_positions(both) == {3}
    only = metrics_of(SPLIT + "a = accuracy_score(y_train, m.predict(X_train))")
    assert evaluation_positions(only) == {2} and training_only_positions(only) == set()
