"""Golden files for every example folder, plus black-style invariants on every conversion."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod import api
from nb2prod.report.convert import explain_lines
from tests.golden import compare

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir() and list(p.glob("*.ipynb")))


def _generate(folder: Path):
    notebooks = sorted(str(p.relative_to(ROOT)) for p in folder.glob("*.ipynb"))
    plans = [(nb, api.plan_notebook(str(ROOT / nb))) for nb in notebooks]
    return api.generate(plans, str(folder / "expected"))


def _produced(folder: Path):
    generated = _generate(folder)
    files = {}
    for gen in generated:
        files.update(gen.texts)
    explain = []
    for gen in generated:
        explain.append(f"{Path(gen.notebook).name}:")
        explain.extend(explain_lines(gen.fates))
    files["explain.txt"] = "\n".join(explain) + "\n"
    return generated, files


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_example_matches_golden(folder, update_golden):
    _, files = _produced(folder)
    compare(folder / "expected", files, update_golden)


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_conversion_is_stable_and_complete(folder):
    first, files = _produced(folder)
    _, again = _produced(folder)
    assert files == again, "a second conversion gave different bytes"
    for name, text in files.items():
        if name.endswith(".py"):
            compile(text, name, "exec")
    for gen in first:
        nb = gen.plan.notebook
        expected = {(c.index, n) for c in nb.code_cells for n, line in enumerate(c.source.split("\n"), 1)
                    if line.strip()}
        accounted = [(f.cell, f.line) for f in gen.fates]
        assert len(accounted) == len(set(accounted)), "a line is accounted for twice"
        assert set(accounted) == expected, f"unaccounted lines: {sorted(expected - set(accounted))}"


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_generated_code_is_pyflakes_clean(folder, tmp_path):
    _, files = _produced(folder)
    for name, text in files.items():
        if name.endswith(".py"):
            (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pyflakes", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
