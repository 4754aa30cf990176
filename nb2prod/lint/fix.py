"""`lint --fix`: remove the statements of fixable findings, token-exact, and write the file back safely.

Removal is statement-exact: the flagged statement's own text goes, the rest of its line stays
(`a = 5; df.head()` keeps `a = 5`, a `\\` continuation keeps its second line). A finding whose
removal is not clean (it would leave a dangling `\\`, touch a masked IPython line, empty a block
body, or change how the remaining code parses) is not fixed, and the plan says why. Like nbQA,
only the `source` values of changed cells are rewritten in the raw JSON text; every other byte
(indentation, key order, outputs, metadata) stays as it was.
"""

from __future__ import annotations

import ast
import re
import warnings
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from nb2prod.frozen import frozen
from nb2prod.lint.jsontext import replace_sources
from nb2prod.model import Finding, Notebook, ParsedCell
from nb2prod.notebook.ipython import mask
from nb2prod.notebook.load import load_script

_LINE = re.compile(r"[^\n]*\n|[^\n]+")
# Between two statements of one logical line: one `;`, blanks and `\` line continuations.
_JOIN = re.compile(r"(?:[ \t\f]|\\\r?\n)*;(?:[ \t\f]|\\\r?\n)*")
# After a statement that ends its logical line: an optional `;`, then at most a comment.
_TAIL = re.compile(r"[ \t\f]*(?:;[ \t\f]*)?(?:#[^\n]*)?\r?")
_BARE_CR = re.compile(r"\r(?!\n)")


@frozen
class FixPlan:
    """What --fix does to one file: the new source of each changed cell, the findings that removes,
    and the fixable findings it leaves alone with the reason."""

    sources: Dict[int, str]  # cell index -> its fixed source
    fixed: Tuple[Finding, ...] = ()
    refused: Tuple[Tuple[Finding, str], ...] = ()


class _Unit(NamedTuple):
    """One removal: the findings it fixes, the characters of the original source it takes, the statements it removes."""

    findings: List[Finding]
    span: Tuple[int, int]
    statements: frozenset


class _Refused(Exception):
    """A removal that is not clean; the message says why (it follows `not fixed: `)."""


# -- planning: which characters of which cells go ----------------------------------------------

def plan(nb: Notebook, cells: Sequence[ParsedCell], findings: Sequence[Finding]) -> FixPlan:
    """The removals for the fixable findings, per cell; pure (no IO)."""
    wanted: Dict[int, List[Finding]] = {}
    refused: List[Tuple[Finding, str]] = []
    by_index = {pc.cell.index: pc for pc in cells}
    for f in findings:
        if not (f.fixable and f.location.line and f.end_line):
            continue
        pc = _cell_of(nb, cells, by_index, f)
        if pc is None:
            refused.append((f, "its cell does not parse"))
        else:
            wanted.setdefault(pc.cell.index, []).append(f)
    sources: Dict[int, str] = {}
    fixed: List[Finding] = []
    for index, found in wanted.items():
        source, done, not_done = _plan_cell(by_index[index], found, nb.is_script)
        if source is not None:
            sources[index] = source
        fixed += done
        refused += not_done
    return FixPlan(sources, tuple(fixed), tuple(refused))


def _cell_of(nb: Notebook, cells, by_index, f: Finding) -> Optional[ParsedCell]:
    if not nb.is_script:
        return by_index.get(f.location.cell)
    for pc in cells:  # script findings count lines over the whole file
        if pc.cell.offset < f.location.line <= pc.cell.offset + pc.cell.source.count("\n") + 1:
            return pc
    return None


def _plan_cell(pc: ParsedCell, found: List[Finding], script: bool):
    """(new source or None, findings fixed, [(finding, reason)]) for one cell."""
    try:
        text = _Text(pc)
    except _Refused as exc:
        return None, [], [(f, str(exc)) for f in found]
    units: List[_Unit] = []
    refused: List[Tuple[Finding, str]] = []
    shift = pc.cell.offset if script else 0
    spans, statements = [], {}
    for f in found:
        try:
            target = _target(pc, f, shift)
        except _Refused as exc:
            refused.append((f, str(exc)))
            continue
        if isinstance(target, int):
            statements.setdefault(target, []).append(f)
        else:
            spans.append((f, target))
    for f, (first, last, inside) in spans:
        units.append(_Unit([f], text.lines(first, last), inside))
    in_spans = frozenset().union(*(u.statements for u in units))
    for k in set(statements) & in_spans:  # a flagged statement inside a span another finding removes
        next(u for u in units if k in u.statements).findings.extend(statements[k])
    for run in _runs(text, sorted(set(statements) - in_spans)):
        fs = [f for k in run for f in statements[k]]
        try:
            units.append(_Unit(fs, text.run(run[0], run[-1]), frozenset(run)))
        except _Refused as exc:
            refused += [(f, str(exc)) for f in fs]
    source, kept, dropped = _settle(text, units)
    refused += [(f, "removing it would change how the code around it parses") for u in dropped for f in u.findings]
    return source, [f for u in kept for f in u.findings], refused


