"""Batches of files: a progress bar on a terminal's stderr only, and parallel maps that keep input order."""

from __future__ import annotations

import marshal
import os
import struct
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, TextIO, TypeVar

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

    An item may take `steps` calls to `advance` (convert: planned, then rendered). With `delay`, nothing
    is drawn before that many seconds have passed, so a fast run never flashes a bar (lint).
    """

    def __init__(self, items: int, label: str, *, steps: int = 1, stream: Optional[TextIO] = None,
                 enabled: Optional[bool] = None, delay: float = 0.0):
        self.label, self.steps, self.done = label, steps, 0
        self.stream = stream if stream is not None else sys.stderr
        self._forced, self._drawn = enabled, 0.0
        self._quiet_until = time.monotonic() + delay
        self.expect(items)

    def expect(self, items: int) -> None:
        """Set how many items there are (lint learns it only after finding the files)."""
        self.items, self.total = items, items * self.steps
        self.enabled = (items > PARALLEL_ABOVE and wanted(self.stream)) if self._forced is None else self._forced

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = time.monotonic()
        if now >= self._quiet_until and (now - self._drawn >= _EVERY or self.done >= self.total):
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


def forked_map(func: Callable[[T], R], items: Sequence[T], *, workers: int, weights: Optional[Sequence[int]] = None,
               advance: Optional[Callable[[], None]] = None, encode: Callable[[R], object] = lambda r: r,
               decode: Callable[[object], R] = lambda v: v) -> List[R]:
    """`[func(x) for x in items]` on `workers` processes, this one included, through os.fork and pipes.

    Cheaper to start than a process pool (no imports, no pickling of `func`): the children inherit
    everything. Items are handed out a few at a time, heaviest `weights` first, through a pipe that
    every process reads four bytes at a time. A child sends `marshal.dumps(encode(result))` back per
    item; an item whose child failed or died is run here again, so its exception is raised here as in
    the sequential case. Without os.fork, or for one worker, the items run in this process.
    """
    items = list(items)
    count = min(workers, len(items))
    if count < 2 or not hasattr(os, "fork"):
        return [_step(func, x, advance) for x in items]
    import select

    order = sorted(range(len(items)), key=lambda i: -(weights[i] if weights else 0))
    size = -(-len(order) // _MAX_BATCHES)
    batches = [order[i:i + size] for i in range(0, len(order), size)]
    queue = _queue(len(batches))
    results: Dict[int, R] = {}
    buffers: Dict[int, bytearray] = {}  # read end of each child's pipe -> bytes not yet decoded
    pids: List[int] = []
    finished = False
    try:
        for _ in range(count - 1):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns
                os.close(read)
                _child(func, items, batches, queue, write, encode)
            os.close(write)
            os.set_blocking(read, False)
            pids.append(pid)
            buffers[read] = bytearray()
        for batch in iter(lambda: _take(queue, batches), None):
            for index in batch:
                results[index] = _step(func, items[index], advance)
                for fd in select.select(list(buffers), [], [], 0)[0] if buffers else ():
                    _receive(fd, buffers, results, decode, advance)
        while buffers:
            for fd in select.select(list(buffers), [], [])[0]:
                _receive(fd, buffers, results, decode, advance)
        finished = True
    finally:
        os.close(queue)
        for fd in buffers:
            os.close(fd)
        for pid in pids:
            if not finished:  # an exception here: stop the children this call started
                _kill(pid)
            os.waitpid(pid, 0)
    return [results[i] if i in results else _step(func, items[i], advance) for i in range(len(items))]


_MAX_BATCHES = 1024  # 4 KiB of indices: fits any pipe's buffer, so writing them all never blocks


def _queue(count: int) -> int:
    """A pipe holding batch numbers, its write end closed: reading it to the end takes every batch once."""
    read, write = os.pipe()
    try:
        os.write(write, struct.pack(f"<{count}I", *range(count)))
    finally:
        os.close(write)
    return read


def _take(queue: int, batches: List[List[int]]) -> Optional[List[int]]:
    data = os.read(queue, 4)  # one read of 4 bytes from a pipe is never split between readers
    return batches[struct.unpack("<I", data)[0]] if len(data) == 4 else None


def _child(func, items, batches, queue: int, out: int, encode) -> None:
    try:
        for batch in iter(lambda: _take(queue, batches), None):
            for index in batch:
                try:
                    data = marshal.dumps(encode(func(items[index])))
                except Exception:  # noqa: BLE001 - the parent runs this item again and reports the error
                    continue
                view = memoryview(struct.pack("<II", index, len(data)) + data)
                while view:
                    view = view[os.write(out, view):]
    finally:
        os._exit(0)  # no atexit handlers, no flushing of buffers the parent still owns


def _receive(fd: int, buffers: Dict[int, bytearray], results: dict, decode, advance) -> None:
    """Read what a child sent so far: complete records become results; end of file closes its pipe."""
    try:
        chunk = os.read(fd, 1 << 16)
    except BlockingIOError:
        return
    if not chunk:
        os.close(fd)
        del buffers[fd]
        return
    buf = buffers[fd]
    buf += chunk
    while len(buf) >= 8:
        index, size = struct.unpack_from("<II", buf)
        if len(buf) < 8 + size:
            break
        results[index] = decode(marshal.loads(buf[8:8 + size]))
        del buf[:8 + size]
        if advance:
            advance()


def beside(check: Callable[[T], bool], items: Sequence[T]) -> Callable[[], bool]:
    """Start `all(check(x) for x in items)` in a forked child while this process goes on; returns the join:
    True when every check held, False when one did not or raised, the child died, or no fork was safe
    (no os.fork, or other threads: a lock one of them holds would stay held in the child). False means
    "not known here": the caller runs its checks itself, where their errors are raised and worded.
    The join must be called (it reaps the child); calling it again gives the same answer."""
    threading = sys.modules.get("threading")
    if not hasattr(os, "fork") or threading is not None and threading.active_count() > 1:
        return lambda: False
    pid = os.fork()
    if pid == 0:  # the child: never returns
        held = False
        try:
            held = all(check(x) for x in items)
        except BaseException:  # noqa: BLE001 - "not known": the parent checks again and reports
            pass
        finally:
            os._exit(0 if held else 1)  # no atexit handlers, no flushing of buffers the parent still owns
    verdict: List[bool] = []

    def join() -> bool:
        if not verdict:
            _, status = os.waitpid(pid, 0)
            verdict.append(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0)
        return verdict[0]

    return join


def _kill(pid: int) -> None:
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
