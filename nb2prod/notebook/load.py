"""Read a notebook (or a Python script) into a Notebook, refusing unusable input with one line."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import warnings
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Tuple

from nb2prod.errors import NotPython, UnusableInput
from nb2prod.model import Cell, Location, Notebook
from nb2prod.notebook.files import read_bytes  # noqa: F401 - part of load's API (lint --fix, tests)

PYTHON_LANGUAGES = {"python", "python2", "python3", "ipython", "ipython2", "ipython3"}
_PERCENT = re.compile(r"^# %%(.*)$")


def load(path: str, *, validate: bool = False) -> Notebook:
    """Load `path`: `.ipynb` as a notebook, anything else as a (possibly percent-format) script."""
    return load_bytes(path, read_bytes(path), validate=validate)


def load_bytes(path: str, data: bytes, *, validate: bool = False, notebook: Optional[bool] = None) -> Notebook:
    """A notebook or script from the bytes read from `path` (lint --fix reads a file once and keeps them);
    `notebook` says which when the name cannot (standard input)."""
    if not (str(path).endswith(".ipynb") if notebook is None else notebook):
        return load_script(path, _decode(path, data, source_encoding(data)))
    return load_notebook_text(path, _decode(path, data), validate=validate)


def _decode(path: str, data: bytes, encoding: str = "utf-8-sig") -> str:
    if b"\x00" in data[:8192]:
        raise UnusableInput("binary file, not a notebook", Location(str(path)))
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if encoding == "utf-8-sig" else encoding
        raise UnusableInput(f"not {name} text (byte {exc.start})", Location(str(path))) from None


def source_encoding(data: bytes) -> str:
    """A script's encoding as Python reads it: a PEP 263 `# -*- coding: latin-1 -*-` line, else UTF-8."""
    if b"coding" not in data[:400]:
        return "utf-8-sig"
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # an unknown codec name: read as UTF-8, which says what is wrong
        return "utf-8-sig"
    return "utf-8-sig" if encoding in ("utf-8", "utf-8-sig") else encoding


def load_notebook_text(path: str, text: str, *, validate: bool = False) -> Notebook:
    """Parse notebook JSON text; nbformat 3 is upgraded in memory."""
    where = Location(str(path))
    if not text.strip():
        raise UnusableInput("empty file, not a notebook", where)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        what = "truncated JSON" if exc.pos >= len(text.rstrip()) else "not valid JSON"
        raise UnusableInput(f"{what} (line {exc.lineno}, column {exc.colno}): {exc.msg}", where) from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise UnusableInput("JSON but not a notebook (no 'nbformat' field)", where)
    if validate or not _well_formed(raw):  # lint too refuses what convert refuses, paying only for suspects
        _validate(raw, where)
    version = raw.get("nbformat")
    if version == 3:
        cells = _cells_v3(raw, where)
    elif version == 4:
        cells = _cells_v4(raw, where)
    else:
        raise UnusableInput(f"unsupported nbformat version {version!r} (3 and 4 are read)", where)
    language = _language(raw)
    if language not in PYTHON_LANGUAGES:
        raise NotPython(f"notebook kernel language is {language!r}, only Python is supported", where)
    return Notebook(path=str(path), cells=tuple(cells), language=language)


def _validate(raw: dict, where: Location) -> None:
    _check_shape(raw, where)
    cells = raw.get("cells") if isinstance(raw.get("cells"), list) else []
    if raw.get("nbformat") == 4 and raw.get("nbformat_minor", 5) < 5 and any("id" in c for c in cells):
        raw = {**raw, "nbformat_minor": 5}  # cell ids under an older minor: nbformat.read upgrades, so do we
    if _passes_schema(raw):
        return
    import nbformat  # lazily: only a notebook its schema rejects (or cannot judge alone) needs nbformat's verdict

    try:
        with warnings.catch_warnings():  # nbformat warns on stderr (missing cell ids); the user sees one line
            warnings.simplefilter("ignore")
            nbformat.validate(raw)
    except nbformat.ValidationError as exc:
        first = str(exc.message).splitlines()[0] if getattr(exc, "message", None) else "schema error"
        path = "/".join(str(p) for p in getattr(exc, "absolute_path", ()) or ())
        at = f" at {path}" if path else ""
        raise UnusableInput(f"not a valid notebook{at}: {first}", where) from None
    except Exception as exc:  # nbformat raises plain errors for unknown minor versions
        raise UnusableInput(f"not a valid notebook: {exc or type(exc).__name__}", where) from None


