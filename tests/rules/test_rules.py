"""Every rule through its fixture: lines marked `# expect: CODE` are flagged, no other line is."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from nb2prod.lint.engine import lint_notebook
from nb2prod.notebook.load import load
from nb2prod.report import text
from nb2prod.rules import RULES

FIXTURES = Path(__file__).parent / "fixtures"
SNAPSHOTS = Path(__file__).parent / "snapshots"
MARK = re.compile(r"#\s*expect:\s*((?:NB\d{3}[,\s]*)+)")
UPDATE = os.environ.get("NB2PROD_UPDATE_SNAPSHOTS") == "1"


def fixture_for(code: str) -> Path:
    for suffix in (".py", ".ipynb"):
        path = FIXTURES / f"{code}{suffix}"
        if path.exists():
            return path
    raise AssertionError(f"rule {code} has no fixture in {FIXTURES}")


def expected(path: Path, code: str) -> set:
    """(cell, line) pairs for notebooks, (None, line) for scripts, of lines marked with `code`."""
    def marked(source: str):
        for number, line in enumerate(source.split("\n"), 1):
            m = MARK.search(line)
            if m and code in m.group(1).split():
                yield number

    if path.suffix == ".py":
        return {(None, n) for n in marked(path.read_text())}
    raw = json.loads(path.read_text())
    return {(i, n) for i, cell in enumerate(raw["cells"], 1) for n in marked("".join(cell["source"]))}


@pytest.mark.parametrize("code", [r.code for r in RULES])
def test_fixture_flags_exactly_the_marked_lines(code):
    path = fixture_for(code)
    findings = lint_notebook(load(str(path)), select=[code])
    got = {(f.location.cell, f.location.line) for f in findings}
    assert got == expected(path, code), "\n".join(f"{f.location}: {f.code} {f.message}" for f in findings)


@pytest.mark.parametrize("code", [r.code for r in RULES])
def test_fixture_snapshot(code):
    path = fixture_for(code)
    findings = lint_notebook(load(str(path)), select=[code])
    rendered = "".join(f"{f.location}: {f.code} {f.message}\n" for f in findings)
    rendered = rendered.replace(str(path), path.name)
    snapshot = SNAPSHOTS / f"{code}.txt"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        snapshot.write_text(rendered)
    assert snapshot.exists(), f"missing {snapshot}; run NB2PROD_UPDATE_SNAPSHOTS=1 pytest tests/rules"
    assert rendered == snapshot.read_text()


@pytest.mark.parametrize("code", [r.code for r in RULES if r.fixable])
def test_fixable_findings_cover_whole_statements(code):
    from nb2prod.lint.engine import parse_all

    nb = load(str(fixture_for(code)))
    cells = {pc.cell.index: pc for pc in parse_all(nb)}
    for f in lint_notebook(nb, select=[code]):
        if not f.fixable:
            continue
        pc = next(pc for pc in cells.values() if _holds(nb, pc, f))
        shift = pc.cell.offset if nb.is_script else 0
        lines = {(st.line + shift, st.end_line + shift) for st in pc.statements}
        first = min(a for a, b in lines if a >= f.location.line)
        last = max(b for a, b in lines if b <= f.end_line)
        assert (first, last) == (f.location.line, f.end_line) or f.code == "NB202", f


def _holds(nb, pc, f) -> bool:
    if not nb.is_script:
        return pc.cell.index == f.location.cell
    return pc.cell.offset < f.location.line <= pc.cell.offset + pc.cell.source.count("\n") + 1


def test_summary_counts():
    report_findings = lint_notebook(load(str(FIXTURES / "NB101.py")))
    assert report_findings
    assert text.summary  # the summary is exercised end to end in tests/test_lint_cli.py
