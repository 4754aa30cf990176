"""Lint findings as text: `path:cell N:line:col: CODE message`, sorted, then one summary line."""

from __future__ import annotations

from collections import Counter
from typing import Callable, List, Optional, Tuple


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _plain(text: str, **_) -> str:
    return text


def lines(report, style: Optional[Callable[..., str]] = None, quiet: bool = False) -> List[str]:
    """Diff hunks (with --diff), then the findings, then the summary (not when `quiet`); `style(text, fg=...)`
    colours the location and the code (click.style when colour is wanted)."""
    style = style or _plain
    out: List[str] = [line.rstrip("\n") for r in report.files for line in r.diff]
    out += [f"{style(str(f.location), bold=True)}: {style(f.code, fg='red' if f.severity == 'error' else 'yellow', bold=True)}"
            f" {f.message}" for f in report.findings]
    if not quiet:
        out.append(summary(report))
    return out


def statistics(report) -> List[Tuple[str, str, int, bool]]:
    """(code, rule name, findings, any fixable) per rule code that has findings, most frequent first."""
    from nb2prod.rules import BY_CODE  # heavy: every rule module, which a cache-served lint never loads

    counts = Counter(f.code for f in report.findings)
    fixable = {f.code for f in report.findings if f.fixable}
    return [(code, BY_CODE[code].name if code in BY_CODE else "", n, code in fixable)
            for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def statistics_lines(report) -> List[str]:
    """`--statistics`, as ruff prints it: count, code, [*] when fixable, rule name."""
    rows = statistics(report)
    width = max((len(str(n)) for _, _, n, _ in rows), default=1)
    return [f"{n:>{width}}\t{code}\t{'[*]' if fix else '[ ]'} {name}".rstrip() for code, name, n, fix in rows]


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
