"""Every way a notebook can be unusable gets one line `nb2prod: path[:cell N[:line L]]: message` and an exit code.

The malformed inputs are files in tests/data/invalid/ (written by its make_fixtures.py); each
`<name>.txt` holds the exact line and the exit code. No case may print a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nb2prod.cli import main

ROOT = Path(__file__).resolve().parents[1]
INVALID = Path(__file__).resolve().parent / "data" / "invalid"
CASES = sorted(p.stem for p in INVALID.glob("*.ipynb"))
INTERNAL = ("nb2prod: internal error (RuntimeError: boom); this is a bug in nb2prod, please report it with the "
            "input that caused it (run again with --debug for the traceback)")


def expected(name: str):
    line, code = (INVALID / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return line, int(code)


def convert(*args: str):
    return CliRunner().invoke(main, ["convert", *args], catch_exceptions=False)


@pytest.fixture
def in_invalid(monkeypatch):
    monkeypatch.chdir(INVALID)


def test_every_fixture_has_its_expected_line():
    assert len(CASES) >= 15
    assert sorted(p.stem for p in INVALID.glob("*.txt")) == CASES


@pytest.mark.parametrize("name", CASES)
def test_convert_refuses_with_one_line(name, in_invalid, tmp_path):
    line, code = expected(name)
    result = convert(f"{name}.ipynb", "-o", str(tmp_path / "out"))
    assert (result.exit_code, result.stderr.splitlines()) == (code, [line])
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("name", CASES)
def test_lint_never_crashes_on_invalid_input(name, in_invalid):
    result = CliRunner().invoke(main, ["lint", f"{name}.ipynb"], catch_exceptions=False)
    assert result.exit_code in (0, 1, 2)
    assert "Traceback" not in result.output and "internal error" not in result.output
    if expected(name)[1] == 2 and result.exit_code == 2:
        assert f"nb2prod: {name}.ipynb:" in result.output


# Verdicts only convert gives: there is nothing to convert, but nothing wrong to lint.
CONVERT_ONLY = {"markdown_only", "no_cells", "no_model"}


@pytest.mark.parametrize("name", [n for n in CASES if expected(n)[1] == 2 and n not in CONVERT_ONLY])
def test_lint_refuses_unusable_input_with_the_same_line_as_convert(name, in_invalid):
    result = CliRunner().invoke(main, ["lint", "--no-cache", f"{name}.ipynb"], catch_exceptions=False)
    assert (result.exit_code, result.stderr.splitlines()) == (2, [expected(name)[0]])


def test_missing_file(in_invalid, tmp_path):
    result = convert("does_not_exist.ipynb", "-o", str(tmp_path))
    assert (result.exit_code, result.stderr) == (2, "nb2prod: does_not_exist.ipynb: no such file\n")


def test_directory_given_as_notebook(in_invalid, tmp_path):
    (tmp_path / "folder.ipynb").mkdir()
    result = convert(str(tmp_path / "folder.ipynb"), "-o", str(tmp_path / "out"))
    assert (result.exit_code, result.stderr) == (2, f"nb2prod: {tmp_path / 'folder.ipynb'}: is a directory, not a notebook\n")


def test_many_paths_keep_their_order_and_the_worst_exit_code(in_invalid, tmp_path):
    result = convert("syntax_error.ipynb", "empty.ipynb", "does_not_exist.ipynb", "-o", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [expected("syntax_error")[0], expected("empty")[0],
                                          "nb2prod: does_not_exist.ipynb: no such file"]


def test_old_nbformat_3_notebook_converts(tmp_path):
    cells = [{"cell_type": "heading", "level": 1, "source": "Train", "metadata": {}},
             {"cell_type": "code", "language": "python", "metadata": {}, "outputs": [], "collapsed": False,
              "input": "from sklearn.linear_model import Ridge\nimport joblib\n"
                       "model = Ridge().fit([[1.0], [2.0]], [1.0, 2.0])\njoblib.dump(model, 'model.pkl')\n"}]
    nb = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""},
          "worksheets": [{"cells": cells, "metadata": {}}]}
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    result = convert(str(path), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "train.py").is_file()


# -- internal errors: a bug in nb2prod is one line asking for a report, the traceback only with --debug --



def test_internal_error_is_one_line_and_exit_3(monkeypatch, in_invalid, tmp_path):
    import nb2prod.convert.plan

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(nb2prod.convert.plan, "make_plan", boom)
    result = convert("undefined_name.ipynb", "-o", str(tmp_path))
    assert (result.exit_code, result.stderr.splitlines()) == (3, [INTERNAL])
    assert "Traceback" not in result.output


BOOM = ("import sys, nb2prod.convert.plan\n"
        "def boom(*a, **k):\n    raise RuntimeError('boom')\n"
        "nb2prod.convert.plan.make_plan = boom\n"
        "from nb2prod.cli import main\nsys.argv[0] = 'nb2prod'\nmain()\n")


@pytest.mark.parametrize("debug", [False, True])
def test_internal_error_traceback_only_with_debug(debug, tmp_path):
    args = ["--debug"] if debug else []
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", BOOM, *args, "convert", str(INVALID / "undefined_name.ipynb"),
                           "-o", str(tmp_path)], capture_output=True, text=True, env=env, timeout=60, check=False)
    if debug:
        assert proc.returncode != 0
        assert "Traceback (most recent call last)" in proc.stderr
        assert proc.stderr.rstrip().endswith("RuntimeError: boom")
    else:
        assert (proc.returncode, proc.stderr.splitlines()) == (3, [INTERNAL])


def test_cell_ids_under_an_older_minor_version_are_accepted_as_nbformat_reads_them(tmp_path):
    # real notebooks (pdsh 01.01) carry cell ids while saying nbformat 4.4; Jupyter opens them
    from tests.build import notebook_json

    raw = json.loads(notebook_json(["import numpy as np", "## Data", "x = np.arange(3)\nnp.save('x.npy', x)"]))
    raw["nbformat_minor"] = 4
    path = tmp_path / "old_minor.ipynb"
    path.write_text(json.dumps(raw), encoding="utf-8")
    done = CliRunner().invoke(main, ["convert", str(path), "-o", str(tmp_path / "out"), "--kind", "training"])
    assert done.exit_code == 0, done.output
    raw["cells"][0]["id"] = "not a valid id!"
    path.write_text(json.dumps(raw), encoding="utf-8")
    done = CliRunner().invoke(main, ["convert", str(path), "-o", str(tmp_path / "out2")])
    assert done.exit_code == 2 and done.output.startswith(f"nb2prod: {path}: not a valid notebook at cells/0")
