"""`nb2prod check`: are the generated files on disk what the notebooks give today?

Which notebook produces which folder comes from `[tool.nb2prod] projects` in the nearest
pyproject.toml, or from `-o` for notebooks that are not declared. Notebooks sharing an output
folder are generated together, as `convert` does, so a scoring notebook's tests see its
training sibling. Only generated code is compared: outputs and metadata never enter it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from nb2prod import write
from nb2prod.convert import pipelines as engines
from nb2prod.convert.pipeline import generate, plan_notebook
from nb2prod.errors import Nb2prodError, UnusableInput
from nb2prod.frozen import frozen
from nb2prod.lint.engine import lint_notebook
from nb2prod.model import Finding, Location
from nb2prod.notebook.config import did_you_mean, find_pyproject, lint_settings, tool_table
from nb2prod.notebook.load import load
from nb2prod.unidiff import lines, unified

CURRENT, STALE, MISSING, EDITED = "current", "stale", "missing", "edited"


@frozen
class Project:
    """One declared (or command-line) pair: a notebook and the folder its files go to."""

    notebook: str
    output: str
    kind: str = "auto"
    with_evaluate: bool = False
    pipelines: Tuple[str, ...] = ()  # engines whose pipeline files are generated too (`convert --pipeline`)


@frozen
class FileCheck:
    """One generated file compared with disk; `diff` holds unified-diff lines when it differs."""

    path: str
    status: str
    diff: Tuple[str, ...] = ()
    first_line: int = 1


@frozen
class GroupCheck:
    """The notebooks generated into one output folder, and how their files compare with disk."""

    output: str
    notebooks: Tuple[str, ...]
    files: Tuple[FileCheck, ...] = ()
    findings: Tuple[Finding, ...] = ()
    errors: Tuple[Nb2prodError, ...] = ()
    command: str = ""  # the convert command that brings the files up to date

    @property
    def stale(self) -> Tuple[FileCheck, ...]:
        return tuple(f for f in self.files if f.status != CURRENT)

    @property
    def lint_errors(self) -> Tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")


@frozen
class CheckReport:
    groups: Tuple[GroupCheck, ...]

    @property
    def exit_code(self) -> int:
        errors = [e for g in self.groups for e in g.errors]
        if any(e.exit_code == 2 for e in errors):
            return 2
        failed = errors or any(g.stale or g.lint_errors for g in self.groups)
        return 1 if failed else 0


# -- which projects ---------------------------------------------------------------------------

def declared_projects(start: Path) -> List[Project]:
    """`[tool.nb2prod] projects` of the nearest pyproject.toml, paths resolved against its folder."""
    pyproject = find_pyproject(start)
    if pyproject is None:
        return []
    entries = tool_table(pyproject).get("projects", [])
    where = Location(str(pyproject))
    if not isinstance(entries, list):
        raise UnusableInput("[tool.nb2prod] projects must be a list of {notebook, output} tables", where)
    return [_project(entry, pyproject.parent, where) for entry in entries]


PROJECT_KEYS = frozenset({"notebook", "output", "kind", "with_evaluate", "pipelines"})


def _project(entry, base: Path, where: Location) -> Project:
    unknown = sorted(set(entry) - PROJECT_KEYS) if isinstance(entry, dict) else []
    if unknown:  # before the missing keys: `outptu` is a typo of output, not a missing output
        raise UnusableInput(f"[tool.nb2prod] projects: unknown key {unknown[0]!r}"
                            + did_you_mean(unknown[0], {k: k for k in sorted(PROJECT_KEYS)}), where)
    if not isinstance(entry, dict) or not isinstance(entry.get("notebook"), str) \
            or not isinstance(entry.get("output"), str):
        raise UnusableInput(f"[tool.nb2prod] projects: {entry!r} needs string keys notebook and output", where)
    kind = entry.get("kind", "auto")
    if kind not in ("auto", "training", "scoring"):
        raise UnusableInput(f"[tool.nb2prod] projects: kind must be auto, training or scoring, not {kind!r}", where)
    pipelines = entry.get("pipelines", [])
    if not isinstance(pipelines, list) or any(p not in engines.NAMES for p in pipelines):
        raise UnusableInput(f"[tool.nb2prod] projects: pipelines must be a list of {', '.join(engines.NAMES)}, "
                            f"not {pipelines!r}", where)
    return Project(str(base / entry["notebook"]), str(base / entry["output"]), kind,
                   bool(entry.get("with_evaluate", False)), tuple(pipelines))


def select(paths: Sequence[str], outdir: Optional[str] = None) -> List[Project]:
    """The projects to check: all declared ones, or those under `paths`; undeclared notebooks need `outdir`."""
    start = Path(paths[0]) if paths else Path.cwd()
    declared = declared_projects(start)
    if not paths:
        if not declared:
            raise UnusableInput("no [tool.nb2prod] projects declared in pyproject.toml; "
                                "name notebooks and pass -o OUTDIR", Location(str(start)))
        return declared
    chosen: List[Project] = []
    for given in paths:
        chosen.extend(p for p in _matching(given, declared, outdir) if p not in chosen)
    folders = {_folder(p.output) for p in chosen}  # a folder is generated as a whole, as convert does
    return chosen + [p for p in declared if _folder(p.output) in folders and p not in chosen]


def _folder(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


def _matching(given: str, declared: List[Project], outdir: Optional[str]) -> List[Project]:
    target = Path(given).resolve()
    if not target.exists():
        raise UnusableInput("no such file or directory", Location(given))
    found = [p for p in declared if Path(p.notebook).resolve() == target
             or target.is_dir() and target in Path(p.notebook).resolve().parents]
    if found:
        return found
    if target.is_file() and outdir is not None:
        return [Project(given, outdir)]
    if target.is_file():
        raise UnusableInput("not declared in [tool.nb2prod] projects; pass -o OUTDIR to say where its "
                            "generated files are", Location(given))
    raise UnusableInput("no notebook under this folder is declared in [tool.nb2prod] projects", Location(given))


# -- comparing --------------------------------------------------------------------------------

def check(projects: Sequence[Project], templates: Optional[str] = None) -> CheckReport:
    """Generate every project in memory, compare with disk, and lint its notebooks."""
    groups: Dict[str, List[Project]] = {}
    for p in projects:
        groups.setdefault(_folder(p.output), []).append(p)
    return CheckReport(tuple(_check_group(members, templates) for members in groups.values()))


def _check_group(members: List[Project], templates: Optional[str]) -> GroupCheck:
    output = members[0].output
    notebooks = tuple(_shown(p.notebook) for p in members)
    findings, errors, planned = [], [], []
    for p, shown in zip(members, notebooks):
        findings.extend(_lint(shown))
        try:
            planned.append((shown, plan_notebook(shown, p.kind)))
        except Nb2prodError as exc:
            errors.append(exc)
    if errors:
        return GroupCheck(_shown(output), notebooks, findings=tuple(findings), errors=tuple(errors))
    try:
        generated = generate(planned, output, templates, any(p.with_evaluate for p in members),
                             pipelines=_pipelines(members))
    except Nb2prodError as exc:
        return GroupCheck(_shown(output), notebooks, findings=tuple(findings), errors=(exc,))
    files = [compare(Path(output) / name, text) for gen in generated for name, text in gen.texts.items()]
    return GroupCheck(_shown(output), notebooks, tuple(files), tuple(findings), command=_command(members, files))


def _pipelines(members: List[Project]) -> Tuple[str, ...]:
    return tuple(dict.fromkeys(e for p in members for e in p.pipelines))


def _command(members: List[Project], files: List[FileCheck]) -> str:
    import shlex

    words = ["nb2prod", "convert", *(_shown(p.notebook) for p in members), "-o", _shown(members[0].output)]
    kinds = {p.kind for p in members}
    if len(kinds) == 1 and kinds != {"auto"}:
        words += ["--kind", kinds.pop()]
    if any(p.with_evaluate for p in members):
        words.append("--with-evaluate")
    for engine in _pipelines(members):
        words += ["--pipeline", engine]
    if any(f.status == EDITED for f in files):
        words.append("--force")
    return " ".join(shlex.quote(w) for w in words)


def compare(path: Path, expected: str) -> FileCheck:
    """The file on disk against the text `convert` would write there."""
    shown = _shown(str(path))
    state = write.status(path, expected)
    if state == write.SAME or state == write.UPDATE and _same_but_pins(path, expected):
        return FileCheck(shown, CURRENT)
    if state == write.NEW:
        return FileCheck(shown, MISSING, unified("", expected, shown, missing=True), 1)
    try:
        current = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = ""
    old, new = lines(current), lines(expected)
    first = next((i for i, (a, b) in enumerate(zip(old, new), 1) if a != b), min(len(old), len(new)) + 1)
    status = STALE if state == write.UPDATE else EDITED
    return FileCheck(shown, status, unified(current, expected, shown), first)


def _same_but_pins(path: Path, expected: str) -> bool:
    """An environment file that differs only in pinned versions is current: the committed pins are what the
    project deploys with, and CI's freshly installed packages may be newer (convert rewrites the pins)."""
    from nb2prod.convert.environment import pinned_file, unpinned

    if not pinned_file(path.name):
        return False
    try:
        current = write.body_of(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False
    return current is not None and unpinned(current) == unpinned(write.body_of(expected) or "")


def _lint(path: str) -> List[Finding]:
    """Lint findings of one notebook; an unreadable notebook is reported by planning instead."""
    try:
        nb = load(path)
    except Nb2prodError:
        return []
    settings = lint_settings(Path(path))
    return lint_notebook(nb, settings.select, settings.ignore, settings.builtins)


def _shown(path: str) -> str:
    """A path as the user would type it: relative to the current folder when under it."""
    full = os.path.abspath(path)
    rel = os.path.relpath(full)
    return full if rel.startswith("..") else rel
