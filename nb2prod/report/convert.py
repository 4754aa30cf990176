"""Text for `nb2prod convert`: what was decided, written and dropped, and the exit status."""

from __future__ import annotations

from collections import Counter
from typing import Iterable, List


def exit_code(results) -> int:
    codes = [r.error.exit_code for r in results if r.error is not None]
    return max(codes) if codes else 0


def lines(results, explain: bool = False) -> Iterable[str]:
    for r in results:
        if r.error is not None:
            for line in str(r.error).splitlines():
                yield f"nb2prod: {line}"
            continue
        how = "decided from the code" if r.kind_decided else "as requested"
        yield f"{r.notebook}: {r.kind} notebook ({how})"
        for f in r.files:
            yield f"  {f.status:<9} {f.path}"
        dropped = [x for x in r.fates if not x.kept]
        if dropped:
            counts = Counter(x.code for x in dropped)
            summary = ", ".join(f"{code} x{n}" for code, n in sorted(counts.items()))
            hint = "" if explain else " (--explain shows each line)"
            yield f"  dropped {len(dropped)} of {len(r.fates)} code lines: {summary}{hint}"
        for note in r.notices:
            yield f"  note: {note}"
        if explain:
            yield from ("    " + line for line in explain_lines(r.fates))


def explain_lines(fates) -> List[str]:
    """One line per notebook code line: where it went or why it was dropped."""
    out = []
    for f in fates:
        verdict = f"kept -> {f.where}" if f.kept else f"dropped {f.code}: {f.where}"
        out.append(f"cell {f.cell}:{f.line}: {verdict}  | {f.text.strip()}")
    return out
