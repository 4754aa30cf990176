"""Unified diffs that `patch -p0` applies: the one diff writer for check and lint --diff."""

from __future__ import annotations

import difflib
import re
from typing import List, Tuple

_LINE = re.compile(r"[^\n]*\n|[^\n]+")


def lines(text: str) -> List[str]:
    """Lines with their ends, cut at \\n only: str.splitlines would also cut inside a string (U+2028)."""
    return _LINE.findall(text)


def unified(old: str, new: str, path: str, missing: bool = False) -> Tuple[str, ...]:
    """Diff lines (without their ends) that `patch -p0`, run from the current folder, applies to turn `old`
    into `new` at `path`: plain path headers (`/dev/null` for a missing file) and the marker after a last
    line without its end."""
    name = path + "\t" if re.search(r"\s", path) else path  # as git does: patch reads a name with spaces to a tab
    out: List[str] = []
    for line in difflib.unified_diff(lines(old), lines(new), "/dev/null" if missing else name, name):
        out.append(line[:-1] if line.endswith("\n") else line)
        if not line.endswith("\n"):
            out.append("\\ No newline at end of file")
    return tuple(out)
