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
import enum
import json
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from json.decoder import scanstring
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from nb2prod.model import Finding, Notebook, ParsedCell

_SPACE = re.compile(r"\s*")
_LITERAL = re.compile(r"-?[0-9][0-9.eE+-]*|true|false|null")
_LINE = re.compile(r"[^\n]*\n|[^\n]+")
# Between two statements of one logical line: one `;`, blanks and `\` line continuations.
_JOIN = re.compile(r"(?:[ \t\f]|\\\r?\n)*;(?:[ \t\f]|\\\r?\n)*")
# After a statement that ends its logical line: an optional `;`, then at most a comment.
_TAIL = re.compile(r"[ \t\f]*(?:;[ \t\f]*)?(?:#[^\n]*)?\r?")
_BARE_CR = re.compile(r"\r(?!\n)")


@dataclass(frozen=True)
class FixPlan:
    """What --fix does to one file: the new source of each changed cell, the findings that removes,
    and the fixable findings it leaves alone with the reason."""

    sources: Dict[int, str]  # cell index -> its fixed source
    fixed: Tuple[Finding, ...] = ()
    refused: Tuple[Tuple[Finding, str], ...] = ()


class Written(enum.Enum):
    """What write_back did; the values are the one-line messages for the files it did not write."""

    WRITTEN = "fixed"
    SAME = "unchanged"
    CHANGED = "changed while fixing, nothing written"
    READ_ONLY = "read-only, not fixed"


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
        from nb2prod.notebook.ipython import mask

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
    from nb2prod.notebook.load import load_script

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


def replace_sources(text: str, sources: Dict[int, str]) -> str:
    """Notebook JSON text with the `source` of the given cells (1-based, all cells) replaced."""
    ascii_only = "\\u" in text and all(ord(ch) < 128 for ch in text)
    pieces, last = [], 0
    for index, (start, end) in enumerate(_source_spans(text), 1):
        if index in sources:
            pieces += [text[last:start], _render(text, start, end, sources[index], ascii_only)]
            last = end
    pieces.append(text[last:])
    new = "".join(pieces)
    _check(new, sources)
    return new


def _check(new: str, sources: Dict[int, str]) -> None:
    """The edited text must still be JSON whose cells hold exactly the new sources."""
    from nb2prod.notebook.load import load_notebook_text

    nb = load_notebook_text("<fixed>", new)
    for cell in nb.cells:
        if cell.index in sources and cell.source != sources[cell.index]:
            raise ValueError(f"fix of cell {cell.index} did not round-trip")


def _render(text: str, start: int, end: int, source: str, ascii_only: bool) -> str:
    old = text[start:end]
    lines = _LINE.findall(source)
    dump = [json.dumps(line, ensure_ascii=ascii_only) for line in lines]
    if not old.startswith("["):
        return json.dumps(source, ensure_ascii=ascii_only)
    if not dump:
        return "[]"
    if "\n" not in old:
        return "[" + ", ".join(dump) + "]"
    line_start = text.rfind("\n", 0, start) + 1
    base = re.match(r"[ \t]*", text[line_start:]).group(0)
    m = re.match(r"\[\s*\n([ \t]*)", old)
    inner = m.group(1) if m and old.strip() != "[]" else base + " "
    closing = re.search(r"\n([ \t]*)\]$", old)
    close = closing.group(1) if closing else base
    return "[\n" + ",\n".join(inner + d for d in dump) + "\n" + close + "]"


def _source_spans(text: str) -> Iterator[Tuple[int, int]]:
    """(start, end) of every cell's source value, in cell order (nbformat 4 and 3)."""
    top = dict(_members(text, _skip(text, 0)))
    if "cells" in top:
        for cell in _elements(text, top["cells"][0]):
            yield _cell_source(text, cell[0], "source")
    elif "worksheets" in top:
        for sheet in _elements(text, top["worksheets"][0]):
            cells = dict(_members(text, sheet[0])).get("cells")
            for cell in _elements(text, cells[0]) if cells else ():
                members = dict(_members(text, cell[0]))
                key = "input" if "input" in members else "source"
                yield members.get(key, (cell[1] - 1, cell[1] - 1))


def _cell_source(text: str, start: int, key: str) -> Tuple[int, int]:
    members = dict(_members(text, start))
    return members.get(key, (start, start))


def _skip(text: str, i: int) -> int:
    return _SPACE.match(text, i).end()


