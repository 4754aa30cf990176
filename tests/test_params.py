"""Options the way notebooks mark them: list, tuple and dict literals, papermill parameters cells,
the saved estimator's keyword arguments, --model-path and --params FILE."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod import api
from tests.build import write_notebook

IMPORTS = "import joblib\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression"
DATA = "df = pd.DataFrame({'a': [1, 2, 3, 4, 5, 6], 'b': [2, 1, 2, 1, 2, 1], 'y': [0, 1, 0, 1, 0, 1]})"


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


def test_lists_tuples_and_dicts_become_typed_options_with_the_same_values(tmp_path, monkeypatch, capsys):
    cells = [IMPORTS, "## Load data", DATA, "## Train",
             "features = ['a', 'b']\nsizes = (1, 2)\ngrid = {'C': [0.1, 1.0], 'name': 'x'}\n"
             "model = LogisticRegression()\nmodel.fit(df[features], df['y'])\n"
             "print(type(sizes).__name__, sizes, grid, features)",
             "## Save", "joblib.dump(model, 'model.joblib')"]
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
