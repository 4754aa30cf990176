"""Exploration drops closed over data flow: kept code never reads a name the plan dropped."""

from __future__ import annotations

import io
import subprocess
import sys

from click.testing import CliRunner

from nb2prod import api
from nb2prod.cli import main
from tests.build import write_notebook

IMPORTS = ("import joblib\nimport matplotlib.pyplot as plt\nimport numpy as np\nimport pandas as pd\n"
           "import seaborn as sns\nfrom sklearn.linear_model import LinearRegression")
DATA = ("rng = np.random.default_rng(1)\n"
        "df = pd.DataFrame(rng.normal(size=(40, 2)), columns=['a', 'b'])\n"
        "df['target'] = 2 * df['a'] - df['b']")
FIT = "model = LinearRegression()\nmodel.fit(df[['a', 'b']], df['target'])"
SAVE = "joblib.dump(model, 'model.pkl')"


def _convert(tmp_path, cells, **kwargs):
    nb = write_notebook(tmp_path / "nb.ipynb", cells)
    [result] = api.convert([str(nb)], str(tmp_path / "out"), **kwargs)
    assert result.error is None, str(result.error)
    return result


def _fates(result) -> dict:
    """Stripped code line → "kept" or the rule code it was dropped with."""
    return {f.text.strip(): "kept" if f.kept else f.code for f in result.fates}


def _undefined(text: str) -> list:
    from pyflakes.api import check
    from pyflakes.reporter import Reporter

    sink = io.StringIO()
    check(text, "train.py", Reporter(sink, sink))
    return [m for m in sink.getvalue().splitlines() if "undefined name" in m]


def test_dataset_loaded_through_seaborn_is_kept(tmp_path):
    cells = [IMPORTS, "iris = sns.load_dataset('iris')\niris.head()",
             "sns.pairplot(iris, hue='species')\nnames = sns.get_dataset_names()",
             "X = iris.drop('species', axis=1)\ny = iris['petal_width']",
             "model = LinearRegression()\nmodel.fit(X.drop('petal_width', axis=1), y)", SAVE]
    result = _convert(tmp_path, cells)
    fates = _fates(result)
    assert fates["iris = sns.load_dataset('iris')"] == "kept"
    assert fates["X = iris.drop('species', axis=1)"] == "kept"
    assert fates["iris.head()"] == "NB101"
    assert fates["sns.pairplot(iris, hue='species')"] == "NB105"
    assert fates["names = sns.get_dataset_names()"] == "NB901"  # data, unused: sliced, not a plot
    assert _undefined(result.texts["train.py"]) == []


def test_figure_and_the_loop_drawing_on_its_axes_are_dropped_together(tmp_path):
    plot = ("fig, ax = plt.subplots(2, 2)\n"
            "for i, axi in enumerate(ax.flat):\n"
            "    axi.scatter(df['a'], df['b'] * i)\n"
            "im = ax[0, 0].imshow(df.values)\n"
            "fig.colorbar(im)")
    cells = [IMPORTS, DATA, plot, FIT, SAVE]
    nb = write_notebook(tmp_path / "nb.ipynb", cells)
    ran = CliRunner().invoke(main, ["convert", "--explain", str(nb), "-o", str(tmp_path / "out")],
                             catch_exceptions=False)
    assert ran.exit_code == 0, ran.output
    lines = [line.strip() for line in ran.output.splitlines() if line.strip().startswith("cell 3:")]
    assert lines == [
        "cell 3:1: dropped NB105: plot call `plt.subplots(...)` only draws a figure  | fig, ax = plt.subplots(2, 2)",
        "cell 3:2: dropped NB905: uses `ax` from a dropped plot (cell 3:1)  | for i, axi in enumerate(ax.flat):",
        "cell 3:3: dropped NB905: uses `ax` from a dropped plot (cell 3:1)  | axi.scatter(df['a'], df['b'] * i)",
        "cell 3:4: dropped NB105: plot call `ax[0, 0].imshow(...)` only draws a figure  | "
        "im = ax[0, 0].imshow(df.values)",
        "cell 3:5: dropped NB105: plot call `fig.colorbar(...)` only draws a figure  | fig.colorbar(im)",
    ]
    text = (tmp_path / "out" / "train.py").read_text()
    assert "ax" not in text.replace("max", "") and _undefined(text) == []


