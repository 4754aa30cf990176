"""The cyclic garbage collector, paused while nb2prod builds and reads syntax trees.

nb2prod's own data are trees: ast and libcst nodes, the plan's frozen dataclasses. They hold no reference
cycles, so reference counting frees them when they are dropped, and the collector's passes over them,
which grow with everything alive, find next to nothing. Paused per file (lint) or per stage of a
conversion, so a batch still collects between them; the collector runs again when its counts say so.
"""

from __future__ import annotations

import functools
import gc
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

F = TypeVar("F", bound=Callable)


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside; the collector is left as it was found (a caller may have paused it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def uncollected(func: F) -> F:
    """`func` run with the collector paused."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with paused():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
