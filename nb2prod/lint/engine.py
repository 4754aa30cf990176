"""One walk over a parsed notebook, dispatching nodes to the rules that subscribe to them.

`lint_parsed` is pure (no IO): convert calls it too, so both commands share one set of detectors.
Then `# noqa`, the `nb2prod:keep` cell tag and select/ignore prefixes filter the findings.
The rules, the parser and the loader are imported when first needed: a run whose every file is
in the cache (see `cache.py`) never loads them.
"""

from __future__ import annotations

import ast
import gc
import os
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from nb2prod.model import Finding, Location, Notebook, ParsedCell
from nb2prod.notebook.parse import deep_enough

if TYPE_CHECKING:
    from nb2prod.notebook.config import LintSettings
    from nb2prod.rules._base import Rule

KEEP_TAG = "nb2prod:keep"
# Compiled on first use (re caches it): most runs meet no `noqa` and never pay for compiling it.
_NOQA = r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*))?"
_SCOPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})


def _dispatch(rules: Sequence[Rule]) -> Dict[type, Tuple[Rule, ...]]:
    table: Dict[type, List[Rule]] = {}
    for r in rules:
        for kind in r.nodes:
            table.setdefault(kind, []).append(r)
    return {k: tuple(v) for k, v in table.items()}


def active_rules(select: Optional[Iterable[str]] = None, ignore: Optional[Iterable[str]] = None) -> Tuple[Rule, ...]:
    """The registered rules that `select`/`ignore` prefixes leave on (the longer matching prefix wins)."""
    from nb2prod.rules import RULES

    return tuple(r for r in RULES if selected(r.code, select, ignore))


def selected(code: str, select: Optional[Iterable[str]], ignore: Optional[Iterable[str]]) -> bool:
    chosen = max((len(p) for p in (select or ("NB",)) if code.startswith(p.upper())), default=-1)
    dropped = max((len(p) for p in (ignore or ()) if code.startswith(p.upper())), default=-1)
    return chosen > dropped


def lint_parsed(nb: Notebook, cells: Tuple[ParsedCell, ...], select=None, ignore=None, builtins=(),
                unfixable: frozenset = frozenset()) -> List[Finding]:
    """All findings for a parsed notebook, sorted; code cells missing from `cells` are syntax errors.

    Findings whose `fix_key` is in `unfixable` (the fix cannot remove them cleanly) are not fixable.
    """
    from nb2prod.rules._base import Context
    from nb2prod.analysis.facts import Facts

    table, wanted = _plan(select, ignore)
    parsed = {pc.cell.index for pc in cells}
    broken = [c for c in nb.code_cells if c.index not in parsed]
    nodes = _collect(cells, wanted)
    ctx = Context(nb, cells, Facts(cells, tuple(broken), nodes, builtins))
    findings: List[Finding] = []
    for pc in cells:
        ctx.cell, ctx.statement = pc, None
        findings += _run(table, pc, ctx)
        for magic in pc.magics:
            findings += _run(table, magic, ctx)
    for pc, st, node, in_function in nodes:
        rules = table.get(type(node))
        if rules:
            ctx.cell, ctx.statement, ctx.in_function = pc, st, in_function
            ctx.depth = 0 if node is st.node else 1
            for r in rules:
                findings.extend(r.check(r, node, ctx))
    ctx.cell = ctx.statement = None
    findings += _run(table, nb, ctx)
    findings = _filter(nb, _nested(findings))
    if unfixable:
        findings = [replace(f, fixable=False) if f.fixable and fix_key(f) in unfixable else f for f in findings]
    return sorted(_needed(findings, ctx), key=Finding.sort_key)


def fix_key(f: Finding) -> tuple:
    """What names a finding across lint runs of one notebook."""
    return f.code, f.location.cell, f.location.line, f.location.col


