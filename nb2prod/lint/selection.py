"""Which findings a run reports: select/ignore code prefixes, `# noqa` comments and the `nb2prod:keep` cell tag."""

from __future__ import annotations

import re
from typing import Iterable, List, Optional, Tuple

from nb2prod.model import Finding, Notebook
from nb2prod.rules import RULES
from nb2prod.rules._base import Rule

KEEP_TAG = "nb2prod:keep"
# Compiled on first use (re caches it): most runs meet no `noqa` and never pay for compiling it.
_NOQA = r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*))?"


def active_rules(select: Optional[Iterable[str]] = None, ignore: Optional[Iterable[str]] = None) -> Tuple[Rule, ...]:
    """The registered rules that `select`/`ignore` prefixes leave on (the longer matching prefix wins)."""
    return tuple(r for r in RULES if selected(r.code, select, ignore))


def selected(code: str, select: Optional[Iterable[str]], ignore: Optional[Iterable[str]]) -> bool:
    chosen = max((len(p) for p in (select or ("NB",)) if code.startswith(p.upper())), default=-1)
    dropped = max((len(p) for p in (ignore or ()) if code.startswith(p.upper())), default=-1)
    return chosen > dropped


def unsuppressed(nb: Notebook, findings: List[Finding]) -> List[Finding]:
    """Apply `# noqa` comments and the keep tag."""
    if not findings:
        return findings
    cells = {c.index: c for c in nb.cells}
    lines = _script_lines(nb) if nb.is_script else None
    out = []
    for f in findings:
        loc = f.location
        if nb.is_script:
            source_lines, first = lines, loc.line or 1
            cell = _script_cell(nb, first)
        else:
            cell = cells.get(loc.cell)
            source_lines, first = (cell.source.split("\n") if cell else []), loc.line or 1
        if cell is not None and KEEP_TAG in cell.tags and f.code[:3] != "NB3":
            continue
        if not _noqa(source_lines, first, f.end_line or first, f.code):
            out.append(f)
    return out


def _script_lines(nb: Notebook) -> List[str]:
    lines: List[str] = []
    for c in nb.cells:
        lines += [""] * (c.offset - len(lines))
        lines += c.source.split("\n")
    return lines


def _script_cell(nb: Notebook, line: int):
    found = None
    for c in nb.cells:
        if c.offset < line:
            found = c
    return found


def _noqa(lines: List[str], first: int, last: int, code: str) -> bool:
    for text in lines[first - 1 : last]:
        if "noqa" not in text.lower():
            continue
        m = re.search(_NOQA, text, re.IGNORECASE)
        if m and (
            not m.group("codes") or any(code.startswith(c.upper()) for c in re.split(r"[\s,]+", m.group("codes")))
        ):
            return True
    return False
