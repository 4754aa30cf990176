"""`lint --fix` never loses data: statement-exact removals, one read, guarded write-back, links and modes kept."""

from __future__ import annotations

import ast
import json
import os
import shutil
import stat
from functools import lru_cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from nb2prod import write
from nb2prod.lint import fix
from nb2prod.cli import main
from nb2prod.lint.engine import lint_notebook, parse_all
from nb2prod.lint.files import lint_file
from nb2prod.notebook.load import load, load_notebook_text
from nb2prod.model import Finding, Location

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "pdsh"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"notebook corpus not found in {CORPUS}")
SETUP = "import pandas as pd\ndf = pd.DataFrame()"


def notebook(*cells: str) -> str:
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": src.splitlines(keepends=True)} for src in cells],
    }, indent=1) + "\n"


def run(*args):
    return CliRunner().invoke(main, ["lint", *args], catch_exceptions=False)


def sources(path: Path):
    return [c.source for c in load(str(path)).cells]


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- statement-exact removal: sources that must change, and how --------------------------------

CHANGED = [
    ("a_val = 5; df.head()\nprint(a_val)", "a_val = 5\nprint(a_val)"),
    ("h = 1 + \\\n    2; df.head()\nprint(h)", "h = 1 + \\\n    2\nprint(h)"),
    ("df.describe(\n include='all'); i_val = 7\nprint(i_val)", "i_val = 7\nprint(i_val)"),
    ("df.head(); x = 1\nprint(x)", "x = 1\nprint(x)"),
    ("df.head() \\\n; i = 7\nprint(i)", "i = 7\nprint(i)"),
    ("a = 1; df.head(); df.tail()  # look\nprint(a)", "a = 1  # look\nprint(a)"),
    ("x = 1; df.head();\nprint(x)", "x = 1;\nprint(x)"),
    ("café = 1; df.head()\nprint(café)", "café = 1\nprint(café)"),
    ("  df.head(); x = 1\n  print(x)", "  x = 1\n  print(x)"),
    ("df.head()  # look\nx = 1\n", "x = 1\n"),
    ("x = 1\ndf.head()", "x = 1"),
    ("%matplotlib inline\nx = 1", "x = 1"),
    ("x = 1\r\ndf.head()\r\nprint(x)\r\n", "x = 1\r\nprint(x)\r\n"),
]


@pytest.mark.parametrize("before, after", CHANGED)
def test_fix_removes_only_the_flagged_statement(project, before, after):
    (project / "nb.ipynb").write_text(notebook(SETUP, before), encoding="utf-8")
    result = run("--fix", "nb.ipynb")
    assert sources(project / "nb.ipynb") == [SETUP, after]
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


@pytest.mark.parametrize("before, after", CHANGED[:6])
def test_scripts_get_the_same_removals(project, before, after):
    (project / "nb.py").write_text(f"# %%\n{SETUP}\n# %%\n{before}\n# %%\nz = 2\n", encoding="utf-8")
    assert run("--fix", "nb.py").exit_code == 0
    assert (project / "nb.py").read_text(encoding="utf-8") == f"# %%\n{SETUP}\n# %%\n{after}\n# %%\nz = 2\n"


# -- ... and sources that must not change, with the reason said -------------------------------

def test_a_removal_that_would_leave_a_dangling_continuation_is_not_made_and_says_why(project):
    cell = "df.head() \\\n\nx = 1"
    text = notebook(SETUP, cell)
    (project / "nb.ipynb").write_text(text)
    result = run("--fix", "nb.ipynb")
    assert (project / "nb.ipynb").read_text() == text
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "nb2prod: nb.ipynb:cell 2:1:1: NB101 not fixed: "
        "its line continues with `\\` into code that would be left dangling"]
    assert result.stdout.splitlines() == [
        "nb.ipynb:cell 2:1:1: NB101 DataFrame inspection `df.head()` only shows the data",
        "Found 1 finding (0 errors, 1 warning) in 1 file of 1 linted."]  # not "1 fixable": it is not


def test_a_statement_the_fix_keeps_keeps_the_names_it_reads(project):
    """`ax.plot` cannot be removed cleanly, so `fig, ax = plt.subplots()` must stay too (no NB301)."""
    cell = "fig, ax = plt.subplots()\nax.plot([1]) \\\n\nx = 1\nprint(x)"
    (project / "nb.ipynb").write_text(notebook("import matplotlib.pyplot as plt", cell))
    result = run("--fix", "nb.ipynb")
    assert sources(project / "nb.ipynb")[1] == cell
    assert "NB301" not in result.output and result.exit_code == 1


def _plan_one(source: str, line: int, col: int, end: int):
    nb = load_notebook_text("nb.ipynb", notebook(source))
    found = Finding(Location("nb.ipynb", 1, line, col), "NB101", "m", "warning", True, end)
    return fix.plan(nb, parse_all(nb), [found])