def _plan(select, ignore) -> Tuple[Dict[type, Tuple[Rule, ...]], frozenset]:
    """The dispatch table for a selection and the node types the walk collects; worked out once per selection."""
    from nb2prod.rules import RULES
    from nb2prod.analysis.facts import FACT_NODES

    key = (id(RULES), tuple(select or ()), tuple(ignore or ()))
    plan = _PLANS.get(key)
    if plan is None:
        table = _dispatch(active_rules(select, ignore))
        plan = _PLANS[key] = (table, frozenset(table) | FACT_NODES)
    return plan


_PLANS: Dict[tuple, tuple] = {}


def _run(table, obj, ctx) -> List[Finding]:
    out: List[Finding] = []
    for r in table.get(type(obj), ()):
        out.extend(r.check(r, obj, ctx))
    return out


def _collect(cells: Tuple[ParsedCell, ...], wanted: frozenset) -> List[tuple]:
    """The nodes of `wanted` types in every statement, in source order: (cell, statement, node, in a function body)."""
    out: List[tuple] = []
    fields_of, scopes, AST = _FIELDS, _SCOPES, ast.AST

    def descend(pc, st, node: ast.AST, in_function: bool) -> None:  # a closure: the hottest loop of lint
        kind = node.__class__
        if kind in wanted:
            out.append((pc, st, node, in_function))
        fields = fields_of.get(kind)
        if fields is None:
            from nb2prod.analysis.dataflow import child_fields

            fields = fields_of[kind] = child_fields(kind)
        if not fields:
            return
        inner = in_function or kind in scopes
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        descend(pc, st, item, inner)
            elif value is not None and isinstance(value, AST):
                descend(pc, st, value, inner)

    for pc in cells:
        for st in pc.statements:
            descend(pc, st, st.node, False)
    descend = None  # noqa: F841 - the closure refers to itself: break that cycle, gc is off while linting
    return out


_FIELDS: Dict[type, Tuple[str, ...]] = {}  # node type -> its fields that can hold nodes


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


def _needed(findings: List[Finding], ctx) -> List[Finding]:
    """Findings whose fix would delete a statement that binds a name a kept statement reads
    (`fig, ax = plt.subplots()` then `for a in ax: draw(a)`) are not fixable: --fix must not leave a
    NameError behind. Repeated until stable, since a kept statement keeps what it reads in turn."""
    if not any(f.fixable for f in findings):
        return findings
    facts = ctx.facts
    script = ctx.nb.is_script  # the (cell, line, col) a whole-statement finding starts at, as Context.location gives it
    where = {(None, st.line + pc.cell.offset, st.col + 1) if script else (pc.cell.index, st.line, st.col + 1): i
             for i, (pc, st) in enumerate(facts.statements)}  # the column too: `df.head(); x = 1` is two statements
    removed: Dict[int, int] = {}  # statement position -> the fixable finding that deletes it
    for k, f in enumerate(findings):
        i = where.get((f.location.cell, f.location.line, f.location.col)) if f.fixable else None
        if i is not None:
            removed[i] = k
    if not removed:
        return findings
    flows = facts.flows
    binders = [i for i in removed if flows[i].defs]
    while binders:
        # names read after each position by the statements the fix keeps (function bodies: anywhere)
        read = set(facts.magic_names).union(*(f.deferred for j, f in enumerate(flows) if j not in removed))
        later: List[frozenset] = [frozenset()] * (len(flows) + 1)
        for j in range(len(flows) - 1, -1, -1):
            if j not in removed:
                read |= flows[j].uses
            later[j] = frozenset(read)
        kept = [i for i in binders if flows[i].defs & later[i + 1]]
        if not kept:
            break
        for i in kept:
            k = removed.pop(i)
            findings[k] = replace(findings[k], fixable=False)
        binders = [i for i in binders if i in removed]
    return findings


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
        m = re.search(_NOQA, text, re.IGNORECASE)
        if m and (not m.group("codes") or any(code.startswith(c.upper()) for c in re.split(r"[\s,]+", m.group("codes")))):
            return True
    return False