def _target(pc: ParsedCell, f: Finding, shift: int):
    """The statement position a finding removes, or (first line, last line, statements inside) for a span."""
    line, end, col = f.location.line - shift, f.end_line - shift, (f.location.col or 1) - 1
    sts = pc.statements
    for k, st in enumerate(sts):
        if (st.line, st.col, st.end_line) == (line, col, end):
            return k
    inside = frozenset(k for k, st in enumerate(sts) if line <= st.line and st.end_line <= end)
    for k, st in enumerate(sts):
        if k not in inside and st.line <= end and st.end_line >= line:
            if st.line < line and st.end_line >= end and hasattr(st.node, "body"):
                raise _Refused("removing it would leave an empty block body")
            raise _Refused("it does not cover whole statements")
    return line, end, inside


def _runs(text: "_Text", positions: List[int]) -> List[List[int]]:
    """Removed statements grouped into runs that follow each other on one logical line (`a; b`)."""
    runs: List[List[int]] = []
    for k in positions:
        if runs and runs[-1][-1] == k - 1 and text.joined(k - 1, k):
            runs[-1].append(k)
        else:
            runs.append([k])
    return runs


def _settle(text: "_Text", units: List[_Unit]):
    """(new source, units applied, units not): all units when the result keeps every other
    statement's AST, else the units that pass alone (none when even those fail together)."""
    if units and text.keeps(units):
        return text.without(units), units, []
    alone = [u for u in units if len(units) > 1 and text.keeps([u])]
    if alone and text.keeps(alone):
        return text.without(alone), alone, [u for u in units if u not in alone]
    return None, [], units


class _Text:
    """A code cell's source and its masked Python, line for line, with AST positions mapped onto both."""

    def __init__(self, pc: ParsedCell):
        self.pc, self.source, self.python = pc, pc.cell.source, pc.python
        if _BARE_CR.search(self.source):
            raise _Refused("its cell has carriage returns without line feeds")
        self.mlines, olines = self.python.split("\n"), self.source.split("\n")
        if len(olines) != len(self.mlines):
            raise _Refused("its cell could not be mapped line for line")
        self.mstart, self.ostart = _starts(self.mlines), _starts(olines)
        self.shift = [_shift(o, m) for o, m in zip(olines, self.mlines)]  # masked column -> original; None: IPython

    def _col(self, line: int, col: int) -> int:
        """An AST column (UTF-8 bytes) as characters."""
        text = self.mlines[line - 1]
        return col if text.isascii() else len(text.encode("utf-8", "surrogatepass")[:col].decode("utf-8", "ignore"))

    def start(self, k: int) -> Tuple[int, int]:
        node = self.pc.statements[k].node
        return node.lineno, self._col(node.lineno, node.col_offset)

    def end(self, k: int) -> Tuple[int, int]:
        node = self.pc.statements[k].node
        return node.end_lineno, self._col(node.end_lineno, node.end_col_offset)

    def masked(self, a: Tuple[int, int], b: Tuple[int, int]) -> str:
        return self.python[self.mstart[a[0] - 1] + a[1]: self.mstart[b[0] - 1] + b[1]]

    def joined(self, a: int, b: int) -> bool:
        return _JOIN.fullmatch(self.masked(self.end(a), self.start(b))) is not None

    def orig(self, at: Tuple[int, int], lines: range) -> int:
        """A masked (line, column) as an offset in the original source; refused across masked IPython lines."""
        if any(self.shift[n - 1] is None for n in lines):
            raise _Refused("it shares a line with IPython syntax")
        return self.ostart[at[0] - 1] + at[1] + self.shift[at[0] - 1]

    def lines(self, first: int, last: int) -> Tuple[int, int]:
        """The original source's whole lines first..last, line breaks included."""
        for m in self.pc.magics:  # a masked IPython line goes whole: all of its physical lines
            if m.line <= last <= m.line + m.text.count("\n"):
                last = m.line + m.text.count("\n")
        end = self.ostart[last] if last < len(self.ostart) else len(self.source)
        return self.ostart[first - 1], end

    def run(self, i: int, j: int) -> Tuple[int, int]:
        """The characters removing statements i..j (one logical line's worth) takes away."""
        n = len(self.pc.statements)
        if j + 1 < n and self.joined(j, j + 1):  # `df.head(); x = 1` -> `x = 1`
            a, b = self.start(i), self.start(j + 1)
            return self.orig(a, range(a[0], b[0] + 1)), self.orig(b, range(b[0], b[0] + 1))
        if i > 0 and self.joined(i - 1, i):  # `x = 1; df.head()` -> `x = 1`
            a, b = self.end(i - 1), self.end(j)
            return self.orig(a, range(a[0], b[0] + 1)), self.orig(b, range(b[0], b[0] + 1))
        (first, col), (last, end) = self.start(i), self.end(j)
        if self.mlines[first - 1][:col].strip(" \t\f") or not _TAIL.fullmatch(self.mlines[last - 1][end:]):
            raise _Refused("its line continues with `\\` into code that would be left dangling")
        return self.lines(first, last)

    def without(self, units: Sequence[_Unit]) -> str:
        """The source with the units' characters taken out."""
        pieces, last = [], 0
        for a, b in sorted(u.span for u in units):
            if b > last:
                pieces.append(self.source[last:max(a, last)])
                last = b
        out = "".join(pieces) + self.source[last:]
        if out.endswith("\n") and not self.source.endswith("\n"):  # the cell keeps ending without a line break
            out = out[:-2] if out.endswith("\r\n") else out[:-1]
        return out

    def keeps(self, units) -> bool:
        """Whether removing `units` leaves exactly the other statements (ast.dump, positions aside)."""
        removed = frozenset().union(*(u.statements for u in units))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                tree = ast.parse(mask(self.without(units))[0])
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                return False
        kept = [st.node for k, st in enumerate(self.pc.statements) if k not in removed]
        return len(tree.body) == len(kept) and all(ast.dump(a) == ast.dump(b) for a, b in zip(tree.body, kept))


