"""Copy what a notebook's run needs into a folder of its own: the notebook and the data files it reads.

When a path the notebook opens cannot be told from its code, the whole folder is copied instead, as
git sees it: `git ls-files -co --exclude-standard` inside a repository (tracked and untracked files,
`.gitignore`, `.git/info/exclude` and the global excludes honoured by git itself), else a walk that
honours `.gitignore` files. The data files the notebook is known to read are copied even when
git-ignored (data files commonly are). Hidden names, caches, virtual and conda environments and
symlink loops are never copied.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Collection, Dict, Iterable, List, Optional, Sequence, Tuple

from nb2prod.frozen import frozen

_SKIP_NAME = re.compile(r"\..*|.*\.executed\.ipynb|__pycache__|site-packages|node_modules")


@frozen
class Copied:
    """What was copied: files relative to the notebook's folder ('/'-separated, sorted), their bytes."""

    files: Tuple[str, ...]
    size: int
    whole_folder: bool  # a read path could not be told from the code: the folder was copied

    def summary(self) -> str:
        how = "the folder (a path the notebook reads is only known when it runs)" if self.whole_folder \
            else "what the notebook reads"
        return f"copied {len(self.files)} file{'s' if len(self.files) != 1 else ''} ({self.size:,} bytes): {how}"


def copy_needed(source: Path, target: Path, needed: Iterable[str], *, whole_folder: bool = False,
                skip: Collection[str] = ()) -> Copied:
    """Copy the files `needed` (relative to `source`), or with `whole_folder` also every file of the folder
    git would show, into `target`; `skip` (files a run writes) is never copied."""
    target.mkdir(parents=True, exist_ok=True)
    names = {rel for rel in (_inside(source, n) for n in needed) if rel is not None}
    if whole_folder:
        names.update(folder_files(source))
    copied, size = [], 0
    for rel in sorted(names - {_normal(s) for s in skip}):
        src, dest = source / rel, target / rel
        try:
            if not src.is_file():  # a folder, a FIFO, a broken symlink or one that loops
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
            size += dest.stat().st_size
        except OSError:  # unreadable, or a loop found on the way
            continue
        copied.append(rel)
    return Copied(tuple(copied), size, whole_folder)


def _normal(path: str) -> str:
    return os.path.normpath(path).replace(os.sep, "/")


def _inside(source: Path, name: str) -> Optional[str]:
    """`name` relative to `source`, or None for a path outside it (absolute, or up through `..`)."""
    rel = _normal(name)
    return None if os.path.isabs(rel) or rel == ".." or rel.startswith("../") else rel


def folder_files(source: Path) -> List[str]:
    """Every file of the folder that git would show (see the module docstring), environments left out."""
    listed = _git_files(source)
    if listed is None:
        listed = _walk(source, _ignore_matcher(source), frozenset())
    environments: Dict[str, bool] = {}
    return [rel for rel in listed if not _skipped(source, rel, environments)]


def _git_files(source: Path) -> Optional[List[str]]:
    """Tracked and untracked, not ignored files under `source`, by git; None outside a repository."""
    try:
        done = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=source,
                              capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return sorted({name for name in os.fsdecode(done.stdout).split("\0") if name})


def _skipped(source: Path, rel: str, environments: Dict[str, bool]) -> bool:
    """A hidden or cache name on the way, or a file inside a virtual or conda environment."""
    parts = rel.split("/")
    if any(_SKIP_NAME.fullmatch(p) for p in parts):
        return True
    for i in range(1, len(parts)):
        folder = "/".join(parts[:i])
        if folder not in environments:
            environments[folder] = _is_environment(str(source / folder))
        if environments[folder]:
            return True
    return False


def _walk(folder: Path, ignore, above: frozenset, prefix: str = "") -> List[str]:
    """The files under `folder` (outside git): symlinks followed, loops and ignored paths left out."""
    try:
        info = os.stat(folder)
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return []
    above = above | {(info.st_dev, info.st_ino)}
    ignore = ignore.enter(str(folder)) if ignore is not None else None
    out = []
    for entry in entries:
        if _SKIP_NAME.fullmatch(entry.name):
            continue
        try:
            is_dir = entry.is_dir()
            if ignore is not None and ignore.ignored(entry.path, is_dir):
                continue
            if is_dir:
                inner = os.stat(entry.path)
                if (inner.st_dev, inner.st_ino) not in above and not _is_environment(entry.path):
                    out.extend(_walk(Path(entry.path), ignore, above, f"{prefix}{entry.name}/"))
            elif entry.is_file():
                out.append(prefix + entry.name)
        except OSError:  # a symlink loop (ELOOP), a broken symlink, or no permission to read
            continue
    return out


def _ignore_matcher(source: Path):
    from nb2prod.notebook.config import gitignore_matcher

    return gitignore_matcher(str(source))


def _is_environment(folder: str) -> bool:
    """A virtual environment or a conda environment: never data a notebook reads."""
    return any(os.path.exists(os.path.join(folder, marker)) for marker in ("pyvenv.cfg", "conda-meta"))


def copy_data(source: Path, target: Path) -> Copied:
    """The whole folder, as `copy_needed(..., whole_folder=True)` copies it."""
    return copy_needed(source, target, (), whole_folder=True)


def needed_files(notebooks: Sequence[str], reads: Iterable[str], source: Path) -> List[str]:
    """The notebooks under `source` and the files they read, relative to `source`."""
    out = []
    for nb in notebooks:
        try:
            out.append(os.path.relpath(os.path.abspath(nb), os.path.abspath(source)))
        except ValueError:  # another drive (Windows)
            continue
    return out + list(reads)
