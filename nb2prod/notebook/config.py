"""Find what to lint and how: notebooks and scripts under the given paths, and `[tool.nb2prod.lint]`.

Like ruff's resolver, settings come from the nearest pyproject.toml above each given path, and
the walk skips hidden folders, `.ipynb_checkpoints` and whatever `.gitignore` files exclude.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from nb2prod.errors import UnusableInput
from nb2prod.frozen import frozen
from nb2prod.model import ROLES, Location

SUFFIXES = (".ipynb", ".py")
SKIP_DIRS = frozenset({".ipynb_checkpoints", "__pycache__", "node_modules", "site-packages"})


@frozen
class LintSettings:
    """Rule selection from `[tool.nb2prod.lint]` (`select`/`ignore` code prefixes)."""

    select: Optional[Tuple[str, ...]] = None
    ignore: Tuple[str, ...] = ()
    source: Optional[str] = None  # the pyproject.toml they came from
    builtins: Tuple[str, ...] = ()  # names the platform defines (Databricks' spark, dbutils)


def find_pyproject(start: Path) -> Optional[Path]:
    """The nearest pyproject.toml in `start` (or its folder) and its parents."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def lint_settings(start: Path) -> LintSettings:
    """Settings for paths under `start`; a malformed table is an UnusableInput naming the file."""
    pyproject = find_pyproject(start)
    if pyproject is None:
        return LintSettings()
    table = tool_table(pyproject, "lint")
    where = Location(str(pyproject))
    select = _codes(table, "select", where)
    ignore = _codes(table, "ignore", where) or ()
    names = table.get("builtins", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n.isidentifier() for n in names):
        raise UnusableInput("[tool.nb2prod.lint] builtins must be a list of names", where)
    return LintSettings(select, ignore, str(pyproject), tuple(sorted(set(names))))


def _load_toml(path: Path) -> dict:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UnusableInput(f"invalid TOML: {exc}", Location(str(path))) from None


# The keys each table under [tool.nb2prod] may hold; [tool.nb2prod.sections] maps free heading text.
KNOWN_KEYS = {
    "tool.nb2prod": ("heading-levels", "lint", "projects", "sections"),
    "tool.nb2prod.lint": ("builtins", "ignore", "select"),
}


def tool_table(pyproject: Path, *keys: str) -> dict:
    """`[tool.nb2prod]`, or the table `keys` name under it, of a pyproject.toml ({} when absent);
    a value on the way that is not a table (`tool = 5`), or a key no table of nb2prod's knows
    (`selct`, `[tool.nb2prod.lnt]`), is an UnusableInput naming the file and key."""
    table = _load_toml(pyproject)
    name = ""
    for key in ("tool", "nb2prod", *keys):
        name = f"{name}.{key}" if name else key
        table = table.get(key, {})
        if not isinstance(table, dict):
            raise UnusableInput(f"[{name}] must be a table, not {_toml_type(table)}", Location(str(pyproject)))
        if name in KNOWN_KEYS:
            _refuse_unknown_keys(table, name, Location(str(pyproject)))
    return table


def _refuse_unknown_keys(table: dict, name: str, where: Location) -> None:
    """As ruff stops at an unknown setting: a typo is never read as if the key were absent."""
    known = KNOWN_KEYS[name]
    for key, value in table.items():
        if key in known:
            continue
        what = f"unknown table [{name}.{key}]" if isinstance(value, dict) else f"[{name}] unknown key {key!r}"
        raise UnusableInput(what + did_you_mean(key, _qualified_keys(name)), where)


def _qualified_keys(name: str) -> Dict[str, str]:
    """Keys a typo in table `name` may have meant, spelled as the hint shows them: the table's
    own keys, and those of the tables under it (`select` at the top means [tool.nb2prod.lint] select)."""
    out = {}
    for table, keys in KNOWN_KEYS.items():
        if table.startswith(name + "."):
            out.update((k, f"[{table}] {k}") for k in keys)
    out.update((k, f"[{name}.{k}]" if f"{name}.{k}" in KNOWN_KEYS else k) for k in KNOWN_KEYS[name])
    return out


