"""Lint findings as GitHub Actions workflow commands (`::error file=...::message`)."""

from __future__ import annotations

from typing import List


def _escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def lines(report) -> List[str]:
    """Notebook lines are cell-relative, so notebook findings annotate the file and name the cell."""
    from nb2prod.rules import BY_CODE  # heavy: every rule module, which a cache-served lint never loads

    out = []
    for f in report.findings:
        loc = f.location
        props = [f"file={_escape(loc.path, True)}"]
        where = ""
        if loc.cell is None:
            props.append(f"line={loc.line}")
            if loc.col:
                props.append(f"col={loc.col}")
            if f.end_line:
                props.append(f"endLine={f.end_line}")
        else:
            where = f"cell {loc.cell}, line {loc.line}: "
        name = BY_CODE[f.code].name if f.code in BY_CODE else ""
        props.append("title=" + _escape(f"{f.code} {name}".strip(), True))
        level = "error" if f.severity == "error" else "warning"
        out.append(f"::{level} {','.join(props)}::{_escape(where + f.message)}")
    for r in report.files:
        if r.error:
            out.append(f"::error file={_escape(r.path, True)},title=unusable input::{_escape(r.error)}")
    return out
