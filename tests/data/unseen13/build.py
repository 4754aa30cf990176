"""Build the issue-13 unseen notebooks and their line-level truth: `python tests/data/unseen13/build.py`.

Each notebook is a list of cells (markdown cells start with `#`). A code line starting with `§` is
exploration by an MLOps engineer's judgement (the mark is stripped; the line goes into
`<name>.truth.json` as `cell:line`, cells counted from 1 with markdown ones, as lint reports them).
Every line of an exploration statement is marked. Imports are never marked: whether an import
stays follows from what uses it. The truth was written before any rule was tuned on these notebooks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.build import notebook_json  # noqa: E402

SPLIT = ("X_train, X_test, y_train, y_test = train_test_split(\n"
         "    X, y, test_size=0.25, random_state=0, stratify=y\n)")

NOTEBOOKS = {
    # metrics as a dict shown as the cell's last expression
    "metrics_dict_displayed": [
        "# Churn model",
        "import pandas as pd\nfrom sklearn.datasets import make_classification\n"
        "from sklearn.ensemble import GradientBoostingClassifier\n"
        "from sklearn.metrics import recall_score, roc_auc_score\nfrom sklearn.model_selection import train_test_split\n"
        "import joblib",
        "X_raw, y = make_classification(n_samples=400, n_features=6, random_state=3)\n"
        "df = pd.DataFrame(X_raw, columns=[f\"f{i}\" for i in range(6)])\n§df.head()",
        "X = df.values\n" + SPLIT,
        "clf = GradientBoostingClassifier(random_state=0)\nclf.fit(X_train, y_train)",
        "## Evaluation",
        "proba = clf.predict_proba(X_test)[:, 1]\n"
        "scores = {\"auc\": roc_auc_score(y_test, proba), \"recall\": recall_score(y_test, proba > 0.5)}\nscores",
        "joblib.dump(clf, \"churn.joblib\")",
    ],
    # a notebook helper evaluate() returning a dict, shown bare
    "evaluate_helper": [
        "# Fraud detector",
        "import joblib\nimport numpy as np\nfrom sklearn.linear_model import LogisticRegression\n"
        "from sklearn.metrics import f1_score, precision_score\nfrom sklearn.model_selection import train_test_split",
        "rng = np.random.default_rng(7)\nX = rng.normal(size=(500, 5))\ny = (X[:, 0] - X[:, 2] > 0.3).astype(int)\n"
        "X_tr, X_valid, y_tr, y_valid = train_test_split(X, y, test_size=0.3, random_state=1)",
        "def evaluate(model, X, y):\n    pred = model.predict(X)\n"
        "    return {\"f1\": f1_score(y, pred), \"precision\": precision_score(y, pred)}",
        "clf = LogisticRegression(C=0.5)\nclf.fit(X_tr, y_tr)\n§print(clf.classes_)\n§clf.coef_",
        "holdout = evaluate(clf, X_valid, y_valid)\nholdout",
        "joblib.dump(clf, \"fraud.joblib\")",
    ],
    # logging everywhere a print would be, and one leftover look at the data
    "logging_pipeline": [
        "# House prices",
        "import logging\nimport joblib\nimport numpy as np\nfrom sklearn.linear_model import Ridge\n"
        "from sklearn.metrics import mean_absolute_error\nfrom sklearn.model_selection import train_test_split\n\n"
        "logging.basicConfig(level=logging.INFO)\nlogger = logging.getLogger(\"prices\")",
        "rng = np.random.default_rng(0)\nX = rng.normal(size=(300, 4))\ny = X @ np.array([2.0, -1.0, 0.5, 0.0]) + 10\n"
        "logger.info(\"loaded %d rows, %d features\", X.shape[0], X.shape[1])\n§print(X.dtype)",
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n"
        "logger.debug(\"split: %d train / %d test\", len(X_train), len(X_test))",
        "model = Ridge(alpha=1.0).fit(X_train, y_train)\nlogger.info(\"fitted %s\", model)",
        "mae = mean_absolute_error(y_test, model.predict(X_test))\nlogger.info(\"test MAE %.3f\", mae)\n"
        "if mae > 5:\n    logger.warning(\"MAE above threshold: %.2f\", mae)",
        "joblib.dump(model, \"prices.joblib\")\nlogging.info(\"model saved\")",
    ],
    # mlflow tracking calls around a fit; fitted-attribute looks beside them
    "mlflow_run": [
        "# Sales forecast with MLflow",
        "import mlflow\nimport numpy as np\nfrom sklearn.ensemble import RandomForestRegressor\n"
        "from sklearn.metrics import mean_squared_error\nfrom sklearn.model_selection import train_test_split",
        "rng = np.random.default_rng(4)\nX = rng.normal(size=(400, 3))\ny = 4 * X[:, 0] + rng.normal(size=400)\n"
        "X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, random_state=0)",
        "mlflow.set_experiment(\"sales\")\nparams = {\"n_estimators\": 50, \"max_depth\": 5}\n"
        "with mlflow.start_run():\n    mlflow.log_params(params)\n"
        "    model = RandomForestRegressor(**params, random_state=0).fit(X_train, y_train)\n"
        "    rmse = mean_squared_error(y_val, model.predict(X_val)) ** 0.5\n    mlflow.log_metric(\"rmse\", rmse)\n"
        "    mlflow.sklearn.log_model(model, \"model\")",
        "§print(model.get_params())\n§model.n_estimators\n§print(len(model.estimators_))",
        "print(f\"validation rmse: {rmse:.3f}\")",
    ],
    # a sweep that only prints, a comprehension sweep only shown, then the final fit
    "sweep_then_fit": [
        "# Spam filter",
        "import joblib\nimport numpy as np\nfrom sklearn.metrics import accuracy_score\n"
        "from sklearn.model_selection import train_test_split\nfrom sklearn.svm import SVC",
        "rng = np.random.default_rng(2)\nX = rng.normal(size=(300, 4))\ny = (X.sum(axis=1) > 0).astype(int)\n" + SPLIT,
        "## Try a few C values",
        "§for C in [0.1, 1.0, 10.0]:\n§    candidate = SVC(C=C).fit(X_train, y_train)\n"
        "§    print(f\"C={C}: {candidate.score(X_test, y_test):.3f}\")",
        "§gammas = [0.01, 0.1, 1.0]\n"
        "§gamma_scores = [SVC(gamma=g).fit(X_train, y_train).score(X_test, y_test) for g in gammas]\n"
        "§print(dict(zip(gammas, gamma_scores)))",
        "## Final model",
        "model = SVC(C=1.0, gamma=0.1)\nmodel.fit(X_train, y_train)\n"
        "print(\"test accuracy\", accuracy_score(y_test, model.predict(X_test)))",
        "joblib.dump(model, \"spam.joblib\")",
    ],
    # a sweep whose chosen value feeds the final model: kept
    "sweep_chosen": [
        "# Ridge with a chosen alpha",
        "import joblib\nimport numpy as np\nfrom sklearn.linear_model import Ridge\n"
        "from sklearn.metrics import r2_score\nfrom sklearn.model_selection import train_test_split",
        "rng = np.random.default_rng(5)\nX = rng.normal(size=(200, 6))\ny = X[:, 0] - 2 * X[:, 3] + rng.normal(size=200)\n"
        "X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)\n§print(X_train.shape, X_val.shape)",
        "results = {}\nfor alpha in [0.01, 0.1, 1.0, 10.0]:\n    candidate = Ridge(alpha=alpha).fit(X_train, y_train)\n"
        "    results[alpha] = r2_score(y_val, candidate.predict(X_val))\nbest_alpha = max(results, key=results.get)",
        "model = Ridge(alpha=best_alpha).fit(X_train, y_train)\n"
        "print(\"validation r2\", r2_score(y_val, model.predict(X_val)))",
        "joblib.dump(model, \"ridge.joblib\")",
    ],
    # cross-validation: a fold loop and cross_val_score, both evaluations
    "cross_validation_loop": [
        "# Credit default, 5-fold",
        "import joblib\nimport numpy as np\nfrom sklearn.ensemble import RandomForestClassifier\n"
        "from sklearn.metrics import roc_auc_score\nfrom sklearn.model_selection import StratifiedKFold, cross_val_score",
        "rng = np.random.default_rng(11)\nX = rng.normal(size=(300, 5))\ny = (X[:, 1] + rng.normal(size=300) > 0).astype(int)\n"
        "§print(len(X), np.bincount(y))",
        "fold_auc = []\nfor train_idx, val_idx in StratifiedKFold(n_splits=5).split(X, y):\n"
        "    m = RandomForestClassifier(n_estimators=30, random_state=0).fit(X[train_idx], y[train_idx])\n"
        "    fold_auc.append(roc_auc_score(y[val_idx], m.predict_proba(X[val_idx])[:, 1]))\n"
        "print(\"mean fold AUC\", np.mean(fold_auc))",
        "cv = cross_val_score(RandomForestClassifier(n_estimators=30, random_state=0), X, y, cv=5)\n"
        "print(f\"cross_val_score: {cv.mean():.3f} +/- {cv.std():.3f}\")",
        "model = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)\njoblib.dump(model, \"credit.joblib\")",
    ],
    # diagnostics on the training rows beside the held-out evaluation
    "training_diagnostics": [
        "# Tree depth check",
        "import joblib\nimport numpy as np\nfrom sklearn.metrics import accuracy_score, confusion_matrix\n"
        "from sklearn.model_selection import train_test_split\nfrom sklearn.tree import DecisionTreeClassifier",
        "rng = np.random.default_rng(8)\nX = rng.normal(size=(400, 4))\ny = (X[:, 0] * X[:, 1] > 0).astype(int)\n" + SPLIT,
        "tree = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X_train, y_train)",
        "§train_acc = accuracy_score(y_train, tree.predict(X_train))\n§print(\"train accuracy\", train_acc)\n"
        "§print(confusion_matrix(y_train, tree.predict(X_train)))\n§tree.score(X_train, y_train)",
        "test_acc = accuracy_score(y_test, tree.predict(X_test))\nprint(\"test accuracy\", test_acc)\n"
        "print(confusion_matrix(y_test, tree.predict(X_test)))",
        "§print(tree.get_depth(), tree.get_n_leaves())\njoblib.dump(tree, \"tree.joblib\")",
    ],
    # a scoring notebook that checks its sample's answer
    "scoring_asserts": [
        "# Score requests",
        "import json\nimport joblib\nimport numpy as np",
        "## Load model",
        "model = joblib.load(\"spam.joblib\")\n§print(type(model).__name__)",
        "## Score",
        "raw = '{\"data\": [[0.1, 0.2, 0.3, 0.4], [-1.0, -0.5, 0.0, 0.2]]}'\n"
        "data = np.array(json.loads(raw)[\"data\"])\n§assert data.shape == (2, 4)",
        "result = model.predict(data)\n§assert len(result) == 2\n§assert set(result.tolist()) <= {0, 1}\n"
        "§print(\"prediction ok\")\nprint(json.dumps({\"result\": result.tolist()}))",
    ],
    # the only metric, printed in an f-string
    "fstring_only_metric": [
        "# Energy use",
        "import joblib\nimport pandas as pd\nfrom sklearn.ensemble import GradientBoostingRegressor\n"
        "from sklearn.metrics import mean_squared_error\nfrom sklearn.model_selection import train_test_split",
        "df = pd.DataFrame({\"temp\": range(100), \"hour\": [h % 24 for h in range(100)]})\n"
        "df[\"load\"] = df[\"temp\"] * 0.3 + df[\"hour\"]\n§print(f\"{len(df)} rows, columns {list(df.columns)}\")",
        "X_train, X_val, y_train, y_val = train_test_split(df[[\"temp\", \"hour\"]], df[\"load\"], random_state=0)\n"
        "model = GradientBoostingRegressor(random_state=0).fit(X_train, y_train)",
        "print(f\"RMSE on validation: {mean_squared_error(y_val, model.predict(X_val)) ** 0.5:.2f}\")",
        "joblib.dump(model, \"energy.joblib\")",
    ],
    # a PyTorch-style epoch loop reporting validation loss
    "torch_loop": [
        "# Tabular MLP",
        "import torch\nfrom torch import nn",
        "torch.manual_seed(0)\nX = torch.randn(512, 8)\ny = (X[:, 0] > 0).float().unsqueeze(1)\n"
        "X_train, X_val = X[:400], X[400:]\ny_train, y_val = y[:400], y[400:]\n§print(X_train.shape, X_val.shape)",
        "model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))\n"
        "§print(sum(p.numel() for p in model.parameters()))\n"
        "criterion = nn.BCEWithLogitsLoss()\noptimizer = torch.optim.Adam(model.parameters(), lr=0.01)",
        "for epoch in range(20):\n    model.train()\n    optimizer.zero_grad()\n"
        "    loss = criterion(model(X_train), y_train)\n    loss.backward()\n    optimizer.step()\n"
        "    model.eval()\n    with torch.no_grad():\n        val_loss = criterion(model(X_val), y_val).item()\n"
        "    print(f\"epoch {epoch}: validation loss {val_loss:.4f}\")",
        "torch.save(model.state_dict(), \"mlp.pt\")\n§print(\"saved\")",
    ],
    # a while loop of partial fits that stops early on the held-out error (the last pass's error is reported)
    "early_stopping_loop": [
        "# Demand forecast",
        "import joblib\nfrom sklearn.datasets import make_regression\nfrom sklearn.linear_model import SGDRegressor\n"
        "from sklearn.metrics import mean_squared_error\nfrom sklearn.model_selection import train_test_split",
        "X, y = make_regression(n_samples=400, n_features=5, noise=10.0, random_state=0)\n"
        "X_fit, X_holdout, y_fit, y_holdout = train_test_split(X, y, random_state=0)\n§print(X_fit.shape)",
        "## Train with early stopping",
        "model = SGDRegressor(random_state=0)\nbest, stale, epoch = float(\"inf\"), 0, 0\n"
        "while epoch < 50 and stale < 3:\n    model.partial_fit(X_fit, y_fit)\n"
        "    holdout_mse = mean_squared_error(y_holdout, model.predict(X_holdout))\n"
        "    if holdout_mse < best - 1e-3:\n        best, stale = holdout_mse, 0\n    else:\n        stale += 1\n"
        "    epoch += 1",
        "joblib.dump(model, \"demand.joblib\")",
    ],
    # a Keras-style fit with validation data and evaluate
    "keras_evaluate": [
        "# Keras classifier",
        "import numpy as np\nfrom tensorflow import keras",
        "rng = np.random.default_rng(3)\nX = rng.normal(size=(600, 10)).astype(\"float32\")\ny = (X[:, 0] > 0).astype(\"int32\")\n"
        "X_train, X_val, y_train, y_val = X[:500], X[500:], y[:500], y[500:]",
        "model = keras.Sequential([keras.layers.Dense(16, activation=\"relu\"), keras.layers.Dense(1, activation=\"sigmoid\")])\n"
        "model.compile(optimizer=\"adam\", loss=\"binary_crossentropy\", metrics=[\"accuracy\"])\n"
        "history = model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=3, verbose=0)",
        "§print(history.history.keys())\nval_loss, val_acc = model.evaluate(X_val, y_val, verbose=0)\n"
        "print(f\"validation loss {val_loss:.3f}, accuracy {val_acc:.3f}\")",
        "model.save(\"keras_model.keras\")",
    ],
    # Keras' training history: the validation metrics the fit recorded, printed and bound; curves plotted
    "keras_history": [
        "# Sentiment of short reviews",
        "import matplotlib.pyplot as plt\nimport numpy as np\nfrom tensorflow import keras",
        "rng = np.random.default_rng(11)\nX = rng.normal(size=(800, 20)).astype(\"float32\")\n"
        "y = (X[:, :3].sum(axis=1) > 0).astype(\"int32\")\n§print(X.shape, y.mean())",
        "## Model",
        "model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(32, activation=\"relu\"),\n"
        "                          keras.layers.Dense(1, activation=\"sigmoid\")])\n"
        "model.compile(optimizer=\"adam\", loss=\"binary_crossentropy\", metrics=[\"accuracy\"])\n§model.summary()",
        "## Train",
        "history = model.fit(X, y, validation_split=0.2, epochs=10, batch_size=32, verbose=0)",
        "§plt.plot(history.history[\"loss\"], label=\"train\")\n§plt.plot(history.history[\"val_loss\"], label=\"validation\")\n"
        "§plt.legend()",
        "print(\"final validation accuracy:\", history.history[\"val_accuracy\"][-1])\n"
        "best_val_loss = min(history.history[\"val_loss\"])\nprint(f\"best validation loss {best_val_loss:.4f}\")",
        "model.save(\"reviews.keras\")",
    ],
    # summary statistics and fitted attributes printed
    "summary_stat_prints": [
        "# Wine quality regression",
        "import joblib\nimport numpy as np\nimport pandas as pd\nfrom sklearn.ensemble import RandomForestRegressor\n"
        "from sklearn.metrics import r2_score\nfrom sklearn.model_selection import train_test_split\n"
        "from sklearn.preprocessing import StandardScaler",
        "rng = np.random.default_rng(9)\ndf = pd.DataFrame(rng.normal(size=(250, 4)), columns=list(\"abcd\"))\n"
        "df[\"quality\"] = (df[\"a\"] * 2 + df[\"b\"]).round()\n§print(df[\"quality\"].min(), df[\"quality\"].max())\n"
        "§print(df.mean())\n§print(df[\"quality\"].nunique())",
        "X = df[list(\"abcd\")].values\ny = df[\"quality\"].values\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n"
        "scaler = StandardScaler().fit(X_train)\nX_train_s = scaler.transform(X_train)\nX_test_s = scaler.transform(X_test)\n"
        "§print(\"scaled:\", X_train_s.mean(), X_train_s.std())\n§print(scaler.mean_)",
        "model = RandomForestRegressor(n_estimators=40, random_state=0).fit(X_train_s, y_train)\n"
        "§print(model.feature_importances_)\n§print(type(model).__name__, model.n_estimators)",
        "print(\"r2\", r2_score(y_test, model.predict(X_test_s)))\njoblib.dump((scaler, model), \"quality.joblib\")",
    ],
    # progress messages and prints of settings the script already has
    "progress_prints": [
        "# Ticket router",
        "import logging\nimport joblib\nimport numpy as np\nfrom sklearn.naive_bayes import GaussianNB\n"
        "from sklearn.metrics import balanced_accuracy_score\nfrom sklearn.model_selection import train_test_split\n"
        "log = logging.getLogger(__name__)",
        "MODEL_PATH = \"router.joblib\"\nSEED = 13\n§print(MODEL_PATH)\n§print(\"seed:\", SEED)",
        "§print(\"loading data...\")\nrng = np.random.default_rng(SEED)\nX = rng.normal(size=(300, 3))\n"
        "y = (X[:, 2] > 0.1).astype(int)\n§print(\"-\" * 40)",
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=SEED)\n§print(\"training...\")\n"
        "model = GaussianNB().fit(X_train, y_train)\n§print(\"done\")",
        "print(\"balanced accuracy\", balanced_accuracy_score(y_test, model.predict(X_test)))",
        "joblib.dump(model, MODEL_PATH)\n§print(\"saved\")\n§print(\"Saving to\", MODEL_PATH)\n"
        "log.info(\"model written to %s\", MODEL_PATH)",
    ],
}


def build(folder: Path = HERE) -> None:
    for name, cells in NOTEBOOKS.items():
        truth, clean = [], []
        for number, cell in enumerate(cells, 1):
            if cell.startswith("#"):
                clean.append(cell)
                continue
            lines = cell.split("\n")
            truth += [f"{number}:{n}" for n, line in enumerate(lines, 1) if line.startswith("§")]
            clean.append("\n".join(line[1:] if line.startswith("§") else line for line in lines))
        (folder / f"{name}.ipynb").write_text(notebook_json(clean) + "\n", encoding="utf-8")
        (folder / f"{name}.truth.json").write_text(json.dumps({"exploration": truth}, indent=1) + "\n")


if __name__ == "__main__":
    build()