def parse_all(nb: Notebook) -> Tuple[ParsedCell, ...]:
    """Parse every code cell, leaving out the ones with a syntax error (lint_parsed reports those)."""
    from nb2prod.errors import CodeProblem
    from nb2prod.notebook.parse import parse_cell

    out, counter = [], 0
    for cell in nb.code_cells:
        try:
            pc = parse_cell(nb.path, cell, counter)
        except CodeProblem:
            continue
        counter += len(pc.statements)
        out.append(pc)
    return tuple(out)


def lint_notebook(nb: Notebook, select=None, ignore=None, builtins=()) -> List[Finding]:
    """Parse and lint a loaded notebook."""
    return lint_parsed(nb, parse_all(nb), select, ignore, builtins)



# -- files: load, lint, fix; many files in worker processes -----------------------------------

@dataclass(frozen=True)
class FileResult:
    """What linting one file gave: findings, or the one-line reason it could not be read."""

    path: str
    findings: Tuple[Finding, ...] = ()
    error: Optional[str] = None  # `path: message` for unusable input
    fixed: int = 0
    diff: Tuple[str, ...] = ()
    skipped: Optional[str] = None  # why a notebook was not linted: its language is not Python
    notes: Tuple[str, ...] = ()  # one line each: what --fix did not do, and why


@dataclass(frozen=True)
class LintReport:
    """Results for every file, in path order; the exit status is computed here only."""

    files: Tuple[FileResult, ...]

    @property
    def findings(self) -> Tuple[Finding, ...]:
        return tuple(f for r in self.files for f in r.findings)

    @property
    def exit_code(self) -> int:
        if any(r.error for r in self.files):
            return 2
        return 1 if self.findings or any(r.diff or r.notes for r in self.files) else 0


@deep_enough
def lint_file(path: str, select=None, ignore=None, fix: bool = False, show_diff: bool = False,
              builtins=()) -> FileResult:
    """Load and lint one file; with `fix`/`show_diff`, remove fixable findings and lint the result.

    The file is read once: the fix is computed from, and written back only over, those bytes.
    """
    from nb2prod.errors import NotPython, UnusableInput
    from nb2prod.notebook.load import load_bytes, read_bytes

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


def _fix(nb: Notebook, data: bytes, cells, findings: List[Finding], settings: tuple, write: bool) -> FileResult:
    from nb2prod import write as writing
    from nb2prod.lint import fix
    from nb2prod.notebook.load import load_notebook_text, load_script, source_encoding

    findings, plan, notes = _fix_plan(nb, cells, findings, settings)
    if not plan.sources:
        return FileResult(nb.path, tuple(findings), notes=notes)
    encoding = source_encoding(data) if nb.is_script else "utf-8-sig"  # written back the same way
    try:
        text = data.decode(encoding)
        new_text = fix.apply(nb, text, plan.sources)
        new_nb = load_script(nb.path, new_text) if nb.is_script else load_notebook_text(nb.path, new_text)
    except Exception as exc:  # noqa: BLE001 - a fix that fails leaves the file alone
        return FileResult(nb.path, tuple(findings), error=f"{nb.path}: could not apply fixes ({exc})")
    if not write:
        return FileResult(nb.path, tuple(findings), diff=tuple(fix.diff(nb, new_nb, text, new_text)), notes=notes)
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
    from nb2prod.lint import fix

    reasons: Dict[tuple, str] = {}
    while True:
        plan = fix.plan(nb, cells, findings)
        if not plan.refused:
            break
        reasons.update((fix_key(f), why) for f, why in plan.refused)
        findings = lint_parsed(nb, cells, *settings, unfixable=frozenset(reasons))
    notes = tuple(f"{f.location}: {f.code} not fixed: {reasons[fix_key(f)]}" for f in findings
                  if fix_key(f) in reasons)
    return findings, plan, notes


def lint_files(jobs: Sequence[Tuple[str, "LintSettings"]], fix: bool = False, show_diff: bool = False,
               workers: Optional[int] = None, cache: bool = False,
               progress: Optional[Callable[[], None]] = None) -> List[FileResult]:
    """Lint (path, its LintSettings) jobs, in order; with `cache`, files whose bytes the cache knows are not linted again.

    `progress` is called once per file, linted or found in the cache.
    """
    paused = gc.isenabled()
    gc.disable()  # ASTs are acyclic and die with their file: collecting while parsing only costs time
    try:
        if not cache or fix or show_diff:
            return _lint_jobs(jobs, fix, show_diff, workers, progress)
        return _cached(jobs, workers, progress)
    finally:
        if paused:
            gc.enable()


