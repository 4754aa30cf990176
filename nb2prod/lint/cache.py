"""Lint results remembered between runs, like ruff's cache: one file per nb2prod build and Python.

An entry is found by the file's absolute path and rule selection and is used only when the file's
bytes hash the same. The cache lives in `.nb2prod_cache/` at the project root (the folder of the
nearest pyproject.toml above the current folder, else the current folder) or in
`$NB2PROD_CACHE_DIR`. An unreadable cache counts as empty; a cache that cannot be written is skipped.
"""

from __future__ import annotations

import marshal
import os
import sys
from hashlib import blake2b
from typing import Dict, Optional, Tuple

from nb2prod import __version__

FOLDER = ".nb2prod_cache"
ENV = "NB2PROD_CACHE_DIR"
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CODE_DIRS = tuple(os.path.join(_PACKAGE, d) for d in ("", "notebook", "analysis", "lint", "rules"))  # what findings depend on

Payload = tuple  # findings as plain tuples (see results.to_payload): marshal stores them as they are


def folder(start: Optional[str] = None) -> str:
    """Where the cache lives for a run started in `start` (default: the current folder)."""
    if os.environ.get(ENV):
        return os.environ[ENV]
    here = os.path.abspath(start or os.getcwd())
    probe = here
    while True:
        if os.path.isfile(os.path.join(probe, "pyproject.toml")):
            return os.path.join(probe, FOLDER)
        parent = os.path.dirname(probe)
        if parent == probe:
            return os.path.join(here, FOLDER)
        probe = parent


def build_key() -> str:
    """nb2prod's version, the Python version and every module's size and mtime: a code change starts afresh."""
    parts = [__version__, sys.version]
    for path in _CODE_DIRS:
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            if e.name.endswith(".py"):
                st = e.stat()
                parts.append(f"{e.name}:{st.st_size}:{st.st_mtime_ns}")
    return blake2b("\n".join(parts).encode(), digest_size=12).hexdigest()


def digest(data: bytes) -> bytes:
    return blake2b(data, digest_size=16).digest()


class Cache:
    """Entries of one cache file: (absolute path, select, ignore) -> (content digest, payload)."""

    def __init__(self, path: str):
        self.path = path
        self.entries: Dict[str, Tuple[bytes, Payload]] = _read(path)
        self.changed = False

    @classmethod
    def open(cls, start: Optional[str] = None) -> "Cache":
        return cls(os.path.join(folder(start), f"lint-{build_key()}.marshal"))

    @staticmethod
    def key(path: str, select, ignore, builtins=()) -> str:
        return (f"{os.path.abspath(path)}\0{','.join(select or ('*',))}\0{','.join(ignore or ())}"
                f"\0{','.join(builtins)}")

    def get(self, key: str, hashed: bytes) -> Optional[Payload]:
        """The stored payload when the file still has the bytes it had then (`hashed` = digest(bytes))."""
        entry = self.entries.get(key)
        if not isinstance(entry, tuple) or len(entry) != 2 or entry[0] != hashed:
            return None
        return entry[1]

    def put(self, key: str, hashed: bytes, payload: Payload) -> None:
        self.entries[key] = (hashed, payload)
        self.changed = True

    def save(self) -> None:
        """Write the entries atomically (temporary file, then rename); any OSError leaves the cache as it was."""
        if not self.changed:
            return
        where = os.path.dirname(self.path)
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            if not os.path.isfile(self.path):
                _prune(where)
            _make_folder(where)
            with open(tmp, "wb") as f:
                marshal.dump(self.entries, f)
            os.replace(tmp, self.path)
        except (OSError, ValueError):
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _read(path: str) -> Dict[str, Tuple[bytes, Payload]]:
    try:
        with open(path, "rb") as f:
            entries = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return entries if isinstance(entries, dict) else {}


def _prune(where: str, days: int = 7) -> None:
    """Delete cache files of other builds unused for `days` (each code change starts a new file)."""
    import time

    try:
        entries = list(os.scandir(where))
    except OSError:
        return
    for e in entries:
        if e.name.startswith("lint-") and e.stat().st_mtime < time.time() - days * 86400:
            os.unlink(e.path)


def _make_folder(where: str) -> None:
    """The cache folder, with a .gitignore of `*` and a CACHEDIR.TAG so that git and backups skip it."""
    if os.path.isdir(where):
        return
    os.makedirs(where, exist_ok=True)
    with open(os.path.join(where, ".gitignore"), "w", encoding="utf-8") as f:
        f.write("# Automatically created by nb2prod.\n*\n")
    with open(os.path.join(where, "CACHEDIR.TAG"), "w", encoding="utf-8") as f:
        f.write("Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by nb2prod.\n")
