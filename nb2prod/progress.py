"""Batches of files: a progress bar on a terminal's stderr only, and a parallel map that keeps input order."""

from __future__ import annotations

import os
import sys
import time
from typing import Callable, List, Optional, Sequence, TextIO, TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_ABOVE = 4  # more files than this: worker processes and, on a terminal, a progress bar
_WIDTH = 28
_EVERY = 0.1  # seconds between redraws


def wanted(stream: Optional[TextIO] = None) -> bool:
    """A bar only for a person watching: stderr is a terminal and this is not a CI log."""
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("CI")


class Progress:
    """`[#####.....] 12/40 converting`, redrawn in place on stderr; silent when not wanted or too few items.

    An item may take `steps` calls to `advance` (convert: planned, then rendered).
    """

    def __init__(self, items: int, label: str, *, steps: int = 1, stream: Optional[TextIO] = None,
                 enabled: Optional[bool] = None):
        self.items, self.total, self.label, self.done = items, items * steps, label, 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = (items > PARALLEL_ABOVE and wanted(self.stream)) if enabled is None else enabled
        self._drawn = 0.0

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if self.enabled and (now - self._drawn >= _EVERY or self.done >= self.total):
            self._drawn = now
            self._draw()

    def _draw(self) -> None:
        filled = _WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (_WIDTH - filled)
        shown = self.done * self.items // max(self.total, 1)
        self.stream.write(f"\r[{bar}] {shown}/{self.items} {self.label}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\r\033[K")  # clear the bar so the report starts on a clean line
            self.stream.flush()
            self._drawn = 0.0


def parallel_map(func: Callable[[T], R], items: Sequence[T], *, workers: Optional[int] = None,
                 advance: Optional[Callable[[], None]] = None, above: int = PARALLEL_ABOVE) -> List[R]:
    """`[func(x) for x in items]` in input order; above `above` items, spread over worker processes.

    `func` must be a module-level function whose arguments and results pickle; an exception it
    raises is raised here, as in the sequential case.
    """
    items = list(items)
    count = min(workers or os.cpu_count() or 1, len(items))
    if len(items) <= above or count < 2:
        return [_step(func, x, advance) for x in items]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    results: List[Optional[R]] = [None] * len(items)
    with ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context(method)) as pool:
        futures = {pool.submit(func, x): i for i, x in enumerate(items)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if advance:
                advance()
    return results  # type: ignore[return-value]


def _step(func: Callable[[T], R], item: T, advance: Optional[Callable[[], None]]) -> R:
    result = func(item)
    if advance:
        advance()
    return result
