"""Format generated Python as the target project's formatter would: ruff format, with the project's settings.

The stage between render and write. Settings come from the nearest configuration above the output
folder: `ruff.toml` / `.ruff.toml`, or a `pyproject.toml` with `[tool.ruff]` (`line-length`,
`[tool.ruff.format] quote-style`, `skip-magic-trailing-comma`) or `[tool.black]` (`line-length`,
`skip-string-normalization`, `skip-magic-trailing-comma`); default 88 columns, double quotes.
ruff runs as a subprocess with `--isolated` and exactly these settings, so the output depends on
nothing else: the same code and settings give the same bytes.
"""

from __future__ import annotations

import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Sequence, Tuple

from nb2prod.analysis.walk import statements
from nb2prod.codeform import parse
from nb2prod.errors import Nb2prodError, UnusableInput
from nb2prod.frozen import frozen
from nb2prod.model import Location
from nb2prod.write import is_python

QUOTE_STYLES = ("double", "single", "preserve")


@frozen
class FormatSettings:
    line_length: int = 88
    quote_style: str = "double"
    magic_trailing_comma: bool = True
    source: Optional[str] = None  # the file they came from

    def ruff_options(self) -> Tuple[str, ...]:
        return ("--config", f"line-length={self.line_length}",
                "--config", f'format.quote-style="{self.quote_style}"',
                "--config", f"format.skip-magic-trailing-comma={str(not self.magic_trailing_comma).lower()}")


def settings_for(outdir: str) -> FormatSettings:
    """The formatter settings of the project `outdir` belongs to: the nearest folder upward with a ruff or black config."""
    here = Path(outdir).resolve()
    while not here.is_dir() and here != here.parent:
        here = here.parent
    for folder in (here, *here.parents):
        found = _settings_in(folder)
        if found is not None:
            return found
    return FormatSettings()


def _settings_in(folder: Path) -> Optional[FormatSettings]:
    from nb2prod.notebook.config import _load_toml as load_toml  # the one TOML reader (tomllib or tomli)

    for name in (".ruff.toml", "ruff.toml"):
        if (folder / name).is_file():
            path = folder / name
            return _ruff(load_toml(path), path)
    path = folder / "pyproject.toml"
    if not path.is_file():
        return None
    tool = load_toml(path).get("tool", {})
    if not isinstance(tool, dict):  # `tool = 5`: config.tool_table reports it where nb2prod's settings are read
        return None
    if isinstance(tool.get("ruff"), dict):
        return _ruff(tool["ruff"], path)
    if isinstance(tool.get("black"), dict):
        return _black(tool["black"], path)
    return None


def _ruff(table: dict, path: Path) -> FormatSettings:
    fmt = table.get("format", {})
    if not isinstance(fmt, dict):
        raise UnusableInput("[tool.ruff.format] must be a table", Location(str(path)))
    quotes = fmt.get("quote-style", "double")
    if quotes not in QUOTE_STYLES:
        raise UnusableInput(f"ruff quote-style must be one of {', '.join(QUOTE_STYLES)}, not {quotes!r}",
                            Location(str(path)))
    return FormatSettings(_line_length(table, path), quotes,
                          not _flag(fmt, "skip-magic-trailing-comma", path), str(path))


def _black(table: dict, path: Path) -> FormatSettings:
    quotes = "preserve" if _flag(table, "skip-string-normalization", path) else "double"
    return FormatSettings(_line_length(table, path), quotes,
                          not _flag(table, "skip-magic-trailing-comma", path), str(path))


def _line_length(table: dict, path: Path) -> int:
    value = table.get("line-length", 88)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 320:
        raise UnusableInput(f"line-length must be a whole number from 1 to 320, not {value!r}", Location(str(path)))
    return value


def _flag(table: dict, key: str, path: Path) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise UnusableInput(f"{key} must be true or false, not {value!r}", Location(str(path)))
    return value


def format_code(name: str, code: str, settings: FormatSettings) -> str:
    """`code` as ruff format writes it with `settings`; unchanged when it is not Python or does not parse
    (the compile check after this stage reports that, with its line)."""
    return format_files([(name, code)], settings)[0]


def format_files(files: Sequence[Tuple[str, str]], settings: FormatSettings) -> List[str]:
    """Each (name, code) of `files` as format_code gives it, the Python ones formatted by one ruff process:
    a process per file cost 7-19 ms each. They are written to a private temporary folder, each under its own
    name (ruff tells a stub by `.pyi`) in a folder of its own, and read back; a file ruff cannot parse is left
    as it was, as format_code leaves it."""
    out = [code for _, code in files]
    python = [i for i, (name, _) in enumerate(files) if is_python(name)]
    if not python:
        return out
    with tempfile.TemporaryDirectory(prefix="nb2prod-format-") as folder:
        paths = []
        for n, i in enumerate(python):
            path = Path(folder, str(n), PurePosixPath(files[i][0]).name)
            path.parent.mkdir()
            path.write_bytes(files[i][1].encode("utf-8"))
            paths.append(path)
        subprocess.run([_ruff_bin(), "format", "--isolated", "--no-cache", *settings.ruff_options(), "--",
                        *map(str, paths)], capture_output=True)
        for i, path in zip(python, paths):
            out[i] = path.read_bytes().decode("utf-8")
    return out


@lru_cache(maxsize=None)
def _ruff_bin() -> str:
    try:
        from ruff.__main__ import find_ruff_bin
        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):  # a declared dependency: only a broken installation gets here
        raise Nb2prodError("ruff is missing: pip install ruff (nb2prod formats its output with it)",
                           Location("ruff")) from None


def moved_lines(before: str, after: str) -> Dict[int, int]:
    """Where each statement's first line of `before` is in `after`, its formatted text (1-based lines).
    Formatting keeps the statements and their order, which is all this relies on."""
    try:
        pairs = zip(statements(parse(before)), statements(parse(after)))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return {}
    moved: Dict[int, int] = {}
    for old, new in pairs:
        moved.setdefault(old.lineno, new.lineno)
    return moved