def did_you_mean(word: str, spelled: Dict[str, str]) -> str:
    """`; did you mean X?` for the closest of `spelled`'s keys (difflib), or nothing when none is close."""
    import difflib  # only a misspelt setting needs it

    close = difflib.get_close_matches(word, list(spelled), n=1)
    return f"; did you mean {spelled[close[0]]}?" if close else ""


def _toml_type(value) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}
    return names.get(type(value), type(value).__name__)


def _codes(table: dict, key: str, where: Location) -> Optional[Tuple[str, ...]]:
    """Rule code prefixes; one that starts no rule code is refused, as `--select ZZ` is on the command line."""
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UnusableInput(f"[tool.nb2prod.lint] {key} must be a list of rule code prefixes", where)
    codes = tuple(v.strip().upper() for v in value)
    if codes:
        from nb2prod.rules import RULES  # only for a table that selects: a plain run never imports the rules

        for p in codes:
            if not any(r.code.startswith(p) for r in RULES):
                hint = did_you_mean(p, {r.code: repr(r.code) for r in RULES})
                raise UnusableInput(f"[tool.nb2prod.lint] {key}: no rule code starts with {p!r}{hint} "
                                    "(see `nb2prod rules`)", where)
    return codes


def find_files(paths: List[str]) -> Tuple[List[Tuple[str, str]], List[UnusableInput]]:
    """(file, the given path it came from) pairs, sorted, plus one error per path that cannot be walked.

    A named path that is not a folder is always a candidate, whatever it is: reading it (load.read_bytes)
    says why a FIFO, a socket or /dev/null is not a notebook.
    """
    found: List[Tuple[str, str]] = []
    errors: List[UnusableInput] = []
    for given in paths:
        try:
            is_dir = stat.S_ISDIR(os.stat(given).st_mode)
        except OSError as exc:
            errors.append(UnusableInput(_missing(given, exc), Location(given)))
            continue
        if is_dir:
            found.extend((f, given) for f in _walk(given, _Ignore.for_root(given), errors, frozenset()))
        else:
            found.append((given, given))
    seen: Dict[str, str] = {}
    for f, given in found:
        seen.setdefault(os.path.normpath(f), given)
    return sorted(seen.items()), errors


def _missing(path: str, exc: OSError) -> str:
    """Why a path cannot be looked at, in one line."""
    if exc.errno == errno.ENOENT:
        return "broken symlink (its target does not exist)" if os.path.islink(path) else "no such file or directory"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    return f"cannot read: {exc.strerror}"


def _walk(folder: str, ignore: "_Ignore", errors: List[UnusableInput], above: frozenset) -> List[str]:
    """Notebooks and scripts under `folder`; a folder that cannot be listed, a symlink loop, or a
    symlink back to an enclosing folder is one error in `errors`, and the walk goes on."""
    out: List[str] = []
    try:
        info = os.stat(folder)
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        errors.append(UnusableInput(f"cannot list folder: {exc.strerror}", Location(os.path.normpath(folder))))
        return out
    here = (info.st_dev, info.st_ino)
    if here in above:
        errors.append(UnusableInput("symlink loop (it leads back to a folder it is in)",
                                    Location(os.path.normpath(folder))))
        return out
    above = above | {here}
    ignore = ignore.enter(folder)
    for entry in entries:
        name = entry.name
        if name.startswith(".") or name in SKIP_DIRS:
            continue
        try:
            is_dir = entry.is_dir()
        except OSError as exc:  # a symlink loop: what it was meant to be cannot be known
            errors.append(UnusableInput(_missing(entry.path, exc), Location(os.path.normpath(entry.path))))
            continue
        if ignore.ignored(entry.path, is_dir):
            continue
        if is_dir:
            out.extend(_walk(entry.path, ignore, errors, above))
        elif name.endswith(SUFFIXES):
            out.append(entry.path)
    return out