_TOP = frozenset({"metadata", "nbformat_minor", "nbformat", "cells"})
_CELL_KEYS = {"code": frozenset({"id", "cell_type", "metadata", "source", "outputs", "execution_count"}),
              "markdown": frozenset({"id", "cell_type", "metadata", "attachments", "source"}),
              "raw": frozenset({"id", "cell_type", "metadata", "attachments", "source"})}
_OUTPUT_KEYS = {"stream": frozenset({"output_type", "name", "text"}),
                "display_data": frozenset({"output_type", "data", "metadata"}),
                "execute_result": frozenset({"output_type", "data", "metadata", "execution_count"}),
                "error": frozenset({"output_type", "ename", "evalue", "traceback"})}
_CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def _well_formed(raw: dict) -> bool:
    """A cheap necessary check of nbformat's v4 schema: the keys and types of the notebook, its
    metadata, cells and outputs, not the contents of outputs. True: no need to ask the validator;
    False: ask it (_validate), which refuses with the same line as convert or accepts after all."""
    if raw.keys() != _TOP or type(raw["nbformat"]) is not int or raw["nbformat"] != 4 \
            or type(raw["nbformat_minor"]) is not int:
        return False
    meta, cells = raw["metadata"], raw["cells"]
    if type(meta) is not dict or type(cells) is not list or not _metadata_ok(meta):
        return False
    for cell in cells:
        if type(cell) is not dict:
            return False
        keys = _CELL_KEYS.get(cell.get("cell_type"))
        if keys is None or not (cell.keys() <= keys and keys - {"id", "attachments"} <= cell.keys()):
            return False
        source, cid = cell["source"], cell.get("id", "")
        if not (type(source) is str or type(source) is list and all(type(t) is str for t in source)):
            return False
        if type(cell["metadata"]) is not dict or cid != "" and not (type(cid) is str and _CELL_ID.fullmatch(cid)):
            return False
        if keys is _CELL_KEYS["code"] and not _code_ok(cell):
            return False
    return True


def _metadata_ok(meta: dict) -> bool:
    kernel, info = meta.get("kernelspec", {}), meta.get("language_info", {"name": ""})
    return (type(kernel) is dict and (not kernel or type(kernel.get("name")) is str
                                      and type(kernel.get("display_name")) is str)
            and type(info) is dict and type(info.get("name")) is str)


def _code_ok(cell: dict) -> bool:
    count, outputs = cell["execution_count"], cell["outputs"]
    if not (count is None or type(count) is int) or type(outputs) is not list:
        return False
    for out in outputs:
        keys = _OUTPUT_KEYS.get(out.get("output_type")) if type(out) is dict else None
        if keys is None or out.keys() != keys and not (keys - {"metadata"} <= out.keys() <= keys):
            return False
    return True


def _passes_schema(raw: dict) -> bool:
    """True when nbformat's validator is sure to accept: its fastjsonschema check on its own v4.x schema file,
    without importing nbformat (and jsonschema, traitlets). False means "ask nbformat", which also words errors."""
    minor = raw.get("nbformat_minor")
    if raw.get("nbformat") != 4 or type(minor) is not int or os.environ.get("NBFORMAT_VALIDATOR", _FAST) != _FAST:
        return False
    check = _schema_check(minor)
    if check is None:
        return False
    try:
        check(raw)
    except Exception:  # fastjsonschema's JsonSchemaException, or anything unexpected: nbformat decides
        return False
    return True


