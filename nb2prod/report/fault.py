"""A fault of where output goes (a closed pipe, a full disk) as one line for the user, not an internal error."""

from __future__ import annotations

import errno
import os
import sys
from typing import Optional

WRITE_FAULTS = frozenset({errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def line(exc: BaseException) -> Optional[str]:
    """`nb2prod: cannot write output: No space left on device` for a write fault; None for anything else."""
    if not isinstance(exc, OSError) or exc.errno not in WRITE_FAULTS:
        return None
    if exc.filename is None:  # stdout itself: what is still buffered must not fail again at exit
        _discard_stdout()
        return f"nb2prod: cannot write output: {exc.strerror}"
    return f"nb2prod: {exc.filename}: cannot write: {exc.strerror}"


def _discard_stdout() -> None:
    """Point file descriptor 1 at os.devnull, as Python's docs advise after a broken pipe."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):  # no real stdout (click's CliRunner): nothing to protect
        pass
