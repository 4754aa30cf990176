"""Lint many files, in order: results the cache knows are reused, and the rest are linted in this
process or, when there are enough bytes to pay for it, on every core."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Tuple

from nb2prod.collector import paused
from nb2prod.errors import UnusableInput
from nb2prod.lint.results import FileResult, decode, encode, from_payload, to_payload
from nb2prod.notebook.files import read_bytes
from nb2prod.progress import forked_map

if TYPE_CHECKING:
    from nb2prod.notebook.config import LintSettings


def lint_files(
    jobs: Sequence[Tuple[str, "LintSettings"]],
    fix: bool = False,
    show_diff: bool = False,
    workers: Optional[int] = None,
    cache: bool = False,
    progress: Optional[Callable[[], None]] = None,
) -> List[FileResult]:
    """Lint (path, its LintSettings) jobs, in order; with `cache`, files whose bytes the cache knows are not linted again.

    `progress` is called once per file, linted or found in the cache.
    """
    with paused():  # ASTs are acyclic and die with their file: collecting while parsing only costs time
        if not cache or fix or show_diff:
            return _lint_jobs(jobs, fix, show_diff, workers, progress)
        return _cached(jobs, workers, progress)


def _cached(jobs, workers: Optional[int], progress) -> List[FileResult]:
    from nb2prod.lint.cache import Cache, digest  # a lint with --no-cache (or --fix) never loads hashlib

    store = Cache.open()
    done: Dict[str, FileResult] = {}
    misses, keys = [], {}
    for path, settings in jobs:
        data = _read(path)
        key = Cache.key(path, settings.select, settings.ignore, settings.builtins)
        hit = None if data is None else from_payload(path, store.get(key, digest(data)))
        if hit is not None:
            done[path] = hit
            if progress:
                progress()
        else:
            misses.append((path, settings))
            keys[path] = (key, data)
    for result in _lint_jobs(misses, False, False, workers, progress):
        done[result.path] = result
        key, data = keys[result.path]
        if result.error is None and result.skipped is None and data is not None:
            store.put(key, digest(data), to_payload(result))
    store.save()
    return [done[path] for path, _ in jobs]


def _read(path: str) -> Optional[bytes]:
    try:
        return read_bytes(path)  # regular files only, size-capped: a FIFO here would block forever
    except UnusableInput:
        return None  # lint_file reports it


def _lint_jobs(jobs, fix: bool, show_diff: bool, workers: Optional[int], progress=None) -> List[FileResult]:
    """Lint the jobs in this process or, when there are enough bytes to pay for it, on every core."""
    if not jobs:
        return []  # every file was in the cache: the rules are never imported
    from nb2prod.lint.files import lint_file  # heavy: every rule module, which a cache-served lint never loads

    sizes = [_size(path) for path, _ in jobs]
    count = workers or _cores()
    if sum(sizes) < PARALLEL_BYTES and workers is None:
        count = 1

    def one(job) -> FileResult:
        path, settings = job
        return lint_file(path, settings.select, settings.ignore, fix, show_diff, settings.builtins)

    return forked_map(one, jobs, workers=count, weights=sizes, advance=progress, encode=encode, decode=decode)


# Linting costs ~0.3 µs of CPU per notebook byte (pdsh: 0.4 s for 1.2 MB, outputs included) and a
# fork a few ms: from 300 KB (~0.1 s of work) up, a second core clearly pays for itself.
PARALLEL_BYTES = 300_000


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
