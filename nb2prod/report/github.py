"""Lint findings as GitHub Actions workflow commands (`::error file=...::message`)."""

from __future__ import annotations

from typing import List


def _escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def annotation(f, level: str, title: str) -> str:
    """One `::level file=,line=,...::message` command for a finding. GitHub needs `line=` to place
    it, so a notebook finding gives its line within the cell and names the cell in title and message."""
    loc = f.location
    props = [f"file={_escape(loc.path, True)}"]
    if loc.line:
        props.append(f"line={loc.line}")
        if loc.col:
            props.append(f"col={loc.col}")
        if f.end_line:
            props.append(f"endLine={f.end_line}")
    where = ""
    if loc.cell is not None:
        title = f"{title} (cell {loc.cell})"
        where = f"cell {loc.cell}, line {loc.line}: "
    props.append("title=" + _escape(title, True))
    return f"::{level} {','.join(props)}::{_escape(where + f.message)}"


def lines(report) -> List[str]:
    """One workflow command per finding, then one per unusable file."""
    from nb2prod.rules import BY_CODE  # heavy: every rule module, which a cache-served lint never loads

    out = []
    for f in report.findings:
        name = BY_CODE[f.code].name if f.code in BY_CODE else ""
        out.append(annotation(f, "error" if f.severity == "error" else "warning", f"{f.code} {name}".strip()))
    for r in report.files:
        if r.error:
            out.append(f"::error file={_escape(r.path, True)},title=unusable input::{_escape(r.error)}")
    return out
