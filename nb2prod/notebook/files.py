"""Read a file's bytes safely: regular files only, up to a size cap, never blocking on a FIFO.

Apart from load.py, lint's cache reads files through here, so a warm run never imports the loader (or json).
"""

from __future__ import annotations

import errno
import os
import stat

from nb2prod.errors import UnusableInput
from nb2prod.model import Location


def read_bytes(path: str) -> bytes:
    """The bytes of a regular file of at most `max_bytes()`; UnusableInput with a one-line reason otherwise.

    Opened without blocking and judged by fstat before reading: a FIFO, a socket or /dev/zero is
    refused instead of hanging or filling memory (the ruff/black way: read files, not streams).
    """
    where = Location(str(path))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:  # a socket cannot be opened at all: stat says what it is
        raise UnusableInput(_unreadable(path, exc), where) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):  # before fdopen, which refuses a folder with its own error
        os.close(fd)
        raise UnusableInput(_not_regular(info.st_mode), where)
    with os.fdopen(fd, "rb") as f:
        limit = max_bytes()
        if info.st_size > limit:
            raise UnusableInput(_too_big(info.st_size, limit), where)
        try:
            data = f.read(limit + 1)  # a file that grows while read is cut off here, not read forever
        except OSError as exc:
            raise UnusableInput(f"cannot read: {exc.strerror}", where) from None
    if len(data) > limit:
        raise UnusableInput(_too_big(len(data), limit), where)
    return data


def read_stream(stream, name: str) -> bytes:
    """All of a binary stream (standard input), at most `max_bytes()`; UnusableInput past that."""
    limit = max_bytes()
    try:
        data = stream.read(limit + 1)
    except OSError as exc:
        raise UnusableInput(f"cannot read: {exc.strerror}", Location(name)) from None
    if len(data) > limit:
        raise UnusableInput(_too_big(len(data), limit), Location(name))
    return data


MAX_BYTES = 256 * 1024 * 1024  # the largest notebooks seen (outputs embedded) are a few tens of MB
MAX_BYTES_ENV = "NB2PROD_MAX_BYTES"


def max_bytes() -> int:
    """The largest file read: NB2PROD_MAX_BYTES when set to a positive whole number, else 256 MiB."""
    value = os.environ.get(MAX_BYTES_ENV, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    if value:
        raise UnusableInput(f"{MAX_BYTES_ENV}={value!r} is not a positive number of bytes")
    return MAX_BYTES


def _too_big(size: int, limit: int) -> str:
    return f"file is {size:,} bytes, over the {limit:,}-byte limit (set {MAX_BYTES_ENV} to raise it)"


def _unreadable(path: str, exc: OSError) -> str:
    """What an open() failure means, in the words of the file system."""
    if exc.errno == errno.ENOENT:
        return "no such file" if not os.path.islink(path) else "broken symlink (its target does not exist)"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode):
        return _not_regular(mode)
    return f"cannot read: {exc.strerror}"


_KINDS = ((stat.S_ISDIR, "is a directory, not a notebook"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _not_regular(mode: int) -> str:
    for test, what in _KINDS:
        if test(mode):
            return what if test is stat.S_ISDIR else f"not a regular file: {what}"
    return "not a regular file"