def _starts(lines: List[str]) -> List[int]:
    out, at = [], 0
    for line in lines:
        out.append(at)
        at += len(line) + 1
    return out


def _shift(original: str, masked: str) -> Optional[int]:
    """How far `masked` (IPython's leading-indent removal) sits right of `original`; None when masked."""
    if not original.endswith(masked) or original[:len(original) - len(masked)].strip(" \t\f"):
        return None
    if not masked and original.strip():
        return None
    return len(original) - len(masked)


# -- applying: the file's new text --------------------------------------------------------------

def apply(nb: Notebook, text: str, sources: Dict[int, str]) -> str:
    """The file text with the given cells' sources replaced (JSON write-back, or the script's lines)."""
    if not nb.is_script:
        return replace_sources(text, sources)

    starts = [0]
    for line in text.splitlines(keepends=True):  # the lines load_script counts a cell's offset in
        starts.append(starts[-1] + len(line))
    pieces, last = [], 0
    for cell in nb.cells:
        if cell.index in sources:
            a = starts[cell.offset]
            if text[a:a + len(cell.source)] != cell.source:
                raise ValueError(f"cell {cell.index} not found in the file")
            pieces += [text[last:a], sources[cell.index]]
            last = a + len(cell.source)
    new = "".join(pieces) + text[last:]
    cells = load_script(nb.path, new).cells
    if len(cells) != len(nb.cells) or any(cells[i - 1].source != s for i, s in sources.items()):
        raise ValueError("the fixed script's cells did not round-trip")
    return new


def diff(nb: Notebook, new_nb: Notebook, old_text: str, new_text: str) -> List[str]:
    """Unified diff of the changed cells' sources, as ruff shows a notebook's; for a script, of the whole file,
    which `patch -p0` applies (unidiff)."""
    import difflib

    from nb2prod.unidiff import unified

    if nb.is_script:
        return [line + "\n" for line in unified(old_text, new_text, nb.path)]
    out: List[str] = []
    for a, b in zip(nb.cells, new_nb.cells):
        if a.source != b.source:
            label = f"{nb.path}:cell {a.index}"
            out += difflib.unified_diff(_lines(a.source), _lines(b.source), label, label)
    return out


def _lines(text: str) -> List[str]:
    return [line if line.endswith("\n") else line + "\n" for line in _LINE.findall(text)]