_FAST = "fastjsonschema"  # nbformat's default validator


@lru_cache(maxsize=None)
def _schema_check(minor: int):
    """The compiled schema nbformat itself would use for v4.`minor` (None: it relaxes or lacks one)."""
    try:
        import fastjsonschema

        spec = importlib.util.find_spec("nbformat")
        folders = list(spec.submodule_search_locations or ()) if spec else []
        schema = Path(folders[0], "v4", f"nbformat.v4.{minor}.schema.json") if folders and minor >= 0 else None
        if schema is None or not schema.is_file():
            return None
        return fastjsonschema.compile(json.loads(schema.read_text(encoding="utf-8")))
    except Exception:
        return None


def _check_shape(raw: dict, where: Location) -> None:
    """What nbformat's validator trips over with an unreadable message (it repairs cell ids first)."""
    for key in ("nbformat", "nbformat_minor"):
        if key in raw and (not isinstance(raw[key], int) or isinstance(raw[key], bool)):
            raise UnusableInput(f"not a valid notebook at {key}: {raw[key]!r} is not an integer", where)
    if raw.get("nbformat") not in (3, 4):  # nbformat would say "No module named v5"
        raise UnusableInput(f"unsupported nbformat version {raw.get('nbformat')!r} (3 and 4 are read)", where)
    cells = raw.get("cells")
    if raw.get("nbformat") == 4 and "cells" in raw:
        if not isinstance(cells, list):
            raise UnusableInput(f"not a valid notebook at cells: a {type(cells).__name__}, not a list", where)
        for i, cell in enumerate(cells):
            if not isinstance(cell, dict):
                raise UnusableInput(f"not a valid notebook at cells/{i}: {cell!r:.40} is not an object", where)


def _language(raw: dict) -> str:
    meta = raw.get("metadata") or {}
    if not isinstance(meta, dict):
        return "python"
    info = meta.get("language_info") or {}
    kernel = meta.get("kernelspec") or {}
    lang = (info.get("name") if isinstance(info, dict) else None) or (
        kernel.get("language") if isinstance(kernel, dict) else None
    )
    if not lang and isinstance(meta.get("language"), str):  # nbformat 3
        lang = meta["language"]
    return str(lang or "python").strip().lower()


def _text(value, where: Location, index: int) -> str:
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise UnusableInput("cell source is not text", Location(where.path, index))
        return "".join(value)
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    raise UnusableInput("cell source is not text", Location(where.path, index))


def _cells_v4(raw: dict, where: Location) -> List[Cell]:
    cells = raw.get("cells")
    if not isinstance(cells, list):
        raise UnusableInput("notebook has no 'cells' list", where)
    return [_cell(i, c, c.get("source"), where) for i, c in enumerate(_dicts(cells, where), 1)]


def _cells_v3(raw: dict, where: Location) -> List[Cell]:
    sheets = raw.get("worksheets") or []
    if not isinstance(sheets, list):
        raise UnusableInput("nbformat 3 notebook has no 'worksheets' list", where)
    out: List[Cell] = []
    for sheet in _dicts(sheets, where):
        for c in _dicts(sheet.get("cells") or [], where):
            index = len(out) + 1
            if c.get("cell_type") == "heading":
                level = c.get("level") if isinstance(c.get("level"), int) else 1
                src = "#" * level + " " + _text(c.get("source"), where, index)
                out.append(Cell(index, "markdown", src))
            else:
                source = c.get("input") if c.get("cell_type") == "code" else c.get("source")
                fixed = dict(c, execution_count=c.get("prompt_number"))
                out.append(_cell(index, fixed, source, where))
    return out


def _dicts(items: list, where: Location) -> List[dict]:
    for item in items:
        if not isinstance(item, dict):
            raise UnusableInput("a cell is not a JSON object", where)
    return items


