"""Edit a notebook's JSON text in place: only the `source` values of the given cells change.

Like nbQA's write-back, every other byte (indentation, key order, outputs, metadata) stays as it
was; nbformat's writer would re-sort and normalise the user's file.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring
from typing import Dict, Iterator, Tuple

from nb2prod.notebook.load import load_notebook_text

_SPACE = re.compile(r"\s*")
_LITERAL = re.compile(r"-?[0-9][0-9.eE+-]*|true|false|null")
_LINE = re.compile(r"[^\n]*\n|[^\n]+")


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
