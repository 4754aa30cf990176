"""Lint one file: load it, lint it, and with --fix remove the fixable findings and write it back once."""

from __future__ import annotations

from typing import Dict, List, Tuple

from nb2prod.errors import NotPython, UnusableInput
from nb2prod.lint.engine import fix_key, lint_parsed, parse_all
from nb2prod.lint.results import FileResult
from nb2prod.model import Finding, Notebook
from nb2prod.notebook.files import read_stream
from nb2prod.notebook.load import load_bytes, load_notebook_text, load_script, read_bytes, source_encoding
from nb2prod.notebook.parse import deep_enough


@deep_enough
def lint_file(
    path: str, select=None, ignore=None, fix: bool = False, show_diff: bool = False, builtins=()
) -> FileResult:
    """Load and lint one file; with `fix`/`show_diff`, remove fixable findings and lint the result.

    The file is read once: the fix is computed from, and written back only over, those bytes.
    """
    try:
        data = read_bytes(path)
        nb = load_bytes(path, data)
    except NotPython as exc:  # api.lint decides: an error when named, skipped when found in a folder
        return FileResult(path, skipped=exc.message)
    except UnusableInput as exc:
        return FileResult(path, error=str(exc))
    cells = parse_all(nb)
    findings = lint_parsed(nb, cells, select, ignore, builtins)
    if not (fix or show_diff) or not any(f.fixable for f in findings):
        return FileResult(path, tuple(findings))
    return _fix(nb, data, cells, findings, (select, ignore, builtins), write=fix and not show_diff)


STDIN = "<stdin>"


def lint_stdin(stream, select=None, ignore=None, builtins=()) -> FileResult:
    """Lint what comes on standard input, named <stdin>: a notebook when it is a JSON object, else a script."""
    try:
        data = read_stream(stream, STDIN)
        nb = load_bytes(STDIN, data, notebook=data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"))
    except UnusableInput as exc:  # a non-Python notebook too: it was asked for by name
        return FileResult(STDIN, error=str(exc) if str(exc).startswith(STDIN) else f"{STDIN}: {exc}")
    return FileResult(STDIN, tuple(lint_parsed(nb, parse_all(nb), select, ignore, builtins)))


def _fix(nb: Notebook, data: bytes, cells, findings: List[Finding], settings: tuple, write: bool) -> FileResult:
    from nb2prod import write as writing  # only a fix writes: a plain lint never loads hashlib and the escapes
    from nb2prod.lint import fix as fixing  # only a fix or a diff needs it

    findings, plan, notes = _fix_plan(nb, cells, findings, settings)
    if not plan.sources:
        return FileResult(nb.path, tuple(findings), notes=notes)
    encoding = source_encoding(data) if nb.is_script else "utf-8-sig"  # written back the same way
    try:
        text = data.decode(encoding)
        new_text = fixing.apply(nb, text, plan.sources)
        new_nb = load_script(nb.path, new_text) if nb.is_script else load_notebook_text(nb.path, new_text)
    except Exception as exc:  # noqa: BLE001 - a fix that fails leaves the file alone
        return FileResult(nb.path, tuple(findings), error=f"{nb.path}: could not apply fixes ({exc})")
    if not write:
        return FileResult(nb.path, tuple(findings), diff=tuple(fixing.diff(nb, new_nb, text, new_text)), notes=notes)
    new_cells = parse_all(new_nb)
    remaining, _, new_notes = _fix_plan(new_nb, new_cells, lint_parsed(new_nb, new_cells, *settings), settings)
    try:
        written = writing.write_back(nb.path, data, writing.encode(new_text, encoding, data))
    except OSError as exc:
        return _unwritten(nb.path, findings, f"cannot write ({exc.strerror}), nothing written", notes)
    if written in (writing.Written.CHANGED, writing.Written.READ_ONLY):
        return _unwritten(nb.path, findings, written.value, notes)
    return FileResult(nb.path, tuple(remaining), fixed=len(plan.fixed), notes=new_notes)


def _unwritten(path: str, findings: List[Finding], why: str, notes: Tuple[str, ...]) -> FileResult:
    """The file is as it was, so are its findings; the first note says why nothing was written."""
    return FileResult(path, tuple(findings), notes=(f"{path}: {why}",) + notes)


def _fix_plan(nb: Notebook, cells, findings: List[Finding], settings: tuple):
    """(findings, fix plan, notes): a finding the fix cannot remove cleanly is made unfixable and the
    notebook linted again, so what it reads stays defined (`_needed` keeps those binders), until every
    fixable finding can be removed. Each note says why one finding was not fixed."""
    from nb2prod.lint import fix as fixing  # only a fix or a diff needs it

    reasons: Dict[tuple, str] = {}
    while True:
        plan = fixing.plan(nb, cells, findings)
        if not plan.refused:
            break
        reasons.update((fix_key(f), why) for f, why in plan.refused)
        findings = lint_parsed(nb, cells, *settings, unfixable=frozenset(reasons))
    notes = tuple(f"{f.location}: {f.code} not fixed: {reasons[fix_key(f)]}" for f in findings if fix_key(f) in reasons)
    return findings, plan, notes
