"""The command line: thin click commands that call `api`, print through `report`, return exit codes.

Heavy libraries (libcst, jinja2, nbclient) are imported only inside the commands that need them,
so `nb2prod --version` and `nb2prod lint` start fast.
"""

from __future__ import annotations

import sys

import click

from nb2prod import __version__

EXIT_INTERNAL = 3


class _Group(click.Group):
    """Turns Nb2prodError into one line and an exit code; hides tracebacks unless --debug."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:  # noqa: BLE001 - the one place errors become exit codes
            from nb2prod.errors import Nb2prodError

            if isinstance(exc, Nb2prodError):
                click.echo(f"nb2prod: {exc}", err=True)
                ctx.exit(exc.exit_code)
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
@click.argument("notebooks", nargs=-1, required=True, type=click.Path(dir_okay=False))
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
def convert(notebooks, outdir, kind, force, templates_dir, explain, with_evaluate, dry_run):
    """Convert NOTEBOOKS into train.py/score.py and their pytest tests."""
    from nb2prod import api
    from nb2prod.report import convert as report

    results = api.convert(
        notebooks, outdir, kind=kind, force=force, templates=templates_dir,
        with_evaluate=with_evaluate, dry_run=dry_run,
    )
    for line in report.lines(results, explain=explain):
        click.echo(line, err=line.startswith("nb2prod: "))
    sys.exit(report.exit_code(results))