@pytest.mark.parametrize("source, at, reason", [
    ("if x:\n    df.head()\n", (2, 5, 2), "removing it would leave an empty block body"),
    ("y = [1,\n     2]\n", (2, 1, 2), "it does not cover whole statements"),
    ("@dec\ndef f():\n    pass\nx = 1\n", (2, 1, 3), "removing it would change how the code around it parses"),
    ("df.head()\n%%timeit\nf()\n", (1, 1, 1), "removing it would change how the code around it parses"),
])
def test_removals_that_are_not_clean_are_refused(source, at, reason):
    plan = _plan_one(source, *at)
    assert plan.sources == {} and plan.fixed == ()
    assert [why for _, why in plan.refused] == [reason]


# -- one read, and no write over a file saved in the meantime -----------------------------------

@pytest.mark.parametrize("name, text, saved", [
    ("nb.ipynb", notebook(SETUP, "df.head()"), notebook(SETUP, "df.head()", "x = 1")),
    ("nb.py", f"# %%\n{SETUP}\n# %%\ndf.head()\n", f"# %%\n{SETUP}\n# %%\ndf.head()\n# %%\nx = 1\n"),
])
def test_a_save_during_the_fix_is_kept_and_nothing_is_written(project, monkeypatch, name, text, saved):
    path = project / name
    path.write_text(text)
    real_apply = fix.apply

    def save_meanwhile(*args):  # Jupyter autosaves between the lint and the write-back
        path.write_text(saved)
        return real_apply(*args)

    monkeypatch.setattr(fix, "apply", save_meanwhile)
    result = run("--fix", name)
    assert path.read_text() == saved
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"nb2prod: {name}: changed while fixing, nothing written"]


def test_a_save_with_the_same_size_and_mtime_is_still_noticed(project, monkeypatch):
    path = project / "nb.ipynb"
    path.write_text(notebook(SETUP, "df.head()"))
    saved = notebook(SETUP, "df.tail()")  # same length
    real_apply = fix.apply

    def save_meanwhile(*args):
        st = path.stat()
        with open(path, "r+") as f:  # in place, same inode; then the old times back
            f.write(saved)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        return real_apply(*args)

    monkeypatch.setattr(fix, "apply", save_meanwhile)
    assert run("--fix", "nb.ipynb").exit_code == 1
    assert path.read_text() == saved


