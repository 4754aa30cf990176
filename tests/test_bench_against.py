"""benchmarks/against.py, behind `bench_lint.py --against` and `bench_convert.py --against`: each side runs the
nb2prod of its own tree, the report says which row passed, and a worktree made for a revision goes away."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))  # the benchmark scripts import against.py as their neighbour
against = importlib.import_module("against")
bench_lint = importlib.import_module("bench_lint")


def test_a_child_runs_the_nb2prod_of_its_tree(tmp_path):
    env = against.environment(ROOT, {"PATH": "/usr/bin:/bin"}, tmp_path / "cache")
    assert env["PYTHONPATH"].split(":")[0] == str(ROOT) and env["NB2PROD_CACHE_DIR"] == str(tmp_path / "cache")


def test_a_tree_whose_nb2prod_is_not_the_one_imported_is_refused(tmp_path):
    """A folder without nb2prod: the child finds the installed one, and timing it would compare a tree with itself."""
    with pytest.raises(SystemExit, match="imports nb2prod from"):
        against.environment(tmp_path, {"PATH": "/usr/bin:/bin"}, tmp_path / "cache")


def test_a_revision_gets_a_worktree_that_is_removed_afterwards():
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.fail("the tests run from a git checkout (a clone of the project)")
    with against.checkout("HEAD") as tree:
        assert (tree / "nb2prod" / "__init__.py").is_file() and tree != ROOT
        assert against.revision(tree) == against.revision(ROOT).rstrip("+")
    assert not tree.exists()
    listed = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True).stdout
    assert str(tree) not in listed


def test_a_checkout_folder_is_used_as_it_is():
    with against.checkout(str(ROOT)) as tree:
        assert tree == ROOT
    assert ROOT.is_dir()


def test_lint_rows_against_a_tree_are_reported_with_a_verdict(tmp_path, capsys):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(ROOT / "examples" / "wine_helpers" / "training.ipynb", folder / "training.ipynb")
    within = bench_lint.against(folder, str(ROOT), 1, str(tmp_path))
    out = capsys.readouterr().out
    rows = re.findall(r"^  (cold nb2prod lint --no-cache|cold nb2prod lint -j 1|warm nb2prod lint) +"
                      r"([\d.]+) +([\d.]+) +([\d.]+)x", out, re.M)
    assert [r[0] for r in rows] == list(bench_lint.AGAINST)
    for _, mine, theirs, ratio in rows:
        assert abs(float(mine) / float(theirs) - float(ratio)) < 0.05  # the seconds are rounded to 1 ms
    verdict = re.search(r"slowest wall ratio ([\d.]+)x: .* — (met|MISSED)$", out, re.M)
    assert verdict and (verdict.group(2) == "met") == within
    assert float(verdict.group(1)) == max(float(r[3]) for r in rows)
