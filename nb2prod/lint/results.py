"""What linting files gave, as data: one FileResult per file, a LintReport for a run; and both as
plain tuples for the cache and the pipe from a worker process (marshal stores those as they are)."""

from __future__ import annotations

from typing import Optional, Tuple

from nb2prod.frozen import frozen
from nb2prod.model import Finding, Location


@frozen
class FileResult:
    """What linting one file gave: findings, or the one-line reason it could not be read."""

    path: str
    findings: Tuple[Finding, ...] = ()
    error: Optional[str] = None  # `path: message` for unusable input
    fixed: int = 0
    diff: Tuple[str, ...] = ()
    skipped: Optional[str] = None  # why a notebook was not linted: its language is not Python
    notes: Tuple[str, ...] = ()  # one line each: what --fix did not do, and why


@frozen
class LintReport:
    """Results for every file, in path order; the exit status is computed here only."""

    files: Tuple[FileResult, ...]

    @property
    def findings(self) -> Tuple[Finding, ...]:
        return tuple(f for r in self.files for f in r.findings)

    @property
    def exit_code(self) -> int:
        if any(r.error for r in self.files):
            return 2
        return 1 if self.findings or any(r.diff or r.notes for r in self.files) else 0


def to_payload(result: FileResult) -> tuple:
    """Findings as plain tuples for the cache (marshal stores those as they are)."""
    return tuple(
        (
            f.code,
            f.message,
            f.severity,
            f.fixable,
            f.end_line,
            f.location.cell,
            f.location.line,
            f.location.col,
            None if f.location.path == result.path else f.location.path,
        )
        for f in result.findings
    )


def from_payload(path: str, payload: Optional[tuple]) -> Optional[FileResult]:
    """The FileResult a cache entry stands for; None for no entry or one of an unexpected shape."""
    if payload is None:
        return None
    try:
        findings = tuple(
            Finding(Location(where or path, cell, line, col), code, message, severity, fixable, end)
            for code, message, severity, fixable, end, cell, line, col, where in payload
        )
    except (TypeError, ValueError):
        return None
    return FileResult(path, findings)


def encode(result: FileResult) -> tuple:
    """A FileResult as plain values, for the pipe from a worker process."""
    return (result.path, to_payload(result), result.error, result.fixed, result.diff, result.skipped, result.notes)


def decode(values: tuple) -> FileResult:
    path, payload, error, fixed, diff, skipped, notes = values
    return FileResult(path, from_payload(path, payload).findings, error, fixed, diff, skipped, notes)