class _Ignore:
    """A small `.gitignore` matcher: patterns of every .gitignore from the repository root down."""

    def __init__(self, rules: Tuple[Tuple[str, str, bool, bool], ...] = ()):
        self.rules = rules  # (base folder, pattern, negated, dir only)

    @classmethod
    def for_root(cls, folder: str) -> "_Ignore":
        """The rules above `folder`: the repository's `.git/info/exclude`, then every `.gitignore` from
        its root down to `folder`'s parent (`folder`'s own is read when the walk enters it)."""
        here = Path(folder).resolve()
        root = next((p for p in (here, *here.parents) if (p / ".git").exists()), None)
        if root is None:
            return cls()
        ignore = cls().read(root / ".git" / "info" / "exclude", root)
        for parent in reversed([p for p in here.parents if p == root or root in p.parents]):
            ignore = ignore.enter(str(parent))
        return ignore

    def enter(self, folder: str) -> "_Ignore":
        return self.read(Path(folder) / ".gitignore", Path(folder))

    def read(self, path: Path, folder: Path) -> "_Ignore":
        """These rules and those of the ignore file `path`, whose patterns are relative to `folder`."""
        if not path.is_file():
            return self
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:  # an unreadable .gitignore excludes nothing, as git reads it
            return self
        base = os.path.abspath(folder)
        new = [(base, *rule) for rule in map(_rule, lines) if rule is not None]
        return _Ignore(self.rules + tuple(new)) if new else self

    def ignored(self, path: str, is_dir: bool) -> bool:
        result = False
        full = os.path.abspath(path)
        for base, pattern, negated, dir_only in self.rules:
            if dir_only and not is_dir or not full.startswith(base + os.sep):
                continue
            rel = full[len(base) + 1:].replace(os.sep, "/")
            if _matches(rel, pattern):
                result = not negated
        return result


def _rule(line: str) -> Optional[Tuple[str, bool, bool]]:
    """(fnmatch pattern, negated, dir only) of one line of an ignore file, as git reads it: `#` starts a
    comment, trailing spaces go unless escaped, `\\#` and `\\!` start a pattern with `#` or `!`, `\\*` is a star."""
    line = re.sub(r"(?<!\\) +$", "", line)
    if not line or line.startswith("#"):
        return None
    negated = line.startswith("!")
    line = line[1:] if negated else line
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    pattern = re.sub(r"\\(.)", lambda m: f"[{m.group(1)}]" if m.group(1) in "*?[" else m.group(1), line)
    return (pattern, negated, dir_only) if pattern else None


def gitignore_matcher(folder: str) -> _Ignore:
    """The `.gitignore` patterns of the folders above `folder` up to its repository's root; `.enter()` each
    folder walked into (`folder` first), then ask `.ignored(path, is_dir)`."""
    return _Ignore.for_root(folder)


def _matches(rel: str, pattern: str) -> bool:
    if "/" in pattern.strip("/") or pattern.startswith("/"):
        pattern = pattern.lstrip("/")
        return fnmatchcase(rel, pattern) or fnmatchcase(rel, pattern + "/*")
    parts = rel.split("/")
    return any(fnmatchcase(p, pattern) for p in parts)


@frozen
class ConvertSettings:
    """`[tool.nb2prod]` for convert: which heading levels open sections, and heading → role overrides."""

    levels: Optional[Tuple[int, ...]] = None  # None: every level
    roles: Tuple[Tuple[str, str], ...] = ()  # (heading text, lower case; role), matched as a substring


def convert_settings(start: Path) -> ConvertSettings:
    """Settings for a notebook under `start`; a malformed table is an UnusableInput naming the file."""
    pyproject = find_pyproject(start)
    if pyproject is None:
        return ConvertSettings()
    table = tool_table(pyproject)
    where = Location(str(pyproject))
    levels = table.get("heading-levels")
    if levels is not None and (not isinstance(levels, list) or not levels
                               or not all(type(v) is int and 1 <= v <= 6 for v in levels)):  # True is no level
        raise UnusableInput("[tool.nb2prod] heading-levels must be a non-empty list of numbers from 1 to 6", where)
    roles = table.get("sections", {})
    if not isinstance(roles, dict) or not all(isinstance(v, str) and v in ROLES for v in roles.values()):
        raise UnusableInput(f"[tool.nb2prod.sections] maps heading text to one of: {', '.join(sorted(ROLES))}",
                            where)
    return ConvertSettings(tuple(levels) if levels else None,
                           tuple((str(k).lower(), v) for k, v in roles.items()))