def test_write_back_refuses_when_the_bytes_differ_from_what_was_read(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(b"new")
    assert write.write_back(str(path), b"old", b"fixed") is write.Written.CHANGED
    assert path.read_bytes() == b"new"
    assert not [p for p in tmp_path.iterdir() if p.name != "nb.ipynb"]  # no temporary file left


# -- links, modes ------------------------------------------------------------------------------

def test_a_symlink_is_followed_and_stays_a_link(project):
    (project / "real").mkdir()
    target = project / "real" / "nb.ipynb"
    target.write_text(notebook(SETUP, "df.head()\nx = 1"))
    (project / "link.ipynb").symlink_to(os.path.join("real", "nb.ipynb"))
    assert run("--fix", "link.ipynb").exit_code == 0
    assert os.readlink(project / "link.ipynb") == os.path.join("real", "nb.ipynb")
    assert sources(target) == [SETUP, "x = 1"]
    assert sorted(p.name for p in (project / "real").iterdir()) == ["nb.ipynb"]


def test_a_hard_linked_notebook_is_fixed_in_place_for_every_name(project):
    first, second = project / "a.ipynb", project / "b.ipynb"
    first.write_text(notebook(SETUP, "df.head()\nx = 1"))
    os.link(first, second)
    inode = first.stat().st_ino
    assert run("--fix", "a.ipynb").exit_code == 0
    assert first.stat().st_ino == second.stat().st_ino == inode and first.stat().st_nlink == 2
    assert sources(second) == [SETUP, "x = 1"]


@pytest.mark.parametrize("name, text", [
    ("nb.ipynb", notebook(SETUP, "df.head()")),
    ("nb.py", f"# %%\n{SETUP}\n# %%\ndf.head()\n"),
])
def test_a_read_only_file_is_not_fixed(project, name, text):
    path = project / name
    path.write_text(text)
    path.chmod(0o444)
    result = run("--fix", name)
    assert path.read_text() == text and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert result.exit_code == 1  # its findings are still there
    assert result.stderr.splitlines() == [f"nb2prod: {name}: read-only, not fixed"]


def test_the_file_mode_is_kept(project):
    path = project / "nb.ipynb"
    path.write_text(notebook(SETUP, "df.head()"))
    path.chmod(0o640)
    assert run("--fix", "nb.ipynb").exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_diff_shows_the_statement_exact_change_and_writes_nothing(project):
    text = notebook(SETUP, "a_val = 5; df.head()\nprint(a_val)")
    (project / "nb.ipynb").write_text(text)
    result = run("--diff", "nb.ipynb")
    assert (project / "nb.ipynb").read_text() == text and result.exit_code == 1
    assert "-a_val = 5; df.head()\n+a_val = 5\n" in result.stdout


# -- AST preservation over real notebooks and adversarial rewrites of their cells ---------------

def _statements(nb):
    return {pc.cell.index: pc.statements for pc in parse_all(nb)}


def _flagged(nb, findings):
    """(cell, statement position) of every statement a fixable finding covers."""
    out = set()
    for cell, sts in _statements(nb).items():
        for f in findings:
            if not f.fixable or f.location.cell != cell:
                continue
            exact = [k for k, st in enumerate(sts) if (st.line, st.col + 1) == (f.location.line, f.location.col)]
            out |= {(cell, k) for k in exact or [k for k, st in enumerate(sts)
                                                   if f.location.line <= st.line and st.end_line <= f.end_line]}
    return out


def _only_flagged_removed(before, after, flagged) -> bool:
    """Whether `after` is `before` with some of the flagged statements left out (a small DP)."""
    @lru_cache(maxsize=None)
    def fits(i: int, j: int) -> bool:
        if i == len(before):
            return j == len(after)
        if j < len(after) and before[i][0] == after[j] and fits(i + 1, j + 1):
            return True
        return before[i][1] in flagged and fits(i + 1, j)

    return fits(0, 0)


def _check_fix_keeps_the_rest(path: Path):
    before = load(str(path))
    old = lint_notebook(before)
    result = lint_file(str(path), fix=True)
    assert result.error is None, result.error
    after = load(str(path))
    flagged = _flagged(before, old)
    new_statements = _statements(after)
    for cell, sts in _statements(before).items():
        was = [(ast.dump(st.node), (cell, k)) for k, st in enumerate(sts)]
        now = [ast.dump(st.node) for st in new_statements.get(cell, ())]
        assert _only_flagged_removed(tuple(was), tuple(now), frozenset(flagged)), f"{path.name}: cell {cell}"
    # no new findings; an import only the removed plots used is the one expected newcomer
    key = lambda f: (f.location.cell, f.code, f.message)  # noqa: E731
    before_keys = [key(f) for f in old]
    for f in lint_notebook(after):
        if f.code != "NB402":
            assert key(f) in before_keys, f"{path.name}: new finding {f}"
            before_keys.remove(key(f))
    return result


def _adversarial(source: str, n: int) -> str:
    """A cell's statements rejoined the hard way: `;`-joined pairs, `\\` continuations (one into a blank
    line), `; mut_N = N` after multi-line statements. The source is returned as is when it is not plain Python."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    simple = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Import, ast.ImportFrom, ast.Pass)
    parts, pending = [], None
    for k, node in enumerate(tree.body):
        text = ast.get_source_segment(source, node)
        if text is None:
            return source
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and "\n" not in text and k % 3 == 1:
            target = ast.get_source_segment(source, node.targets[0])
            text = f"{target} = \\\n    {ast.get_source_segment(source, node.value)}"
        if isinstance(node, simple) and node.end_lineno > node.lineno:
            text += f"; mut_{n}_{k} = {k}"
        elif isinstance(node, ast.Expr) and k % 7 == 3:
            text += " \\\n"  # a continuation into a blank line: removing it cleanly is not possible
        if pending is not None and isinstance(node, simple) and k % 2 == 0:
            parts[-1] = pending + ("; " if k % 4 == 0 else " ; \\\n  ") + text
            pending = None
            continue
        parts.append(text)
        pending = text if isinstance(node, simple) else None
    return "\n".join(parts) + "\n"


@needs_corpus
def test_fix_keeps_every_unflagged_statement_of_the_real_notebooks(tmp_path):
    for original in sorted(CORPUS.glob("*.ipynb")):
        copy = tmp_path / original.name
        shutil.copyfile(original, copy)
        _check_fix_keeps_the_rest(copy)


@needs_corpus
def test_fix_keeps_every_unflagged_statement_of_adversarial_rewrites(tmp_path):
    fixed, notes = 0, []
    for n, original in enumerate(sorted(CORPUS.glob("*.ipynb"))):
        raw = json.loads(original.read_text(encoding="utf-8"))
        for cell in raw.get("cells", []):
            if cell.get("cell_type") == "code":
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                cell["source"] = _adversarial(source, n).splitlines(keepends=True)
        copy = tmp_path / original.name
        copy.write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
        result = _check_fix_keeps_the_rest(copy)
        fixed, notes = fixed + result.fixed, notes + list(result.notes)
    assert fixed > 500 and 0 < len(notes) < fixed / 10  # most rewrites are fixed, the dangling ones refused
    assert {note.split(" not fixed: ")[1] for note in notes} == {
        "its line continues with `\\` into code that would be left dangling"}
