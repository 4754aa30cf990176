"""Text for `nb2prod verify`: one line per comparison, then the verdict."""

from __future__ import annotations

from typing import List


def _plain(text: str, **_) -> str:
    return text


def lines(report, style=None, quiet: bool = False, verbose: bool = False) -> List[str]:
    """`style(text, fg=...)` colours same/DIFF (click.style when colour is wanted); `quiet`: only the comparisons
    that differ, and the verdict; `verbose`: the files copied from the notebook's folder, one a line."""
    style = style or _plain
    out = [] if quiet else [f"{report.notebook}: {report.kind} notebook, run for real on both sides"]
    if report.copied is not None and not quiet:  # into each side's folder
        out.append(f"  {report.copied.summary()}")
        if verbose:
            out.extend(f"        {name}" for name in report.copied.files)
    for c in report.comparisons:
        if quiet and c.same:
            continue
        mark = style("same", fg="green") if c.same else style("DIFF", fg="red", bold=True)
        detail = f" ({c.detail})" if c.detail and c.same else ""
        out.append(f"  {mark}  {c.what}{detail}")
        if not c.same and c.detail:
            out.extend(f"        {line}" for line in c.detail.splitlines())
    out.extend(f"  note: {note}" for note in report.notes if not quiet)
    differ = sum(not c.same for c in report.comparisons)
    if not report.comparisons:
        out.append("not verified: nothing to compare")
    elif differ:
        out.append(f"not equivalent: {differ} of {len(report.comparisons)} comparisons differ")
    else:
        n = len(report.comparisons)
        out.append(f"equivalent: {n} comparison{'s' if n != 1 else ''} agree{'' if n != 1 else 's'}")
    return out
