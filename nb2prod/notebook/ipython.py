"""Mask IPython-only syntax (magics, `!cmd`, `x = !cmd`, `obj?`) so a cell parses as Python.

Line numbers are preserved: every masked line becomes exactly one line of Python, so a
finding on the masked source points at the same line of the original cell. IPython's own
input transformers are the reference for what counts as what.
"""

from __future__ import annotations

import ast
import re
from typing import List, Optional, Tuple

from nb2prod.model import Magic

# Magics whose argument is a Python statement that still runs (time it, profile it).
STATEMENT_MAGICS = {"time", "timeit", "prun", "capture"}
# Of those, the ones whose statement runs exactly once, so production code keeps it.
KEEPING_MAGICS = {"time", "capture"}
# Line magics that return the value of the expression they run: `x = %time f()` is `x = f()`.
VALUE_MAGICS = {"time"}
# Cell magics whose body is Python.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}

_MAGIC = re.compile(r"^(\s*)(%{1,2})([A-Za-z_][\w.]*)\s*(.*)$", re.DOTALL)
_ASSIGN = re.compile(r"^(\s*)([A-Za-z_][\w\s,.\[\]()*]*?)\s*=\s*([!%])\s*(.*)$", re.DOTALL)
_OPTS = re.compile(r"^(?:-[A-Za-z]+(?:\s+[\w.]+)?\s+)*")
_QUICK = re.compile(r"^\s*[%!?]|\?\s*$", re.MULTILINE)


