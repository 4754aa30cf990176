"""`jupyter nbconvert --to nb2prod notebook.ipynb`: the generated script, with its tests as extra outputs.

The conversion and the writing are convert's: the notebook nbconvert hands over (after its preprocessors)
is planned under its own path, so the project's `[tool.nb2prod]` settings apply and the generated tests
point at the notebook from the output folder (`--output-dir`). Run by `jupyter nbconvert` with its
files writer, the exporter writes the files itself through convert's write path (atomic, an edited
file refused unless `--Nb2prodExporter.force=True`) and tells nbconvert's writer they are written;
a problem in the notebook is one line on stderr and exit 2 (unusable) or 1 (code problem, edited file).
Used as a library (`from_notebook_node`), it returns the script and puts the tests in
`resources["outputs"]`, raising ValueError with that line.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn, Optional

import nbformat
from nbconvert.exporters import Exporter
from nbconvert.writers import FilesWriter, WriterBase
from traitlets import Bool, Unicode

from nb2prod.convert.pipeline import generate, plan_loaded, write_files
from nb2prod.errors import Nb2prodError
from nb2prod.notebook.load import load, load_notebook_text


class Nb2prodExporter(Exporter):
    """Convert a notebook into nb2prod's production script (and its tests)."""

    export_from_notebook = "nb2prod production script"
    output_mimetype = "text/x-python"
    kind = Unicode("auto", help="What the notebook does: auto, training or scoring.").tag(config=True)
    force = Bool(False, help="Overwrite generated files that were edited by hand.").tag(config=True)

    def _file_extension_default(self):
        return ".py"

    def from_filename(self, filename, resources=None, **kw):
        """nbconvert reads the file itself; nb2prod's reader first says in one line what makes it unusable."""
        try:
            load(filename, validate=True)
        except Nb2prodError as exc:
            _fail(exc, _running_app(self))
        return super().from_filename(filename, resources, **kw)

    def from_notebook_node(self, nb, resources=None, **kw):
        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        meta = resources.get("metadata", {})
        path = os.path.join(meta.get("path") or "", (meta.get("name") or "notebook") + ".ipynb")
        app = _running_app(self)
        writer = app.writer if app is not None else None
        writer = writer.replaced if isinstance(writer, _Written) else writer  # a second notebook of the run
        writer = writer if type(writer) is FilesWriter else None
        outdir = (writer.build_directory if writer is not None else "") or meta.get("path") or "."
        try:
            plan = plan_loaded(load_notebook_text(path, nbformat.writes(nb_copy), validate=True), self.kind)
            (gen,) = generate([(path, plan)], outdir)
            if writer is not None:
                result = write_files(gen, outdir, force=self.force)
                if result.error is not None:
                    raise result.error
                for file in result.files:
                    self.log.info("nb2prod: %-9s %s", file.status, file.path)
        except Nb2prodError as exc:
            _fail(exc, app)
        script = "train.py" if plan.kind == "training" else "score.py"
        resources["unique_key"] = script[: -len(".py")]
        resources["output_extension"] = ".py"
        if writer is not None:
            app.writer = _Written(writer, outdir, config=writer.config)
            return gen.texts[script], resources
        resources.setdefault("outputs", {})
        for file, text in gen.texts.items():
            if file != script:
                resources["outputs"][f"./{file}"] = text.encode("utf-8")  # "./": nbconvert makes its folder
        return gen.texts[script], resources


def _fail(exc: Nb2prodError, app) -> NoReturn:
    """One line: raised as ValueError to a library caller, else printed with the exit code convert gives."""
    if app is None:
        raise ValueError(f"nb2prod: {exc}") from None
    print(f"nb2prod: {str(exc).replace('--force', '--Nb2prodExporter.force=True')}", file=sys.stderr)
    raise SystemExit(exc.exit_code) from None


def _running_app(exporter: Nb2prodExporter):
    """The `jupyter nbconvert` application this exporter converts for, or None (used as a library)."""
    from nbconvert.nbconvertapp import NbConvertApp

    if not NbConvertApp.initialized():
        return None
    app = NbConvertApp.instance()
    return app if getattr(app, "exporter", None) is exporter else None


class _Written(WriterBase):
    """nbconvert's files writer once nb2prod has written the files: it only says where the script is."""

    def __init__(self, files: FilesWriter, outdir: str, **kw):
        super().__init__(**kw)
        self.replaced, self.outdir = files, outdir

    def write(self, output, resources, notebook_name: Optional[str] = None, **kw):
        return os.path.join(self.outdir, resources["unique_key"] + resources["output_extension"])
