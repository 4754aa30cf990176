"""Text for `nb2prod verify`: one line per comparison, then the verdict."""

from __future__ import annotations

from typing import List


def lines(report, verbose: bool = False) -> List[str]:
    out = [f"{report.notebook}: {report.kind} notebook, run for real on both sides"]
    if report.copied is not None:  # into each side's folder; --verbose names the files
        out.append(f"  {report.copied.summary()}")
        if verbose:
            out.extend(f"        {name}" for name in report.copied.files)
    for c in report.comparisons:
        mark = "same" if c.same else "DIFF"
        detail = f" ({c.detail})" if c.detail and c.same else ""
        out.append(f"  {mark}  {c.what}{detail}")
        if not c.same and c.detail:
            out.extend(f"        {line}" for line in c.detail.splitlines())
    out.extend(f"  note: {note}" for note in report.notes)
    differ = sum(not c.same for c in report.comparisons)
    if not report.comparisons:
        out.append("not verified: nothing to compare")
    elif differ:
        out.append(f"not equivalent: {differ} of {len(report.comparisons)} comparisons differ")
    else:
        n = len(report.comparisons)
        out.append(f"equivalent: {n} comparison{'s' if n != 1 else ''} agree{'' if n != 1 else 's'}")
    return out