def mask(source: str) -> Tuple[str, Tuple[Magic, ...]]:
    """Return (parseable Python with the same line count, the IPython syntax that was masked)."""
    if source[:1] in _BLANKS:
        source = _dedent(source)
    if not _QUICK.search(source) and "= !" not in source and "=!" not in source and not _magic_assign(source):
        return source, ()
    lines = source.split("\n")
    first = next((i for i, text in enumerate(lines) if text.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        return _cell_magic(lines, first)
    return _line_magics(lines, 0)


def _magic_assign(source: str) -> bool:
    return "= %" in source or "=%" in source  # `res = %timeit -o f()`, `out = %sx ls`


_BLANKS = (" ", "\t", "\n", "\r")
_INDENT = re.compile(r"^[ \t]+")


def _dedent(source: str) -> str:
    """IPython's `leading_indent`: when the first non-blank line is indented (code pasted from
    elsewhere), that indentation is removed from every line that starts with it. Line numbers
    stay; columns on those lines move left by the indentation."""
    lines = source.split("\n")
    first = next((line for line in lines if line and not line.isspace()), None)
    indent = _INDENT.match(first) if first is not None else None
    if indent is None:
        return source
    space = indent.group(0)
    return "\n".join(line[len(space):] if line.startswith(space) else line for line in lines)


def _cell_magic(lines: List[str], first: int) -> Tuple[str, Tuple[Magic, ...]]:
    head = lines[first]
    m = _MAGIC.match(head)
    name = m.group(3) if m else head.strip()[2:].split(" ")[0]
    magic_line = first + 1
    if name in PYTHON_CELL_MAGICS:
        magic = Magic("cell-magic", name, magic_line, 0, head, keeps_statement=name in KEEPING_MAGICS)
        lines = lines[:first] + [""] + lines[first + 1 :]
        body, inner = _line_magics(lines, first + 1)
        return body, (magic,) + inner
    magic = Magic("cell-magic", name, magic_line, 0, head)
    out = [""] * len(lines)
    out[first] = "pass"
    return "\n".join(out), (magic,)


def _line_magics(lines: List[str], start: int) -> Tuple[str, Tuple[Magic, ...]]:
    out = list(lines)
    found: List[Magic] = []
    state = _ScanState()
    i = start
    while i < len(lines):
        line = lines[i]
        if not state.continued():
            end = _logical_end(lines, i)
            replaced = _replace("\n".join(lines[i:end]), i + 1)
            if replaced is not None:
                masked, magic = replaced
                masked_lines = masked.split("\n")
                if len(masked_lines) != end - i:  # keep the line count whatever the magic did
                    masked_lines = masked_lines[:1] + [""] * (end - i - 1)
                out[i:end] = masked_lines
                found.append(magic)
                for masked_line in masked_lines:
                    state.scan(masked_line)
                i = end
                continue
        state.scan(line)
        i += 1
    return "\n".join(out), tuple(found)


def _logical_end(lines: List[str], i: int) -> int:
    """A `%magic`, `!cmd` or `x = %magic` line whose brackets stay open runs on to the lines that close
    them, as IPython reads it (`%timeit f(x,` / `y)` is one magic); other lines are one line long."""
    if not lines[i].lstrip().startswith(("%", "!")) and not _ASSIGN.match(lines[i]):
        return i + 1
    state, end = _ScanState(), i
    while end < len(lines):
        state.scan(lines[end])
        end += 1
        if not state.continued():
            break
    return end


def _replace(line: str, number: int) -> Optional[Tuple[str, Magic]]:
    stripped = line.lstrip()
    if not stripped or stripped.startswith("#"):
        return None
    indent = line[: len(line) - len(stripped)]
    if stripped.startswith("!"):
        word = stripped[1:].strip().split(" ")[0] if stripped[1:].strip() else ""
        return indent + "pass", Magic("shell", word, number, len(indent), line)
    if stripped.startswith("%"):
        return _line_magic(line, indent, number)
    assign = _ASSIGN.match(line)
    if assign and _is_target(assign.group(2)):
        kind = "shell-assign" if assign.group(3) == "!" else "magic-assign"
        rest = assign.group(4).strip()
        word = (rest.split(" ")[0] if rest else "").lstrip("%")
        value = _OPTS.sub("", rest[len(word):].strip(), count=1) if kind == "magic-assign" else ""
        if word in VALUE_MAGICS and value and _parses(f"_ = {value}"):  # `model = %time fit(X, y)`
            return f"{indent}{assign.group(2)} = {value}", Magic(kind, word, number, len(indent), line, True)
        return f"{indent}{assign.group(2)} = None", Magic(kind, word, number, len(indent), line)
    if stripped.startswith("?") or _is_help(stripped):
        target = stripped.strip("?").strip()
        return indent + "pass", Magic("help", target, number, len(indent), line)
    return None


def _line_magic(line: str, indent: str, number: int) -> Tuple[str, Magic]:
    m = _MAGIC.match(line)
    if not m or m.group(2) != "%":
        return indent + "pass", Magic("line-magic", line.strip().lstrip("%"), number, len(indent), line)
    name, rest = m.group(3), m.group(4)
    if name in STATEMENT_MAGICS and rest.strip():
        statement = _OPTS.sub("", rest.strip(), count=1)
        if _parses(statement):
            keeps = name in KEEPING_MAGICS
            return indent + statement, Magic("line-magic", name, number, len(indent), line, keeps)
    return indent + "pass", Magic("line-magic", name, number, len(indent), line)


def _is_target(text: str) -> bool:
    return _parses(text.strip() + " = None")


def _is_help(stripped: str) -> bool:
    """`obj?`, `obj.attr??`, `%magic?`: a name-like expression followed by question marks."""
    code = stripped.split("#", 1)[0].rstrip() if "#" in stripped else stripped.rstrip()
    if not code.endswith("?"):
        return False
    target = code.rstrip("?").strip()
    return bool(target) and re.fullmatch(r"[%*\w.\[\]()'\"]+", target) is not None


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


class _ScanState:
    """Tracks open brackets, triple-quoted strings and backslash continuations across lines."""

    def __init__(self) -> None:
        self.depth = 0
        self.triple: Optional[str] = None
        self.backslash = False

    def continued(self) -> bool:
        return self.depth > 0 or self.triple is not None or self.backslash

    def scan(self, line: str) -> None:
        i, n = 0, len(line)
        while i < n:
            if self.triple:
                end = line.find(self.triple, i)
                if end < 0:
                    break
                i, self.triple = end + 3, None
                continue
            ch = line[i]
            if ch == "#":
                break
            if ch in "\"'":
                if line.startswith(ch * 3, i):
                    self.triple, i = ch * 3, i + 3
                    continue
                i = _skip_string(line, i, ch)
                continue
            if ch in "([{":
                self.depth += 1
            elif ch in ")]}":
                self.depth = max(0, self.depth - 1)
            i += 1
        self.backslash = line.endswith("\\") and self.triple is None


def _skip_string(line: str, i: int, quote: str) -> int:
    i += 1
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == quote:
            return i + 1
        i += 1
    return i