def _cell(index: int, c: dict, source, where: Location) -> Cell:
    kind = c.get("cell_type")
    if kind not in ("code", "markdown", "raw"):
        raise UnusableInput(f"unknown cell type {kind!r}", Location(where.path, index))
    meta = c.get("metadata") if isinstance(c.get("metadata"), dict) else {}
    tags = meta.get("tags") if isinstance(meta.get("tags"), list) else []
    count = c.get("execution_count")
    return Cell(
        index=index,
        kind=kind,
        source=_text(source, where, index),
        tags=tuple(str(t) for t in tags),
        execution_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        outputs=_outputs(c.get("outputs")),
        printed=_stdout(c.get("outputs")),
    )


def _outputs(outputs) -> Tuple[str, ...]:
    """The text a code cell showed (stream text and text/plain results), for regression tests."""
    texts = []
    for out in outputs if isinstance(outputs, list) else []:
        if not isinstance(out, dict):
            continue
        if out.get("output_type") == "stream":
            texts.append(_join(out.get("text")))
        elif out.get("output_type") in ("execute_result", "display_data", "pyout"):
            data = out.get("data") if isinstance(out.get("data"), dict) else out
            texts.append(_join(data.get("text/plain", data.get("text", ""))))
    return tuple(t for t in texts if t)


def _stdout(outputs) -> str:
    if not isinstance(outputs, list):
        return ""
    return "".join(_join(o.get("text")) for o in outputs
                   if isinstance(o, dict) and o.get("output_type") == "stream" and o.get("name", "stdout") == "stdout")


def _join(value) -> str:
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def load_script(path: str, text: str) -> Notebook:
    """A Python script; `# %%` markers (jupytext percent format) split it into cells."""
    lines = text.splitlines(keepends=True)
    if not any(_PERCENT.match(line.rstrip("\r\n")) for line in lines):
        return Notebook(str(path), (Cell(1, "code", text),), is_script=True)
    quoted = _quoted_lines(text)
    cells: List[Cell] = []
    kind, buf, offset, tags = "code", [], 0, ()
    for number, line in enumerate(lines, 1):
        m = None if number in quoted else _PERCENT.match(line.rstrip("\r\n"))
        if m:
            if buf or cells:
                cells.append(_script_cell(len(cells) + 1, kind if cells else _front_kind(buf), buf, offset, tags))
            kind = "markdown" if "[markdown]" in m.group(1) or "[md]" in m.group(1) else "code"
            buf, offset, tags = [], number, _marker_tags(m.group(1))
            continue
        buf.append(line)
    cells.append(_script_cell(len(cells) + 1, kind, buf, offset, tags))
    return Notebook(str(path), tuple(cells), is_script=True)


def _quoted_lines(text: str) -> frozenset:
    """Numbers of the lines that begin inside a multi-line string: a `# %%` there is text, not a
    cell marker (as jupytext reads it). Empty when the text cannot be tokenized."""
    if '"""' not in text and "'''" not in text:
        return frozenset()
    import io
    import tokenize

    inside = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass  # what was read so far still counts
    return frozenset(inside)


def _front_kind(buf: List[str]) -> str:
    """jupytext's YAML header (`# ---` ... `# ---` before the first `# %%`) is metadata, kept as a raw cell."""
    lines = [line.strip() for line in buf if line.strip()]
    header = len(lines) >= 2 and lines[0] == lines[-1] == "# ---" and all(t.startswith("#") for t in lines)
    return "raw" if header else "code"


def _marker_tags(marker: str) -> Tuple[str, ...]:
    """The cell tags jupytext writes on the marker line, `# %% tags=["parameters"]`; none when unreadable."""
    m = re.search(r"\btags=(\[.*?\])", marker)
    try:
        tags = json.loads(m.group(1)) if m else []
    except ValueError:
        return ()
    return tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ()


def _script_cell(index: int, kind: str, buf: List[str], offset: int, tags: Tuple[str, ...] = ()) -> Cell:
    text = "".join(buf)
    if kind == "markdown":
        text = "".join(re.sub(r"^# ?", "", line) for line in buf)
    return Cell(index, kind, text, tags=tags, offset=offset)
