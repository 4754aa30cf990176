"""Whether to colour output: NO_COLOR (no-color.org) wins, FORCE_COLOR colours a pipe, else a terminal."""

from __future__ import annotations

import os
from typing import Mapping, Optional, TextIO


def wanted(stream: TextIO, environ: Optional[Mapping[str, str]] = None) -> bool:
    """NO_COLOR set to any non-empty value: never; FORCE_COLOR non-empty: always; else only on a terminal."""
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
