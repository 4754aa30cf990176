"""Lint on the real notebooks in ../shared (read in place; copies in tmp_path when modified)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod.lint.engine import lint_notebook
from nb2prod.lint.files import lint_file
from nb2prod.notebook.load import load

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REFERENCE = SHARED / "reference" / "mlopspython"
CORPUS = SHARED / "corpus" / "pdsh"
TRAINING = REFERENCE / "Diabetes Ridge Regression Training.ipynb"
REAL = sorted(REFERENCE.glob("*.ipynb")) + sorted(CORPUS.glob("*.ipynb"))

needs_shared = pytest.mark.skipif(not TRAINING.exists(), reason=f"real notebooks not found in {SHARED}")
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"notebook corpus not found in {CORPUS}")


@needs_shared
def test_training_notebook_facts():
    findings = lint_notebook(load(str(TRAINING)))
    by_cell = {(f.location.cell, f.code) for f in findings}
    assert (6, "NB102") in by_cell  # print(df.shape)
    assert (7, "NB101") in by_cell  # df.describe()
    errors = [f for f in findings if f.severity == "error"]
    assert len(errors) == 1
    assert errors[0].code == "NB301" and "`reg`" in errors[0].message and "did you mean `reg_model`" in errors[0].message
    assert not any(f.location.cell in (11, 13) and f.code.startswith("NB1") for f in findings)  # fit, print(metrics)


@needs_corpus
@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_real_notebook_lints_or_is_reported(path):
    result = lint_file(str(path))
    assert result.error is None or "\n" not in result.error
    for f in result.findings:
        assert f.location.path == str(path) and f.location.cell and f.location.line


@needs_corpus
@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_fix_on_a_copy_keeps_a_valid_notebook_and_only_changes_flagged_lines(path, tmp_path):
    import nbformat

    copy = tmp_path / path.name
    shutil.copyfile(path, copy)
    before = load(str(copy))
    flagged: dict = {}
    for f in lint_notebook(before):
        if f.fixable:
            flagged.setdefault(f.location.cell, set()).update(range(f.location.line, f.end_line + 1))
    result = lint_file(str(copy), fix=True)
    assert result.error is None
    raw = json.loads(copy.read_text(encoding="utf-8"))
    original = json.loads(path.read_text(encoding="utf-8"))
    assert _invalid(nbformat, raw) == _invalid(nbformat, original)  # as valid as before the fix
    after = load(str(copy))
    assert len(after.cells) == len(before.cells)
    for old, new in zip(before.cells, after.cells):  # every line no fixable finding covers is still there, in order
        lines = old.source.rstrip("\n").split("\n")
        remaining = iter(new.source.split("\n"))
        kept = [line for i, line in enumerate(lines, 1) if i not in flagged.get(old.index, ())]
        assert all(line in remaining for line in kept), old.index
    untouched = [c for c in before.cells if c.index not in flagged]
    cells = original.get("cells") or [c for ws in original.get("worksheets", []) for c in ws["cells"]]
    new_cells = raw.get("cells") or [c for ws in raw.get("worksheets", []) for c in ws["cells"]]
    for c in untouched:
        assert cells[c.index - 1] == new_cells[c.index - 1]


@needs_shared
def test_lint_never_imports_libcst_jinja2_or_the_validator():
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom nb2prod.cli import main\n"
        f"CliRunner().invoke(main, ['lint', {str(REFERENCE)!r}])\n"
        "bad = [m for m in ('libcst', 'jinja2', 'nbformat', 'jsonschema', 'fastjsonschema') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _invalid(nbformat, raw):
    try:
        nbformat.validate(raw)
    except nbformat.ValidationError as exc:
        return str(exc.message)
    return None


@needs_corpus
def test_linting_leaves_no_reference_cycles():
    """Garbage collection is off while files are linted (lint_files): whatever a file's lint builds must
    die by reference counting alone, or memory grows with every notebook (a self-referencing closure
    once kept every notebook's AST alive: 13 MB more on pdsh and a fifth more time)."""
    import gc

    lint_file(str(REAL[0]))  # first use: imports, compiled patterns, dispatch tables
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for path in REAL[:20]:
            lint_file(str(path))
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()