def _value_end(text: str, i: int) -> int:
    ch = text[i]
    if ch == '"':
        return scanstring(text, i + 1)[1]
    if ch == "{":
        end = i + 1
        for _, (_, end) in _members(text, i):  # noqa: B007 - the last member's end is wanted
            pass
        return _skip(text, end) + 1
    if ch == "[":
        end = i + 1
        for _, end in _elements(text, i):  # noqa: B007 - the last element's end is wanted
            pass
        return _skip(text, end) + 1
    m = _LITERAL.match(text, i)
    if not m:
        raise ValueError(f"unexpected JSON at offset {i}")
    return m.end()


def _members(text: str, i: int) -> Iterator[Tuple[str, Tuple[int, int]]]:
    """(key, (value start, value end)) of the object starting at `i`."""
    i = _skip(text, i + 1)
    while text[i] != "}":
        key, i = scanstring(text, i + 1)
        i = _skip(text, _skip(text, i) + 1)  # the colon
        end = _value_end(text, i)
        yield key, (i, end)
        i = _skip(text, end)
        if text[i] == ",":
            i = _skip(text, i + 1)


def _elements(text: str, i: int) -> Iterator[Tuple[int, int]]:
    i = _skip(text, i + 1)
    while text[i] != "]":
        end = _value_end(text, i)
        yield i, end
        i = _skip(text, end)
        if text[i] == ",":
            i = _skip(text, i + 1)


# -- writing back -------------------------------------------------------------------------------

def encode(text: str, encoding: str, old: bytes) -> bytes:
    """`text` in the encoding it was read with (UTF-8, or a script's declared one), keeping a byte-order mark."""
    new = text.encode("utf-8" if encoding == "utf-8-sig" else encoding)
    return b"\xef\xbb\xbf" + new if old.startswith(b"\xef\xbb\xbf") else new


def write_back(path: str, old: bytes, new: bytes) -> Written:
    """Write `new` over the file at `path` only if it still holds `old`, the bytes the fix was computed from.

    - A symlink is followed: its target is fixed and the link stays a link.
    - A file with other hard links is rewritten in place (truncate and write, like black and ruff), so
      every name keeps seeing one file; a crash mid-write could truncate it. Any other file is replaced
      atomically (a temporary file beside it, then os.replace), keeping its permission bits.
    - A read-only file (no write bit, or not writable by this user) is left alone: READ_ONLY.
    - When the bytes on disk (or their inode, size or mtime) differ from `old` right before the write,
      someone saved it while we were fixing: nothing is written, CHANGED.
    OSError from the file system is raised.
    """
    if new == old:
        return Written.SAME
    target = os.path.realpath(path)
    st = os.stat(target)
    if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
        return Written.READ_ONLY
    if st.st_nlink > 1:
        return _write_in_place(target, old, new, st)
    fd, tmp = tempfile.mkstemp(prefix=".nb2prod-", suffix=".tmp", dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(new)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        if not _holds(target, old, st):
            os.unlink(tmp)
            return Written.CHANGED
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return Written.WRITTEN


def _identity(st: os.stat_result) -> tuple:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _holds(target: str, old: bytes, st: os.stat_result) -> bool:
    """Whether `target` is still the file we read: same identity and the same bytes."""
    try:
        with open(target, "rb") as f:
            return _identity(os.fstat(f.fileno())) == _identity(st) and f.read() == old
    except FileNotFoundError:
        return False


def _write_in_place(target: str, old: bytes, new: bytes, st: os.stat_result) -> Written:
    with open(target, "r+b") as f:
        if _identity(os.fstat(f.fileno())) != _identity(st) or f.read() != old:
            return Written.CHANGED
        try:
            f.seek(0)
            f.write(new)
            f.truncate()
            f.flush()
            os.fsync(f.fileno())
        except OSError:
            f.seek(0)  # put the bytes we read back before reporting the failure
            f.write(old)
            f.truncate()
            raise
    return Written.WRITTEN


def diff(nb: Notebook, new_nb: Notebook, old_text: str, new_text: str) -> List[str]:
    """Unified diff of the changed cells' sources (of the whole file for scripts)."""
    import difflib

    if nb.is_script:
        return list(difflib.unified_diff(_lines(old_text), _lines(new_text), nb.path, nb.path))
    out: List[str] = []
    for a, b in zip(nb.cells, new_nb.cells):
        if a.source != b.source:
            label = f"{nb.path}:cell {a.index}"
            out += difflib.unified_diff(_lines(a.source), _lines(b.source), label, label)
    return out


def _lines(text: str) -> List[str]:
    return [line if line.endswith("\n") else line + "\n" for line in _LINE.findall(text)]