def _cached(jobs, workers: Optional[int], progress) -> List[FileResult]:
    from nb2prod.lint.cache import Cache, digest

    store = Cache.open()
    done: Dict[str, FileResult] = {}
    misses, keys = [], {}
    for path, settings in jobs:
        data = _read(path)
        key = Cache.key(path, settings.select, settings.ignore, settings.builtins)
        hit = None if data is None else _from_payload(path, store.get(key, digest(data)))
        if hit is not None:
            done[path] = hit
            if progress:
                progress()
        else:
            misses.append((path, settings))
            keys[path] = (key, data)
    for result in _lint_jobs(misses, False, False, workers, progress):
        done[result.path] = result
        key, data = keys[result.path]
        if result.error is None and result.skipped is None and data is not None:
            store.put(key, digest(data), _to_payload(result))
    store.save()
    return [done[path] for path, _ in jobs]


def _read(path: str) -> Optional[bytes]:
    from nb2prod.errors import UnusableInput
    from nb2prod.notebook.files import read_bytes

    try:
        return read_bytes(path)  # regular files only, size-capped: a FIFO here would block forever
    except UnusableInput:
        return None  # lint_file reports it


def _to_payload(result: FileResult) -> tuple:
    """Findings as plain tuples for the cache (marshal stores those as they are)."""
    return tuple((f.code, f.message, f.severity, f.fixable, f.end_line, f.location.cell, f.location.line,
                  f.location.col, None if f.location.path == result.path else f.location.path)
                 for f in result.findings)


def _from_payload(path: str, payload: Optional[tuple]) -> Optional[FileResult]:
    """The FileResult a cache entry stands for; None for no entry or one of an unexpected shape."""
    if payload is None:
        return None
    try:
        findings = tuple(Finding(Location(where or path, cell, line, col), code, message, severity, fixable, end)
                         for code, message, severity, fixable, end, cell, line, col, where in payload)
    except (TypeError, ValueError):
        return None
    return FileResult(path, findings)


def _encode(result: FileResult) -> tuple:
    """A FileResult as plain values, for the pipe from a worker process."""
    return (result.path, _to_payload(result), result.error, result.fixed, result.diff, result.skipped, result.notes)


def _decode(values: tuple) -> FileResult:
    path, payload, error, fixed, diff, skipped, notes = values
    return FileResult(path, _from_payload(path, payload).findings, error, fixed, diff, skipped, notes)


def _lint_jobs(jobs, fix: bool, show_diff: bool, workers: Optional[int], progress=None) -> List[FileResult]:
    """Lint the jobs in this process or, when there are enough bytes to pay for it, on every core."""
    from nb2prod.progress import forked_map

    sizes = [_size(path) for path, _ in jobs]
    count = workers or _cores()
    if sum(sizes) < PARALLEL_BYTES and workers is None:
        count = 1
    if count > 1 and len(jobs) > 1:  # what every worker needs, imported once before they fork
        import nb2prod.notebook.load  # noqa: F401
        import nb2prod.notebook.parse  # noqa: F401
        import nb2prod.rules  # noqa: F401
        import nb2prod.analysis.facts  # noqa: F401
        if fix or show_diff:
            import nb2prod.lint.fix  # noqa: F401

    def one(job) -> FileResult:
        path, settings = job
        return lint_file(path, settings.select, settings.ignore, fix, show_diff, settings.builtins)

    return forked_map(one, jobs, workers=count, weights=sizes, advance=progress, encode=_encode, decode=_decode)


# Linting costs ~0.3 µs of CPU per notebook byte (pdsh: 0.4 s for 1.2 MB, outputs included) and a
# fork a few ms: from 300 KB (~0.1 s of work) up, a second core clearly pays for itself.
PARALLEL_BYTES = 300_000


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