def test_values_computed_from_a_plot_are_dropped_transitively(tmp_path):
    chain = ("hist = plt.hist(df['a'], bins=5)\n"
             "counts, edges, patches = hist\n"
             "widths = edges[1:] - edges[:-1]\n"
             "area = (widths * counts).sum()")  # not a print: `print(widths.sum())` is NB102, a summary statistic
    result = _convert(tmp_path, [IMPORTS, DATA, chain, FIT, SAVE])
    dropped = {f.text.strip(): (f.code, f.where) for f in result.fates if not f.kept}
    assert dropped["counts, edges, patches = hist"] == ("NB905", "uses `hist` from a dropped plot (cell 3:1)")
    assert dropped["widths = edges[1:] - edges[:-1]"] == ("NB905", "uses `edges` from a dropped plot (cell 3:2)")
    assert dropped["area = (widths * counts).sum()"][0] == "NB905"
    assert _undefined(result.texts["train.py"]) == []


def test_data_defined_among_plots_survives_and_the_script_runs(tmp_path):
    plot = ("fig, ax = plt.subplots()\n"
            "features = df[['a', 'b']]\n"
            "ax.scatter(features['a'], df['target'])\n"
            "ax.set_title('a against the target')")
    fit = "model = LinearRegression()\nmodel.fit(features, df['target'])"
    result = _convert(tmp_path, [IMPORTS, DATA, plot, fit, SAVE])
    fates = _fates(result)
    assert fates["features = df[['a', 'b']]"] == "kept"
    assert [fates[line] for line in plot.splitlines() if line != "features = df[['a', 'b']]"] == ["NB105"] * 3
    text = result.texts["train.py"]
    assert _undefined(text) == [] and "plt" not in text and "sns" not in text
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "train.py"], cwd=out, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (out / "model.pkl").exists()


def test_result_of_a_shell_escape_is_not_read_by_kept_code(tmp_path):
    cells = [IMPORTS, DATA, "files = !ls\ncount = len(files)\nprint(count)", FIT, SAVE]
    fates = _fates(_convert(tmp_path, cells))
    assert fates["files = !ls"] == "NB203"
    assert fates["count = len(files)"] == "NB905"
    assert fates["print(count)"] == "NB905"


def test_dropped_data_definition_read_by_kept_code_comes_back(tmp_path, monkeypatch):
    import nb2prod.convert.explore as explore

    real = explore.exploration_drops

    def also_drop_features(nb, cells):  # a rule that mistakes a data definition for exploration
        drops = dict(real(nb, cells))
        for s in (s for pc in cells for s in pc.statements):
            if s.source.startswith("features ="):
                drops[s.index] = ("NB101", "pretend inspection")
        return drops

    monkeypatch.setattr(explore, "exploration_drops", also_drop_features)
    fit = "model = LinearRegression()\nmodel.fit(features, df['target'])"
    result = _convert(tmp_path, [IMPORTS, DATA, "features = df[['a', 'b']]", fit, SAVE])
    assert _fates(result)["features = df[['a', 'b']]"] == "kept"
    assert _undefined(result.texts["train.py"]) == []


def test_helper_whose_defaults_read_step_variables_stays_in_its_step(tmp_path):
    helper = "def predict_one(row, model=model):\n    return model.predict([row])[0]"
    cells = [IMPORTS, DATA, FIT, helper, "print(predict_one([1.0, 2.0]))", SAVE]
    result = _convert(tmp_path, cells)
    text = result.texts["train.py"]
    assert "\ndef predict_one" not in text and "    def predict_one(row, model=model):" in text
    assert _undefined(text) == []
