"""Text for `nb2prod convert`: what was decided, written and dropped, and the exit status."""

from __future__ import annotations

from collections import Counter
from typing import Iterable, List


def exit_code(results) -> int:
    codes = [r.error.exit_code for r in results if r.error is not None]
    return max(codes) if codes else 0


MOVED = "moved to test_score.py"  # how plan/sample_checks' reasons start for a check the tests took over
STATUS_COLOURS = {"new": "green", "updated": "green", "unchanged": None, "edited": "red", "not-generated": "red"}


def _plain(text: str, **_) -> str:
    return text


def lines(results, explain: bool = False, style=None, quiet: bool = False) -> Iterable[str]:
    """`style(text, fg=...)` colours each file's status (click.style when colour is wanted); `quiet`: only the
    errors, and with `explain` where each line went."""
    style = style or _plain
    for r in results:
        if r.error is not None:
            for line in str(r.error).splitlines():
                yield f"nb2prod: {line}"
            continue
        if quiet:
            yield from (explain_lines(r.fates) if explain else ())
            continue
        how = "decided from the code" if r.kind_decided else "as requested"
        yield f"{r.notebook}: {r.kind} notebook ({how})"
        for f in r.files:
            fg = STATUS_COLOURS.get(f.status)
            status = f"{f.status:<9}"
            yield f"  {style(status, fg=fg) if fg else status} {f.path}"
        dropped = r.fates.dropped  # known without placing the kept lines in the script (explain.Fates)
        if dropped:
            counts = Counter(x.code for x in dropped)
            summary = ", ".join(f"{code} x{n}" for code, n in sorted(counts.items()))
            moved = sum(x.where.startswith(MOVED) for x in dropped)
            summary += f"; {moved} moved to test_score.py" if moved else ""
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
