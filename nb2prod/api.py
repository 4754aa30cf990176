"""The entry points the CLI and the tests use; each returns results as data and never prints.

Each delegates to the module that does the work: lint.batch, convert.pipeline, check, verify.
The convert side is imported inside its entry points: `nb2prod lint` never needs the planner's
twenty modules, which would add a third to the start-up of a lint served from the cache.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from nb2prod.lint.batch import lint_files
from nb2prod.lint.results import FileResult as LintedFile
from nb2prod.lint.results import LintReport
from nb2prod.notebook import config


def lint(paths: Sequence[str], *, select: Optional[Sequence[str]] = None, ignore: Optional[Sequence[str]] = None,
         fix: bool = False, diff: bool = False, workers: Optional[int] = None, cache: bool = False,
         progress=None, stdin=None):
    """Lint notebooks and scripts under `paths` (recursively) into a LintReport; never prints.

    With `cache`, results are kept in `.nb2prod_cache/` and reused while a file's bytes stay the same.
    `progress` (a progress.Progress) learns the number of files, then advances once per file.
    A path `-` is the binary stream `stdin` (standard input), linted as `<stdin>` with the current folder's settings.
    """
    piped = []
    if "-" in paths:
        from nb2prod.lint.files import lint_stdin

        found = config.lint_settings(Path("."))
        piped.append(lint_stdin(stdin, tuple(select) if select else found.select,
                                tuple(found.ignore) + tuple(ignore or ()), found.builtins))
        paths = [p for p in paths if p != "-"]
        if not paths:
            return LintReport(tuple(piped))
    files, missing = config.find_files(list(paths))
    settings: Dict[str, object] = {}
    jobs = []
    for file, given in files:
        if given not in settings:
            settings[given] = config.lint_settings(Path(given))
        found = settings[given]
        chosen = tuple(select) if select else found.select
        jobs.append((file, replace(found, select=chosen, ignore=tuple(found.ignore) + tuple(ignore or ()))))
    if progress is not None:
        progress.expect(len(jobs))
    results = lint_files(jobs, fix=fix, show_diff=diff, workers=workers, cache=cache,
                         progress=progress.advance if progress is not None else None)
    named = {os.path.normpath(given) for given in paths}  # a non-Python notebook asked for by name is an error
    results = [LintedFile(r.path, error=f"{r.path}: {r.skipped}") if r.skipped and os.path.normpath(r.path) in named
               else r for r in results]
    errors = [LintedFile(str(e.location.path), error=str(e)) for e in missing]
    return LintReport(tuple(sorted(errors + results, key=lambda r: r.path)) + tuple(piped))


def plan_notebook(path: str, kind: str = "auto"):
    """load → parse → plan for one notebook (a Plan); raises Nb2prodError for the user to fix."""
    from nb2prod.convert import pipeline  # heavy for lint: the planner's modules (see the module docstring)

    return pipeline.plan_notebook(path, kind)


def generate(plans: Sequence[Tuple[str, object]], outdir: str, templates: Optional[str] = None,
             with_evaluate: bool = False, *, workers: Optional[int] = 1,
             progress: Optional[Callable[[], None]] = None, pipelines: Sequence[str] = ()) -> list:
    """Render planned notebooks into file texts with headers (pipeline.Generated each); writes nothing."""
    from nb2prod.convert import pipeline  # heavy for lint: the planner's modules (see the module docstring)

    return pipeline.generate(plans, outdir, templates, with_evaluate, workers=workers, progress=progress,
                             pipelines=pipelines)


def convert(notebooks: Sequence[str], outdir: str, *, kind: str = "auto", force: bool = False,
            templates: Optional[str] = None, with_evaluate: bool = False, dry_run: bool = False,
            progress: Optional[Callable[[], None]] = None, workers: Optional[int] = None,
            pipelines: Sequence[str] = ()) -> List:
    """Convert notebooks into scripts and tests in `outdir` (pipeline.ConvertResult each); never clobbers edits.
    `pipelines` names the engines whose pipeline files are written too (`kfp`, `azureml`)."""
    from nb2prod.convert import pipeline  # heavy for lint: the planner's modules (see the module docstring)

    return pipeline.convert(notebooks, outdir, kind=kind, force=force, templates=templates,
                            with_evaluate=with_evaluate, dry_run=dry_run, progress=progress, workers=workers,
                            pipelines=pipelines)


def check(paths: Sequence[str] = (), *, outdir: Optional[str] = None, templates: Optional[str] = None):
    """Compare generated files on disk with what their notebooks give now (a CheckReport); never writes."""
    from nb2prod import check as checking  # heavy for lint: imports the planner's modules

    return checking.check(checking.select(list(paths), outdir), templates)


def verify(notebook: str, *, script: Optional[str] = None, companion: Optional[str] = None, timeout: int = 600,
           kernel: str = "python3", pipeline: Optional[str] = None):
    """Run the notebook and its generated script for real and compare their results (a VerifyReport);
    `pipeline="kfp"` runs the generated Kubeflow pipeline locally and compares its results too."""
    from nb2prod import verify as verifying  # heavy for lint: imports the planner's modules

    return verifying.verify(notebook, script=script, companion=companion, timeout=timeout, kernel=kernel,
                            pipeline=pipeline)
