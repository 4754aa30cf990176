"""The command line: thin click commands that call `api`, print through `report`, return exit codes.

Heavy libraries (libcst, jinja2, nbclient) are imported only inside the api entry points that need
them, so `nb2prod --version` and `nb2prod lint` start fast.
"""

from __future__ import annotations

import sys

import click

from nb2prod import __version__, api
from nb2prod.convert.pipelines import NAMES as PIPELINES
from nb2prod.errors import Nb2prodError
from nb2prod.progress import Progress
from nb2prod.report import check as check_report
from nb2prod.report import colour
from nb2prod.report import convert as convert_report
from nb2prod.report import fault
from nb2prod.report import lint as lint_report
from nb2prod.report import verify as verify_report

EXIT_INTERNAL = 3
QUIET = click.option("-q", "--quiet", is_flag=True, help="Print only findings and errors: no summary, no progress.")
LINT_BAR_DELAY = 0.25  # seconds: a lint that finishes sooner never draws its progress bar


class _Group(click.Group):
    """Turns Nb2prodError into one line and an exit code; hides tracebacks unless --debug."""

    def main(self, *args, **kwargs):
        try:
            return super().main(*args, **kwargs)
        except OSError as exc:  # --version or --help into a full disk: raised before any command runs
            message = fault.line(exc)
            if not message:
                raise
            click.echo(message, err=True)
            sys.exit(2)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:  # noqa: BLE001 - the one place errors become exit codes
            if isinstance(exc, Nb2prodError):
                click.echo(f"nb2prod: {exc}", err=True)
                ctx.exit(exc.exit_code)
            message = fault.line(exc)
            if message:  # a closed pipe or a full disk: the environment's fault, exit 2
                click.echo(message, err=True)
                ctx.exit(2)
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(
                f"nb2prod: internal error ({type(exc).__name__}: {exc}); this is a bug in nb2prod, "
                "please report it with the input that caused it (run again with --debug for the traceback)",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nb2prod")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Turn experiment notebooks into production scripts and tests."""
    ctx.obj = {"debug": debug}


@main.command()
@click.argument("notebooks", nargs=-1, required=True, type=click.Path(readable=False))  # load() refuses folders in one line
@click.option("-o", "--output", "outdir", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the generated files.")
@click.option("--kind", type=click.Choice(["auto", "training", "scoring"]), default="auto", show_default=True,
              help="What the notebook does; auto decides from the code.")
@click.option("--force", is_flag=True, help="Overwrite generated files even if they were edited by hand.")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, exists=True),
              help="Folder with your own copies of the Jinja templates.")
@click.option("--explain", is_flag=True, help="Print where every code line went, or why it was dropped.")
@click.option("--with-evaluate", is_flag=True, help="Also write evaluate.py (training notebooks).")
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option("--pipeline", "pipelines", multiple=True, type=click.Choice(PIPELINES),
              help="Also write the steps as a pipeline for this engine (kfp: pipeline_kfp.py; azureml: azureml/).")
@QUIET
def convert(notebooks, outdir, kind, force, templates_dir, explain, with_evaluate, dry_run, pipelines, quiet):
    """Convert NOTEBOOKS into train.py/score.py and their pytest tests."""
    with Progress(len(notebooks), "notebooks converted", steps=2, enabled=False if quiet else None) as bar:
        results = api.convert(
            notebooks, outdir, kind=kind, force=force, templates=templates_dir,
            with_evaluate=with_evaluate, dry_run=dry_run, progress=bar.advance, pipelines=pipelines,
        )
    style = _style(sys.stdout)
    for line in convert_report.lines(results, explain=explain, style=style, quiet=quiet):
        click.echo(line, err=line.startswith("nb2prod: "), color=style is not None)
    sys.exit(convert_report.exit_code(results))


def _style(stream):
    """click.style when colour is wanted on `stream` (report/colour.py decides), else None."""
    return click.style if colour.wanted(stream) else None


def _prefixes(ctx, param, values):
    """`--select NB1,NB301 --select NB4` → ("NB1", "NB301", "NB4"); unknown prefixes are usage errors."""
    out = tuple(p.strip().upper() for v in values for p in v.split(",") if p.strip())
    if not out:
        return None  # without importing the rules: a run served from the cache never needs them
    from nb2prod.rules import RULES  # heavy: every rule module; a lint served from the cache never needs them

    from nb2prod.notebook.config import did_you_mean

    for p in out:
        if not any(r.code.startswith(p) for r in RULES):
            hint = did_you_mean(p, {r.code: repr(r.code) for r in RULES})
            raise click.BadParameter(f"no rule code starts with {p!r}{hint} (see `nb2prod rules`)")
    return out or None


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(readable=False))  # unreadable: one `path: message` line
@click.option("--select", multiple=True, callback=_prefixes, help="Only these rule codes or prefixes (NB1,NB301).")
@click.option("--ignore", multiple=True, callback=_prefixes, help="Skip these rule codes or prefixes.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif"]), default="text",
              show_default=True, help="Output format.")
