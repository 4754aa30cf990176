"""Everyday CLI conventions: `-` for standard input, -q/--quiet, --exit-zero, --statistics, and NO_COLOR /
FORCE_COLOR in every command (through click's CliRunner, which is no terminal: colour only when forced)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from nb2prod import api
from nb2prod.cli import main
from nb2prod.compare import Comparison
from nb2prod.verify import VerifyReport

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "diabetes_ridge"
DIRTY = "# %%\nimport pandas as pd\ndf = pd.read_csv('d.csv')\n# %%\ndf.head()\nprint(df.shape)\n"
FINDINGS = ["<stdin>:5:1: NB101 DataFrame inspection `df.head()` only shows the data",
            "<stdin>:6:1: NB102 print only shows the shape or content of data"]
ESC = "\x1b["


def run(*args, stdin=None, env=None):
    env = {"NO_COLOR": None, "FORCE_COLOR": None, **(env or {})}  # whatever the calling shell has set
    return CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)


def notebook(*cells: str) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": c}
                  for c in cells]})


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_lint_reads_a_script_from_standard_input_as_stdin(project):
    result = run("lint", "-", stdin=DIRTY)
    assert result.exit_code == 1
    assert result.output.splitlines() == FINDINGS + [
        "Found 2 findings (0 errors, 2 warnings) in 1 file of 1 linted; 2 fixable with --fix."]


def test_lint_reads_a_notebook_from_standard_input_and_files_beside_it(project):
    (project / "clean.py").write_text("x = 1\n")
    result = run("lint", "clean.py", "-", stdin=notebook("import pandas as pd\ndf = pd.read_csv('d.csv')", "df.head()"))
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "<stdin>:cell 2:1:1: NB101 DataFrame inspection `df.head()` only shows the data"
    assert "in 1 file of 2 linted" in result.output


def test_unusable_standard_input_is_one_line_and_exit_2(project):
    result = run("lint", "-", stdin="{")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("nb2prod: <stdin>: ") and "JSON" in line


def test_fix_refuses_standard_input(project):
    result = run("lint", "--fix", "-", stdin=DIRTY)
    assert result.exit_code == 2 and "standard input" in result.stderr


def test_quiet_prints_only_the_findings(project):
    result = run("lint", "-q", "-", stdin=DIRTY)
    assert (result.exit_code, result.output.splitlines()) == (1, FINDINGS)
    assert run("lint", "--quiet", "-", stdin="x = 1\n").output == ""


def test_exit_zero_exits_0_with_findings_but_not_with_unusable_input(project):
    result = run("lint", "--exit-zero", "-", stdin=DIRTY)
    assert result.exit_code == 0 and result.output.splitlines()[:2] == FINDINGS
    assert run("lint", "--exit-zero", "-", stdin="{").exit_code == 2


def test_statistics_counts_findings_per_rule_code(project):
    source = DIRTY + "df.tail()\ndf.info()\n"
    result = run("lint", "--statistics", "-", stdin=source)
    assert result.exit_code == 1
    assert result.output.splitlines() == ["3\tNB101\t[*] dataframe-inspection", "1\tNB102\t[*] inspection-print"]
    doc = json.loads(run("lint", "--statistics", "--format", "json", "-", stdin=source).output)
    assert doc == [{"code": "NB101", "name": "dataframe-inspection", "count": 3, "fixable": True},
                   {"code": "NB102", "name": "inspection-print", "count": 1, "fixable": True}]


COLOUR_CASES = [({}, False), ({"FORCE_COLOR": "1"}, True), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False)]


@pytest.mark.parametrize("env, coloured", COLOUR_CASES)
def test_lint_colour_follows_no_color_and_force_color(project, env, coloured):
    result = run("lint", "-", stdin=DIRTY, env=env)
    assert result.exit_code == 1 and "NB101" in result.output
    assert (ESC in result.output) is coloured


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The diabetes scoring notebook, converted once: convert and check run against it."""
    root = tmp_path_factory.mktemp("colour")
    shutil.copyfile(EXAMPLE / "scoring.ipynb", root / "scoring.ipynb")
    return root


@pytest.mark.parametrize("env, coloured", COLOUR_CASES)
def test_convert_colour_follows_no_color_and_force_color(converted, monkeypatch, env, coloured):
    monkeypatch.chdir(converted)
    result = run("convert", "scoring.ipynb", "-o", f"out{len(env)}{coloured}", env=env)
    assert result.exit_code == 0 and "new" in result.output
    assert (ESC in result.output) is coloured


def test_convert_and_check_quiet_print_no_summary(converted, monkeypatch):
    monkeypatch.chdir(converted)
    quiet = [run(command, "-q", "scoring.ipynb", "-o", "quiet").output for command in ("convert", "check")]
    assert quiet == ["", ""]
    # score.py, test_score.py and the environment files: requirements.txt, requirements-test.txt, conda.yml
    assert run("check", "scoring.ipynb", "-o", "quiet").output == "5 generated files current, 0 stale\n"
    refused = run("convert", "-q", "nothere.ipynb", "-o", "quiet")
    assert refused.exit_code == 2 and refused.stderr.startswith("nb2prod: nothere.ipynb")


@pytest.mark.parametrize("env, coloured", COLOUR_CASES)
def test_check_colour_follows_no_color_and_force_color(converted, monkeypatch, env, coloured):
    monkeypatch.chdir(converted)
    assert run("convert", "scoring.ipynb", "-o", "checked").exit_code == 0
    score = converted / "checked" / "score.py"
    score.write_text(score.read_text().replace("def run(", "def run_(", 1))
    result = run("check", "scoring.ipynb", "-o", "checked", env=env)
    assert result.exit_code == 1 and "+def run(" in result.output.replace(ESC + "32m", "")
    assert (ESC in result.output) is coloured
    run("convert", "scoring.ipynb", "-o", "checked", "--force")


@pytest.mark.parametrize("env, coloured", COLOUR_CASES)
def test_verify_colour_and_quiet(project, monkeypatch, env, coloured):
    """verify runs notebooks for real (tests/test_verify.py); here its report stands in, to test the printing."""
    report = VerifyReport("nb.ipynb", "training", (Comparison("predictions", True), Comparison("mse", False, "1 != 2")))
    monkeypatch.setattr(api, "verify", lambda *a, **k: report)
    (project / "nb.ipynb").write_text(notebook("x = 1"))
    result = run("verify", "nb.ipynb", env=env)
    assert result.exit_code == 1 and "predictions" in result.output
    assert (ESC in result.output) is coloured
    quiet = run("verify", "-q", "nb.ipynb", env=env).output
    assert "predictions" not in quiet and "mse" in quiet and "not equivalent: 1 of 2" in quiet


def test_shell_completion_as_the_readme_documents_it():
    env = {"_NB2PROD_COMPLETE": "bash_complete", "COMP_WORDS": "nb2prod lint --exit", "COMP_CWORD": "2"}
    result = CliRunner().invoke(main, [], prog_name="nb2prod", env=env)
    assert result.output.splitlines() == ["plain,--exit-zero"]
    source = CliRunner().invoke(main, [], prog_name="nb2prod", env={"_NB2PROD_COMPLETE": "bash_source"})
    assert "_nb2prod_completion()" in source.output
