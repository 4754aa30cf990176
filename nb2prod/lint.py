"""One walk over a parsed notebook, dispatching nodes to the rules that subscribe to them.

`lint_parsed` is pure (no IO): convert calls it too, so both commands share one set of detectors.
Then `# noqa`, the `nb2prod:keep` cell tag and select/ignore prefixes filter the findings.
"""

from __future__ import annotations

import ast
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from nb2prod.errors import CodeProblem
from nb2prod.model import Finding, Notebook, ParsedCell
from nb2prod.parse import parse_cell
from nb2prod.rules import RULES
from nb2prod.rules._base import Context, Rule
from nb2prod.rules._facts import Facts

KEEP_TAG = "nb2prod:keep"
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*))?", re.IGNORECASE)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _dispatch(rules: Sequence[Rule]) -> Dict[type, Tuple[Rule, ...]]:
    table: Dict[type, List[Rule]] = {}
    for r in rules:
        for kind in r.nodes:
            table.setdefault(kind, []).append(r)
    return {k: tuple(v) for k, v in table.items()}


def active_rules(select: Optional[Iterable[str]] = None, ignore: Optional[Iterable[str]] = None) -> Tuple[Rule, ...]:
    """The registered rules that `select`/`ignore` prefixes leave on (the longer matching prefix wins)."""
    return tuple(r for r in RULES if selected(r.code, select, ignore))


def selected(code: str, select: Optional[Iterable[str]], ignore: Optional[Iterable[str]]) -> bool:
    chosen = max((len(p) for p in (select or ("NB",)) if code.startswith(p.upper())), default=-1)
    dropped = max((len(p) for p in (ignore or ()) if code.startswith(p.upper())), default=-1)
    return chosen > dropped


def lint_parsed(nb: Notebook, cells: Tuple[ParsedCell, ...], select=None, ignore=None) -> List[Finding]:
    """All findings for a parsed notebook, sorted; code cells missing from `cells` are syntax errors."""
    rules = active_rules(select, ignore)
    table = _dispatch(rules)
    parsed = {pc.cell.index for pc in cells}
    broken = [c for c in nb.code_cells if c.index not in parsed]
    findings: List[Finding] = []
    ctx = Context(nb, cells, Facts(cells, tuple(broken)))
    for pc in cells:
        ctx.cell, ctx.statement = pc, None
        findings += _run(table, pc, ctx)
        for magic in pc.magics:
            findings += _run(table, magic, ctx)
        for st in pc.statements:
            ctx.statement = st
            _walk(table, st.node, ctx, 0, False, findings)
    ctx.cell = ctx.statement = None
    findings += _run(table, nb, ctx)
    return sorted(_filter(nb, _nested(findings)), key=Finding.sort_key)


def _run(table, obj, ctx: Context) -> List[Finding]:
    out: List[Finding] = []
    for r in table.get(type(obj), ()):
        out.extend(r.check(r, obj, ctx))
    return out


def _walk(table, node: ast.AST, ctx: Context, depth: int, in_function: bool, out: List[Finding]) -> None:
    rules = table.get(type(node))
    if rules:
        ctx.depth, ctx.in_function = depth, in_function
        for r in rules:
            out.extend(r.check(r, node, ctx))
    inner = in_function or isinstance(node, _SCOPES)
    for child in ast.iter_child_nodes(node):
        _walk(table, child, ctx, depth + 1, inner, out)


def _nested(findings: List[Finding]) -> List[Finding]:
    """Drop exploration findings inside a statement that a fixable exploration finding already covers."""
    spans = [(f.location.cell, f.location.line, f.end_line) for f in findings
             if f.fixable and f.code.startswith("NB1") and f.end_line]
    if not spans:
        return findings

    def covered(f: Finding) -> bool:
        loc = f.location
        return f.code.startswith("NB1") and not f.fixable and any(
            c == loc.cell and a <= (loc.line or 0) <= b for c, a, b in spans)

    return [f for f in findings if not covered(f)]


def _filter(nb: Notebook, findings: List[Finding]) -> List[Finding]:
    """Apply `# noqa` comments and the keep tag."""
    if not findings:
        return findings
    cells = {c.index: c for c in nb.cells}
    lines = _script_lines(nb) if nb.is_script else None
    out = []
    for f in findings:
        loc = f.location
        if nb.is_script:
            source_lines, first = lines, loc.line or 1
            cell = _script_cell(nb, first)
        else:
            cell = cells.get(loc.cell)
            source_lines, first = (cell.source.split("\n") if cell else []), loc.line or 1
        if cell is not None and KEEP_TAG in cell.tags and f.code[:3] != "NB3":
            continue
        if not _noqa(source_lines, first, f.end_line or first, f.code):
            out.append(f)
    return out


def _script_lines(nb: Notebook) -> List[str]:
    lines: List[str] = []
    for c in nb.cells:
        lines += [""] * (c.offset - len(lines))
        lines += c.source.split("\n")
    return lines


def _script_cell(nb: Notebook, line: int):
    found = None
    for c in nb.cells:
        if c.offset < line:
            found = c
    return found


def _noqa(lines: List[str], first: int, last: int, code: str) -> bool:
    for text in lines[first - 1: last]:
        if "noqa" not in text.lower():
            continue
        m = _NOQA.search(text)
        if m and (not m.group("codes") or any(code.startswith(c.upper()) for c in re.split(r"[\s,]+", m.group("codes")))):
            return True
    return False


def parse_all(nb: Notebook) -> Tuple[ParsedCell, ...]:
    """Parse every code cell, leaving out the ones with a syntax error (lint_parsed reports those)."""
    out, counter = [], 0
    for cell in nb.code_cells:
        try:
            pc = parse_cell(nb.path, cell, counter)
        except CodeProblem:
            continue
        counter += len(pc.statements)
        out.append(pc)
    return tuple(out)


def lint_notebook(nb: Notebook, select=None, ignore=None) -> List[Finding]:
    """Parse and lint a loaded notebook."""
    return lint_parsed(nb, parse_all(nb), select, ignore)

