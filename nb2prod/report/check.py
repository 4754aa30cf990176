"""Text and GitHub-annotation output for `nb2prod check`."""

from __future__ import annotations

from typing import Callable, List, Optional

from nb2prod.report.github import _escape, annotation

WHY = {
    "stale": "is out of date with its notebook",
    "missing": "is missing",
    "edited": "was edited by hand and differs from what its notebook gives",
}


def render(report, fmt: str = "text", style: Optional[Callable[..., str]] = None, quiet: bool = False) -> List[str]:
    """All output lines; `style(text, fg=...)` colours diff lines (click.style on a terminal); `quiet` leaves
    out the summary line."""
    if fmt == "github":
        return github_lines(report)
    out = text_lines(report, style or (lambda text, **_: text))
    return out[:-1] if quiet else out


def text_lines(report, style) -> List[str]:
    out: List[str] = []
    current = stale = 0
    for group in report.groups:
        out.extend(f"nb2prod: {line}" for e in group.errors for line in str(e).splitlines())
        out.extend(_finding(f) for f in group.lint_errors)
        current += len(group.files) - len(group.stale)
        for f in group.stale:
            stale += 1
            out.append(f"{f.path} {WHY[f.status]}")
            out.extend(_coloured(line, style) for line in f.diff)
        if group.stale:
            out.append(f"to update: {group.command}")
    lint = sum(len(g.lint_errors) for g in report.groups)
    summary = f"{current} generated file{'s' if current != 1 else ''} current, {stale} stale"
    if lint:
        summary += f", {lint} error-level lint finding{'s' if lint != 1 else ''}"
    out.append(summary)
    return out


def _finding(f) -> str:
    return f"{f.location}: {f.code} {f.message}"


def _coloured(line: str, style) -> str:
    if line.startswith(("+++", "---")):
        return style(line, bold=True)
    if line.startswith("+"):
        return style(line, fg="green")
    if line.startswith("-"):
        return style(line, fg="red")
    if line.startswith("@@"):
        return style(line, fg="cyan")
    return line


def github_lines(report) -> List[str]:
    """`::error` workflow commands: one per stale file (at its first differing line), lint error, or failure."""
    out: List[str] = []
    for group in report.groups:
        for e in group.errors:
            path = e.location.path if e.location else group.output
            out.append(f"::error file={_escape(path, True)},title=nb2prod check::{_escape(e.message)}")
        out.extend(annotation(f, "error", f.code) for f in group.lint_errors)
        for f in group.stale:
            message = f"{f.path} {WHY[f.status]}; run: {group.command}"
            out.append(f"::error file={_escape(f.path, True)},line={f.first_line},"
                       f"title=nb2prod check::{_escape(message)}")
    return out
