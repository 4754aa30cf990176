"""Lint findings as text: `path:cell N:line:col: CODE message`, sorted, then one summary line."""

from __future__ import annotations

from typing import List


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def lines(report) -> List[str]:
    """Diff hunks (with --diff), then the findings, then the summary."""
    out: List[str] = [line.rstrip("\n") for r in report.files for line in r.diff]
    out += [f"{f.location}: {f.code} {f.message}" for f in report.findings]
    out.append(summary(report))
    return out


def errors(report) -> List[str]:
    """One line per file that could not be linted, then what --fix did not do and why."""
    return [f"nb2prod: {r.error}" for r in report.files if r.error] + [
        f"nb2prod: {note}" for r in report.files for note in r.notes]


def summary(report) -> str:
    findings = report.findings
    linted = sum(1 for r in report.files if not (r.error or r.skipped))
    parts = []
    fixed = sum(r.fixed for r in report.files)
    if fixed:
        parts.append(f"Fixed {_plural(fixed, 'finding')} in {_plural(sum(1 for r in report.files if r.fixed), 'file')}.")
    if any(r.diff for r in report.files):
        would = sum(1 for r in report.files if r.diff)
        parts.append(f"Would fix {_plural(would, 'file')} (run with --fix to apply).")
    if findings:
        errs = sum(1 for f in findings if f.severity == "error")
        fixable = sum(1 for f in findings if f.fixable)
        files = len({f.location.path for f in findings})
        text = (f"Found {_plural(len(findings), 'finding')} ({_plural(errs, 'error')}, "
                f"{_plural(len(findings) - errs, 'warning')}) in {_plural(files, 'file')} of {linted} linted")
        parts.append(text + (f"; {fixable} fixable with --fix." if fixable else "."))
    elif not parts and linted:
        parts.append(f"All checks passed: {_plural(linted, 'file')} linted.")
    elif not parts:
        parts.append("No files linted.")
    unusable = sum(1 for r in report.files if r.error)
    if unusable:
        parts.append(f"{_plural(unusable, 'file')} could not be linted.")
    skipped = sum(1 for r in report.files if r.skipped)
    if skipped:
        parts.append(f"Skipped {_plural(skipped, 'non-Python notebook')}.")
    return " ".join(parts)
