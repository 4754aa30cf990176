"""Convert, stage by stage: plan each notebook, render its files with headers, check they compile, write them."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import field, replace
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from nb2prod import codeform, write
from nb2prod.analysis.scopes import module_globals
from nb2prod.analysis.walk import remembered
from nb2prod.collector import uncollected
from nb2prod.convert import evaluate
from nb2prod.convert import format as formatting
from nb2prod.convert import pipelines as engines  # the registry: light, each engine's module is imported when asked
from nb2prod.convert import plan as planner  # looked up per call: tests replace planner.make_plan
from nb2prod.errors import Nb2prodError, OutputConflict, UnusableInput
from nb2prod.frozen import frozen
from nb2prod.model import Location
from nb2prod.notebook.config import convert_settings
from nb2prod.notebook.load import load
from nb2prod.notebook.parse import deep_enough, parse_notebook
from nb2prod.progress import PARALLEL_ABOVE, beside, parallel_map


@frozen
class FileResult:
    path: str
    status: str  # new, unchanged, updated, edited, not-generated (the last two are refused without --force)


@frozen
class ConvertResult:
    """What converting one notebook did, or the error that stopped it."""

    notebook: str
    kind: Optional[str] = None
    kind_decided: bool = False
    files: Tuple[FileResult, ...] = ()
    fates: tuple = ()
    notices: Tuple[str, ...] = ()
    error: Optional[Nb2prodError] = None
    texts: Dict[str, str] = field(default_factory=dict, compare=False)


@frozen
class Generated:
    """A notebook converted in memory: its plan and the full text of every file it yields."""

    notebook: str
    plan: object
    texts: Dict[str, str]
    fates: tuple
    notices: Tuple[str, ...]
    context: object = field(default=None, compare=False)  # the script's template context (render.Rendered)


@uncollected  # trees: acyclic, freed by reference counting
@deep_enough
def plan_notebook(path: str, kind: str = "auto"):
    """load → parse → plan for one notebook; raises Nb2prodError for the user to fix."""
    return plan_loaded(load(path, validate=True), kind)


@uncollected
@deep_enough
def plan_loaded(nb, kind: str = "auto"):
    """parse → plan for a loaded notebook, with the settings of the project it is in (the exporter's way in)."""
    path = nb.path
    if nb.is_script and len(nb.cells) == 1 and not nb.cells[0].offset:  # no `# %%` marker: a plain script
        raise UnusableInput("convert takes .ipynb notebooks and jupytext percent scripts (`# %%` cells)",
                            Location(path))
    if not nb.code_cells:
        raise UnusableInput("notebook has no code cells", Location(path))
    cells = parse_notebook(nb)
    with remembered():  # the passes walk the same statements
        return planner.make_plan(nb, cells, kind, convert_settings(Path(path)))


@frozen
class _Draft:
    """A notebook rendered, not yet formatted: its files' bodies (and kfp's, written after the folder's
    environment files), and what --explain needs of the rendering."""

    notebook: str
    plan: object
    ref: str
    bodies: Dict[str, str]
    lifted: object
    context: object
    notices: Tuple[str, ...]
    later: Dict[str, str] = field(default_factory=dict)
    later_notices: Tuple[str, ...] = ()


def generate(plans: Sequence[Tuple[str, object]], outdir: str, templates: Optional[str] = None,
             with_evaluate: bool = False, *, workers: Optional[int] = 1,
             progress: Optional[Callable[[], None]] = None, pipelines: Sequence[str] = ()) -> List[Generated]:
    """Render every planned notebook into file texts (with headers); nothing is written.

    With `workers` other than 1, many notebooks render in worker processes; results keep input order.
    `pipelines` names the engines (`kfp`, `azureml`) whose pipeline files are added (convert.pipelines).
    Every notebook's Python files are formatted together, by one ruff process.
    """
    from nb2prod.convert import render  # noqa: F401 - heavy: libcst, imported once before worker processes fork

    settings = formatting.settings_for(outdir)
    training = [p for _, p in plans if p.kind == "training"]
    companion = training[0] if len(training) == 1 else None
    jobs = [(path, plan, outdir, templates, companion if plan.kind == "scoring" else None) for path, plan in plans]
    drafts = parallel_map(_render_one, jobs, workers=workers, advance=progress)
    if with_evaluate or engines.needs_evaluate(pipelines):
        drafts = [_add_evaluate(d, templates) for d in drafts]
    if pipelines:
        drafts = [_add_pipelines(d, templates, pipelines) for d in drafts]
    files = [(name, body) for d in drafts for name, body in {**d.bodies, **d.later}.items()]
    formatted = formatting.format_files(files, settings)
    checked = _checks_beside([(name, text) for (name, _), text in zip(files, formatted)])
    try:
        each = iter(formatted)
        finished = parallel_map(_finish_one, [(d, {name: next(each) for name in {**d.bodies, **d.later}})
                                              for d in drafts], workers=workers)
    finally:
        passed = checked()  # reaps the child whatever happened here
    if not passed:  # not known to pass: the check itself, on the files as written, raises what failed
        for gen, (later, _) in finished:
            for name, text in {**gen.texts, **later}.items():
                _must_compile(name, text, templates)
    generated = _add_environment([gen for gen, _ in finished], outdir, templates, pipelines, settings)
    return [replace(gen, texts={**gen.texts, **texts}, notices=gen.notices + notices)
            for gen, (_, (texts, notices)) in zip(generated, finished)]


def _add_pipelines(draft: _Draft, templates: Optional[str], pipelines: Sequence[str]) -> _Draft:
    """The notebook-scope engines' files (kfp's pipeline_kfp.py) beside a training notebook's script, or a
    notice why not; written after the folder's files, which therefore never cover them."""
    bodies, notices = engines.notebook_files(pipelines, draft, draft.ref, _environment(templates))
    return replace(draft, later={**draft.later, **bodies}, later_notices=draft.later_notices + notices)


def _add_environment(generated: List[Generated], outdir: str, templates: Optional[str],
                     pipelines: Sequence[str] = (), settings=None) -> List[Generated]:
    """The folder's requirements files (and conda.yml beside a score.py), and the pipeline files asked for,
    written with the last notebook's files: they cover every script generated into the folder."""
    from nb2prod.convert import environment

    if not generated:
        return generated
    texts = {name: text for gen in generated for name, text in gen.texts.items()}
    scoring = [gen.notebook for gen in generated if gen.plan.kind == "scoring"]
    name = environment.environment_name(scoring[0]) if scoring else None
    bodies = environment.files(texts, _environment(templates), name)
    more, notices = engines.folder_files(pipelines, generated, _environment(templates), texts)
    last = generated[-1]
    bodies = {**bodies, **more}
    formatted = formatting.format_files(list(bodies.items()), settings)
    extra = {file: write.with_header(body, _references(generated, Path(outdir, file).parent), file)
             for file, body in zip(bodies, formatted)}
    return generated[:-1] + [replace(last, texts={**last.texts, **extra}, notices=last.notices + notices)]


def _finished(bodies: Dict[str, str], ref: str, settings) -> Dict[str, str]:
    """render → format → header: each Python file (by its type, write.is_python) formatted, then headed."""
    formatted = formatting.format_files(list(bodies.items()), settings)
    return {name: write.with_header(body, ref, name) for name, body in zip(bodies, formatted)}


def _add_evaluate(draft: _Draft, templates: Optional[str]) -> _Draft:
    """`--with-evaluate`: evaluate.py beside a training notebook's train.py, or a notice saying why not."""
    if draft.plan.kind != "training":
        return draft
    bodies, notices = evaluate.files(draft.plan, draft.ref, _environment(templates))
    return replace(draft, bodies={**draft.bodies, **bodies}, notices=draft.notices + notices)


@uncollected
@deep_enough
def _render_one(job) -> _Draft:
    from nb2prod.convert import render  # heavy: libcst and jinja2

    path, plan, outdir, templates, companion = job
    ref = _reference(path, outdir)
    with remembered():
        rendered = _render(render, plan, ref, _environment(templates), companion)
    if rendered.reasons:  # where the tests took a check: known once they are rendered
        plan = replace(plan, decisions={**plan.decisions, **{i: replace(plan.decisions[i], code=code, reason=why)
                                                              for i, (code, why) in rendered.reasons.items()}})
    notices = tuple(plan.notices) + tuple(rendered.lifted.notices)
    return _Draft(path, plan, ref, rendered.files, rendered.lifted, rendered.context, notices)


@uncollected
@deep_enough
def _finish_one(job) -> Tuple[Generated, Tuple[Dict[str, str], Tuple[str, ...]]]:
    """A draft's formatted files headed (generate checks they compile), and where each notebook line went
    (--explain); kfp's files and notices apart, to follow the folder's environment files."""
    from nb2prod.convert.explain import account  # heavy: imports convert.lift (libcst)

    from nb2prod.convert import environment

    draft, formatted = job
    script = "train.py" if draft.plan.kind == "training" else "score.py"
    raw = draft.bodies[script]  # the lifted code's anchors are found as rendered, then moved to where they went
    texts: Dict[str, str] = {}
    for name in {**draft.bodies, **draft.later}:
        tree = _parsed(name, formatted[name])  # one parse per file: the digest and the imports
        texts[name] = write.with_header(formatted[name], draft.ref, name, tree)
        if tree is not None:
            environment.imported_modules(texts[name], tree)  # kept for the environment stage, which asks next
    moved = functools.partial(_moved_lines, raw, formatted[script])  # asked for by --explain only
    fates = account(draft.plan, draft.lifted, script, "\n" + raw, moved)  # line 1: the header
    mine = {name: texts[name] for name in draft.bodies}
    later = {name: texts[name] for name in draft.later}
    return (Generated(draft.notebook, draft.plan, mine, fates, draft.notices, draft.context),
            (later, draft.later_notices))


def _moved_lines(raw: str, formatted: str) -> Dict[int, int]:
    """Where each statement of the rendered script starts in the formatted one, both counting the header."""
    return {line + 1: to + 1 for line, to in formatting.moved_lines(raw, formatted).items()}


def _parsed(name: str, text: str):
    """A generated Python file's tree, or None (not Python, or it does not parse: the compile check says why)."""
    if not write.is_python(name):
        return None
    try:
        return codeform.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def convert(notebooks: Sequence[str], outdir: str, *, kind: str = "auto", force: bool = False,
            templates: Optional[str] = None, with_evaluate: bool = False, dry_run: bool = False,
            progress: Optional[Callable[[], None]] = None, workers: Optional[int] = None,
            pipelines: Sequence[str] = ()) -> List[ConvertResult]:
    """Convert notebooks into scripts and tests in `outdir`; refuses to clobber edited files.

    Many notebooks are planned and rendered in worker processes (all cores unless `workers` says);
    `progress` is called twice per notebook, once per stage.
    """
    if len(notebooks) > PARALLEL_ABOVE:
        import nbformat  # noqa: F401 - heavy: imported once, before worker processes fork
    results: Dict[str, ConvertResult] = {}
    planned = []
    outcomes = parallel_map(_plan_or_error, [(p, kind) for p in notebooks], workers=workers, advance=progress)
    for path, (plan, error) in zip(notebooks, outcomes):
        if error is None:
            planned.append((path, plan))
        else:
            results[path] = ConvertResult(path, error=error)
    claimed: Dict[str, str] = {}
    for gen in generate(planned, outdir, templates, with_evaluate, workers=workers, progress=progress,
                        pipelines=pipelines):
        results[gen.notebook] = _write(gen, outdir, kind == "auto", force, dry_run, claimed)
    if progress:
        for _ in range(len(notebooks) - len(planned)):
            progress()
    return [results[p] for p in notebooks]


def _plan_or_error(job: Tuple[str, str]):
    """One planning job for a worker process: (plan, None) or (None, the user-facing error)."""
    path, kind = job
    try:
        return plan_notebook(path, kind), None
    except Nb2prodError as exc:
        return None, exc


def write_files(gen: Generated, outdir: str, *, force: bool = False) -> ConvertResult:
    """Write one converted notebook's files as convert does: atomically, refusing edited files without `force`."""
    return _write(gen, outdir, False, force, False, {})


def _write(gen: Generated, outdir: str, decided: bool, force: bool, dry_run: bool, claimed) -> ConvertResult:
    """Write one notebook's files unless one is claimed by another notebook of this run or edited by hand."""
    base = ConvertResult(gen.notebook, gen.plan.kind, decided, fates=gen.fates, notices=gen.notices, texts=gen.texts)
    targets = {Path(outdir) / name: text for name, text in gen.texts.items()}
    statuses = {p: write.status(p, t) for p, t in targets.items()}
    error = _conflict(gen.notebook, statuses, force, claimed)
    if error is not None:
        return replace(base, error=error)
    for p in targets:
        claimed[str(p)] = gen.notebook
    files = []
    for p, text in targets.items():
        state = statuses[p]
        if state != write.SAME and not dry_run:
            write.write_atomic(p, text)
        files.append(FileResult(str(p), write.UPDATE if state in (write.EDITED, write.FOREIGN) else state))
    return replace(base, files=tuple(files))


def _conflict(notebook: str, statuses: Dict[Path, str], force: bool, claimed) -> Optional[OutputConflict]:
    """Why this notebook's files may not be written: another notebook's, or edited (without --force)."""
    for p in statuses:
        if str(p) in claimed:
            return OutputConflict(f"{p.name} is also generated from {claimed[str(p)]} in this run; "
                                  "convert them into different folders with -o", Location(notebook))
    refused = [p for p, s in statuses.items() if s in (write.EDITED, write.FOREIGN)]
    if refused and not force:
        why = "was edited since nb2prod wrote it" if statuses[refused[0]] == write.EDITED else "was not written by nb2prod"
        return OutputConflict(f"{refused[0]} {why}; nothing written (use --force to overwrite)", Location(notebook))
    return None


_environments: Dict[Optional[str], object] = {}


def _environment(templates: Optional[str]):
    """One Jinja environment per templates folder and process, shared by the notebooks it renders."""
    from nb2prod.convert import render  # heavy: libcst and jinja2

    if templates not in _environments:
        _environments[templates] = render.environment(templates)
    return _environments[templates]


def _render(render, plan, ref, env, companion):
    import jinja2  # heavy: only rendering needs it

    try:
        return render.render(plan, ref, env, companion if plan.kind == "scoring" else None)
    except jinja2.TemplateSyntaxError as exc:
        raise UnusableInput(f"template error: {exc.message}", Location(exc.filename or exc.name or "template", None,
                                                                       exc.lineno)) from None
    except jinja2.TemplateError as exc:
        raise UnusableInput(f"template error: {exc}", Location("templates")) from None


_FORK_ABOVE = 64 * 1024  # characters of formatted code: below this, checking here costs less than a fork


def _checks_beside(files: Sequence[Tuple[str, str]]) -> Callable[[], bool]:
    """The compile check of every formatted file, started in a child process while this one parses them for
    their headers (the check is a fifth of a large notebook's conversion); its join says whether all
    passed. A header is a comment line: a file passes with it as without it."""
    if sum(len(text) for _, text in files) < _FORK_ABOVE:
        return lambda: False
    return beside(_compiles, files)


def _compiles(file: Tuple[str, str]) -> bool:
    _check_generated(*file)  # raises what is wrong: the child counts that as a failure
    return True


def _must_compile(name: str, text: str, templates: Optional[str] = None) -> None:
    """Generated code parses and reads no undefined global. A failure is the user's when their own
    templates are in use, else a bug in nb2prod (an internal error): never a script that would die
    with SyntaxError or NameError."""
    try:
        _check_generated(name, text)
    except (SyntaxError, NameError) as exc:
        if templates is None:
            raise RuntimeError(f"generated {name}: {exc}") from exc
        raise UnusableInput(f"template error: generated {name}: {exc}", Location(templates)) from None


def _check_generated(name: str, text: str) -> None:
    defined, read = module_globals(text, name)
    if re.search(r"^from \S+ import \*", text, re.MULTILINE):
        return  # names may come from the star imports: nothing can be called undefined
    for name_read, (scope, line) in read:
        if name_read not in defined:
            raise NameError(f"reads undefined name `{name_read}` (in {scope}, line {line})")


def _references(generated: Sequence[Generated], folder: Path) -> str:
    """The notebooks of a folder's shared files (requirements, pipelines), as seen from the file's folder."""
    return ", ".join(sorted(_reference(gen.notebook, str(folder)) for gen in generated))


def _reference(notebook: str, outdir: str) -> str:
    """The notebook's path as seen from the output folder: stable wherever the command runs."""
    rel = os.path.relpath(os.path.abspath(notebook), os.path.abspath(outdir))
    return Path(rel).as_posix()
