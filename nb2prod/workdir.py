"""Copy a notebook's folder for a run elsewhere: its data files, never environments, caches or loops."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

_SKIP_NAME = re.compile(r"\..*|.*\.executed\.ipynb|__pycache__|site-packages|node_modules")


def copy_data(source: Path, target: Path) -> None:
    """What `source` holds, copied into the existing folder `target` (see _copy_entries)."""
    _copy_entries(source, target, frozenset())


def _copy_entries(source: Path, target: Path, above: frozenset) -> None:
    """Copy what `source` holds into `target`, following symlinks; a symlink loop or an unreadable entry is
    skipped, and so are hidden names, caches and virtual environments (copying them took minutes)."""
    try:
        info = os.stat(source)
        entries = sorted(os.scandir(source), key=lambda e: e.name)
    except OSError:
        return
    above = above | {(info.st_dev, info.st_ino)}
    for entry in entries:
        if _SKIP_NAME.fullmatch(entry.name):
            continue
        try:
            if entry.is_dir():
                inner = os.stat(entry.path)
                if (inner.st_dev, inner.st_ino) in above or _is_environment(entry.path):
                    continue
                (target / entry.name).mkdir()
                _copy_entries(Path(entry.path), target / entry.name, above)
            elif entry.is_file():  # FIFOs, sockets and devices are not data files
                shutil.copy2(entry.path, target / entry.name)
        except OSError:  # a symlink loop (ELOOP), a broken symlink, or no permission to read
            continue


def _is_environment(folder: str) -> bool:
    """A virtual environment or a conda environment: never data a notebook reads."""
    return any(os.path.exists(os.path.join(folder, marker)) for marker in ("pyvenv.cfg", "conda-meta"))
