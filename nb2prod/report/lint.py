"""Pick the lint output format: (stdout lines, stderr lines) for a LintReport."""

from __future__ import annotations

from typing import List, Tuple

from nb2prod.report import text

FORMATS = ("text", "json", "github", "sarif")


def render(report, fmt: str = "text", *, style=None, quiet: bool = False,
           statistics: bool = False) -> Tuple[List[str], List[str]]:
    """`style` colours text output (see text.lines); `quiet` leaves out the summary; `statistics` gives the
    count per rule code instead of the findings (text, or JSON with --format json)."""
    if statistics:
        return _statistics(report, fmt), text.errors(report)
    if fmt == "text":
        return text.lines(report, style, quiet), text.errors(report)
    # each machine format loads its own module (and json, urllib) only when asked for
    if fmt == "json":
        from nb2prod.report import json as as_json

        return [as_json.render(report)], text.errors(report)
    if fmt == "sarif":
        from nb2prod.report import sarif

        return [sarif.render(report)], text.errors(report)
    if fmt == "github":
        from nb2prod.report import github

        return github.lines(report), text.errors(report)
    return text.lines(report), text.errors(report)


def _statistics(report, fmt: str) -> List[str]:
    if fmt == "json":
        import json

        rows = [{"code": c, "name": n, "count": k, "fixable": f} for c, n, k, f in text.statistics(report)]
        return [json.dumps(rows, indent=2)]
    return text.statistics_lines(report)


def rule_lines(rules) -> List[str]:
    """`nb2prod rules`: one line per rule."""
    return [f"{r.code}  {r.name:<26} {r.severity:<7} {'fix' if r.fixable else '   '}  {r.summary}" for r in rules]


def rule_doc(r) -> str:
    """`nb2prod rule CODE`: the heading and the rule's documentation as written."""
    fix = "fixable with --fix" if r.fixable else "not fixable"
    return f"# {r.code} {r.name}\n\n{r.summary} ({r.severity}, {fix})\n\n{r.doc.strip()}\n"