@click.option("--fix", is_flag=True, help="Delete the statements of fixable findings, in place.")
@click.option("--diff", is_flag=True, help="Show what --fix would change; change nothing.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes for many files.")
@click.option("--no-cache", is_flag=True, help="Lint every file again; do not read or write .nb2prod_cache/.")
@QUIET
@click.option("--exit-zero", is_flag=True, help="Exit 0 even with findings (2 still means unusable input).")
@click.option("--statistics", is_flag=True, help="Count the findings per rule code instead of listing them.")
def lint(paths, select, ignore, fmt, fix, diff, jobs, no_cache, quiet, exit_zero, statistics):
    """Find leftover exploration code and notebook bugs in PATHS (default: the current folder; `-`: standard input)."""
    if "-" in paths and (fix or diff):
        raise click.BadParameter("--fix and --diff change files; standard input is not one", param_hint="PATHS")
    with Progress(0, "files linted", delay=LINT_BAR_DELAY, enabled=False if quiet else None) as bar:
        result = api.lint(paths or (".",), select=select, ignore=ignore, fix=fix, diff=diff, workers=jobs,
                          cache=not no_cache, progress=bar, stdin=click.get_binary_stream("stdin"))
    coloured = colour.wanted(sys.stdout)
    out, err = lint_report.render(result, fmt, style=click.style if coloured else None, quiet=quiet,
                                  statistics=statistics)
    if err:
        click.echo("\n".join(err), err=True)
    if out:  # one write: a line per echo costs more than the linting of some files
        click.echo("\n".join(out), color=coloured)
    sys.exit(0 if exit_zero and result.exit_code == 1 else result.exit_code)


@main.command()
def rules():
    """List the lint rules, then the codes convert gives the lines it leaves out (NB9xx)."""
    from nb2prod.convert.plan.codes import CODES  # heavy: the planner, which lint never loads
    from nb2prod.rules import RULES  # heavy: every rule module (see _prefixes)

    for line in lint_report.rule_lines(RULES + CODES):
        click.echo(line)


@main.command()
@click.argument("code")
def rule(code):
    """Explain one lint rule, by code (NB101) or name (dataframe-inspection)."""
    from nb2prod.rules import find  # heavy: every rule module (see _prefixes)

    try:
        found = find(code)
    except KeyError:
        raise click.BadParameter(f"no rule {code!r} (see `nb2prod rules`)", param_hint="CODE") from None
    click.echo(lint_report.rule_doc(found), nl=False)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False),
              help="Output folder for notebooks not declared in [tool.nb2prod] projects.")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, exists=True),
              help="Folder with your own copies of the Jinja templates.")
@click.option("--format", "fmt", type=click.Choice(["text", "github"]), default="text", show_default=True,
              help="Output format; github prints workflow annotations.")
@QUIET
def check(paths, outdir, templates_dir, fmt, quiet):
    """Fail when generated files are out of step with their notebooks (for CI); writes nothing."""
    result = api.check(paths, outdir=outdir, templates=templates_dir)
    style = _style(sys.stdout)
    for line in check_report.render(result, fmt, style, quiet=quiet):
        click.echo(line, color=style is not None)  # color=: click would strip a forced colour on a pipe
    sys.exit(result.exit_code)


@main.command()
@click.argument("notebook", type=click.Path(dir_okay=False, exists=True))
@click.option("--with", "companion", type=click.Path(dir_okay=False, exists=True),
              help="Training notebook to run first (scoring notebooks; default: the training sibling).")
@click.option("--script", type=click.Path(dir_okay=False, exists=True),
              help="Compare this train.py/score.py instead of a freshly generated one.")
@click.option("--timeout", type=click.IntRange(min=1), default=600, show_default=True,
              help="Seconds allowed per notebook cell and per script run.")
@click.option("--kernel", default="python3", show_default=True, help="Jupyter kernel to run the notebook with.")
@click.option("--pipeline", type=click.Choice(["kfp"]),
              help="Also run the generated pipeline here (pipeline_kfp.py --local) and compare its model and metrics.")
@QUIET
@click.option("-v", "--verbose", is_flag=True, help="List the files copied from the notebook's folder.")
def verify(notebook, companion, script, timeout, kernel, pipeline, quiet, verbose):
    """Run NOTEBOOK and its generated script for real; exit 1 if their models or metrics differ."""
    result = api.verify(notebook, script=script, companion=companion, timeout=timeout, kernel=kernel,
                        pipeline=pipeline)
    style = _style(sys.stdout)
    for line in verify_report.lines(result, style, quiet=quiet, verbose=verbose):
        click.echo(line, color=style is not None)
    sys.exit(result.exit_code)
